"""The readable forms of a run: ``report.md`` and a self-contained ``report.html`` (filters,
search, sorting; no network), the page comparing two runs, and the comparison for CI (lines
and JUnit XML). Every case shows what the model wrote, what reached the employee, and each
check's verdict with its reason."""

from __future__ import annotations

import difflib
import re
from html import escape
from xml.etree import ElementTree

from assistant.evaluation.assertions import Status
from assistant.evaluation.results import Attempt, CaseResult, Comparison, RunResults

_MARK = {
    Status.PASS: "✓",
    Status.FAIL: "✗",
    Status.ERROR: "error",
    Status.NOT_APPLICABLE: "–",
    Status.SKIPPED: "skipped",
}
_RANK = {
    Status.ERROR: 0,
    Status.FAIL: 1,
    Status.NOT_APPLICABLE: 2,
    Status.SKIPPED: 2,
    Status.PASS: 3,
}


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
    found += [f"prompt {note}" for note in case.pinned]
    return "; ".join(dict.fromkeys(found))


def _metrics(case: CaseResult) -> str:
    last = case.attempts[-1] if case.attempts else None
    if last is None or not last.metrics:
        return ""
    return ", ".join(f"{name} {value:g}" for name, value in last.metrics.items())


def _tokens(case: CaseResult) -> int:
    return sum(a.prompt_tokens + a.completion_tokens for a in case.attempts)


def _seconds(case: CaseResult) -> float:
    return round(sum(a.seconds for a in case.attempts), 3)


def _rate(case: CaseResult) -> str:
    passed, runs = case.pass_rate()
    return f"{passed}/{runs}"


