"""The catalogs kept in step with the code: Babel extracts every message the code and the
staff templates mark, and each language's ``.po`` is updated from them (``make messages``,
which runs ``python -m assistant.catalogs``). A test runs the same extraction and fails, naming
the command, when a catalog lacks a message or leaves one untranslated.

The code calls the catalog two ways, and both are extracted: a translations object's methods
(``_``/``gettext(message)``, ``ngettext(singular, plural, n)``, ``pgettext(context, message)``),
and :mod:`assistant.i18n`'s functions, which take the language first
(``gettext(language, message)``…): :func:`extract_python` reads both.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract, extract_from_dir
from babel.messages.extract import extract_python as babel_extract_python
from babel.messages.frontend import parse_keywords
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from assistant import i18n

__all__ = [
    "COMMAND",
    "KEYWORDS",
    "Catalog",
    "Gaps",
    "extract",
    "extract_python",
    "extracted",
    "gaps",
    "update",
]

ROOT = Path(__file__).resolve().parents[1]
COMMAND = "make messages"
KEYWORDS = parse_keywords(["_", "N_", "gettext", "ngettext:1,2", "pgettext:1c,2"])
# What babel.cfg says, so that `pybabel extract -F babel.cfg` and this module agree.
METHODS = [
    ("assistant/**.py", "assistant.catalogs:extract_python"),
    ("assistant/web/templates/**.html", "jinja2"),
]
OPTIONS = {"assistant/web/templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def extract_python(
    fileobj: Any, keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, Any, Any, Any]]:
    """Babel's Python extraction, with :mod:`assistant.i18n`'s language-first calls read as
    the catalog's own: a message is always a literal, the language never is, so a call whose
    first argument is not a literal has its language dropped. (Counting arguments cannot tell
    the two apart: a trailing comma counts as one.)"""
    for lineno, funcname, messages, comments in babel_extract_python(
        fileobj, keywords, comment_tags, options
    ):
        if isinstance(messages, tuple) and len(messages) > 1 and messages[0] is None:
            messages = messages[1:]
        yield lineno, funcname, messages, comments


def extracted() -> Catalog:
    """Every message the code and templates mark, as a template catalog."""
    template = Catalog(project="terrain", domain=i18n.DOMAIN)
    for path, lineno, message, comments, context in extract_from_dir(
        ROOT, METHODS, OPTIONS, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)
    ):
        if not path.startswith("assistant/"):
            continue
        template.add(message, None, [(path, lineno)], auto_comments=comments, context=context)
    return template


def read(language: str) -> Catalog:
    with i18n.catalog_path(language).open("rb") as source:
        return read_po(source, locale=language, domain=i18n.DOMAIN)


def write(catalog: Catalog, path: Path) -> None:
    # sorted by message, locations without line numbers: two branches that add messages
    # merge line by line, and moving code changes no catalog
    buffer = BytesIO()
    write_po(
        buffer, catalog, width=96, sort_output=True, include_lineno=False, ignore_obsolete=True
    )
    path.write_bytes(buffer.getvalue())


@dataclass(frozen=True)
class Gaps:
    """How a language's catalog falls short of the code's messages."""

    missing: list[str]
    untranslated: list[str]
    unused: list[str]

    def __bool__(self) -> bool:
        return bool(self.missing or self.untranslated or self.unused)


def _key(message_id: str | tuple[str, ...] | list[str], context: str | None) -> str:
    singular = message_id if isinstance(message_id, str) else message_id[0]
    return f"{context}\x04{singular}" if context else singular


def gaps(language: str, template: Catalog | None = None) -> Gaps:
    """What ``language``'s catalog lacks against the code (the source language's msgstrs may
    stay empty: its message ids are its texts)."""
    template = template if template is not None else extracted()
    catalog = read(language)
    wanted = {_key(m.id, m.context) for m in template if m.id}
    have = {_key(m.id, m.context): m for m in catalog if m.id}
    untranslated = []
    if language != i18n.SOURCE_LANGUAGE:
        for key in sorted(wanted & have.keys()):
            message = have[key]
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.fuzzy or not all(strings):
                untranslated.append(key)
    return Gaps(
        missing=sorted(wanted - have.keys()),
        untranslated=untranslated,
        unused=sorted(have.keys() - wanted),
    )


def update() -> None:
    """Bring every language's catalog in step with the code (new messages added empty, gone
    ones removed), then compile each one (``terrain.mo``, which git ignores)."""
    template = extracted()
    for language in i18n.languages():
        path = i18n.catalog_path(language)
        catalog = read(language) if path.exists() else Catalog(locale=language)
        catalog.update(template, no_fuzzy_matching=True, update_creation_date=False)
        write(catalog, path)
        with i18n.catalog_path(language, ".mo").open("wb") as compiled:
            write_mo(compiled, catalog)


if __name__ == "__main__":
    update()
    for language in i18n.languages():
        shortfall = gaps(language)
        if shortfall:
            print(
                f"{language}: {len(shortfall.untranslated)} messages to translate in "
                f"{i18n.catalog_path(language).relative_to(ROOT)}"
            )
