"""Facilitators, leadership and administrators in the chat: each is pointed to their pages
(:mod:`assistant.web.pages`), where their work is done; the chat shows them nothing else.

Every function here is called after the caller's role was read from the store for this very
request; each one checks it again.
"""

from __future__ import annotations

import chainlit as cl

from assistant.auth import Account
from assistant.config import Settings
from assistant.promises import state_rules
from assistant.schemas import UserRole
from assistant.web import render
from assistant.web.texts import Texts

# Where each role's pages start (assistant.web.pages).
STAFF_PAGES = {
    UserRole.FACILITATOR: "/staff/",
    UserRole.LEADERSHIP: "/staff/leadership",
    UserRole.ADMIN: "/staff/admin/accounts",
}


def _say(content: str, texts: Texts) -> cl.Message:
    return cl.Message(content=content, author=texts.assistant_name)


async def refuse(texts: Texts) -> None:
    await _say(texts.not_allowed, texts).send()


async def staff_home(account: Account, texts: Texts, settings: Settings) -> None:
    """A link to the pages of the account's role: the facilitators' (the report among them),
    leadership's latest published report (nothing else), the administrators' accounts and
    erasure. An employee is refused."""
    path = STAFF_PAGES.get(account.role)
    if path is None:
        await refuse(texts)
        return
    title, intro, label = texts.staff_pages[account.role]
    intro = state_rules(intro, settings, texts.language)
    link = f"[{render.literal(label)}]({path})"
    await _say("\n\n".join([title, render.literal(intro), link]), texts).send()