def _rows(results: RunResults) -> list[list[str]]:
    return [
        [
            case.id,
            ", ".join(case.tags),
            _MARK[case.status],
            _MARK[case.raw_status],
            _rate(case),
            str(_tokens(case)),
            f"{_seconds(case):g}",
            _metrics(case),
            _problems(case),
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


def _summary_lines(results: RunResults) -> list[str]:
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
                f"| {_cell(result.name)} | {_MARK[result.raw]} | {_MARK[result.delivered]} "
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
    lines = ["# Terrain evaluation", "", *_summary_lines(results), ""]
    lines.append("| " + " | ".join(_HEADER) + " |")
    lines.append("|" + "---|" * len(_HEADER))
    lines += ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in _rows(results)]
    lines += ["", "## Cases", ""]
    for case in results.cases:
        lines += [f"### {case.id} — {case.status.value}, passed {_rate(case)}", ""]
        if case.tags:
            lines += [f"Tags: {', '.join(case.tags)}.", ""]
        for note in case.pinned:
            lines += [f"Prompt version: {note}.", ""]
        for number, attempt in enumerate(case.attempts, start=1):
            lines += _attempt_markdown(attempt, number, len(case.attempts))
    return "\n".join(lines).rstrip("\n") + "\n"


_STYLE = """
:root{--pass:#1a7f37;--fail:#c62828;--error:#b35900;--skip:#6b7280;--line:#d0d7de}
*{box-sizing:border-box}body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1f2328}
header{padding:1em 1.5em;background:#f6f8fa;border-bottom:1px solid var(--line)}
header p{margin:.2em 0;font-size:.9em;color:#444}h1{margin:0 0 .4em;font-size:1.4em}
.controls{position:sticky;top:0;z-index:2;display:flex;flex-wrap:wrap;gap:.5em 1em;
align-items:center;padding:.6em 1.5em;background:#fff;border-bottom:1px solid var(--line)}
.controls input[type=search]{flex:1 1 14em;padding:.35em .5em;font:inherit}
main{padding:1em 1.5em}details.case{border:1px solid var(--line);border-radius:6px;
margin:0 0 .6em;border-left:6px solid var(--skip)}details.case>summary{cursor:pointer;
padding:.5em .8em;list-style-position:inside}
.s-pass{border-left-color:var(--pass)!important}.s-fail{border-left-color:var(--fail)!important}
.s-error{border-left-color:var(--error)!important}
.badge{display:inline-block;min-width:4.2em;text-align:center;border-radius:3px;color:#fff;
font-size:.8em;padding:0 .4em;background:var(--skip)}.b-pass{background:var(--pass)}
.b-fail{background:var(--fail)}.b-error{background:var(--error)}
.muted{color:#57606a;font-size:.88em}code{overflow-wrap:anywhere}.body{padding:0 .8em .8em}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:.8em}
.pair>div{min-width:0}.msg{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f8fa;
border:1px solid var(--line);border-radius:4px;padding:.5em;margin:.2em 0 .6em}
.msg.differs{background:#fff8e1}.conv{margin:.3em 0 .6em;padding-left:1.2em;font-size:.9em}
.conv b{font-weight:600}table{border-collapse:collapse;width:100%;font-size:.9em}
td,th{border:1px solid var(--line);padding:.25em .5em;text-align:left;vertical-align:top}
td.v-pass{color:var(--pass)}td.v-fail{color:var(--fail);font-weight:600}
td.v-error{color:var(--error);font-weight:600}td.v-skipped{color:var(--skip)}
.why{white-space:pre-wrap}del{background:#ffd7d5;text-decoration:line-through}
ins{background:#ccffd8;text-decoration:none}.changed{color:var(--fail);font-weight:600}
h3{font-size:1em;margin:.8em 0 .3em}h4{font-size:.9em;margin:.2em 0}
@media (max-width:700px){.pair{grid-template-columns:1fr}main,header,.controls{padding-left:.6em;
padding-right:.6em}}
"""

_SCRIPT = """
const main=document.querySelector('main'),cases=[...main.querySelectorAll('.case')];
const q=document.getElementById('q'),tag=document.getElementById('tag'),
sort=document.getElementById('sort'),count=document.getElementById('count');
const boxes=[...document.querySelectorAll('[data-filter]')];
function apply(){const text=q.value.trim().toLowerCase(),want=boxes.filter(b=>b.checked);
let shown=0;for(const c of cases){let ok=want.every(b=>c.dataset[b.dataset.filter]==='1');
if(tag.value&&!c.dataset.tags.includes(' '+tag.value+' '))ok=false;
if(ok&&text&&!c.textContent.toLowerCase().includes(text))ok=false;c.hidden=!ok;shown+=ok}
count.textContent=shown+' of '+cases.length+' cases'}
function order(){const key=sort.value,num=k=>c=>parseFloat(c.dataset[k]);
const by={order:num('order'),status:num('rank'),id:c=>c.dataset.id,tokens:c=>-num('tokens')(c),
seconds:c=>-num('seconds')(c)}[key];cases.slice().sort((a,b)=>{const x=by(a),y=by(b);
return x<y?-1:x>y?1:parseFloat(a.dataset.order)-parseFloat(b.dataset.order)})
.forEach(c=>main.appendChild(c))}
q.addEventListener('input',apply);tag.addEventListener('change',apply);
boxes.forEach(b=>b.addEventListener('change',apply));sort.addEventListener('change',order);
apply();
"""


def _page(
    title: str, summary: list[str], filters: list[tuple[str, str]], tags: set[str], body: str
) -> str:
    boxes = "".join(
        f'<label><input type="checkbox" data-filter="{key}"> {escape(label)}</label>'
        for key, label in filters
    )
    options = "".join(f'<option value="{escape(t)}">{escape(t)}</option>' for t in sorted(tags))
    sorts = (
        '<option value="order">file order</option><option value="status">worst first</option>'
        '<option value="id">id</option><option value="tokens">most tokens</option>'
        '<option value="seconds">slowest</option>'
    )
    lines = "".join(f"<p>{escape(line)}</p>" for line in summary)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<header><h1>{escape(title)}</h1>{lines}</header>"
        '<div class="controls"><input type="search" id="q" '
        'placeholder="Search ids, messages, reasons" aria-label="Search">'
        f'{boxes}<label>Tag <select id="tag"><option value="">all</option>{options}'
        f'</select></label><label>Sort <select id="sort">{sorts}</select></label>'
        '<span id="count" class="muted"></span></div>'
        f"<main>\n{body}\n</main><script>{_SCRIPT}</script></body></html>\n"
    )


def _badge(status: Status) -> str:
    return f'<span class="badge b-{status.value}">{escape(status.value)}</span>'


