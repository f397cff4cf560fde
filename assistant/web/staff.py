"""Facilitators, leadership and administrators: what each role may see, and nothing more.

Every function here is called after the caller's role was read from the store for this very
request; each one checks it again, so that a button kept in a page after a role change, or a
hand-made request, is refused on the server.
"""

from __future__ import annotations

import asyncio

import chainlit as cl

from assistant.auth import Account
from assistant.errors import TerrainError
from assistant.privacy import erase_interview
from assistant.report import render_markdown
from assistant.report.publishing import (
    UnreviewedQuotesError,
    build_draft,
    leadership_file,
    publish,
    quotes_of,
    report_of,
)
from assistant.schemas import (
    Interview,
    UserRole,
)
from assistant.store import InterviewNotFoundError
from assistant.web import render
from assistant.web.runtime import Runtime
from assistant.web.texts import Texts

REPORT = "terrain_report"
REPORT_PUBLISH = "terrain_report_publish"
REPORT_REBUILD = "terrain_report_rebuild"
ADMIN_ERASE = "terrain_admin_erase"
ADMIN_ERASE_CONFIRM = "terrain_admin_erase_confirm"
ACTIONS = (REPORT, REPORT_PUBLISH, REPORT_REBUILD, ADMIN_ERASE, ADMIN_ERASE_CONFIRM)
# Where the facilitators' pages start (assistant.web.pages).
FACILITATOR_PAGES = "/staff/"

LISTED = 50  # interviews listed at once, newest first


def _say(content: str, texts: Texts, actions: list[cl.Action] | None = None) -> cl.Message:
    return cl.Message(content=content, author=texts.assistant_name, actions=actions)


async def refuse(texts: Texts) -> None:
    await _say(texts.not_allowed, texts).send()


# -- facilitators ----------------------------------------------------------------------------


async def facilitator_home(runtime: Runtime, account: Account, texts: Texts) -> None:
    """Where facilitators work: a link to their pages, and the report (still here)."""
    if account.role != UserRole.FACILITATOR:
        await refuse(texts)
        return
    link = f"[{render.literal(texts.staff_pages_link)}]({FACILITATOR_PAGES})"
    content = "\n\n".join([texts.facilitator_title, render.literal(texts.staff_pages_intro), link])
    actions = [cl.Action(name=REPORT, payload={}, label=texts.report_label)]
    await _say(content, texts, actions).send()


# -- the report (facilitators build and publish; leadership reads) ---------------------------


async def facilitator_report(
    runtime: Runtime, account: Account, texts: Texts, *, rebuild: bool = False
) -> None:
    """The draft's counts and the quotes awaiting approval, built first if there is none
    (without a model here: `terrain report build` writes the narratives)."""
    if account.role != UserRole.FACILITATOR:
        await refuse(texts)
        return
    draft = await asyncio.to_thread(runtime.store.reports.draft)
    if draft is None or rebuild:
        draft = await asyncio.to_thread(
            asyncio.run, build_draft(runtime.store, runtime.settings, None, actor=account.name)
        )
    report = report_of(draft)
    pending = sum(q.decision is None for q in quotes_of(draft))
    summary = texts.report_draft.format(
        built=render.when(texts, draft.built_at),
        by=draft.built_by,
        people=report.coverage.people or f"< {report.min_people}",
        themes=len(report.themes),
        findings=len(draft.finding_ids),
        pending=pending,
    )
    actions = [
        cl.Action(name=REPORT_PUBLISH, payload={}, label=texts.report_publish_label),
        cl.Action(name=REPORT_REBUILD, payload={}, label=texts.report_rebuild_label),
    ]
    await _say(render.literal(summary), texts, actions).send()


async def facilitator_publish(runtime: Runtime, account: Account, texts: Texts) -> None:
    if account.role != UserRole.FACILITATOR:
        await refuse(texts)
        return
    try:
        version = await asyncio.to_thread(publish, runtime.store, actor=account.name)
    except UnreviewedQuotesError:
        await _say(render.literal(texts.report_pending), texts).send()
        return
    except TerrainError:
        await _say(render.literal(texts.report_no_draft), texts).send()
        return
    await _say(render.literal(texts.report_published.format(number=version.number)), texts).send()


async def _interview(runtime: Runtime, interview_id: object) -> Interview | None:
    if not isinstance(interview_id, str):
        return None
    return await asyncio.to_thread(runtime.store.interviews.get, interview_id)


# -- leadership ------------------------------------------------------------------------------


async def leadership_home(runtime: Runtime, account: Account, texts: Texts) -> None:
    """The latest published report only (redacted, as published), with its HTML and PDF: no
    draft, no transcript, no interview list."""
    if account.role != UserRole.LEADERSHIP:
        await refuse(texts)
        return
    version = await asyncio.to_thread(runtime.store.reports.latest_published)
    if version is None:
        await _say(texts.leadership_home, texts).send()
        return
    report = report_of(version)
    files = [
        cl.File(
            name=f"terrain-report-{version.number}.html",
            content=leadership_file(report, "html"),
            mime="text/html",
            display="inline",
        )
    ]
    try:
        pdf = await asyncio.to_thread(leadership_file, report, "pdf")
    except TerrainError:
        pdf = None  # WeasyPrint unavailable here: the HTML prints as well
    if pdf is not None:
        files.append(
            cl.File(
                name=f"terrain-report-{version.number}.pdf",
                content=pdf,
                mime="application/pdf",
                display="inline",
            )
        )
    message = cl.Message(
        content=render_markdown(report), author=texts.assistant_name, elements=list(files)
    )
    await message.send()


# -- administrators --------------------------------------------------------------------------


async def admin_home(runtime: Runtime, account: Account, texts: Texts) -> None:
    """Users, and interviews to erase (pseudonym, status, size: not their content)."""
    if account.role != UserRole.ADMIN:
        await refuse(texts)
        return
    users = await asyncio.to_thread(runtime.store.accounts.all)
    shown = await asyncio.to_thread(runtime.store.interviews.where, limit=LISTED)
    counts = await asyncio.to_thread(runtime.store.interviews.turn_counts, [i.id for i in shown])
    parts = [
        texts.admin_title,
        texts.admin_users,
        render.table(
            texts.admin_user_columns,
            [
                [user.name, texts.roles[user.role], render.when(texts, user.created_at)]
                for user in users
            ],
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
                        str(counts[interview.id]),
                    ]
                    for interview in shown
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


async def admin_ask_erase(
    runtime: Runtime, account: Account, texts: Texts, interview_id: object
) -> None:
    if account.role != UserRole.ADMIN:
        await refuse(texts)
        return
    interview = await _interview(runtime, interview_id)
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
    interview = await _interview(runtime, interview_id)
    if interview is None:
        await _say(texts.not_found, texts).send()
        return
    count = await _turn_count(runtime, interview)
    try:
        await asyncio.to_thread(erase_interview, runtime.store, runtime.settings, interview.id)
    except InterviewNotFoundError:
        await _say(texts.not_found, texts).send()
        return
    done = texts.admin_erased.format(pseudonym=interview.pseudonym, turns=count)
    await _say(render.literal(done), texts).send()


async def _turn_count(runtime: Runtime, interview: Interview) -> int:
    counts = await asyncio.to_thread(runtime.store.interviews.turn_counts, [interview.id])
    return counts[interview.id]
