"""Facilitators, leadership and administrators: what each role may see, and nothing more.

Every function here is called after the caller's role was read from the store for this very
request; each one checks it again, so that a button kept in a page after a role change, or a
hand-made request, is refused on the server.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import chainlit as cl
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.auth import Account
from assistant.errors import TerrainError
from assistant.findings.codebook import Codebook, load_codebook
from assistant.findings.evidence import verify
from assistant.findings.review import QuoteNotFoundError, facilitator_finding
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
    Finding,
    FindingEdit,
    FindingStatus,
    Interview,
    ReviewAction,
    Speaker,
    UserRole,
)
from assistant.store import FindingNotFoundError, InterviewNotFoundError
from assistant.web import render
from assistant.web.runtime import Runtime
from assistant.web.texts import Texts

READ = "terrain_read"
FINDINGS = "terrain_findings"
REPORT = "terrain_report"
REPORT_PUBLISH = "terrain_report_publish"
REPORT_REBUILD = "terrain_report_rebuild"
ADMIN_ERASE = "terrain_admin_erase"
ADMIN_ERASE_CONFIRM = "terrain_admin_erase_confirm"
# Reviewing findings: payloads carry ids only (interview, finding, turn index, code, stage).
ACCEPT = "terrain_finding_accept"
REJECT = "terrain_finding_reject"
RECODE = "terrain_finding_recode"
RECODE_TO = "terrain_finding_recode_to"
ADD = "terrain_finding_add"
ADD_TURN = "terrain_finding_add_turn"
ADD_CODE = "terrain_finding_add_code"
ADD_STAGE = "terrain_finding_add_stage"
REVIEW_ACTIONS = (ACCEPT, REJECT, RECODE, RECODE_TO, ADD, ADD_TURN, ADD_CODE, ADD_STAGE)
ACTIONS = (
    READ,
    FINDINGS,
    REPORT,
    REPORT_PUBLISH,
    REPORT_REBUILD,
    ADMIN_ERASE,
    ADMIN_ERASE_CONFIRM,
    *REVIEW_ACTIONS,
)
# The finding being added in this conversation (an AddingFinding, as JSON), server-side.
ADDING = "terrain_adding"

LISTED = 50  # interviews listed at once, newest first
LIST_WORDS = ("liste", "list", "lister", "entretiens", "interviews")


class AddingFinding(BaseModel):
    """A facilitator's finding in the making: the interview, then the employee's words and the
    turn (numbered from 1) they come from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    interview: str
    quote: str | None = Field(default=None, min_length=1)
    turn_number: int | None = Field(default=None, ge=1)


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
    # One more than shown, to know whether there are more.
    interviews = await asyncio.to_thread(runtime.store.interviews.where, limit=LISTED + 1)
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
    interview = await _interview(runtime, interview_id)
    if interview is None:
        await _say(texts.not_found, texts).send()
        return
    turns = await asyncio.to_thread(runtime.store.interviews.turns, interview.id)
    findings = cl.Action(
        name=FINDINGS,
        payload={"interview": interview.id},
        label=texts.findings_of_label.format(pseudonym=interview.pseudonym),
    )
    await _say(render.transcript(texts, interview, turns), texts, [findings]).send()


async def facilitator_message(runtime: Runtime, account: Account, texts: Texts, text: str) -> None:
    if account.role != UserRole.FACILITATOR:
        await refuse(texts)
        return
    wanted = text.strip()
    if wanted.casefold() in LIST_WORDS:
        _keep_adding(None)
        await facilitator_home(runtime, account, texts)
        return
    if _adding() is not None:
        await _words_typed(runtime, texts, text)
        return
    match = await asyncio.to_thread(runtime.store.interviews.by_pseudonym, wanted)
    if match is None:
        await _say(render.literal(texts.facilitator_help), texts).send()
        return
    await read_transcript(runtime, account, texts, match.id)


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


# -- reviewing findings (facilitators) -------------------------------------------------------


async def _interview(runtime: Runtime, interview_id: object) -> Interview | None:
    if not isinstance(interview_id, str):
        return None
    return await asyncio.to_thread(runtime.store.interviews.get, interview_id)


