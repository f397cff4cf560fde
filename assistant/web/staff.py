"""Facilitators, leadership and administrators: what each role may see, and nothing more.

Every function here is called after the caller's role was read from the store for this very
request; each one checks it again, so that a button kept in a page after a role change, or a
hand-made request, is refused on the server.
"""

from __future__ import annotations

import asyncio

import chainlit as cl

from assistant.auth import Account
from assistant.schemas import Interview, UserRole
from assistant.store import InterviewNotFoundError
from assistant.web import render
from assistant.web.runtime import Runtime
from assistant.web.texts import Texts

READ = "terrain_read"
FINDINGS = "terrain_findings"
REPORT = "terrain_report"
ADMIN_ERASE = "terrain_admin_erase"
ADMIN_ERASE_CONFIRM = "terrain_admin_erase_confirm"
ACTIONS = (READ, FINDINGS, REPORT, ADMIN_ERASE, ADMIN_ERASE_CONFIRM)

LISTED = 50  # interviews listed at once, newest first
LIST_WORDS = ("liste", "list", "lister", "entretiens", "interviews")


def _say(content: str, texts: Texts, actions: list[cl.Action] | None = None) -> cl.Message:
    return cl.Message(content=content, author=texts.assistant_name, actions=actions)


async def refuse(texts: Texts) -> None:
    await _say(texts.not_allowed, texts).send()


# -- facilitators ----------------------------------------------------------------------------


async def facilitator_home(runtime: Runtime, account: Account, texts: Texts) -> None:
    """The interviews, pseudonymised: status, step, flag and dates. Never who."""
    if account.role != UserRole.FACILITATOR:
        await refuse(texts)
        return
    interviews = await asyncio.to_thread(runtime.store.list_interviews)
    shown = interviews[:LISTED]
    parts = [texts.facilitator_title, render.literal(texts.facilitator_intro)]
    if not shown:
        parts.append(render.literal(texts.facilitator_empty))
    else:
        rows = [
            [
                interview.pseudonym,
                texts.statuses[interview.status],
                texts.phases[interview.phase],
                texts.flagged_no if not interview.flagged else "⚑",
                render.when(texts, interview.created_at),
                render.when(texts, interview.updated_at),
            ]
            for interview in shown
        ]
        parts.append(render.table(texts.columns, rows))
        if len(interviews) > LISTED:
            parts.append(render.literal(texts.facilitator_more.format(count=LISTED)))
    parts.append(render.literal(texts.facilitator_help))
    actions = [
        cl.Action(
            name=READ,
            payload={"interview": interview.id},
            label=texts.read_label.format(pseudonym=interview.pseudonym),
        )
        for interview in shown
    ]
    actions += [
        cl.Action(name=FINDINGS, payload={}, label=texts.findings_label),
        cl.Action(name=REPORT, payload={}, label=texts.report_label),
    ]
    await _say("\n\n".join(parts), texts, actions).send()


async def read_transcript(
    runtime: Runtime, account: Account, texts: Texts, interview_id: object
) -> None:
    """One pseudonymised transcript, for facilitators only."""
    if account.role != UserRole.FACILITATOR:
        await refuse(texts)
        return
    interview = (
        await asyncio.to_thread(runtime.store.get_interview, interview_id)
        if isinstance(interview_id, str)
        else None
    )
    if interview is None:
        await _say(texts.not_found, texts).send()
        return
    turns = await asyncio.to_thread(runtime.store.turns, interview.id)
    await _say(render.transcript(texts, interview, turns), texts).send()


async def facilitator_message(runtime: Runtime, account: Account, texts: Texts, text: str) -> None:
    if account.role != UserRole.FACILITATOR:
        await refuse(texts)
        return
    wanted = text.strip()
    if wanted.casefold() in LIST_WORDS:
        await facilitator_home(runtime, account, texts)
        return
    interviews = await asyncio.to_thread(runtime.store.list_interviews)
    match = next((i for i in interviews if i.pseudonym.casefold() == wanted.casefold()), None)
    if match is None:
        await _say(render.literal(texts.facilitator_help), texts).send()
        return
    await read_transcript(runtime, account, texts, match.id)


