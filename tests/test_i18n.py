"""The gettext catalogs: every language found, plurals by each language's rule, unknown
languages refused, and a compiled catalog never older than its source."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant import i18n


def test_the_languages_are_those_with_a_catalog() -> None:
    assert {"en", "fr"} <= set(i18n.languages())
    assert all(i18n.catalog_path(language).exists() for language in i18n.languages())


@pytest.mark.parametrize(
    ("language", "count", "expected"),
    [
        ("fr", 0, "0 entretien"),
        ("fr", 1, "1 entretien"),
        ("fr", 2, "2 entretiens"),
        ("en", 0, "0 interviews"),
        ("en", 1, "1 interview"),
        ("en", 2, "2 interviews"),
    ],
)
def test_plurals_follow_each_language_rule(language: str, count: int, expected: str) -> None:
    form = i18n.ngettext(language, "{count} interview", "{count} interviews", count)
    assert form.format(count=count) == expected


def test_an_unknown_language_is_refused_by_name() -> None:
    with pytest.raises(i18n.UnsupportedLanguage, match="'de'") as refused:
        i18n.translation("de")
    assert "en, fr" in str(refused.value)


def test_a_compiled_catalog_older_than_its_source_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locale = tmp_path / "locale"
    messages = locale / "fr" / "LC_MESSAGES"
    messages.mkdir(parents=True)
    source = i18n.catalog_path("fr").read_text(encoding="utf-8")
    (messages / "terrain.po").write_text(source, encoding="utf-8")
    (messages / "terrain.mo").write_bytes(b"stale")  # would not even parse
    os.utime(messages / "terrain.mo", (0, 0))
    monkeypatch.setattr(i18n, "LOCALE_DIR", locale)
    i18n.languages.cache_clear()
    i18n.translation.cache_clear()
    try:
        assert i18n.ngettext("fr", "{count} interview", "{count} interviews", 2).startswith(
            "{count} entretiens"
        )
    finally:
        i18n.languages.cache_clear()
        i18n.translation.cache_clear()