def _message(text: str | None, css: str = "") -> str:
    shown = escape(text) if text is not None else '<span class="muted">(none)</span>'
    return f'<div class="msg {css}">{shown}</div>'


def _attempt_html(attempt: Attempt, number: int, runs: int) -> str:
    parts = [f"<h3>Run {number} of {runs}</h3>"] if runs > 1 else []
    if attempt.conversation:
        turns = "".join(
            f"<li><b>{escape(turn.speaker)}</b>: {escape(turn.text)}</li>"
            for turn in attempt.conversation
        )
        parts.append(f'<h4>Last turns</h4><ol class="conv">{turns}</ol>')
    if attempt.raw is not None or attempt.delivered is not None:
        differs = "differs" if attempt.raw != attempt.delivered else ""
        parts.append(
            '<div class="pair"><div><h4>Raw: what the model wrote</h4>'
            f"{_message(attempt.raw)}</div><div><h4>Delivered: what reached the employee</h4>"
            f"{_message(attempt.delivered, differs)}</div></div>"
        )
    if attempt.assertions:
        rows = "".join(
            f"<tr><td>{escape(result.name)}</td>"
            f'<td class="v-{result.raw.value}">{escape(_MARK[result.raw])}</td>'
            f'<td class="v-{result.delivered.value}">{escape(_MARK[result.delivered])}</td>'
            f'<td class="why">{escape(_why(result.detail, result.reason))}</td></tr>'
            for result in attempt.assertions
        )
        parts.append(
            "<table><thead><tr><th>check</th><th>raw</th><th>delivered</th><th>why</th></tr>"
            f"</thead><tbody>{rows}</tbody></table>"
        )
    guard = ", ".join(attempt.guard_rules) or "none"
    parts.append(
        f'<p class="muted">Tokens {attempt.prompt_tokens} in, {attempt.completion_tokens} out; '
        f"{attempt.model_calls} model calls; {attempt.seconds:g} s; guard replaced: "
        f"{escape(guard)}.</p>"
    )
    if attempt.error:
        parts.append(f'<p class="changed">Error: {escape(attempt.error)}</p>')
    return "".join(parts)


def _why(*parts: str) -> str:
    return "\n".join(part for part in parts if part)


def _differs(case: CaseResult) -> bool:
    return any(
        a.raw is not None and a.delivered is not None and a.raw != a.delivered
        for a in case.attempts
    )


def _case_html(case: CaseResult, order: int) -> str:
    status = case.status
    attributes = (
        f'data-id="{escape(case.id)}" data-order="{order}" data-rank="{_RANK[status]}" '
        f'data-tokens="{_tokens(case)}" data-seconds="{_seconds(case)}" '
        f'data-tags=" {escape(" ".join(case.tags))} " '
        f'data-fail="{int(status == Status.FAIL)}" data-error="{int(status == Status.ERROR)}" '
        f'data-diff="{int(_differs(case))}"'
    )
    opened = " open" if status in (Status.FAIL, Status.ERROR) else ""
    problems = _problems(case)
    summary = (
        f"{_badge(status)} <code>{escape(case.id)}</code> "
        f'<span class="muted">passed {_rate(case)} · raw {escape(_MARK[case.raw_status])} · '
        f"{escape(', '.join(case.tags))} · {_tokens(case)} tokens · {_seconds(case):g} s</span>"
        + (f'<br><span class="changed">{escape(problems)}</span>' if problems else "")
    )
    runs = "".join(
        _attempt_html(attempt, number, len(case.attempts))
        for number, attempt in enumerate(case.attempts, start=1)
    )
    return (
        f'<details class="case s-{status.value}" {attributes}{opened}><summary>{summary}'
        f'</summary><div class="body">{runs}</div></details>'
    )


_FILTERS = [("fail", "failures"), ("error", "errors"), ("diff", "raw ≠ delivered")]


def html(results: RunResults) -> str:
    body = "\n".join(_case_html(case, order) for order, case in enumerate(results.cases))
    tags = {tag for case in results.cases for tag in case.tags}
    return _page("Terrain evaluation", _summary_lines(results), _FILTERS, tags, body)


def _words(text: str) -> list[str]:
    return re.split(r"(\s+)", text)


