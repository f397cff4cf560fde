from __future__ import annotations

from assistant.interview.guide import load_guide
from assistant.interview.safety import Concern, concern_in
from assistant.text import contains_phrase


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


def test_an_errand_is_off_mission_but_a_description_of_the_work_is_not() -> None:
    english = load_guide("en")
    for request in (
        "Write my appraisal.",
        "Ok. Draft my CV please",
        "Please prepare my resume",
        "Could you help me write an email to HR?",
    ):
        assert concern_in(request, english) == Concern.OFF_MISSION, request
    # Answers about the work, which the pattern once took for errands (guide 1.2.0).
    for answer in (
        "The software could draft the letter, but not make that call.",
        "Then I write the letter to the family.",
        "I had to do the evaluation of her needs.",
    ):
        assert concern_in(answer, english) is None, answer