async def placeholder(account: Account, texts: Texts, what: str) -> None:
    if account.role != UserRole.FACILITATOR:
        await refuse(texts)
        return
    await _say(texts.findings_later if what == FINDINGS else texts.report_later, texts).send()


# -- leadership ------------------------------------------------------------------------------


async def leadership_home(account: Account, texts: Texts) -> None:
    """Reports only: no transcript, no interview list."""
    if account.role != UserRole.LEADERSHIP:
        await refuse(texts)
        return
    await _say(texts.leadership_home, texts).send()


# -- administrators --------------------------------------------------------------------------


async def admin_home(runtime: Runtime, account: Account, texts: Texts) -> None:
    """Users, and interviews to erase (pseudonym, status, size: not their content)."""
    if account.role != UserRole.ADMIN:
        await refuse(texts)
        return
    users = await asyncio.to_thread(runtime.store.list_users)
    interviews = await asyncio.to_thread(runtime.store.list_interviews)
    shown = interviews[:LISTED]
    counts = await asyncio.gather(*(_turn_count(runtime, i) for i in shown))
    parts = [
        texts.admin_title,
        texts.admin_users,
        render.table(
            texts.admin_user_columns,
            [[user.name, user.role.value, render.when(texts, user.created_at)] for user in users],
        ),
        texts.admin_interviews,
    ]
    if shown:
        parts.append(
            render.table(
                texts.admin_interview_columns,
                [
                    [
                        interview.pseudonym,
                        texts.statuses[interview.status],
                        render.when(texts, interview.created_at),
                        str(count),
                    ]
                    for interview, count in zip(shown, counts, strict=True)
                ],
            )
        )
    else:
        parts.append(render.literal(texts.admin_no_interviews))
    parts.append(texts.admin_help)
    actions = [
        cl.Action(
            name=ADMIN_ERASE,
            payload={"interview": interview.id},
            label=texts.admin_erase_label.format(pseudonym=interview.pseudonym),
            icon="trash",
        )
        for interview in shown
    ]
    await _say("\n\n".join(parts), texts, actions).send()


async def _turn_count(runtime: Runtime, interview: Interview) -> int:
    return len(await asyncio.to_thread(runtime.store.turns, interview.id))


async def admin_ask_erase(
    runtime: Runtime, account: Account, texts: Texts, interview_id: object
) -> None:
    if account.role != UserRole.ADMIN:
        await refuse(texts)
        return
    interview = (
        await asyncio.to_thread(runtime.store.get_interview, interview_id)
        if isinstance(interview_id, str)
        else None
    )
    if interview is None:
        await _say(texts.not_found, texts).send()
        return
    count = await _turn_count(runtime, interview)
    question = texts.admin_erase_confirm.format(pseudonym=interview.pseudonym, turns=count)
    confirm = cl.Action(
        name=ADMIN_ERASE_CONFIRM, payload={"interview": interview.id}, label=texts.admin_erase_yes
    )
    await _say(render.literal(question), texts, [confirm]).send()


async def admin_erase(
    runtime: Runtime, account: Account, texts: Texts, interview_id: object
) -> None:
    if account.role != UserRole.ADMIN:
        await refuse(texts)
        return
    interview = (
        await asyncio.to_thread(runtime.store.get_interview, interview_id)
        if isinstance(interview_id, str)
        else None
    )
    if interview is None:
        await _say(texts.not_found, texts).send()
        return
    count = await _turn_count(runtime, interview)
    try:
        await asyncio.to_thread(runtime.store.erase_interview, interview.id)
    except InterviewNotFoundError:
        await _say(texts.not_found, texts).send()
        return
    done = texts.admin_erased.format(pseudonym=interview.pseudonym, turns=count)
    await _say(render.literal(done), texts).send()
