"""What the employee's chat page is told besides the conversation: signals to its script, and
a database failure in the person's words.

Used by the employee's chat (:mod:`assistant.web.employee`) and the app's handlers.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import ParamSpec

import chainlit as cl

from assistant.store import StorageUnavailableError, StoreError
from assistant.web import render
from assistant.web.texts import Texts

log = logging.getLogger(__name__)
P = ParamSpec("P")

# What the page's script (public/terrain.js) is told, as a window message: it closes the
# message box of a conversation that takes no more answers, and of staff members' chats.
OPEN_SIGNAL = "open"  # the conversation shown takes answers
CLOSED_SIGNAL = "closed"
STAFF_SIGNAL = "staff"


async def tell_page(signal: str, thread_id: str | None = None) -> None:
    """Send the page's script ``signal`` (about the conversation ``thread_id``)."""
    await cl.context.emitter.send_window_message({"terrain": signal, "thread": thread_id})


async def tell_store_failure(error: StoreError, texts: Texts) -> None:
    """Tell the person, in their language, that the database failed: never its address nor its
    words. A full disk or a read-only database is logged once, with the fix, by the store; any
    other failure is logged here."""
    if isinstance(error, StorageUnavailableError):
        await cl.Message(render.literal(texts.cannot_save), author=texts.assistant_name).send()
        return
    log.error("A conversation's request failed: %s", error)
    await cl.Message(render.literal(texts.store_failed), author=texts.assistant_name).send()


def store_failures_told(
    texts_now: Callable[[], Texts],
) -> Callable[[Callable[P, Awaitable[None]]], Callable[P, Awaitable[None]]]:
    """A Chainlit handler whose store failures (the database unreachable, full, read-only) are
    told by :func:`tell_store_failure`, in the language ``texts_now()`` gives, instead of
    reaching Chainlit, which shows an exception's text as it is."""

    def decorate(handler: Callable[P, Awaitable[None]]) -> Callable[P, Awaitable[None]]:
        @functools.wraps(handler)
        async def told(*args: P.args, **kwargs: P.kwargs) -> None:
            try:
                await handler(*args, **kwargs)
            except StoreError as error:
                await tell_store_failure(error, texts_now())

        return told

    return decorate
