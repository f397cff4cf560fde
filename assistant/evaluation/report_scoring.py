"""Report cases: a leadership report built from a case's interviews and findings, without a
model (or with the in-process scripted one for narratives), then its anonymity and citation
rules checked on the report and on every rendering of it."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime

from assistant.config import Settings
from assistant.evaluation.assertions import Status
from assistant.evaluation.cases import Case, ReportCase
from assistant.evaluation.results import AssertionResult, Attempt
from assistant.findings.codebook import load_codebook
from assistant.llm.testing import ModelRequest, ScriptedChatModel
from assistant.report import (
    Redactor,
    Report,
    ReportInputs,
    ReportOptions,
    build_report,
    render_html,
    render_markdown,
    report_json,
)
from assistant.report.records import NarrativeState
from assistant.schemas import (
    Finding,
    Interview,
    InterviewStatus,
    Phase,
    Provenance,
    Quote,
)

SCRIPTED_REPORT_MODEL = "scripted-report-model"
# The report is dated, so that its renderings are the same from one run to the next.
_BUILT_AT = datetime(2026, 1, 1, tzinfo=UTC)
_FINDING_IDS = re.compile(r"^\[([\w-]+)\]", re.MULTILINE)
_LABELS = re.compile(r"^([RT]\d+): ", re.MULTILINE)


def report_inputs(spec: ReportCase) -> ReportInputs:
    """One interview per person of each group, each with the group's findings."""
    interviews: list[Interview] = []
    findings: list[Finding] = []
    for group_number, group in enumerate(spec.people):
        for person in range(group.count):
            interview_id = f"g{group_number}p{person:03d}"
            interviews.append(
                Interview(
                    id=interview_id,
                    pseudonym=f"{group.pseudonym}-{group_number}{person:03d}",
                    owner_key=f"owner:{interview_id}",
                    language=group.language,
                    status=InterviewStatus.CLOSED,
                    phase=Phase.DONE,
                    created_at=_BUILT_AT,
                    updated_at=_BUILT_AT,
                )
            )
            for number, planned in enumerate(group.findings):
                findings.append(
                    Finding(
                        id=f"{interview_id}-f{number}",
                        interview_id=interview_id,
                        code=planned.code,
                        activity=planned.activity,
                        counterpart=planned.counterpart,
                        value_chain_stage=planned.stage,
                        evidence=[
                            Quote(text=planned.quote, turn_index=1, start=0, end=len(planned.quote))
                        ],
                        status=planned.status,
                        provenance=Provenance(
                            model="eval", prompt="findings.extract@1.0.0", created_at=_BUILT_AT
                        ),
                        updated_at=_BUILT_AT,
                    )
                )
    return ReportInputs(
        interviews=interviews,
        findings=findings,
        known_names={interview.pseudonym for interview in interviews},
    )


def narrative_model(foreign_ids: Sequence[str]) -> ScriptedChatModel:
    """Summaries citing every finding id the prompt shows plus ``foreign_ids`` (which must be
    dropped), themes drafted from every summary, and no recommendation."""

    def respond(request: ModelRequest) -> str:
        prompt = request.messages[-1].content
        title = (request.json_schema or {}).get("title")
        answer: object
        if title == "BatchSummary":
            ids = [*_FINDING_IDS.findall(prompt), *foreign_ids]
            answer = {"summary": f"{len(ids)} findings.", "finding_ids": ids}
        elif title == "ThemeDraft":
            answer = {"text": "The theme's synthesis.", "summaries": _LABELS.findall(prompt)}
        else:
            answer = {"recommendations": []}
        return json.dumps(answer)

    return ScriptedChatModel(respond=respond, name=SCRIPTED_REPORT_MODEL)


async def score_report(case: Case, settings: Settings, redactor: Redactor) -> Attempt:
    spec = case.report
    assert spec is not None  # validated with the case
    options = ReportOptions(
        language=spec.options.language,
        min_people=spec.options.min_people,
        min_people_for_quotes=spec.options.min_people_for_quotes,
        include_proposed=spec.options.include_proposed,
    )
    model = None
    if spec.narrative_foreign_ids is not None:
        model = narrative_model(spec.narrative_foreign_ids)
    report = await build_report(
        report_inputs(spec),
        settings,
        model,
        codebook=load_codebook(),
        options=options,
        redactor=redactor,
        now=_BUILT_AT,
    )
    renderings = {
        "markdown": render_markdown(report),
        "html": render_html(report),
        "json": report_json(report),
    }
    results = _checks(spec, report, renderings)
    calls = len(model.requests) if model is not None else 0
    shown = ", ".join(theme.code for theme in report.themes) or "none"
    return Attempt(
        raw=None,
        delivered=f"themes shown: {shown}",
        assertions=results,
        metrics={"themes": len(report.themes), "withheld_cells": report.withheld.cells},
        model_calls=calls,
    )


def _result(name: str, ok: bool, detail: str) -> AssertionResult:
    return AssertionResult(
        name=name,
        raw=Status.NOT_APPLICABLE,
        delivered=Status.PASS if ok else Status.FAIL,
        detail="" if ok else detail,
    )


def _checks(spec: ReportCase, report: Report, renderings: dict[str, str]) -> list[AssertionResult]:
    expect = spec.expect
    shown = {theme.code for theme in report.themes}
    results: list[AssertionResult] = []
    if expect.themes_shown:
        missing = sorted(set(expect.themes_shown) - shown)
        results.append(_result("themes_shown", not missing, f"not shown: {missing}"))
    if expect.themes_hidden:
        leaked = sorted(set(expect.themes_hidden) & shown)
        results.append(_result("themes_hidden", not leaked, f"shown: {leaked}"))
    if expect.cells_hidden:
        visible = []
        for key in expect.cells_hidden:
            stage, _, code = key.partition("/")
            cell = report.heatmap.cell(stage, code)
            if cell is None or cell.people is not None:
                visible.append(key)
        results.append(_result("cells_hidden", not visible, f"not a hidden cell: {visible}"))
    quotes = sum(len(theme.quotes) for theme in report.themes)
    if expect.no_quotes:
        ok = quotes == 0 and not report.quotes_allowed
        results.append(_result("no_quotes", ok, f"{quotes} quotes shown"))
    if expect.quotes_shown:
        results.append(_result("quotes_shown", quotes > 0, "no quote shown"))
    if expect.absent:
        leaks = [
            f"{detail!r} in {kind}"
            for kind, text in renderings.items()
            for detail in expect.absent
            if detail.casefold() in text.casefold()
        ]
        results.append(_result("pii_absent", not leaks, "; ".join(leaks)))
    if expect.withheld:
        counts = report.withheld.model_dump()
        zero = [name for name in expect.withheld if not counts.get(name)]
        results.append(_result("withheld_counted", not zero, f"withheld 0: {zero}"))
    if expect.citations_in_theme:
        results.append(_citations(spec, report))
    return results


def _citations(spec: ReportCase, report: Report) -> AssertionResult:
    problems = []
    foreign = set(spec.narrative_foreign_ids or ())
    for theme in report.themes:
        if theme.synthesis is None:
            problems.append(f"{theme.code}: no narrative")
            continue
        outside = set(theme.synthesis.finding_ids) - set(theme.finding_ids)
        if outside:
            problems.append(f"{theme.code} cites {sorted(outside)}")
    if foreign and report.narratives.state != NarrativeState.WRITTEN:
        problems.append(f"narratives {report.narratives.state.value}")
    if not report.themes:
        problems.append("no theme to cite")
    return _result("citations_in_theme", not problems, "; ".join(problems))