def word_diff(before: str | None, after: str | None) -> tuple[str, str]:
    """Both texts as HTML: the words only ``before`` has in ``<del>``, only ``after``'s in
    ``<ins>``."""
    if before is None or after is None:
        return _message(before), _message(after)
    old, new = _words(before), _words(after)
    left: list[str] = []
    right: list[str] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    # Two different sentences share only small words: marking those as kept misleads.
    rewritten = [("replace", 0, len(old), 0, len(new))] if before != after else []
    codes = matcher.get_opcodes() if matcher.ratio() >= 0.4 else rewritten
    for tag, i1, i2, j1, j2 in codes:
        removed, added = escape("".join(old[i1:i2])), escape("".join(new[j1:j2]))
        if tag == "equal":
            left.append(removed)
            right.append(added)
            continue
        if removed:
            left.append(f"<del>{removed}</del>")
        if added:
            right.append(f"<ins>{added}</ins>")
    return f'<div class="msg">{"".join(left)}</div>', f'<div class="msg">{"".join(right)}</div>'


def _changed_checks(before: CaseResult | None, after: CaseResult | None) -> list[str]:
    if before is None or after is None:
        return []  # a case of one run only: nothing to compare, shown last
    old, new = before.pass_k(), after.pass_k()
    return [
        f"{check}: {old.get(check, '–')} → {new.get(check, '–')}"
        for check in sorted(old.keys() | new.keys())
        if old.get(check) != new.get(check)
    ]


def _side(case: CaseResult | None, raw: str, delivered: str, label: str) -> str:
    if case is None:
        return f'<div><h4>{escape(label)}</h4><p class="muted">Not in this run.</p></div>'
    problems = _problems(case)
    return (
        f"<div><h4>{escape(label)}: {_badge(case.status)} passed {_rate(case)}</h4>"
        f"<h4>Delivered</h4>{delivered}<h4>Raw</h4>{raw}"
        + (f'<p class="changed">{escape(problems)}</p>' if problems else "")
        + "</div>"
    )


def pair_html(first: RunResults, second: RunResults) -> str:
    """Two runs side by side, case by case: the cases whose checks changed first, with the
    words their messages differ in highlighted."""
    left = {case.id: case for case in first.cases}
    right = {case.id: case for case in second.cases}
    ids = list(dict.fromkeys([*left, *right]))
    changed = {case_id: _changed_checks(left.get(case_id), right.get(case_id)) for case_id in ids}

    def rank(case_id: str) -> tuple[int, int]:
        a, b = left.get(case_id), right.get(case_id)
        if a is None or b is None:
            return 3, ids.index(case_id)
        messages_differ = a.last_delivered() != b.last_delivered()
        return (0 if changed[case_id] else 1 if messages_differ else 2), ids.index(case_id)

    blocks = []
    for order, case_id in enumerate(sorted(ids, key=rank)):
        a, b = left.get(case_id), right.get(case_id)
        a_last = a.attempts[-1] if a and a.attempts else None
        b_last = b.attempts[-1] if b and b.attempts else None
        raw_a, raw_b = word_diff(a_last.raw if a_last else None, b_last.raw if b_last else None)
        del_a, del_b = word_diff(
            a_last.delivered if a_last else None, b_last.delivered if b_last else None
        )
        worst = min((c.status for c in (a, b) if c), key=lambda s: _RANK[s])
        alone = a is None or b is None
        messages_differ = not alone and (a_last.delivered if a_last else None) != (
            b_last.delivered if b_last else None
        )
        tags = sorted({t for c in (a, b) if c for t in c.tags})
        checks = "".join(f"<li>{escape(line)}</li>" for line in changed[case_id])
        attributes = (
            f'data-id="{escape(case_id)}" data-order="{order}" data-rank="{_RANK[worst]}" '
            f'data-tokens="{sum(_tokens(c) for c in (a, b) if c)}" '
            f'data-seconds="{sum(_seconds(c) for c in (a, b) if c)}" '
            f'data-tags=" {escape(" ".join(tags))} " data-changed="{int(bool(changed[case_id]))}" '
            f'data-diff="{int(messages_differ)}" data-fail="{int(worst == Status.FAIL)}" '
            f'data-error="{int(worst == Status.ERROR)}" data-alone="{int(alone)}"'
        )
        status_a = a.status.value if a else "absent"
        status_b = b.status.value if b else "absent"
        blocks.append(
            f'<details class="case s-{worst.value}" {attributes}'
            f"{' open' if changed[case_id] or messages_differ else ''}><summary>"
            f"{_badge(worst)} <code>{escape(case_id)}</code> "
            f'<span class="muted">{escape(status_a)} → {escape(status_b)}</span>'
            + (f'<ul class="changed">{checks}</ul>' if checks else "")
            + f'</summary><div class="body"><div class="pair">'
            f"{_side(a, raw_a, del_a, 'A')}{_side(b, raw_b, del_b, 'B')}</div></div></details>"
        )
    summary = [
        "A: " + _summary_lines(first)[0],
        "B: " + _summary_lines(second)[0],
        f"Cases whose checks changed: {sum(1 for lines in changed.values() if lines)} "
        f"of {len(left.keys() & right.keys())} in both runs; only in A: "
        f"{len(left.keys() - right.keys())}, only in B: {len(right.keys() - left.keys())}.",
    ]
    filters = [
        ("changed", "checks changed"),
        ("diff", "messages differ"),
        ("fail", "failures"),
        ("error", "errors"),
        ("alone", "in one run only"),
    ]
    every_tag = {t for run in (first, second) for case in run.cases for t in case.tags}
    return _page("Terrain evaluation: two runs", summary, filters, every_tag, "\n".join(blocks))


