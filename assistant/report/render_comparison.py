"""A comparison of two published versions, as an HTML fragment for leadership's page and as
lines of text for the command line."""

from __future__ import annotations

from html import escape

from assistant.i18n import N_, gettext, ngettext
from assistant.report.comparison import Change, Comparison, Direction, ThemeChange
from assistant.report.render_parts import STYLE, table_box

DIRECTIONS = {
    Direction.ROSE: N_("rose"),
    Direction.FELL: N_("fell"),
    Direction.SAME: N_("unchanged"),
    Direction.NOT_COMPARABLE: N_("not comparable"),
}


def _hidden(language: str) -> str:
    return gettext(language, "hidden")


def _figure(language: str, value: int | None) -> str:
    return _hidden(language) if value is None else str(value)


def _signed(value: float | None, suffix: str = "") -> str:
    if value is None:
        return "–"
    text = f"{value:+g}" if isinstance(value, float) else f"{value:+d}"
    return text + suffix


def intro(comparison: Comparison) -> str:
    language = comparison.language
    return gettext(
        language,
        "From version {before} to version {after}. A theme or a stage hidden in either version "
        "is not comparable: neither its figure nor a difference is shown, since a difference "
        "beside the one figure shown would give the other away. Shares are of the people with "
        "a finding.",
    ).format(before=comparison.before, after=comparison.after)


def threshold_note(comparison: Comparison) -> str:
    n = comparison.min_people
    return ngettext(
        comparison.language,
        "Hidden: fewer than {n} person, or hidden so that another count cannot be worked out.",
        "Hidden: fewer than {n} people, or hidden so that another count cannot be worked out.",
        n,
    ).format(n=n)


def render_comparison(comparison: Comparison) -> str:
    """The comparison for a page: a table of themes (with the stages where each changed),
    then one of stages."""
    language = comparison.language
    heading = gettext(language, "What changed between version {before} and version {after}")
    html = [
        f"<style>{STYLE}</style>",
        '<div class="terrain-report comparison">',
        f"<h2>{escape(heading.format(before=comparison.before, after=comparison.after))}</h2>",
        f'<p class="note">{escape(intro(comparison))}</p>',
        f'<p class="note">{escape(threshold_note(comparison))}</p>',
        f"<h3>{escape(gettext(language, 'Themes'))}</h3>",
        _table(comparison, comparison.themes, gettext(language, "Theme"), with_stages=True),
        f"<h3>{escape(gettext(language, 'Value-chain stages'))}</h3>",
        _table(comparison, comparison.stages, gettext(language, "Stage"), with_stages=False),
        "</div>",
    ]
    return "\n".join(html)


def _table(
    comparison: Comparison, changes: list[Change] | list[ThemeChange], name: str, with_stages: bool
) -> str:
    language = comparison.language
    heads = [
        name,
        gettext(language, "Version {number}").format(number=comparison.before),
        gettext(language, "Version {number}").format(number=comparison.after),
        gettext(language, "Change"),
        gettext(language, "Share change"),
        gettext(language, "Direction"),
    ]
    if with_stages:
        heads.append(gettext(language, "Where it changed"))
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in heads)
    rows = []
    for change in changes:
        cells = [
            _figure(language, change.before),
            _figure(language, change.after),
            _signed(change.change),
            _signed(change.share_change, " pts"),
            gettext(language, DIRECTIONS[change.direction]),
        ]
        row = f'<tr class="{change.direction.value}"><th scope="row">{escape(change.label)}</th>'
        row += "".join(f'<td class="num">{escape(c)}</td>' for c in cells)
        if with_stages:
            where = ", ".join(
                f"{s.label} {_signed(s.change)}" for s in getattr(change, "stages", [])
            )
            row += f"<td>{escape(where)}</td>"
        rows.append(row + "</tr>")
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    return table_box(escape(name), table)


def comparison_lines(comparison: Comparison) -> list[str]:
    """The comparison as plain lines (the command line's)."""
    language = comparison.language
    lines = [intro(comparison), threshold_note(comparison), ""]
    for title, changes in (
        (gettext(language, "Themes"), comparison.themes),
        (gettext(language, "Value-chain stages"), comparison.stages),
    ):
        lines.append(title + ":")
        for change in changes:
            direction = gettext(language, DIRECTIONS[change.direction])
            line = (
                f"  {change.label}: {_figure(language, change.before)} → "
                f"{_figure(language, change.after)} ({direction}"
            )
            if change.change is not None:
                line += f", {_signed(change.change)}"
            if change.share_change is not None:
                line += f", {_signed(change.share_change, ' pts')}"
            line += ")"
            if isinstance(change, ThemeChange) and change.stages:
                line += "; " + ", ".join(f"{s.label} {_signed(s.change)}" for s in change.stages)
            lines.append(line)
    return lines
