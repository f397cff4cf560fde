"""Facilitators reviewing findings from the transcript page: accept, reject, edit, add.

Each form says which version of the finding it was made from (``seen``, its last change):
a form made from an older version is refused and the page shows the finding as it is now.
Every change is one call to the core (``store.findings``), one transaction with its audit entry.
A success redirects to the page (post/redirect/get); a refusal shows the page again, with
what was typed.

With third parties masked, the words a facilitator selects are mapped back to the employee's
own words (exact offsets in the stored turn), and a free-text field sent back as it was shown
(masked) keeps its stored value.
"""

from __future__ import annotations

from fastapi import Depends, Form
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from assistant.findings.review import (
    InterviewerTurnError,
    NoSuchTurnError,
    QuoteNotFoundError,
    UnknownCodeError,
    UnknownStageError,
    facilitator_finding,
)
from assistant.schemas import Finding, FindingEdit, ReviewAction, Speaker
from assistant.store import FindingNotFoundError, InterviewNotFoundError
from assistant.web.pages.access import Viewer, viewer
from assistant.web.pages.interviews import FACILITATORS
from assistant.web.pages.problems import NotFound
from assistant.web.pages.routes import PREFIX, page
from assistant.web.pages.transcript import (
    TRANSCRIPT,
    Typed,
    codebook_of,
    mask_of,
    transcript_page,
)

FINDING = TRANSCRIPT + "/findings/{finding_id}"
REVIEWS = {"accept": ReviewAction.ACCEPT, "reject": ReviewAction.REJECT}
DONE = {ReviewAction.ACCEPT: "accepted", ReviewAction.REJECT: "rejected"}
EDITABLE = ("code", "value_chain_stage", "activity", "counterpart")
UNPROCESSABLE = 422
CONFLICT = 409


def _back(interview_id: str, done: str, finding_id: str) -> Response:
    url = f"{PREFIX}/interviews/{interview_id}?done={done}#finding-{finding_id}"
    return RedirectResponse(url, status_code=303)


def _finding(who: Viewer, interview_id: str, finding_id: str) -> Finding:
    finding = who.runtime.store.findings.get(finding_id)
    if finding is None or finding.interview_id != interview_id:
        raise NotFound(who)
    return finding


def _seen(finding: Finding) -> str:
    return finding.updated_at.isoformat()


@page(FINDING + "/review", roles=FACILITATORS, method="POST")
def review(
    interview_id: str,
    finding_id: str,
    action: str = Form(""),
    seen: str = Form(""),
    who: Viewer = Depends(viewer),  # noqa: B008
) -> Response:
    finding = _finding(who, interview_id, finding_id)
    chosen = REVIEWS.get(action)
    if chosen is None:
        typed = Typed(finding_id=finding.id, problem="invalid")
        return transcript_page(who, interview_id, typed=typed, status_code=UNPROCESSABLE)
    if seen != _seen(finding):
        typed = Typed(finding_id=finding.id, problem="stale")
        return transcript_page(who, interview_id, typed=typed, status_code=CONFLICT)
    try:
        who.runtime.store.findings.review(finding.id, actor=who.account.name, action=chosen)
    except FindingNotFoundError:
        raise NotFound(who) from None
    return _back(interview_id, DONE[chosen], finding.id)


