"""The report by group: people per theme, per value-chain stage and per exposure to automation,
in each job and each site large enough, and the coverage's people per job and per site.

A group is an interview's profile value (``InterviewProfile.role`` or ``.site``, copied from
the account when the interview started); no value is a group of its own, "unknown". A person
counts in a group's cell when one of their interviews in that group has a finding there.

Every count here is suppressed in the report's one :class:`~assistant.report.heatmap.Disclosure`
with the heatmap, whose totals are these tables' totals: a theme's people is the sum (or, when
someone has findings in several groups, at most the sum) of its people in each job, and again
of its people in each site. A group whose people are hidden is left out whole, its cells
hidden with it. Quotes are never shown by group: a quote under a job and a site would narrow
down who said it far more than the threshold on counts allows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence

from assistant.report.anonymity import Line
from assistant.report.heatmap import ALL, Disclosure, HeatmapCounts, Key
from assistant.report.records import (
    UNKNOWN,
    GroupCount,
    GroupRow,
    GroupTable,
    GroupView,
    InterviewProfile,
    Label,
)
from assistant.schemas import AutomationExposure, Finding, Interview

DIMENSIONS = ("role", "site")
EXPOSURES = (*(e.value for e in AutomationExposure), UNKNOWN)
INTERVIEWED: Key = ("interviewed", "")
"""The report's number of people (interviewed): coverage's, shown at the threshold."""
_KINDS = ("code", "stage", "exposure")
_NO_PROFILE = InterviewProfile()


def exposure_of(finding: Finding) -> str:
    return finding.automation_exposure.value if finding.automation_exposure else UNKNOWN


class GroupCounts:
    """The counts by group of each dimension the profiles give."""

    def __init__(
        self,
        interviews: Sequence[Interview],
        findings: Sequence[Finding],
        profiles: Mapping[str, InterviewProfile],
        people_of: Mapping[str, str],
        heat: HeatmapCounts,
    ) -> None:
        self.heat = heat
        self.columns = {"code": heat.codes, "stage": heat.stages, "exposure": list(EXPOSURES)}
        self.everyone = set(people_of.values())
        self.group_of: dict[str, dict[str, str]] = {}
        self.interviewed: dict[str, dict[str, set[str]]] = {}
        for dimension in DIMENSIONS:
            group_of = {
                i.id: getattr(profiles.get(i.id, _NO_PROFILE), dimension) or UNKNOWN
                for i in interviews
            }
            members: dict[str, set[str]] = defaultdict(set)
            for interview in interviews:
                members[group_of[interview.id]].add(people_of[interview.id])
            if set(members) - {UNKNOWN}:  # a dimension nobody has says nothing
                self.group_of[dimension] = group_of
                self.interviewed[dimension] = dict(members)
        self.cells: dict[Key, set[str]] = defaultdict(set)
        self.with_findings: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.exposed: dict[str, set[str]] = defaultdict(set)
        for finding in findings:
            person = people_of[finding.interview_id]
            self.exposed[exposure_of(finding)].add(person)
            for dimension, group_of in self.group_of.items():
                group = group_of[finding.interview_id]
                self.with_findings[(dimension, group)].add(person)
                for kind, column in (
                    ("code", finding.code),
                    ("stage", finding.value_chain_stage),
                    ("exposure", exposure_of(finding)),
                ):
                    self.cells[_cell(dimension, group, kind, column)].add(person)

    def add_to(self, table: Disclosure, min_people: int) -> None:
        if not self.interviewed:  # no group: the heatmap's counts are suppressed alone
            return
        counts = table.counts
        counts[INTERVIEWED] = len(self.everyone)
        table.publish(INTERVIEWED, min_people)
        table.orders.append(([ALL], [INTERVIEWED]))
        counts |= {("exposure", e): len(self.exposed[e]) for e in EXPOSURES}
        table.lines.append(Line([("exposure", e) for e in EXPOSURES], ALL))
        for dimension, members in self.interviewed.items():
            groups = sorted(members)
            counts |= {("interviewed", dimension, g): len(members[g]) for g in groups}
            table.lines.append(Line([("interviewed", dimension, g) for g in groups], INTERVIEWED))
            table.lines.append(Line([_people(dimension, g) for g in groups], ALL))
            for group in groups:
                counts[_people(dimension, group)] = len(self.with_findings[(dimension, group)])
                table.orders.append(
                    ([_people(dimension, group)], [("interviewed", dimension, group)])
                )
                entries: list[Key] = []
                for kind in _KINDS:
                    row = [_cell(dimension, group, kind, c) for c in self.columns[kind]]
                    for key in row:
                        counts[key] = len(self.cells[key])
                    table.lines.append(Line(row, _people(dimension, group)))
                    entries += row
                table.rows.append((_people(dimension, group), entries))
            for kind in _KINDS:
                for column in self.columns[kind]:
                    cells = [_cell(dimension, g, kind, column) for g in groups]
                    table.lines.append(Line(cells, (kind, column)))
                    if kind == "code":  # a finding is in one group: its theme's count bounds
                        table.ceilings.append((cells, self.heat.findings_of[column]))

    def coverage(
        self, dimension: str, hidden: set[Key], redact: Callable[[str], str]
    ) -> list[GroupCount]:
        """The people interviewed in each group shown, most first."""
        members = self.interviewed.get(dimension, {})
        shown = [
            GroupCount(label=redact(group), people=len(people))
            for group, people in members.items()
            if ("interviewed", dimension, group) not in hidden
        ]
        return sorted(shown, key=lambda g: (-g.people, g.label))

    def hidden_groups(self, hidden: set[Key]) -> int:
        return sum(
            1
            for dimension, members in self.interviewed.items()
            for group in members
            if ("interviewed", dimension, group) in hidden
        )

    def views(
        self,
        hidden: set[Key],
        labels: Mapping[str, Callable[[str], str]],
        redact: Callable[[str], str],
    ) -> tuple[list[GroupView], int]:
        """The dimensions with a group shown, and how many groups were left out."""
        views: list[GroupView] = []
        left_out = 0
        for dimension, members in self.interviewed.items():
            groups = [
                g
                for g in sorted(members)
                if _people(dimension, g) not in hidden and self.with_findings[(dimension, g)]
            ]
            left_out += len(members) - len(groups)
            if not groups:
                continue
            groups.sort(key=lambda g: (-len(self.with_findings[(dimension, g)]), g))

            def table(
                kind: str, dimension: str = dimension, groups: list[str] = groups
            ) -> GroupTable:
                columns = self.columns[kind]
                return GroupTable(
                    columns=[Label(id=c, label=labels[kind](c)) for c in columns],
                    rows=[
                        GroupRow(
                            label=redact(g),
                            people=len(self.with_findings[(dimension, g)]),
                            cells={
                                c: _shown(self.cells, _cell(dimension, g, kind, c), hidden)
                                for c in columns
                            },
                        )
                        for g in groups
                    ],
                    totals={
                        c: None if (kind, c) in hidden else self._total(kind, c) for c in columns
                    },
                    people=None if ALL in hidden else len(set().union(*self.exposed.values())),
                )

            views.append(
                GroupView(
                    dimension=dimension,
                    themes=table("code"),
                    stages=table("stage"),
                    exposure=table("exposure"),
                )
            )
        return views, left_out

    def _total(self, kind: str, column: str) -> int:
        if kind == "code":
            return len(self.heat.code_people[column])
        if kind == "stage":
            return len(self.heat.stage_people[column])
        return len(self.exposed[column])


def _people(dimension: str, group: str) -> Key:
    return ("with_findings", dimension, group)


def _cell(dimension: str, group: str, kind: str, column: str) -> Key:
    return ("group", dimension, group, kind, column)


def _shown(cells: Mapping[Key, set[str]], key: Key, hidden: set[Key]) -> int | None:
    return None if key in hidden else len(cells.get(key, ()))
