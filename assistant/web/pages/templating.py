"""Rendering a staff page: one Jinja2 environment (HTML escaped everywhere) and the context
every page shares (who is signed in, their menu, their form token, their language)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from assistant.i18n import translation
from assistant.web.pages.access import CSRF_FIELD, Viewer
from assistant.web.pages.routes import menu
from assistant.web.pages.texts import PageTexts, page_texts

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"

_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    # gettext, ngettext and pgettext in the templates (newstyle: they escape and format with
    # %(name)s); each render gets the viewer's catalog in its context, never a global one.
    extensions=["jinja2.ext.i18n"],
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.policies["ext.i18n.trimmed"] = True
_environment.newstyle_gettext = True  # type: ignore[attr-defined]


def when(texts: PageTexts, moment: datetime) -> str:
    return moment.astimezone().strftime(texts.web.date_format)


def catalog_functions(language: str) -> dict[str, Any]:
    """``gettext``, ``ngettext`` and ``pgettext`` of ``language``'s catalog as the i18n
    extension calls them in a template with ``newstyle_gettext``: formatted by their keyword
    arguments (``%(name)s``; ``%(num)d``, the count, in ``ngettext``), the values escaped."""
    catalog = translation(language)

    # Both escaped: the catalog's text (translations hold no markup) and the values (by %).
    def gettext(message: str, **values: Any) -> Markup:
        return escape(catalog.gettext(message)) % values

    def ngettext(singular: str, plural: str, num: int, **values: Any) -> Markup:
        return escape(catalog.ngettext(singular, plural, num)) % {"num": num, **values}

    def pgettext(context: str, message: str, **values: Any) -> Markup:
        return escape(catalog.pgettext(context, message)) % values

    return {"gettext": gettext, "ngettext": ngettext, "pgettext": pgettext}


def render(
    template: str,
    who: Viewer | None,
    *,
    status_code: int = 200,
    language: str | None = None,
    current: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """The page ``template`` for ``who`` (None before anyone is known); ``current`` is the
    menu's page to mark as the one shown."""
    texts = who.texts if who is not None else page_texts(language or "fr")
    lang = who.language if who is not None else (language or "fr")
    html = _environment.get_template(template).render(
        **catalog_functions(lang),
        who=who,
        t=texts,
        lang=lang,
        menu=[] if who is None else menu(who.account.role),
        csrf_field=CSRF_FIELD,
        current=current,
        when=lambda moment: when(texts, moment),
        **context,
    )
    return HTMLResponse(html, status_code=status_code)
