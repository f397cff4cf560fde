"""Terrain's one way to translate: gettext catalogs, one per language.

Message ids are the English texts, written in the code with the standard gettext names
(``gettext``, ``ngettext``, ``pgettext``, ``N_``) so that Babel's extraction finds them
(``pybabel extract``, configured in ``babel.cfg``). Each language has its catalog in
``assistant/locale/<language>/LC_MESSAGES/terrain.po``. A compiled ``terrain.mo`` is used
when it is at least as new as its ``.po``; otherwise the ``.po`` is compiled in memory, once per
process, so that a clean checkout works before any build step has run.

Adding a language is adding its catalog (and a guide in ``prompts/``): :func:`languages` lists
every language whose catalog exists, and nothing else is accepted, so that an unknown language
is an error instead of a silent fallback.
"""

from __future__ import annotations

import gettext as _gettext
import logging
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DOMAIN = "terrain"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
SOURCE_LANGUAGE = "en"  # the message ids' language: its catalog may leave every msgstr empty

logger = logging.getLogger(__name__)


class UnsupportedLanguage(ValueError):
    """A language no catalog exists for."""

    def __init__(self, language: str) -> None:
        self.language = language
        super().__init__(
            f"No translation exists for the language {language!r}: "
            f"Terrain speaks {', '.join(languages())}."
        )


def catalog_path(language: str, suffix: str = ".po") -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


@cache
def languages() -> tuple[str, ...]:
    """Every language Terrain can speak: the source language and each one with a catalog."""
    found = {path.parents[1].name for path in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
    return tuple(sorted(found | {SOURCE_LANGUAGE}))


def N_(message: str) -> str:  # the name Babel and xgettext look for
    """Mark ``message`` for extraction where it is declared; translate it where it is shown."""
    return message


class _Untranslated(_gettext.NullTranslations):
    """What a catalog falls back to for a message it lacks: the English text, said in the log
    once per message and kept in :data:`MISSING` (which the tests read)."""

    def __init__(self, language: str) -> None:
        super().__init__()
        self.language = language

    def _missed(self, message: str, context: str | None = None) -> None:
        key = (self.language, f"{context}\x04{message}" if context else message)
        if key not in MISSING:
            MISSING.add(key)
            logger.warning("No %s translation of the message %r: shown in English.", *key)

    def gettext(self, message: str) -> str:
        self._missed(message)
        return message

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        self._missed(msgid1)
        return super().ngettext(msgid1, msgid2, n)

    def pgettext(self, context: str, message: str) -> str:
        self._missed(message, context)
        return message

    def npgettext(self, context: str, msgid1: str, msgid2: str, n: int) -> str:
        self._missed(msgid1, context)
        return super().npgettext(context, msgid1, msgid2, n)


MISSING: set[tuple[str, str]] = set()  # (language, message id) asked for and not in its catalog


@cache
def translation(language: str) -> _gettext.NullTranslations:
    """The catalog of ``language`` (one of :func:`languages`)."""
    if language not in languages():
        raise UnsupportedLanguage(language)
    found = _compiled(language)
    if language != SOURCE_LANGUAGE:
        found.add_fallback(_Untranslated(language))
    return found


def _compiled(language: str) -> _gettext.NullTranslations:
    po, mo = catalog_path(language), catalog_path(language, ".mo")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as compiled:
            return _gettext.GNUTranslations(compiled)
    if not po.exists():  # the source language with no catalog of its own
        return _gettext.NullTranslations()
    with po.open("rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    compiled_in_memory = BytesIO()
    write_mo(compiled_in_memory, catalog)
    compiled_in_memory.seek(0)
    return _gettext.GNUTranslations(compiled_in_memory)


def gettext(language: str, message: str) -> str:
    return translation(language).gettext(message)


def ngettext(language: str, singular: str, plural: str, count: int) -> str:
    """The form of ``singular``/``plural`` that ``count`` takes in ``language`` (French puts 0
    and 1 in the singular, English only 1)."""
    return translation(language).ngettext(singular, plural, count)


def pgettext(language: str, context: str, message: str) -> str:
    return translation(language).pgettext(context, message)
