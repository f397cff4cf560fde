"""What the report says first, and what would show its hidden parts: both computed from the
:class:`~assistant.report.records.Report` alone.

A report holds no hidden count (a count below the threshold is ``None`` in it), so nothing
here can reveal one: every sentence is made of counts already shown, labels already shown,
the thresholds, and the numbers of withheld parts the report already states.

**The hints** ("what would show more") say how many more people would show a hidden part,
without pinning the hidden count. Saying "k − n more" would give n away. What is safe:

- a bound that holds for *every* value the hidden count may take given what is public. A
  hidden count is at least 1 (an empty part is shown as 0, never hidden) and, when hidden by
  the primary rule, at most k − 1; so "at most k − 1 more" is true whatever it is, and says
  nothing more than "hidden" does. Some parts (heatmap cells and totals, themes, groups) may
  also be hidden by the complementary rule while counting k or more; for them "at most k − 1
  more in each hidden part of the line" is still sufficient (a part that already counts k
  needs none) and still says nothing of any one part, where "at least one more" would be false;
- rows that only the primary rule hides (counterparts, gaps, automation rows) need between
  1 and k − 1 more each; we still say only "at most k − 1", the same words for every part;
- quotes need ``min_people_for_quotes`` people with findings: when that number of people is
  shown, the exact difference is public arithmetic on shown numbers; when it is hidden (it is
  below k), the only safe figure is the bound q − (k − 1).

**The summary** names the strongest themes, the value-chain stages where people speak most,
and the activities most exposed to automation and most human, all from shown counts only:
with everything hidden it says so instead of guessing.
"""

from __future__ import annotations

from assistant.report.records import AutomationRow, NarrativeState, Report
from assistant.report.texts import counted_for, text_for

_TOP_THEMES = 3


def summary_lines(report: Report) -> list[str]:
    """A few sentences a director reads first, in the report's language."""

    def t(key: str, **values: object) -> str:
        return text_for(report.language, key, **values)

    k = report.min_people
    c = report.coverage
    lines = []
    if c.people is None:
        lines.append(t("summary_base_hidden", n=k))
    elif c.people_with_findings is None:
        lines.append(t("summary_base_hidden_findings", people=c.people, n=k))
    else:
        lines.append(t("summary_base", people=c.people, with_findings=c.people_with_findings))
    if report.themes:
        themes = [
            t("summary_theme", label=theme.label, people=theme.people)
            for theme in report.themes[:_TOP_THEMES]
        ]
        lines.append(t("summary_themes", themes=", ".join(themes)))
    else:
        lines.append(t("summary_no_theme", n=k))
    lines.append(_stages(report))
    lines += _automation(report)
    if _anything_hidden(report):
        lines.append(t("summary_hidden"))
    return lines


def _stages(report: Report) -> str:
    labels = {s.id: s.label for s in report.heatmap.stages}
    shown = sorted(
        ((n, labels[s]) for s, n in report.heatmap.stage_totals.items() if n),
        key=lambda pair: (-pair[0], pair[1]),
    )
    if not shown:
        return text_for(report.language, "summary_no_stage", n=report.min_people)
    (people, stage), *rest = shown
    if rest:
        second_people, second = rest[0]
        return text_for(
            report.language,
            "summary_stages",
            stage=stage,
            people=people,
            second=second,
            second_people=second_people,
        )
    return text_for(report.language, "summary_stage", stage=stage, people=people)


def _most(rows: list[AutomationRow], exposure: str) -> tuple[AutomationRow, int] | None:
    best = max(
        ((row, row.exposure.get(exposure) or 0) for row in rows),
        key=lambda pair: pair[1],
        default=None,
    )
    return best if best is not None and best[1] > 0 else None


def _automation(report: Report) -> list[str]:
    lines = []
    exposed = _most(report.automation, "automatable") or _most(report.automation, "augmented")
    if exposed is not None:
        row, people = exposed
        key = "summary_automatable" if row.exposure.get("automatable") else "summary_augmented"
        lines.append(text_for(report.language, key, activity=row.activity, people=people))
    human = _most(report.automation, "human_essential")
    if human is not None:
        row, people = human
        lines.append(
            text_for(report.language, "summary_human", activity=row.activity, people=people)
        )
    if not lines:
        lines.append(text_for(report.language, "summary_no_automation", n=report.min_people))
    return lines


def _anything_hidden(report: Report) -> bool:
    w = report.withheld
    return report.coverage.people is None or any(
        (w.cells, w.themes, w.counterparts, w.gaps, w.automation_rows, w.groups)
    )


def threshold_hints(report: Report) -> list[str]:
    """For each kind of part hidden by a threshold, what would show it (see the module
    docstring for why these numbers reveal no hidden count)."""

    def t(key: str, **values: object) -> str:
        return text_for(report.language, key, **values)

    def counted(key: str, count: int, **values: object) -> str:
        return counted_for(report.language, key, count, **values)

    k, q = report.min_people, report.min_people_for_quotes
    most = k - 1
    hints = []
    c = report.coverage
    if c.people is None:
        hints.append(counted("hint_total", most, most=most))
    if not report.quotes_allowed:
        if c.people_with_findings is not None:
            hints.append(t("hint_quotes_exact", q=q, more=q - c.people_with_findings))
        else:
            hints.append(t("hint_quotes_bound", q=q, more=max(q - most, 1)))
    heat = report.heatmap
    hidden_codes = [code.label for code in heat.codes if heat.code_totals.get(code.id, 0) is None]
    if hidden_codes:
        hints.append(counted("hint_themes", most, labels=", ".join(hidden_codes), most=most))
    hidden_stages = [s.label for s in heat.stages if heat.stage_totals.get(s.id, 0) is None]
    if hidden_stages:
        hints.append(counted("hint_stages", most, labels=", ".join(hidden_stages), most=most))
    w = report.withheld
    if w.cells:
        hints.append(counted("hint_cells", w.cells, cells=w.cells, n=k, most=most))
    for key, count in (
        ("hint_rows_counterparts", w.counterparts),
        ("hint_rows_gaps", w.gaps),
        ("hint_rows_automation", w.automation_rows),
    ):
        if count:
            rows = counted("rows", count, n=k)
            hints.append(counted("hint_rows", most, what=t(key), rows=rows, most=most))
    if w.groups:
        groups = counted("groups", w.groups)
        hints.append(counted("hint_groups", most, groups=groups, most=most))
    return hints


def narratives_kept(report: Report) -> bool:
    return report.narratives.state == NarrativeState.WRITTEN and (
        bool(report.recommendations) or any(theme.synthesis for theme in report.themes)
    )
