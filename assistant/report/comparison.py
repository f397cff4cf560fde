"""Two published reports compared, for leadership: which themes rose or fell, in which
value-chain stages.

The comparison is a pure function of the two reports *as published*: every figure it shows is
one of theirs, and a change is computed only where both show their figure. A theme (or a
stage, or a cell) hidden in either version is said to be not comparable, with neither its
figure nor a difference: a difference beside the one figure shown would give the hidden one
away. So it discloses nothing the two published versions do not already show.

Two campaigns are compared through their latest published versions.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from assistant.errors import TerrainError
from assistant.report.publishing import report_of
from assistant.report.records import Frozen, Heatmap, Report
from assistant.schemas import ReportStatus
from assistant.store import Store


class Direction(StrEnum):
    ROSE = "rose"
    FELL = "fell"
    SAME = "same"
    NOT_COMPARABLE = "not_comparable"  # hidden (or absent) in one of the two


class Change(Frozen):
    """People before and after (None where that version hides it), the change where both are
    shown, and the share of the people with a finding, in points, where both totals are."""

    id: str
    label: str
    before: int | None
    after: int | None
    change: int | None
    share_change: float | None = Field(
        description="Change of the share of the people with a finding, in percentage points."
    )
    direction: Direction


class ThemeChange(Change):
    stages: list[Change] = Field(
        default_factory=list, description="The theme's cells (stages) that changed, both shown."
    )


class Comparison(Frozen):
    before: int = Field(description="The earlier version's number.")
    after: int
    language: str
    min_people: int = Field(description="The stricter of the two versions' thresholds.")
    people_before: int | None
    people_after: int | None
    themes: list[ThemeChange]
    stages: list[Change]


def compare_versions(store: Store, before: int, after: int) -> Comparison:
    """Two published versions compared; a withdrawn one, the draft or a missing number is
    refused with a :class:`TerrainError` that names it."""
    reports = []
    for number in (before, after):
        version = store.reports.version(number)
        if version is None or version.status == ReportStatus.DRAFT:
            raise TerrainError(
                f"There is no published version {number}.",
                fix="See them: terrain report list.",
            )
        reports.append(report_of(version))  # a withdrawn one raises
    return compare(reports[0], reports[1], before, after)


def compare(before: Report, after: Report, before_number: int, after_number: int) -> Comparison:
    """What changed from ``before`` to ``after`` (labels in ``after``'s language)."""
    people = (before.coverage.people_with_findings, after.coverage.people_with_findings)
    old, new = before.heatmap, after.heatmap
    themes = []
    for code in _ids(old.code_totals, new.code_totals):
        change = _change(
            code,
            _label(new, old, code, kind="code"),
            old.code_totals.get(code),
            new.code_totals.get(code),
            people,
        )
        if not _reported(change):
            continue
        stages = []
        if change.direction != Direction.NOT_COMPARABLE:
            for stage in _ids(old.stage_totals, new.stage_totals):
                cell = _change(
                    stage,
                    _label(new, old, stage, kind="stage"),
                    _cell(old, stage, code),
                    _cell(new, stage, code),
                    people,
                )
                if cell.change:
                    stages.append(cell)
        themes.append(ThemeChange(**change.model_dump(), stages=stages))
    order = {Direction.ROSE: 0, Direction.FELL: 1, Direction.SAME: 2, Direction.NOT_COMPARABLE: 3}
    themes.sort(key=lambda t: (order[t.direction], -abs(t.share_change or t.change or 0), t.id))
    stage_changes = [
        _change(
            stage,
            _label(new, old, stage, kind="stage"),
            old.stage_totals.get(stage),
            new.stage_totals.get(stage),
            people,
        )
        for stage in _ids(old.stage_totals, new.stage_totals)
    ]
    return Comparison(
        before=before_number,
        after=after_number,
        language=after.language,
        min_people=max(before.min_people, after.min_people),
        people_before=people[0],
        people_after=people[1],
        themes=themes,
        stages=[change for change in stage_changes if _reported(change)],
    )


def _reported(change: Change) -> bool:
    """Whether either version shows someone there: a theme nobody named (or hidden) in both
    says nothing worth a line."""
    return bool(change.before or change.after)


def _ids(old: dict[str, int | None], new: dict[str, int | None]) -> list[str]:
    return list(new) + [key for key in old if key not in new]


def _label(new: Heatmap, old: Heatmap, key: str, *, kind: str) -> str:
    for heat in (new, old):
        for label in heat.codes if kind == "code" else heat.stages:
            if label.id == key:
                return label.label
    return key


def _cell(heat: Heatmap, stage: str, code: str) -> int | None:
    """A cell's people: 0 when the heatmap does not list it (no finding), None when hidden, or
    when its stage or theme is (then its absence says nothing)."""
    if heat.stage_totals.get(stage, 0) is None or heat.code_totals.get(code, 0) is None:
        return None
    cell = heat.cell(stage, code)
    return 0 if cell is None else cell.people


def _change(
    key: str,
    label: str,
    before: int | None,
    after: int | None,
    people: tuple[int | None, int | None],
) -> Change:
    if before is None or after is None:
        return Change(
            id=key,
            label=label,
            before=before,
            after=after,
            change=None,
            share_change=None,
            direction=Direction.NOT_COMPARABLE,
        )
    share = None
    if people[0] and people[1]:
        share = round(100 * (after / people[1] - before / people[0]), 1)
    moved = share if share is not None else after - before
    direction = Direction.ROSE if moved > 0 else Direction.FELL if moved < 0 else Direction.SAME
    return Change(
        id=key,
        label=label,
        before=before,
        after=after,
        change=after - before,
        share_change=share,
        direction=direction,
    )
