"""The run as a self-contained ``report.html`` (filters, search, sorting; no network) and the page
comparing two runs: every case shows what the model wrote, what reached the employee, and each
check's verdict with its reason."""

from __future__ import annotations

import difflib
import re
from html import escape

from assistant.evaluation.assertions import Status
from assistant.evaluation.report import (
    MARK,
    RANK,
    problems_of,
    rate,
    seconds,
    summary_lines,
    tokens,
)
from assistant.evaluation.results import Attempt, CaseResult, RunResults

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
            f'<td class="v-{result.raw.value}">{escape(MARK[result.raw])}</td>'
            f'<td class="v-{result.delivered.value}">{escape(MARK[result.delivered])}</td>'
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
        f'data-id="{escape(case.id)}" data-order="{order}" data-rank="{RANK[status]}" '
        f'data-tokens="{tokens(case)}" data-seconds="{seconds(case)}" '
        f'data-tags=" {escape(" ".join(case.tags))} " '
        f'data-fail="{int(status == Status.FAIL)}" data-error="{int(status == Status.ERROR)}" '
        f'data-diff="{int(_differs(case))}"'
    )
    opened = " open" if status in (Status.FAIL, Status.ERROR) else ""
    problems = problems_of(case)
    summary = (
        f"{_badge(status)} <code>{escape(case.id)}</code> "
        f'<span class="muted">passed {rate(case)} · raw {escape(MARK[case.raw_status])} · '
        f"{escape(', '.join(case.tags))} · {tokens(case)} tokens · {seconds(case):g} s</span>"
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
    return _page("Terrain evaluation", summary_lines(results), _FILTERS, tags, body)


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
    problems = problems_of(case)
    return (
        f"<div><h4>{escape(label)}: {_badge(case.status)} passed {rate(case)}</h4>"
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
        worst = min((c.status for c in (a, b) if c), key=lambda s: RANK[s])
        alone = a is None or b is None
        messages_differ = not alone and (a_last.delivered if a_last else None) != (
            b_last.delivered if b_last else None
        )
        tags = sorted({t for c in (a, b) if c for t in c.tags})
        checks = "".join(f"<li>{escape(line)}</li>" for line in changed[case_id])
        attributes = (
            f'data-id="{escape(case_id)}" data-order="{order}" data-rank="{RANK[worst]}" '
            f'data-tokens="{sum(tokens(c) for c in (a, b) if c)}" '
            f'data-seconds="{sum(seconds(c) for c in (a, b) if c)}" '
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
        "A: " + summary_lines(first)[0],
        "B: " + summary_lines(second)[0],
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