async def _finding(runtime: Runtime, interview: Interview, finding_id: object) -> Finding | None:
    """The finding, only if it exists and belongs to ``interview``."""
    if not isinstance(finding_id, str):
        return None
    finding = await asyncio.to_thread(runtime.store.findings.get, finding_id)
    return finding if finding is not None and finding.interview_id == interview.id else None


async def _codebook(runtime: Runtime) -> Codebook:
    return await asyncio.to_thread(load_codebook, runtime.settings.codebook)


def _code_label(codebook: Codebook, code_id: str, texts: Texts) -> str:
    code = codebook.code(code_id)
    return code.label.in_language(texts.language) if code is not None else code_id


def _stage_label(codebook: Codebook, stage_id: str, texts: Texts) -> str:
    stage = codebook.stage(stage_id)
    return stage.label.in_language(texts.language) if stage is not None else stage_id


def _quoted(text: str) -> str:
    return "\n".join(f"> {render.literal(line)}  " for line in text.splitlines()) or ">"


def _finding_text(texts: Texts, codebook: Codebook, number: int, finding: Finding) -> str:
    meta = texts.finding_meta.format(
        status=texts.finding_statuses[finding.status],
        origin=texts.finding_origins[finding.origin],
        activity=finding.activity or texts.unknown,
        counterpart=finding.counterpart or texts.unknown,
        stage=_stage_label(codebook, finding.value_chain_stage, texts),
    )
    code = render.literal(_code_label(codebook, finding.code, texts))
    parts = [texts.finding_title.format(number=number, code=code), render.literal(meta)]
    if finding.proposed_code and finding.proposed_code != finding.code:
        proposed = _code_label(codebook, finding.proposed_code, texts)
        parts.append(render.literal(texts.finding_proposed_code.format(code=proposed)))
    for quote in finding.evidence:
        parts.append(render.literal(texts.finding_quote.format(turn=quote.turn_number)))
        parts.append(_quoted(quote.text))
    gap = finding.prescribed_gap
    if gap is not None:
        parts.append(render.literal(texts.finding_gap.format(gap=gap.description)))
        if gap.passage is not None:
            where = " · ".join(
                part
                for part in (
                    gap.passage.source,
                    "" if gap.passage.page is None else f"p. {gap.passage.page}",
                    gap.passage.section,
                )
                if part
            )
            parts.append(render.literal(texts.finding_passage.format(source=where)))
            parts.append(_quoted(gap.passage.text))
    return "\n\n".join(parts)


async def findings(runtime: Runtime, account: Account, texts: Texts, interview_id: object) -> None:
    """One interview's findings with their quotes, and buttons to review the proposed ones;
    without an interview, a button per interview."""
    if account.role != UserRole.FACILITATOR:
        await refuse(texts)
        return
    if interview_id is None:
        interviews = await asyncio.to_thread(runtime.store.interviews.where, limit=LISTED)
        choices = [
            cl.Action(
                name=FINDINGS,
                payload={"interview": interview.id},
                label=texts.findings_of_label.format(pseudonym=interview.pseudonym),
            )
            for interview in interviews
        ]
        await _say(render.literal(texts.findings_choose), texts, choices).send()
        return
    interview = await _interview(runtime, interview_id)
    if interview is None:
        await _say(texts.not_found, texts).send()
        return
    found = await asyncio.to_thread(runtime.store.findings.where, interview_id=interview.id)
    codebook = await _codebook(runtime)
    title = texts.findings_title.format(
        pseudonym=render.literal(interview.pseudonym), count=len(found)
    )
    parts = [title] + ([render.literal(texts.findings_none)] if not found else [])
    add = cl.Action(name=ADD, payload={"interview": interview.id}, label=texts.add_label)
    await _say("\n\n".join(parts), texts, [add]).send()
    for number, finding in enumerate(found, start=1):
        actions = []
        if finding.status == FindingStatus.PROPOSED:
            ids = {"interview": interview.id, "finding": finding.id}
            actions = [
                cl.Action(name=ACCEPT, payload=ids, label=texts.accept_label),
                cl.Action(name=REJECT, payload=ids, label=texts.reject_label),
                cl.Action(name=RECODE, payload=ids, label=texts.recode_label),
            ]
        await _say(_finding_text(texts, codebook, number, finding), texts, actions).send()