def _shorten(text: str | None, limit: int = 160) -> str:
    if text is None:
        return "(none)"
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def comparison_lines(comparison: Comparison) -> list[str]:
    lines: list[str] = []
    for title, changes in (
        ("Regressions", comparison.regressions),
        ("Improvements", comparison.improvements),
    ):
        lines.append(f"{title}: {len(changes)}")
        width = max((len(change.case) for change in changes), default=0)
        shown: set[str] = set()
        for change in changes:
            lines.append(
                f"  {change.case:<{width}}  {change.check:<28} {change.before:>5} → {change.after}"
            )
            if change.case in shown or change.before_message == change.after_message:
                continue
            shown.add(change.case)
            lines.append(f"      before: {_shorten(change.before_message)}")
            lines.append(f"      after:  {_shorten(change.after_message)}")
    if comparison.pass_rates:
        lines.append("Pass rates (k/n) that changed:")
        lines += [
            f"  {case_id}: {before} → {after}"
            for case_id, (before, after) in comparison.pass_rates.items()
        ]
    if comparison.missing:
        lines.append("Cases of the baseline not in this run: " + ", ".join(comparison.missing))
    if comparison.added:
        lines.append("Cases new in this run: " + ", ".join(comparison.added))
    return lines


def junit_xml(comparison: Comparison, current: RunResults) -> str:
    """The new run as JUnit XML: one test per case (and per missing one), failed when it
    regressed or does not pass, for CI systems that read it."""
    regressed: dict[str, list[str]] = {}
    for change in comparison.regressions:
        regressed.setdefault(change.case, []).append(
            f"{change.check}: {change.before} → {change.after}"
        )
    suite = ElementTree.Element("testsuite", name="terrain-eval")
    failures = errors = 0
    for case in current.cases:
        test = ElementTree.SubElement(
            suite,
            "testcase",
            classname=f"terrain.{case.kind}",
            name=case.id,
            time=f"{_seconds(case):g}",
        )
        problems = _problems(case)
        if case.id in regressed:
            failures += 1
            failure = ElementTree.SubElement(test, "failure", message="regression")
            failure.text = "\n".join([*regressed[case.id], problems])
        elif case.status == Status.ERROR:
            errors += 1
            ElementTree.SubElement(test, "error", message=problems or "error")
        elif case.status == Status.FAIL:
            failures += 1
            ElementTree.SubElement(test, "failure", message=problems or "failed")
    for case_id in comparison.missing:
        test = ElementTree.SubElement(suite, "testcase", classname="terrain.missing", name=case_id)
        if case_id in regressed:
            failures += 1
            ElementTree.SubElement(test, "failure", message="missing from the new run")
        else:
            ElementTree.SubElement(test, "skipped", message="missing from the new run (allowed)")
    suite.set("tests", str(len(suite)))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    return ElementTree.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"
