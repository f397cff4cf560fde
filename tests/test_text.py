"""The shared text helpers: the two foldings and phrase matching."""

from __future__ import annotations

from assistant.text import contains_phrase, fold_case_and_accents, fold_for_matching


def test_words_lose_case_and_accents_and_nothing_else() -> None:
    assert fold_case_and_accents("Écoute ÀÇÔ") == "ecoute aco"
    assert fold_case_and_accents("Straße") == "strasse"
    assert fold_case_and_accents("j’ai  vu") == "j’ai  vu"


def test_messages_are_also_given_plain_apostrophes_and_single_spaces() -> None:
    assert fold_for_matching("  J’ai   VU\nl’Équipe ") == "j'ai vu l'equipe"


def test_a_phrase_matches_whole_words_only() -> None:
    assert contains_phrase("Bon, j’arrête là.", ["j'arrete"])
    assert contains_phrase("C'EST   TOUT", ["c'est tout"])
    assert not contains_phrase("ouistiti", ["oui"])
    assert not contains_phrase("", [""])