async def review_action(
    runtime: Runtime, account: Account, texts: Texts, name: str, payload: Mapping[str, Any]
) -> None:
    """A review button: checked for the role, the interview and the finding, then applied."""
    if account.role != UserRole.FACILITATOR:
        await refuse(texts)
        return
    interview = await _interview(runtime, payload.get("interview"))
    if interview is None:
        await _say(texts.not_found, texts).send()
        return
    if name == ADD:
        await _start_adding(runtime, texts, interview)
    elif name == ADD_TURN:
        await _turn_chosen(runtime, texts, interview, payload.get("turn"))
    elif name == ADD_CODE:
        await _code_chosen(runtime, texts, interview, payload.get("code"))
    elif name == ADD_STAGE:
        await _add(runtime, account, texts, interview, payload.get("code"), payload.get("stage"))
    elif name in (ACCEPT, REJECT, RECODE, RECODE_TO):
        finding = await _finding(runtime, interview, payload.get("finding"))
        if finding is None:
            await _say(texts.finding_not_found, texts).send()
        elif finding.status != FindingStatus.PROPOSED:
            await _say(texts.already_reviewed, texts).send()
        elif name == RECODE:
            await _ask_code(runtime, texts, interview, finding)
        else:
            await _review(runtime, account, texts, finding, name, payload.get("code"))
    else:
        await refuse(texts)


async def _ask_code(runtime: Runtime, texts: Texts, interview: Interview, finding: Finding) -> None:
    codebook = await _codebook(runtime)
    choices = [
        cl.Action(
            name=RECODE_TO,
            payload={"interview": interview.id, "finding": finding.id, "code": code.id},
            label=code.label.in_language(texts.language),
        )
        for code in codebook.codes
        if code.id != finding.code
    ]
    question = texts.recode_prompt.format(code=_code_label(codebook, finding.code, texts))
    await _say(render.literal(question), texts, choices).send()


async def _review(
    runtime: Runtime, account: Account, texts: Texts, finding: Finding, name: str, code: object
) -> None:
    codebook = await _codebook(runtime)
    old = _code_label(codebook, finding.code, texts)
    try:
        if name == RECODE_TO:
            if not isinstance(code, str) or code not in codebook.code_ids:
                await refuse(texts)
                return
            await asyncio.to_thread(
                runtime.store.findings.review,
                finding.id,
                actor=account.name,
                action=ReviewAction.EDIT,
                edit=FindingEdit(code=code),
            )
            done = texts.recoded.format(old=old, new=_code_label(codebook, code, texts))
        else:
            action = ReviewAction.ACCEPT if name == ACCEPT else ReviewAction.REJECT
            await asyncio.to_thread(
                runtime.store.findings.review, finding.id, actor=account.name, action=action
            )
            done = (texts.accepted if name == ACCEPT else texts.rejected).format(code=old)
    except FindingNotFoundError:
        await _say(texts.finding_not_found, texts).send()
        return
    await _say(render.literal(done), texts).send()


def _adding() -> AddingFinding | None:
    """The finding being added in this conversation; None if none is (or what is kept is not
    a finding in the making)."""
    try:
        return AddingFinding.model_validate(cl.user_session.get(ADDING))
    except ValidationError:
        return None


def _keep_adding(pending: AddingFinding | None) -> None:
    cl.user_session.set(ADDING, None if pending is None else pending.model_dump())


def _adding_to(interview: Interview) -> AddingFinding | None:
    """The finding being added to ``interview`` in this conversation, once its words are kept."""
    pending = _adding()
    if pending is None or pending.interview != interview.id or pending.quote is None:
        return None
    return pending


async def _start_adding(runtime: Runtime, texts: Texts, interview: Interview) -> None:
    _keep_adding(AddingFinding(interview=interview.id))
    turns = await asyncio.to_thread(runtime.store.interviews.turns, interview.id)
    choices = [
        cl.Action(
            name=ADD_TURN,
            payload={"interview": interview.id, "turn": turn.number},
            label=texts.add_turn_label.format(number=turn.number),
        )
        for turn in turns
        if turn.speaker == Speaker.EMPLOYEE
    ]
    prompt = texts.add_prompt.format(pseudonym=interview.pseudonym)
    await _say(render.literal(prompt), texts, choices).send()


