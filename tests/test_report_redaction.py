"""Redaction: each kind of personal data on labelled sentences, and the doubt rule."""

from __future__ import annotations

import pytest

from assistant.personal_data.redaction import Kind, default_redactor
from tests.redaction_eval import evaluate, load_fixture

pytestmark = pytest.mark.slow


def test_the_labelled_set_is_large_and_has_negatives() -> None:
    sentences = load_fixture()["sentences"]
    assert len(sentences) >= 60
    assert sum(1 for s in sentences if not s["pii"]) >= 20
    assert {s["lang"] for s in sentences} == {"fr", "en"}


def test_precision_and_recall_per_kind_on_the_labelled_set() -> None:
    figures = evaluate()
    for kind, row in figures["kinds"].items():
        assert row["labelled"] > 0, kind
        assert row["recall"] >= 0.9, (kind, row)
        assert row["precision"] >= 0.85, (kind, row)
    # Whatever slips through is in a sentence the checks doubt, so it is never shown.
    assert figures["shown_leaks"] == []
    assert figures["false_alarms"] == []


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Passez voir Madame Lefort demain.", Kind.PERSON),
        ("Appelez le 06 12 34 56 78.", Kind.PHONE),
        ("Son adresse : a.b@exemple.fr", Kind.EMAIL),
        ("Elle vit au 4 rue des Lilas.", Kind.ADDRESS),
        ("Il est né le 3 mai 1940.", Kind.DATE_OF_BIRTH),
        ("Depuis son AVC, elle parle moins.", Kind.HEALTH),
    ],
)
def test_each_kind_is_replaced_by_its_placeholder(text: str, kind: Kind) -> None:
    result = default_redactor().redact(text, "fr")
    assert kind in result.kinds
    assert result.text != text


def test_known_names_are_always_removed_whole_and_by_parts() -> None:
    redactor = default_redactor(known_names={"claire.dupont", "Participant-7KQ2"})
    result = redactor.redact("Dupont-Moreau et Participant-7KQ2 étaient là, Claire aussi.")
    assert "Dupont" not in result.text
    assert "7KQ2" not in result.text
    assert "Claire" not in result.text
    assert "Moreau" not in result.text


def test_a_quote_with_an_unexplained_proper_noun_is_doubtful() -> None:
    result = default_redactor().redact("Priya from the office sorted out the rota.", "en")
    assert result.doubtful
    plain = default_redactor().redact("Le bénéficiaire avait peur ce jour-là.")
    assert not plain.doubtful
    assert plain.kinds == ()


def test_the_companys_own_places_are_not_doubted_when_allowed() -> None:
    text = "Dans la vallée du Brévon, les visites sont longues."
    assert not default_redactor(allowed_terms={"Brévon"}).redact(text).doubtful
