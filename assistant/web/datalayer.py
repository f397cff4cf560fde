"""Chainlit's data layer over Terrain's store: threads are interviews, steps are turns.

The store stays the one source of truth. Chainlit's own writes (steps, elements, feedback,
thread metadata) are dropped: every turn is already saved by the interview session before it
is shown. Reads rebuild threads from the interviews and their turns, and answer only for an
employee's own interviews: Chainlit compares the thread's author with the signed-in user before
it resumes, shows, renames or deletes a thread, and this layer also refuses a thread to any
other user it can see in the request's context.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chainlit.context import ChainlitContextException, context
from chainlit.data.base import BaseDataLayer
from chainlit.types import (
    Feedback,
    PageInfo,
    PaginatedResponse,
    Pagination,
    ThreadDict,
    ThreadFilter,
)
from chainlit.user import PersistedUser, User

from assistant.interview.guide import load_guide
from assistant.privacy import erase_interview
from assistant.schemas import Interview, Speaker, Turn, UserRole
from assistant.web import render
from assistant.web.runtime import Runtime
from assistant.web.texts import texts_for

if TYPE_CHECKING:
    from chainlit.element import Element, ElementDict
    from chainlit.step import StepDict

_INTERVIEW_ID = re.compile(r"^[0-9a-f]{32}$")


def iso(moment: datetime) -> str:
    """A timestamp as Chainlit writes them: UTC, ISO 8601, with a Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def step_id(interview_id: str, index: int) -> str:
    """The id of a turn's step, stable across reloads and restarts."""
    return f"{interview_id}-{index}"


def _step(
    interview: Interview, step: str, kind: str, name: str, output: str, at: datetime
) -> StepDict:
    return {
        "id": step,
        "threadId": interview.id,
        "parentId": None,
        "name": name,
        "type": kind,  # type: ignore[typeddict-item]
        "output": output,
        "input": "",
        "createdAt": iso(at),
        "start": iso(at),
        "end": iso(at),
        "streaming": False,
        "isError": False,
        "waitForAnswer": False,
        "showInput": False,
        "metadata": {},
        "tags": None,
        "language": None,
    }


def steps_of(interview: Interview, turns: Sequence[Turn], user_name: str) -> list[StepDict]:
    """The conversation as the employee saw it: turns, with a progress line at each new step.

    Employee turns are given as typed (the app shows user messages as plain text);
    interviewer turns as inert Markdown.
    """
    texts = texts_for(interview.language)
    guide = load_guide(interview.language)
    steps: list[StepDict] = []
    shown_phase = None
    for turn in turns:
        if turn.speaker == Speaker.EMPLOYEE:
            steps.append(
                _step(
                    interview,
                    step_id(interview.id, turn.index),
                    "user_message",
                    user_name,
                    turn.text,
                    turn.created_at,
                )
            )
            continue
        if turn.phase != shown_phase:
            line = render.progress(guide, turn.phase)
            if line is not None:
                steps.append(
                    _step(
                        interview,
                        f"{interview.id}-p{turn.index}",
                        "assistant_message",
                        texts.assistant_name,
                        line,
                        turn.created_at,
                    )
                )
            shown_phase = turn.phase
        steps.append(
            _step(
                interview,
                step_id(interview.id, turn.index),
                "assistant_message",
                texts.assistant_name,
                render.message(turn.text),
                turn.created_at,
            )
        )
    return steps


def _requester() -> str | None:
    """The user of the Chainlit session handling this call, when there is one."""
    try:
        session = context.session
    except ChainlitContextException:
        return None
    user = getattr(session, "user", None)
    return None if user is None else str(user.identifier)