async def _words_typed(runtime: Runtime, texts: Texts, words: str) -> None:
    pending = _adding()
    interview = await _interview(runtime, None if pending is None else pending.interview)
    if interview is None:
        _keep_adding(None)
        await _say(texts.not_found, texts).send()
        return
    turns = await asyncio.to_thread(runtime.store.interviews.turns, interview.id)
    quote = verify(words, turns)
    if quote is None:
        await _say(render.literal(texts.add_not_said), texts).send()
        return
    await _keep_quote(runtime, texts, interview, quote.text, quote.turn_number)


async def _turn_chosen(
    runtime: Runtime, texts: Texts, interview: Interview, number: object
) -> None:
    pending = _adding()
    if pending is None or pending.interview != interview.id:
        await _say(render.literal(texts.add_expired), texts).send()
        return
    turns = await asyncio.to_thread(runtime.store.interviews.turns, interview.id)
    turn = next(
        (
            t
            for t in turns
            if t.number == number and t.speaker == Speaker.EMPLOYEE and t.text.strip()
        ),
        None,
    )
    if turn is None or isinstance(number, bool):
        await _say(render.literal(texts.add_not_said), texts).send()
        return
    await _keep_quote(runtime, texts, interview, turn.text, turn.number)


async def _keep_quote(
    runtime: Runtime, texts: Texts, interview: Interview, quote: str, turn_number: int
) -> None:
    _keep_adding(AddingFinding(interview=interview.id, quote=quote, turn_number=turn_number))
    codebook = await _codebook(runtime)
    choices = [
        cl.Action(
            name=ADD_CODE,
            payload={"interview": interview.id, "code": code.id},
            label=code.label.in_language(texts.language),
        )
        for code in codebook.codes
    ]
    await _say(render.literal(texts.add_code_prompt.format(quote=quote)), texts, choices).send()


async def _code_chosen(runtime: Runtime, texts: Texts, interview: Interview, code: object) -> None:
    if _adding_to(interview) is None:
        await _say(render.literal(texts.add_expired), texts).send()
        return
    codebook = await _codebook(runtime)
    if not isinstance(code, str) or code not in codebook.code_ids:
        await refuse(texts)
        return
    choices = [
        cl.Action(
            name=ADD_STAGE,
            payload={"interview": interview.id, "code": code, "stage": stage.id},
            label=stage.label.in_language(texts.language),
        )
        for stage in codebook.value_chain
    ]
    question = texts.add_stage_prompt.format(code=_code_label(codebook, code, texts))
    await _say(render.literal(question), texts, choices).send()


async def _add(
    runtime: Runtime,
    account: Account,
    texts: Texts,
    interview: Interview,
    code: object,
    stage: object,
) -> None:
    pending = _adding_to(interview)
    if pending is None or pending.quote is None:
        await _say(render.literal(texts.add_expired), texts).send()
        return
    codebook = await _codebook(runtime)
    if not isinstance(code, str) or not isinstance(stage, str):
        await refuse(texts)
        return
    turns = await asyncio.to_thread(runtime.store.interviews.turns, interview.id)
    try:
        finding = facilitator_finding(
            codebook,
            interview.id,
            turns,
            pending.quote,
            code=code,
            stage=stage,
            turn_number=pending.turn_number,
        )
    except QuoteNotFoundError:
        await _say(render.literal(texts.add_not_said), texts).send()
        return
    except ValueError:  # an unknown code or stage: not a button this app showed
        await refuse(texts)
        return
    try:
        added = await asyncio.to_thread(
            runtime.store.findings.add_by_facilitator, finding, actor=account.name
        )
    except InterviewNotFoundError:
        await _say(texts.not_found, texts).send()
        return
    _keep_adding(None)
    done = texts.added.format(
        code=_code_label(codebook, added.code, texts),
        stage=_stage_label(codebook, added.value_chain_stage, texts),
        quote=added.evidence[0].text,
    )
    await _say(render.literal(done), texts).send()


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
