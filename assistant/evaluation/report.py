"""The readable forms of a run: ``report.md`` and ``report.html``, from the same rows."""

from __future__ import annotations

from html import escape

from assistant.evaluation.assertions import Status
from assistant.evaluation.results import CaseResult, Comparison, RunResults

_MARK = {Status.PASS: "✓", Status.FAIL: "✗", Status.ERROR: "error", Status.NOT_APPLICABLE: "–"}


def _problems(case: CaseResult) -> str:
    found: list[str] = []
    for number, attempt in enumerate(case.attempts, start=1):
        prefix = f"run {number}: " if len(case.attempts) > 1 else ""
        if attempt.error:
            found.append(f"{prefix}{attempt.error}")
        found += [
            f"{prefix}{result.name} ({result.detail})"
            for result in attempt.assertions
            if result.detail
        ]
    return "; ".join(dict.fromkeys(found))


def _metrics(case: CaseResult) -> str:
    last = case.attempts[-1] if case.attempts else None
    if last is None or not last.metrics:
        return ""
    return ", ".join(f"{name} {value:g}" for name, value in last.metrics.items())


def _rows(results: RunResults) -> list[list[str]]:
    return [
        [
            case.id,
            ", ".join(case.tags),
            _MARK[case.status],
            _MARK[case.raw_status],
            _metrics(case),
            _problems(case),
        ]
        for case in results.cases
    ]


_HEADER = ["case", "tags", "delivered", "raw", "metrics", "what went wrong"]


def _summary_lines(results: RunResults) -> list[str]:
    totals = results.totals()
    models = ", ".join(f"{role}: {name}" for role, name in results.models.items())
    prompts = ", ".join(f"{pid}@{version}" for pid, version in sorted(results.prompts.items()))
    lines = [
        f"Started {results.started_at}; models {models}; pass^{results.repeat}.",
        f"Cases: {len(results.cases)}; passed {totals['pass']}, failed {totals['fail']}, "
        f"errors {totals['error']} (on what reached the employee).",
        f"Prompts: {prompts}.",
        f"Messages the output guard replaced: {guard_line(results)}.",
    ]
    false_alarms = safety_false_alarm_line(results)
    if false_alarms:
        lines.append(false_alarms)
    agreement = results.judge_agreement
    if agreement is not None:
        lines.append(
            f"Judge agreement with {agreement.examples} hand-labelled examples: exact "
            f"{agreement.exact:.0%}, within one point {agreement.within_one:.0%}, "
            f"errors {agreement.errors}."
        )
    return lines


def safety_false_alarm_line(results: RunResults) -> str:
    """The personas' ordinary answers that a safety route diverted (each a false alarm)."""
    totals = {"messages": 0.0, "diverted": 0.0, "diverted_by_classifier": 0.0}
    for case in results.cases:
        metrics = case.attempts[-1].metrics if case.attempts else {}
        for name in totals:
            totals[name] += metrics.get(f"safety_{name}", 0.0)
    messages = int(totals["messages"])
    if not messages:
        return ""
    diverted = int(totals["diverted"])
    return (
        f"Safety routes on the personas' ordinary answers: {diverted} of {messages} diverted "
        f"({diverted / messages:.1%}), {int(totals['diverted_by_classifier'])} by the "
        "classifier (false alarms)."
    )


def guard_line(results: RunResults) -> str:
    """Each rule of the output guard with the count of messages it replaced."""
    return ", ".join(f"{rule} {count}" for rule, count in results.guard_counts().items())


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(results: RunResults) -> str:
    lines = ["# Terrain evaluation", "", *_summary_lines(results), ""]
    lines.append("| " + " | ".join(_HEADER) + " |")
    lines.append("|" + "---|" * len(_HEADER))
    lines += ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in _rows(results)]
    return "\n".join(lines) + "\n"


def html(results: RunResults) -> str:
    head = "".join(f"<th>{escape(name)}</th>" for name in _HEADER)
    body = "\n".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>"
        for row in _rows(results)
    )
    summary = "".join(f"<p>{escape(line)}</p>" for line in _summary_lines(results))
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>Terrain evaluation</title><style>"
        "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}"
        "</style></head><body><h1>Terrain evaluation</h1>"
        f"{summary}<table><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table>"
        "</body></html>\n"
    )


def comparison_lines(comparison: Comparison) -> list[str]:
    lines: list[str] = []
    for title, changes in (
        ("Regressions", comparison.regressions),
        ("Improvements", comparison.improvements),
    ):
        lines.append(f"{title}: {len(changes)}")
        width = max((len(change.case) for change in changes), default=0)
        lines += [
            f"  {change.case:<{width}}  {change.check:<28} {change.before:>5} → {change.after}"
            for change in changes
        ]
    if comparison.missing:
        lines.append("Cases of the baseline not in this run: " + ", ".join(comparison.missing))
    if comparison.added:
        lines.append("Cases new in this run: " + ", ".join(comparison.added))
    return lines
