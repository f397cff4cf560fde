"""The catalogs are never stale: Babel's extraction over the code finds no message that a
catalog lacks, none left untranslated in French, none a catalog keeps that the code no longer
says. Every count takes the form of its language at 0, 1 and 2."""

from __future__ import annotations

from io import BytesIO

import pytest

from assistant import catalogs, i18n
from assistant.report import texts as report_texts
from assistant.report.texts import counted_for, theme_counts, withheld


@pytest.fixture(scope="module")
def template() -> catalogs.Catalog:
    return catalogs.extracted()


@pytest.mark.parametrize("language", i18n.languages())
def test_each_catalog_holds_every_message_of_the_code_translated(
    template: catalogs.Catalog, language: str
) -> None:
    gaps = catalogs.gaps(language, template)
    assert not gaps, (
        f"The {language} catalog is not in step with the code: run `{catalogs.COMMAND}`, then "
        f"translate what it left empty in {i18n.catalog_path(language)}. {gaps}"
    )


def test_the_extraction_reads_both_ways_of_calling_the_catalog() -> None:
    """The language-first functions of assistant.i18n, split over lines with a trailing comma
    as ruff formats them, are extracted like the catalog's own methods."""
    source = b"""
a = _("Said by a table")
b = gettext(language, "Said at the place it is shown")
c = ngettext(
    language,
    "{count} thing",
    "{count} things",
    count,
)
d = catalog.ngettext("{count} cell", "{count} cells", n,)
e = pgettext(language, "a context", "Said in context")
"""
    found = [
        (messages, context)
        for _, messages, _, context in catalogs.extract(
            catalogs.extract_python, BytesIO(source), keywords=catalogs.KEYWORDS
        )
    ]
    assert found == [
        ("Said by a table", None),
        ("Said at the place it is shown", None),
        (("{count} thing", "{count} things"), None),
        (("{count} cell", "{count} cells"), None),
        ("Said in context", "a context"),
    ]


def test_a_message_missing_from_a_catalog_is_recorded_and_shown_in_english() -> None:
    message = "A message no catalog holds"
    try:
        assert i18n.gettext("fr", message) == message
        assert ("fr", message) in i18n.MISSING
    finally:
        i18n.MISSING.discard(("fr", message))


# ------------------------------------------------------------------ plurals at 0, 1 and 2

SINGULAR_AT = {"fr": {0, 1}, "en": {1}}  # French puts 0 in the singular, English does not


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("key", sorted(report_texts._counted("en")))
def test_every_counted_report_text_takes_its_languages_form(language: str, key: str) -> None:
    form = report_texts._counted(language)[key]
    singular, plural = form(1), form(2)
    assert singular != plural, key
    for count in (0, 1, 2):
        assert form(count) == (singular if count in SINGULAR_AT[language] else plural)


@pytest.mark.parametrize(
    ("language", "counts", "expected"),
    [
        (
            "fr",
            (0, 1, 2),
            "Retenu par ces règles : 0 case, 1 thème, 2 citations ; 0 citation écartée par "
            "la vérification des données personnelles ; 1 autre ligne (interlocuteurs, écarts, "
            "automatisation, groupes).",
        ),
        (
            "en",
            (0, 1, 2),
            "Withheld by these rules: 0 cells, 1 theme, 2 quotes; 0 quotes left out by the "
            "personal-data check; 1 other row (counterparts, gaps, automation, groups).",
        ),
    ],
)
def test_what_the_rules_withheld_is_counted_in_words(
    language: str, counts: tuple[int, int, int], expected: str
) -> None:
    zero, one, two = counts
    said = withheld(language, cells=zero, themes=one, quotes=two, doubtful=zero, others=one)
    assert said == expected
    assert "(s)" not in said


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", ["1 personne, 0 épisode, 2 entretiens", "2 personnes, 1 épisode, 0 entretien"]),
        ("en", ["1 person, 0 episodes, 2 interviews", "2 people, 1 episode, 0 interviews"]),
    ],
)
def test_a_themes_counts_agree_with_each_number(language: str, expected: list[str]) -> None:
    assert [theme_counts(language, 1, 0, 2), theme_counts(language, 2, 1, 0)] == expected


def test_a_hint_agrees_with_the_people_it_would_take() -> None:
    def hint(language: str, most: int) -> str:
        return counted_for(language, "hint_total", most, most=most)

    assert "au plus 1 personne interrogée de plus" in hint("fr", 1)
    assert "au plus 4 personnes interrogées de plus" in hint("fr", 4)
    assert "at most 1 more person interviewed" in hint("en", 1)
    assert "at most 4 more people interviewed" in hint("en", 4)
