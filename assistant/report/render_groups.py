"""The report's sections by job and by site, in HTML: one table per view (themes, value-chain
stages, exposure to automation), a row per group shown, everyone's totals last."""

from __future__ import annotations

import html
from collections.abc import Callable
from html import escape

from assistant.i18n import N_, gettext, ngettext
from assistant.report.records import GroupTable, GroupView, Report
from assistant.report.render_parts import label_of, para, shown_count, table_box

HEADINGS = {"role": N_("By job"), "site": N_("By site")}
GROUP_NAMES = {"role": N_("Job"), "site": N_("Site")}
CAPTIONS = (
    ("themes", N_("People per theme")),
    ("stages", N_("People per value-chain stage")),
    ("exposure", N_("People per exposure to automation")),
)


def render_groups(report: Report) -> str:
    """Every dimension's section, or nothing when no group is shown."""
    return "\n".join(_view(report, view) for view in report.groups)


def groups_note(report: Report) -> str:
    """What the sections by group leave out, and why (the threshold as the report applies it)."""
    language, n = report.language, report.min_people
    note = ngettext(
        language,
        "A job or a site appears when at least {n} person with a finding belongs to it, and no "
        "hidden group could be worked out from what is shown; quotes are never shown by group.",
        "A job or a site appears when at least {n} people with a finding belong to it, and no "
        "hidden group could be worked out from what is shown; quotes are never shown by group.",
        n,
    ).format(n=n)
    left_out = report.withheld.group_rows
    if left_out:
        note += " " + ngettext(
            language,
            "{count} group is left out.",
            "{count} groups are left out.",
            left_out,
        ).format(count=left_out)
    return escape(note)


def _view(report: Report, view: GroupView) -> str:
    language = report.language
    html = [
        f"<section class='wide groups'><h2>{escape(gettext(language, HEADINGS[view.dimension]))}"
        "</h2>",
        para("note", groups_note(report)),
    ]
    for attribute, caption in CAPTIONS:
        table: GroupTable = getattr(view, attribute)
        html.append(_table(report, table, gettext(language, GROUP_NAMES[view.dimension]), caption))
    html.append("</section>")
    return "".join(html)


def _table(report: Report, table: GroupTable, group_name: str, caption: str) -> str:
    language = report.language
    title = escape(gettext(language, caption))
    people = escape(gettext(language, "People with a finding"))
    head = "".join(f'<th scope="col">{escape(c.label)}</th>' for c in table.columns)
    rows = [
        f'<tr><th scope="row">{escape(label_of(report, row.label))}</th>'
        f'<td class="num">{row.people}</td>'
        + "".join(
            f'<td class="num">{escape(shown_count(report, row.cells.get(c.id)))}</td>'
            for c in table.columns
        )
        + "</tr>"
        for row in table.rows
    ]
    everyone = escape(gettext(language, "Everyone"))
    rows.append(
        f'<tr><th scope="row">{everyone}</th>'
        f'<td class="num">{escape(shown_count(report, table.people))}</td>'
        + "".join(
            f'<td class="num">{escape(shown_count(report, table.totals.get(c.id)))}</td>'
            for c in table.columns
        )
        + "</tr>"
    )
    html = (
        f'<table class="heat"><thead><tr>'
        f'<th scope="col">{escape(group_name)}</th><th scope="col">{people}</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    return f"<h3>{title}</h3>" + table_box(title, html)


def markdown_groups(
    report: Report, count: Callable[[int | None], str], label: Callable[[str], str]
) -> list[str]:
    """The same sections in Markdown (``count`` and ``label`` as the Markdown report writes
    them)."""
    language = report.language
    out: list[str] = []
    for view in report.groups:
        out += [f"## {gettext(language, HEADINGS[view.dimension])}", ""]
        out += [html.unescape(groups_note(report)), ""]
        for attribute, caption in CAPTIONS:
            table: GroupTable = getattr(view, attribute)
            out += [f"### {gettext(language, caption)}", ""]
            head = [
                gettext(language, GROUP_NAMES[view.dimension]),
                gettext(language, "People with a finding"),
                *(c.label for c in table.columns),
            ]
            out += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
            for row in table.rows:
                cells = [count(row.cells.get(c.id)) for c in table.columns]
                out.append(f"| {label(row.label)} | {row.people} | {' | '.join(cells)} |")
            totals = [count(table.totals.get(c.id)) for c in table.columns]
            everyone = gettext(language, "Everyone")
            out += [f"| {everyone} | {count(table.people)} | {' | '.join(totals)} |", ""]
    return out
