from __future__ import annotations

import random

from assistant.interview.guide import load_guide
from assistant.interview.rules import language_of, plainly_in
from assistant.interview.safety import Concern, concern_in
from assistant.text import contains_phrase
from tests.support.sentences import repository_sentences

INTERVIEW_LANGUAGES = ("fr", "en")


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


def test_plain_replies_are_told_without_the_detector() -> None:
    assert plainly_in("Qu'avez-vous fait ensuite avec elle ?", "fr")
    assert plainly_in("Vous êtes restée plus longtemps : qu'avez-vous fait pour elle ?", "fr")
    assert plainly_in("What did you do next with her?", "en")
    assert plainly_in("You stayed longer with her. What did you do then?", "en")
    assert not plainly_in("Qu'avez-vous fait ensuite avec elle ?", "en")
    assert not plainly_in("What did you do next with her?", "fr")


def test_what_is_not_plain_is_left_to_the_detector() -> None:
    for text in (
        "Vous avez raison. What did you do next?",  # mixed
        "What did you do next avec elle?",  # English with French words
        "Vous avez fait the home visit alone?",
        "Qué hizo usted después de la visita de la mañana?",  # "de", "la", "que" decide nothing
        "Che cosa ha fatto dopo la visita della mattina?",
        "O que você fez depois da visita da manhã?",
        "Was haben Sie nach dem Besuch am Morgen gemacht?",
        "Wat heeft u gedaan na het bezoek van vanochtend?",
        "Vous avez vu la señora pour une heure ce matin ?",  # a letter French has not
        "What did you do when the café was closed?",  # an accent English has not
        "Comment cela a-t-il commencé ?",  # too few function words to be sure
        "Vous avez dit : planning, tablette, badge, application, messagerie, agenda.",  # a list
    ):
        for language in INTERVIEW_LANGUAGES:
            assert not plainly_in(text, language), (text, language)
    assert not plainly_in("Was haben Sie gemacht, und wie?", "de")  # no lists to tell it by


def test_plainly_in_agrees_with_lingua_on_the_repository_texts() -> None:
    """Wherever the word lists say a sentence is plainly in a language, lingua says so too."""
    taken = dict.fromkeys(INTERVIEW_LANGUAGES, 0)
    disagreements = []
    for sentence in repository_sentences():
        for language in INTERVIEW_LANGUAGES:
            if plainly_in(sentence, language):
                taken[language] += 1
                if language_of(sentence) != language:
                    disagreements.append((language, sentence))
    assert disagreements == []
    assert min(taken.values()) > 200, taken  # the lists do tell most plain sentences


def _sentences_by_language() -> tuple[list[str], list[str]]:
    by_language: dict[str | None, list[str]] = {}
    for sentence in repository_sentences():
        by_language.setdefault(language_of(sentence), []).append(sentence)
    return by_language["fr"], by_language["en"]


def test_a_reply_that_drifts_into_the_other_language_is_left_to_lingua() -> None:
    """A French sentence followed by an English one, or the other way round, and a sentence
    with one function word of the other language in it: never plain, whatever the order."""
    french, english = _sentences_by_language()
    french = [sentence for sentence in french if plainly_in(sentence, "fr")]
    english = [sentence for sentence in english if plainly_in(sentence, "en")]
    chance = random.Random(26)
    for one, other in zip(chance.sample(french, 200), chance.sample(english, 200), strict=True):
        for text in (
            f"{one} {other}",
            f"{other} {one}",
            f"{one} {chance.choice(['the', 'with', 'your', 'what', 'how', 'and'])}",
            f"{chance.choice(['vous', 'avec', 'pour', 'dans', 'une', 'chez'])} {other}",
        ):
            for language in INTERVIEW_LANGUAGES:
                assert not plainly_in(text, language), (text, language)


def test_fragments_of_both_languages_are_mostly_left_to_lingua() -> None:
    """Halves of a French and an English sentence joined, and a sentence with a word of the
    other language's at one end: lingua judges these by their letters, so one long word
    ("What did you do then? auxiliaire") can make it say French. The function words cannot
    see that; over 12,800 such fragments (eight samples like this one), 28 were judged plain
    where lingua disagreed (0.2 %, at most 5 in one sample), all of them fragments no
    interviewer writes. The bound keeps it rare."""
    french, english = _sentences_by_language()
    french_words = [word for sentence in french for word in sentence.split()]
    english_words = [word for sentence in english for word in sentence.split()]
    chance = random.Random(26)
    mixed = []
    for one, other in zip(chance.sample(french, 400), chance.sample(english, 400), strict=True):
        a, b = one.split(), other.split()
        mixed += [" ".join(a[: len(a) // 2] + b[len(b) // 2 :])]
        mixed += [" ".join(b[: len(b) // 2] + a[len(a) // 2 :])]
        mixed += [" ".join([*b, chance.choice(french_words)])]
        mixed += [" ".join([chance.choice(english_words), *a])]
    judged = [
        (language, text)
        for text in mixed
        for language in INTERVIEW_LANGUAGES
        if plainly_in(text, language)
    ]
    disagreements = [(language, text) for language, text in judged if language_of(text) != language]
    assert len(judged) > 100
    assert len(disagreements) <= len(mixed) // 250, disagreements
