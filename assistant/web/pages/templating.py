"""Rendering a staff page: one Jinja2 environment (HTML escaped everywhere) and the context
every page shares (who is signed in, their menu, their form token, their language)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from assistant.web.pages.access import CSRF_FIELD, Viewer
from assistant.web.pages.routes import menu
from assistant.web.pages.texts import PageTexts, page_texts

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"

_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def when(texts: PageTexts, moment: datetime) -> str:
    return moment.astimezone().strftime(texts.web.date_format)


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
    html = _environment.get_template(template).render(
        who=who,
        t=texts,
        lang=who.language if who is not None else (language or "fr"),
        menu=[] if who is None else menu(who.account.role),
        csrf_field=CSRF_FIELD,
        current=current,
        when=lambda moment: when(texts, moment),
        **context,
    )
    return HTMLResponse(html, status_code=status_code)
