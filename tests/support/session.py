"""A session's events on the in-process model: the interviewer's question and what reached the
employee."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from assistant.interview.events import EventKind, SessionEvent
from assistant.llm.testing import ModelRequest

QUESTION = "Comment cela s'est-il passé ?"


def interviewer(request: ModelRequest) -> str:
    """A well-behaved model: one short question, or the summary when asked for its schema."""
    if request.json_schema is not None:
        return json.dumps({"points": SUMMARY})
    return QUESTION


async def collect(events: AsyncIterator[SessionEvent]) -> list[SessionEvent]:
    return [event async for event in events]


def messages(events: list[SessionEvent]) -> list[str]:
    return [event.text for event in events if event.kind == EventKind.MESSAGE]


def streamed(events: list[SessionEvent]) -> str:
    return "".join(event.text for event in events if event.kind == EventKind.TOKEN)


SUMMARY = ["Vous accompagnez des personnes âgées.", "Hier matin, Mme R. était inquiète."]