class TerrainDataLayer(BaseDataLayer):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    # -- users -------------------------------------------------------------------------------

    async def get_user(self, identifier: str) -> PersistedUser | None:
        user = await asyncio.to_thread(self.runtime.store.accounts.get, identifier)
        if user is None:
            return None
        return PersistedUser(
            id=user.name,
            identifier=user.name,
            display_name=user.display_name or user.name,
            metadata={"role": user.role.value},
            createdAt=iso(user.created_at),
        )

    async def create_user(self, user: User) -> PersistedUser | None:
        # Accounts are made by `terrain users add` (or single sign-on), never by Chainlit.
        return await self.get_user(user.identifier)

    # -- threads -----------------------------------------------------------------------------

    async def _interview(self, thread_id: str) -> Interview | None:
        if not _INTERVIEW_ID.fullmatch(thread_id or ""):
            return None
        return await asyncio.to_thread(self.runtime.store.interviews.get, thread_id)

    async def _author(self, interview: Interview) -> str | None:
        return await asyncio.to_thread(self.runtime.owners.user_of, interview.owner_key)

    def _thread(
        self, interview: Interview, author: str, steps: list[StepDict] | None = None
    ) -> ThreadDict:
        return {
            "id": interview.id,
            "createdAt": iso(interview.created_at),
            "name": render.thread_name(texts_for(interview.language), interview),
            "userId": author,
            "userIdentifier": author,
            "tags": None,
            "metadata": {},
            "steps": steps or [],
            "elements": [],
        }

    async def get_thread_author(self, thread_id: str) -> str:
        interview = await self._interview(thread_id)
        if interview is None:
            return ""
        return await self._author(interview) or ""

    async def get_thread(self, thread_id: str) -> ThreadDict | None:
        interview = await self._interview(thread_id)
        if interview is None:
            return None
        author = await self._author(interview)
        if author is None:
            return None
        requester = _requester()
        if requester is not None and requester != author:
            return None
        turns = await asyncio.to_thread(self.runtime.store.interviews.turns, interview.id)
        return self._thread(interview, author, steps_of(interview, turns, author))

    async def list_threads(
        self, pagination: Pagination, filters: ThreadFilter
    ) -> PaginatedResponse[ThreadDict]:
        """An employee's own interviews, newest first; nothing for any other role."""
        empty: PaginatedResponse[ThreadDict] = PaginatedResponse(
            pageInfo=PageInfo(hasNextPage=False, startCursor=None, endCursor=None), data=[]
        )
        account = await self.runtime.account(filters.userId)
        if account is None or account.role != UserRole.EMPLOYEE:
            return empty
        key = self.runtime.owners.key_of(account.name)
        interviews = await asyncio.to_thread(self.runtime.store.interviews.where, owner_key=key)
        threads = [self._thread(interview, account.name) for interview in interviews]
        if filters.search:
            wanted = filters.search.casefold()
            threads = [thread for thread in threads if wanted in (thread["name"] or "").casefold()]
        start = 0
        if pagination.cursor:
            ids = [thread["id"] for thread in threads]
            start = ids.index(pagination.cursor) + 1 if pagination.cursor in ids else len(ids)
        size = max(pagination.first, 1)
        page = threads[start : start + size]
        return PaginatedResponse(
            pageInfo=PageInfo(
                hasNextPage=start + size < len(threads),
                startCursor=page[0]["id"] if page else None,
                endCursor=page[-1]["id"] if page else None,
            ),
            data=page,
        )

    async def delete_thread(self, thread_id: str) -> None:
        """Erase the interview (Chainlit has checked that the caller is its author)."""
        interview = await self._interview(thread_id)
        if interview is None:
            return
        author = await self._author(interview)
        requester = _requester()
        if author is None or (requester is not None and requester != author):
            return
        await asyncio.to_thread(
            erase_interview, self.runtime.store, self.runtime.settings, interview.id
        )

    async def update_thread(
        self,
        thread_id: str,
        name: str | None = None,
        user_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        tags: list[str] | None = None,
    ) -> None:
        # Names come from the interview; Chainlit's session metadata is not kept.
        return None

    # -- what Chainlit would store beside the transcript: nothing ----------------------------

    async def create_step(self, step_dict: StepDict) -> None:
        return None

    async def update_step(self, step_dict: StepDict) -> None:
        return None

    async def delete_step(self, step_id: str) -> None:
        return None

    async def create_element(self, element: Element) -> None:
        return None

    async def get_element(self, thread_id: str, element_id: str) -> ElementDict | None:
        return None

    async def delete_element(self, element_id: str, thread_id: str | None = None) -> None:
        return None

    async def upsert_feedback(self, feedback: Feedback) -> str:
        return ""

    async def delete_feedback(self, feedback_id: str) -> bool:
        return False

    async def get_favorite_steps(self, user_id: str) -> list[StepDict]:
        return []

    async def build_debug_url(self) -> str:
        return ""

    async def close(self) -> None:
        return None
