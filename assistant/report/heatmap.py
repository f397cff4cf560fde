"""The heatmap's counts (people per value-chain stage and code), and the one table of every
count the report shows beside them, suppressed together.

Every count that shares a total with another is suppressed in one :class:`Disclosure`: the
heatmap, the coverage's groups and the sections by group (:mod:`assistant.report.groups`)
share the themes' and stages' totals and the report's number of people, so a count hidden in
one must not be recoverable through another (a job's cell from the theme's total minus the
other jobs; a site's from the same total minus the other sites).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field

from assistant.report.anonymity import Line, shown
from assistant.report.disclosure import protect
from assistant.report.records import HeatCell, Heatmap, Label
from assistant.schemas import Finding, FindingStatus

Key = Hashable
ALL: Key = ("all", "")
"""People with a finding: the heatmap's total, which coverage shows at the threshold."""


@dataclass
class Disclosure:
    """Counts, how they relate, and what is published anyway; :meth:`protect` says which
    to hide. ``rows`` are totals whose entries are hidden with them (a group not shown)."""

    counts: dict[Key, int] = field(default_factory=dict)
    lines: list[Line[Key]] = field(default_factory=list)
    ceilings: list[tuple[list[Key], int]] = field(default_factory=list)
    orders: list[tuple[list[Key], list[Key]]] = field(default_factory=list)
    fixed: set[Key] = field(default_factory=set)
    below: set[Key] = field(default_factory=set)
    rows: list[tuple[Key, list[Key]]] = field(default_factory=list)

    def publish(self, key: Key, min_people: int) -> None:
        """A total the report states once it reaches the threshold, and otherwise says is
        "fewer than" it."""
        if self.counts[key] >= min_people:
            self.fixed.add(key)
        self.below.add(key)

    def protect(self, min_people: int) -> set[Key]:
        hidden: set[Key] = set()
        while True:
            hidden = protect(
                self.counts,
                self.lines,
                min_people,
                fixed=frozenset(self.fixed),
                ceilings=self.ceilings,
                orders=self.orders,
                below=frozenset(self.below),
                initial=hidden,
            )
            extra = {k for total, entries in self.rows if total in hidden for k in entries}
            if extra <= hidden:
                return hidden
            hidden |= extra


class Tally:
    """People and episodes of one heatmap cell."""

    def __init__(self) -> None:
        self.people: set[str] = set()
        self.episodes: set[tuple[str, str]] = set()
        self.drafts = False


class HeatmapCounts:
    """People per (stage, code), per stage, per code, and in all."""

    def __init__(
        self,
        findings: Sequence[Finding],
        people_of: dict[str, str],
        stage_ids: Sequence[str],
        code_ids: Sequence[str],
        episode_of: Callable[[Finding], tuple[str, str]],
    ) -> None:
        self.cells: dict[tuple[str, str], Tally] = defaultdict(Tally)
        stage_people: dict[str, set[str]] = defaultdict(set)
        code_people: dict[str, set[str]] = defaultdict(set)
        for finding in findings:
            person = people_of[finding.interview_id]
            tally = self.cells[(finding.value_chain_stage, finding.code)]
            tally.people.add(person)
            tally.episodes.add(episode_of(finding))
            tally.drafts |= finding.status == FindingStatus.PROPOSED
            stage_people[finding.value_chain_stage].add(person)
            code_people[finding.code].add(person)
        self.stages = ordered(stage_ids, stage_people)
        self.codes = ordered(code_ids, code_people)
        self.stage_people = stage_people
        self.code_people = code_people
        self.findings_of: Counter[str] = Counter(finding.code for finding in findings)
        self.findings = len(findings)

    def add_to(self, table: Disclosure, min_people: int) -> None:
        stages, codes = self.stages, self.codes
        counts = table.counts
        for stage in stages:
            for code in codes:
                counts[(stage, code)] = len(self.cells[(stage, code)].people)
        counts |= {("stage", s): len(self.stage_people[s]) for s in stages}
        counts |= {("code", c): len(self.code_people[c]) for c in codes}
        counts[ALL] = len(set().union(*self.stage_people.values()))
        table.lines += [Line([(s, c) for c in codes], ("stage", s)) for s in stages]
        table.lines += [Line([(s, c) for s in stages], ("code", c)) for c in codes]
        table.lines.append(Line([("stage", s) for s in stages], ALL))
        table.lines.append(Line([("code", c) for c in codes], ALL))
        # What else the report shows about these cells: each theme's number of findings, and
        # the report's, bound the sums of their cells' people.
        table.ceilings += [([(s, c) for s in stages], self.findings_of[c]) for c in codes]
        table.ceilings.append(([(s, c) for s in stages for c in codes], self.findings))
        table.publish(ALL, min_people)

    def shown(
        self,
        hidden: set[Key],
        stage_label: Callable[[str], str],
        code_label: Callable[[str], str],
    ) -> Heatmap:
        # Cells with findings, and the empty ones hidden with them (so that "fewer than k"
        # may be none: see assistant.report.anonymity).
        listed = sorted(
            {key for key, tally in self.cells.items() if tally.people}
            | {key for key in hidden if isinstance(key, tuple) and key[0] in self.stages}
        )
        cells = []
        for stage, code in listed:
            tally = self.cells[(stage, code)]
            cells.append(
                HeatCell(
                    stage=stage,
                    code=code,
                    people=shown(len(tally.people), (stage, code), hidden),
                    episodes=shown(len(tally.episodes), (stage, code), hidden),
                    drafts=tally.drafts,
                )
            )
        return Heatmap(
            stages=[Label(id=s, label=stage_label(s)) for s in self.stages],
            codes=[Label(id=c, label=code_label(c)) for c in self.codes],
            cells=cells,
            stage_totals={
                s: shown(len(self.stage_people[s]), ("stage", s), hidden) for s in self.stages
            },
            code_totals={
                c: shown(len(self.code_people[c]), ("code", c), hidden) for c in self.codes
            },
        )


def ordered(known: Sequence[str], present: Iterable[str]) -> list[str]:
    """The codebook's ids in order, then any id findings use that the codebook lacks."""
    return list(known) + sorted(set(present) - set(known))
