from __future__ import annotations

from assistant.interview.guide import load_guide
from assistant.interview.rules import StreamGuard, enforce_one_question, trim_to_limit
from assistant.interview.safety import Concern, concern_in
from assistant.text import contains_phrase


def stream(guard: StreamGuard, pieces: list[str]) -> str:
    return "".join(guard.feed(piece) for piece in pieces)


def test_the_stream_stops_showing_after_the_first_question() -> None:
    guard = StreamGuard()
    shown = stream(guard, ["\n", "D'accord.", " Qu'avez", "-vous fait ?", " Et", " ensuite ?"])
    assert shown == "D'accord. Qu'avez-vous fait ?"
    assert guard.finish() == ("D'accord. Qu'avez-vous fait ?", ["several_questions"])


def test_a_statement_after_the_question_is_kept_when_the_reply_is_complete() -> None:
    guard = StreamGuard()
    shown = stream(guard, ["Comment ", "cela s'est-il passé ?", " Prenez votre temps."])
    assert shown == "Comment cela s'est-il passé ?"
    final, broken = guard.finish()
    assert final == "Comment cela s'est-il passé ? Prenez votre temps."
    assert broken == []


def test_the_length_limit_holds_while_streaming_and_at_the_end() -> None:
    guard = StreamGuard(max_chars=120)
    long = "Je vous entends bien. " * 20 + "Que s'est-il passé ?"
    shown = stream(guard, [long[i : i + 7] for i in range(0, len(long), 7)])
    assert len(shown) <= 120
    final, broken = guard.finish()
    assert len(final) <= 120
    assert final.endswith(".")
    assert "too_long" in broken


def test_trim_cuts_at_a_sentence_end_or_a_word() -> None:
    assert trim_to_limit("Court.", 100) == "Court."
    assert trim_to_limit("Une phrase. Une autre phrase bien plus longue", 25) == "Une phrase."
    assert trim_to_limit("motmotmot " * 10, 25).endswith("…")


def test_one_question_is_left_alone() -> None:
    assert enforce_one_question("Qui était là ?") == ("Qui était là ?", [])


def test_phrases_match_whole_words_without_accents_or_case() -> None:
    assert contains_phrase("Oui, d'accord !", ["d'accord"])
    assert contains_phrase("C'EST TOUT", ["c'est tout"])
    assert not contains_phrase("ouistiti", ["oui"])
    assert contains_phrase("Ça me va très bien", ["ca me va"])


def test_safety_cues_in_both_languages() -> None:
    french, english = load_guide("fr"), load_guide("en")
    assert concern_in("J'ai envie d'en finir.", french) == Concern.DISTRESS
    assert concern_in("stop", french) == Concern.STOP
    assert concern_in("Je n'arrivais pas à stopper la fuite d'eau ce matin-là.", french) is None
    assert concern_in("Can you write my appraisal for me?", english) == Concern.OFF_MISSION
    assert concern_in("I sometimes think about self-harm.", english) == Concern.DISTRESS
    assert concern_in("Yesterday Mrs B. was worried about her son.", english) is None
