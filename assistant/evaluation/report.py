"""The readable forms of a run: ``report.md`` and a self-contained ``report.html`` (filters,
search, sorting; no network), the page comparing two runs, and the comparison for CI (lines
and JUnit XML). Every case shows what the model wrote, what reached the employee, and each
check's verdict with its reason."""

from __future__ import annotations

from assistant.evaluation.assertions import Status
from assistant.evaluation.results import Attempt, CaseResult, RunResults

MARK = {
    Status.PASS: "✓",
    Status.FAIL: "✗",
    Status.ERROR: "error",
    Status.NOT_APPLICABLE: "–",
    Status.SKIPPED: "skipped",
}
RANK = {
    Status.ERROR: 0,
    Status.FAIL: 1,
    Status.NOT_APPLICABLE: 2,
    Status.SKIPPED: 2,
    Status.PASS: 3,
}


def problems_of(case: CaseResult) -> str:
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
    found += [f"prompt {note}" for note in case.pinned]
    return "; ".join(dict.fromkeys(found))


def _metrics(case: CaseResult) -> str:
    last = case.attempts[-1] if case.attempts else None
    if last is None or not last.metrics:
        return ""
    return ", ".join(f"{name} {value:g}" for name, value in last.metrics.items())


def tokens(case: CaseResult) -> int:
    return sum(a.prompt_tokens + a.completion_tokens for a in case.attempts)


def seconds(case: CaseResult) -> float:
    return round(sum(a.seconds for a in case.attempts), 3)


def rate(case: CaseResult) -> str:
    passed, runs = case.pass_rate()
    return f"{passed}/{runs}"


def _rows(results: RunResults) -> list[list[str]]:
    return [
        [
            case.id,
            ", ".join(case.tags),
            MARK[case.status],
            MARK[case.raw_status],
            rate(case),
            str(tokens(case)),
            f"{seconds(case):g}",
            _metrics(case),
            problems_of(case),
        ]
        for case in results.cases
    ]


_HEADER = [
    "case",
    "tags",
    "delivered",
    "raw",
    "passed",
    "tokens",
    "s",
    "metrics",
    "what went wrong",
]


def summary_lines(results: RunResults) -> list[str]:
    totals = results.totals()
    models = ", ".join(f"{role}: {name}" for role, name in results.models.items())
    prompts = ", ".join(
        f"{pid}@{version} ({results.prompt_digests.get(pid, '')[:12] or 'no digest'})"
        for pid, version in sorted(results.prompts.items())
    )
    lines = [
        f"Started {results.started_at}; models {models}; pass^{results.repeat}.",
        f"Cases: {len(results.cases)}; passed {totals['pass']}, failed {totals['fail']}, "
        f"errors {totals['error']} (on what reached the employee).",
        f"Prompts (version, content digest): {prompts}.",
        f"Messages the output guard replaced: {guard_line(results)}.",
    ]
    pinned = sum(1 for case in results.cases if case.pinned)
    if pinned:
        lines.append(f"Cases pinning another prompt version than the one run: {pinned}.")
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
    return lines + results.notes


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


def _quoted(text: str | None) -> str:
    if text is None:
        return "> (none)"
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines() or [""])


def _attempt_markdown(attempt: Attempt, number: int, runs: int) -> list[str]:
    lines = [f"#### Run {number} of {runs}", ""] if runs > 1 else []
    if attempt.conversation:
        lines += ["Last turns:", ""]
        lines += [f"- **{turn.speaker}**: {_cell(turn.text)}" for turn in attempt.conversation]
        lines.append("")
    if attempt.raw is not None or attempt.delivered is not None:
        same = " (the same)" if attempt.raw == attempt.delivered else ""
        lines += ["Raw (what the model wrote):", "", _quoted(attempt.raw), ""]
        lines += [
            f"Delivered (what reached the employee){same}:",
            "",
            _quoted(attempt.delivered),
            "",
        ]
    if attempt.assertions:
        lines += ["| check | raw | delivered | why |", "|---|---|---|---|"]
        for result in attempt.assertions:
            why = "; ".join(part for part in (result.detail, result.reason) if part)
            lines.append(
                f"| {_cell(result.name)} | {MARK[result.raw]} | {MARK[result.delivered]} "
                f"| {_cell(why)} |"
            )
        lines.append("")
    guard = ", ".join(attempt.guard_rules) or "none"
    lines.append(
        f"Tokens {attempt.prompt_tokens} in, {attempt.completion_tokens} out; "
        f"{attempt.model_calls} model calls; {attempt.seconds:g} s; guard replaced: {guard}."
    )
    if attempt.error:
        lines.append(f"Error: {attempt.error}")
    return [*lines, ""]


def markdown(results: RunResults) -> str:
    lines = ["# Terrain evaluation", "", *summary_lines(results), ""]
    lines.append("| " + " | ".join(_HEADER) + " |")
    lines.append("|" + "---|" * len(_HEADER))
    lines += ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in _rows(results)]
    lines += ["", "## Cases", ""]
    for case in results.cases:
        lines += [f"### {case.id} — {case.status.value}, passed {rate(case)}", ""]
        if case.tags:
            lines += [f"Tags: {', '.join(case.tags)}.", ""]
        for note in case.pinned:
            lines += [f"Prompt version: {note}.", ""]
        for number, attempt in enumerate(case.attempts, start=1):
            lines += _attempt_markdown(attempt, number, len(case.attempts))
    return "\n".join(lines).rstrip("\n") + "\n"