@page(FINDING + "/edit", roles=FACILITATORS, method="POST")
def edit(
    interview_id: str,
    finding_id: str,
    code: str = Form(""),
    value_chain_stage: str = Form(""),
    activity: str = Form(""),
    counterpart: str = Form(""),
    seen: str = Form(""),
    who: Viewer = Depends(viewer),  # noqa: B008
) -> Response:
    finding = _finding(who, interview_id, finding_id)
    sent = {
        "code": code.strip(),
        "value_chain_stage": value_chain_stage.strip(),
        "activity": activity.strip(),
        "counterpart": counterpart.strip(),
    }

    def again(problem: str, status_code: int) -> Response:
        typed = Typed(finding_id=finding.id, values=sent, problem=problem)
        return transcript_page(who, interview_id, typed=typed, status_code=status_code)

    if seen != _seen(finding):
        return again("stale", CONFLICT)
    codebook = codebook_of(who)
    if sent["code"] not in codebook.code_ids or sent["value_chain_stage"] not in codebook.stage_ids:
        return again("invalid", UNPROCESSABLE)
    # An empty activity or counterpart is an unknown one, never an empty string.
    wanted: dict[str, str | None] = {name: sent[name] or None for name in EDITABLE}
    store = who.runtime.store
    interview = store.interviews.get(interview_id)
    turns = [] if interview is None else store.interviews.turns(interview_id)
    mask = None if interview is None else mask_of(who, interview, turns)
    if mask is not None:
        for name in ("activity", "counterpart"):
            stored = getattr(finding, name)
            if stored and wanted[name] == mask.free_text(stored):
                wanted[name] = stored  # sent back as shown: unchanged
    changes = {name: value for name, value in wanted.items() if getattr(finding, name) != value}
    if not changes:
        return again("nothing_changed", UNPROCESSABLE)
    try:
        change = FindingEdit.model_validate(changes)
        who.runtime.store.findings.review(
            finding.id, actor=who.account.name, action=ReviewAction.EDIT, edit=change
        )
    except (ValidationError, ValueError):
        return again("invalid", UNPROCESSABLE)
    except FindingNotFoundError:
        raise NotFound(who) from None
    return _back(interview_id, "edited", finding.id)


@page(TRANSCRIPT + "/findings", roles=FACILITATORS, method="POST")
def add(
    interview_id: str,
    turn: str = Form(""),
    words: str = Form(""),
    code: str = Form(""),
    value_chain_stage: str = Form(""),
    activity: str = Form(""),
    counterpart: str = Form(""),
    who: Viewer = Depends(viewer),  # noqa: B008
) -> Response:
    """A finding from the employee's own words, verified word for word in the chosen turn."""
    store = who.runtime.store
    interview = store.interviews.get(interview_id)
    if interview is None:
        raise NotFound(who)
    sent = {
        "turn": turn.strip(),
        "words": words,
        "code": code.strip(),
        "value_chain_stage": value_chain_stage.strip(),
        "activity": activity.strip(),
        "counterpart": counterpart.strip(),
    }

    def again(problem: str) -> Response:
        typed = Typed(values=sent, problem=problem)
        return transcript_page(who, interview_id, typed=typed, status_code=UNPROCESSABLE)

    if not sent["turn"].isdigit():
        return again("no_turn")
    turns = store.interviews.turns(interview.id)
    exact = None
    mask = mask_of(who, interview, turns)
    named = next((turn for turn in turns if turn.number == int(sent["turn"])), None)
    if mask is not None and named is not None and named.speaker == Speaker.EMPLOYEE:
        # The words were selected in the masked turn: the quote is what they stand for.
        exact = mask.original_quote(named, words)
        if exact is None:
            return again("not_said")
    try:
        finding = facilitator_finding(
            codebook_of(who),
            interview.id,
            turns,
            words if exact is None else exact.text,
            code=sent["code"],
            stage=sent["value_chain_stage"],
            turn_number=int(sent["turn"]),
            activity=sent["activity"] or None,
            counterpart=sent["counterpart"] or None,
        )
    except (NoSuchTurnError, InterviewerTurnError):
        return again("no_turn")
    except QuoteNotFoundError:
        return again("not_said")
    except (UnknownCodeError, UnknownStageError):
        return again("invalid")
    if exact is not None:
        finding = finding.model_copy(update={"evidence": [exact]})  # where they were selected
    try:
        added = store.findings.add_by_facilitator(finding, actor=who.account.name)
    except InterviewNotFoundError:
        raise NotFound(who) from None
    return _back(interview.id, "added", added.id)
