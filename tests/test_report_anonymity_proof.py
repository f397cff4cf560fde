"""Anonymity proven on generated tables: nothing the report shows pins down a hidden count.

Hypothesis generates people, each with findings placed in (value-chain stage, code) cells and
with an activity, an exposure to automation and a role; the real :class:`SectionBuilder` builds
the report's sections from them. From what those sections show, and only that, an integer
linear program (scipy's ``milp``) computes the smallest and the largest value each hidden count
could take.

**What the attacker knows.** Every figure shown; that a cell listed in the heatmap but hidden
covers at least one person (cells with no finding are not listed: they are zero), and so does
any hidden total (zeros are never hidden); that the report's number of people, when hidden,
is below the threshold ``k`` (it is hidden only then); and how the counts relate:

- *additive tables* (each person has one finding, so a total is the sum of its members): the
  attacker uses each total as the exact sum of its members. This is the cautious reading the
  suppression is designed against (:mod:`assistant.report.anonymity`);
- *general tables* (a person may have findings in several cells): totals count distinct people,
  so the attacker only has the inequalities that always hold: a member is at most its total, a
  total at most the sum of its members, and a theme's number of findings bounds the sum of its
  cells' people.

**What counts as a leak.** A hidden count whose true value ``v`` is below the threshold
(``1 <= v < k``: a count the rule protects) is *pinned* when the smallest and largest values it
can take, over all integer tables consistent with what is shown and with the relations above,
are equal. No hidden count may be pinned. (That a hidden count lies between 1 and ``k - 1`` is
what the report itself says: "fewer than k". Counts of ``k`` or more hidden as complements may
be worked out: they could have been shown.)

**Groups.** Each person also has a job and a site; the report's sections by group (people per
theme, stage and exposure in each job and each site shown, with everyone's totals) and its
coverage (people per job and per site) join the heatmap in one system: they share its totals,
so a hidden job's count must not follow from a theme's total minus the jobs shown, nor from
the sites' breakdown of the same total. The attacker knows every job and site there is; a
group not shown may hold anyone or no one. With complementary suppression switched off (only
the small counts and their zeros hidden), the bounds find the hidden job: see
``test_without_complementary_suppression_a_job_is_given_away``.

Examples per run: ``EXAMPLES`` (80) for each property below (derandomised, so that a run is
reproducible). The whole module took 970 s on a shared 2-core machine under a load of about 20
(`pytest tests/test_report_anonymity_proof.py --durations=10`); it is marked by nothing, so it
runs with the fast suite.

Status: the properties found pinned counts in main's report (two hidden ones beside shown
zeros, a report under the threshold listing its cells, unsuppressed language counts, exposure
rows of ones), now fixed; and, in the heatmap, a pin through a chain of several lines, which
line-wise suppression cannot see, now closed by the report's own audit
(:mod:`assistant.report.disclosure`, the same kind of integer bounds).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from assistant.findings.codebook import Codebook, load_codebook
from assistant.report.anonymity import Line, suppress
from assistant.report.groups import EXPOSURES
from assistant.report.records import InterviewProfile
from assistant.report.sections import SectionBuilder, Sections
from assistant.schemas import (
    AutomationExposure,
    Finding,
    FindingStatus,
    Interview,
    Provenance,
    Quote,
)

EXAMPLES = 80
NOW = datetime(2026, 12, 4, tzinfo=UTC)
CODEBOOK: Codebook = load_codebook()
STAGES = CODEBOOK.stage_ids[:3]
CODES = CODEBOOK.code_ids[:4]
ACTIVITIES = ("toilette", "visite")
ROLES = ("auxiliaire", "infirmière", "coordinatrice")
SITES = ("Valence", "Crest")
LANGUAGES = ("fr", "en")
SIZES = (0, 0, 1, 1, 1, 2, 2, 3, 4, 5, 6, 7, 9, 12)
Key = Hashable


@dataclass
class System:
    """What is shown, as an attacker would write it down: known values, hidden unknowns, and
    linear relations between them (each a dict key → coefficient, ``== 0`` or ``<= 0``)."""

    known: dict[Key, int] = field(default_factory=dict)
    hidden: dict[Key, int] = field(default_factory=dict)  # the true values, to judge with
    upper: dict[Key, int] = field(default_factory=dict)
    lower: dict[Key, int] = field(default_factory=dict)  # else 1
    equal: list[dict[Key, int]] = field(default_factory=list)
    at_most: list[dict[Key, int]] = field(default_factory=list)

    def value(self, key: Key, shown: int | None, true: int) -> None:
        if shown is None:
            self.hidden[key] = true
        else:
            assert shown == true
            self.known[key] = shown

    def sum_is(self, total: Key, members: Sequence[Key]) -> None:
        self.equal.append(_combine({total: 1}, {m: -1 for m in members}))

    def below(self, small: Sequence[Key], large: Sequence[Key]) -> None:
        """sum(small) <= sum(large)."""
        self.at_most.append(_combine({k: 1 for k in small}, {k: -1 for k in large}))

    def _program(self) -> tuple[list[Key], list[LinearConstraint], Bounds]:
        variables = list(self.hidden)
        index = {key: i for i, key in enumerate(variables)}
        constraints = []
        for rows, lower in ((self.equal, 0.0), (self.at_most, -np.inf)):
            for row in rows:
                coefficients = np.zeros(len(variables))
                constant = 0.0
                for key, weight in row.items():
                    if key in index:
                        coefficients[index[key]] += weight
                    else:
                        constant += weight * self.known[key]
                if coefficients.any():
                    constraints.append(LinearConstraint(coefficients, lower - constant, -constant))
        highest = [float(self.upper.get(key, np.inf)) for key in variables]
        lowest = [float(self.lower.get(key, 1)) for key in variables]
        return variables, constraints, Bounds(np.array(lowest), np.array(highest))

    def solve(self, key: Key, sign: float) -> dict[Key, float]:
        """A table consistent with what is shown, with ``key`` as small (``sign`` 1) or as
        large (-1) as it can be; ``key`` infinite when it has no largest value."""
        variables, constraints, bounds = self._program()
        goal = np.zeros(len(variables))
        goal[variables.index(key)] = sign
        result = milp(
            goal, integrality=np.ones(len(variables)), bounds=bounds, constraints=constraints
        )
        if result.status == 3:  # unbounded: the largest value has no limit
            return {key: math.inf}
        assert result.status == 0, (result.message, self)  # the true table is feasible
        return {k: float(round(value)) for k, value in zip(variables, result.x, strict=True)}

    def extreme(self, key: Key, sign: float) -> float:
        """The smallest (``sign`` 1) or largest (-1) integer value ``key`` can take."""
        return self.solve(key, sign)[key]

    def shown_below(self, k: int) -> list[tuple[Key, int]]:
        """Counts shown though they cover fewer than ``k`` people (but some)."""
        return [(key, value) for key, value in self.known.items() if 0 < value < k]

    def pinned(self, k: int) -> list[tuple[Key, int]]:
        """The hidden counts below ``k`` whose smallest and largest values are their own.

        Each table solved is one the attacker cannot rule out: any hidden count it gives
        another value than its true one is free, and needs no program of its own."""
        at_risk = {key: true for key, true in self.hidden.items() if 1 <= true < k}
        free: set[Key] = set()
        for key in at_risk:
            for sign in (-1.0, 1.0):
                if key in free:
                    break
                table = self.solve(key, sign)
                free |= {other for other, value in table.items() if value != self.hidden[other]}
        return [(key, true) for key, true in at_risk.items() if key not in free]


def _combine(*parts: dict[Key, int]) -> dict[Key, int]:
    result: dict[Key, int] = defaultdict(int)
    for part in parts:
        for key, weight in part.items():
            result[key] += weight
    return dict(result)


# ----------------------------------------------------------------------- generated tables


@dataclass(frozen=True)
class Person:
    cells: frozenset[tuple[str, str]]
    activity: str
    exposure: AutomationExposure | None
    role: str
    language: str
    site: str = "Valence"


def build(people: Sequence[Person], k: int) -> Sections:
    interviews, findings, profiles = [], [], {}
    for number, person in enumerate(people):
        interview = Interview(
            id=f"iv{number}",
            pseudonym=f"P-{number}",
            language=person.language,
            owner_key=f"owner:{number}",
            created_at=NOW,
            updated_at=NOW,
        )
        interviews.append(interview)
        profiles[interview.id] = InterviewProfile(role=person.role, site=person.site)
        for stage, code in sorted(person.cells):
            findings.append(
                Finding(
                    id=f"f{number}-{stage}-{code}",
                    interview_id=interview.id,
                    code=code,
                    activity=person.activity,
                    value_chain_stage=stage,
                    evidence=[Quote(text="oui", turn_index=1, start=0, end=3)],
                    automation_exposure=person.exposure,
                    status=FindingStatus.ACCEPTED,
                    provenance=Provenance(created_at=NOW),
                    updated_at=NOW,
                )
            )
    builder = SectionBuilder(CODEBOOK, "fr", k, 10**6, 0, lambda s: s, lambda s: s)
    return builder.build(interviews, findings, profiles)


def _person(draw: st.DrawFn, cells: frozenset[tuple[str, str]]) -> Person:
    return Person(
        cells=cells,
        activity=draw(st.sampled_from(ACTIVITIES)),
        exposure=draw(st.sampled_from([*AutomationExposure, None])),
        role=draw(st.sampled_from(ROLES)),
        language=draw(st.sampled_from(LANGUAGES)),
        site=draw(st.sampled_from(SITES)),
    )


@st.composite
def additive_tables(draw: st.DrawFn) -> list[Person]:
    """People with one finding each: every total is the sum of its members."""
    people = []
    for stage in STAGES:
        for code in CODES:
            for _ in range(draw(st.sampled_from(SIZES))):
                people.append(_person(draw, frozenset({(stage, code)})))
    return people


@st.composite
def general_tables(draw: st.DrawFn) -> list[Person]:
    """People with findings in one to three cells."""
    cell = st.tuples(st.sampled_from(STAGES), st.sampled_from(CODES))
    cells = st.frozensets(cell, min_size=1, max_size=3)
    return [_person(draw, draw(cells)) for _ in range(draw(st.integers(0, 30)))]


# ----------------------------------------------------------------- what the sections show


def heatmap_system(people: Sequence[Person], sections: Sections, k: int, additive: bool) -> System:
    heat = sections.heatmap
    stages = [label.id for label in heat.stages]
    codes = [label.id for label in heat.codes]
    in_cell: dict[tuple[str, str], set[int]] = defaultdict(set)
    for number, person in enumerate(people):
        for cell in person.cells:
            in_cell[cell].add(number)
    system = System()
    listed = {(cell.stage, cell.code): cell.people for cell in heat.cells}
    for stage in stages:
        for code in codes:
            true = len(in_cell[(stage, code)])
            system.value(("cell", stage, code), listed.get((stage, code), 0), true)
    for stage in stages:
        true = len(set().union(*(in_cell[(stage, c)] for c in codes)))
        system.value(("stage", stage), heat.stage_totals[stage], true)
    for code in codes:
        true = len(set().union(*(in_cell[(s, code)] for s in stages)))
        system.value(("code", code), heat.code_totals[code], true)
    everyone = len({n for members in in_cell.values() for n in members})
    system.value(("all",), sections.coverage.people, everyone)
    if sections.coverage.people is None:  # "fewer than k", maybe none
        system.upper[("all",)] = k - 1  # and maybe none: its lower bound stays 0
    row = {s: [("cell", s, c) for c in codes] for s in stages}
    column = {c: [("cell", s, c) for s in stages] for c in codes}
    lines: list[tuple[Key, list[Key]]] = [(("stage", s), list(row[s])) for s in stages]
    lines += [(("code", c), list(column[c])) for c in codes]
    lines += [(("all",), [("stage", s) for s in stages]), (("all",), [("code", c) for c in codes])]
    for total, members in lines:
        _maybe_zero(system, [total, *members])
        if additive:
            system.sum_is(total, members)
        else:
            system.below([total], members)
            for member in members:
                system.below([member], [total])
    if not additive:
        # A theme shows its number of findings, the coverage the report's: each finding is
        # one person's in one cell, so they bound the sums of the cells' people.
        for theme in sections.themes:
            system.known[("findings", theme.code)] = theme.findings
            system.below(column[theme.code], [("findings", theme.code)])
        if sections.coverage.findings is not None:
            system.known[("findings",)] = sections.coverage.findings
            system.below([key for cells in row.values() for key in cells], [("findings",)])
    return system


def automation_systems(people: Sequence[Person], sections: Sections) -> list[System]:
    """Each activity's row: people by exposure, and the row's total (shown)."""
    systems = []
    for row in sections.automation:
        members = [p for p in people if p.activity == row.activity]
        system = System()
        system.known["total"] = row.people
        for exposure in EXPOSURES:
            true = sum(
                1 for p in members if (p.exposure.value if p.exposure else "unknown") == exposure
            )
            system.value(exposure, row.exposure[exposure], true)
        _maybe_zero(system, list(EXPOSURES))
        system.sum_is("total", list(EXPOSURES))
        systems.append(system)
    return systems


def groups_system(
    people: Sequence[Person], sections: Sections, k: int, names: Sequence[str], kind: str
) -> System:
    """People by role (or language), the attacker knowing every name there is: a name not
    listed is hidden, or nobody's."""
    system = System()
    if kind == "roles":
        listed = {group.label: group.people for group in sections.coverage.roles}
    else:
        listed = dict(sections.coverage.languages)
    for name in names:
        true = sum(1 for p in people if getattr(p, kind[:-1]) == name)
        system.value(name, listed.get(name), true)
        system.lower[name] = 0
    system.value("all", sections.coverage.people, len(people))
    if sections.coverage.people is None:
        system.lower["all"], system.upper["all"] = 0, k - 1
    system.sum_is("all", list(names))
    return system


def group_tables_system(
    people: Sequence[Person], sections: Sections, k: int, additive: bool
) -> System:
    """The heatmap's system, and what the sections by job and by site show beside it: each
    group's people with a finding and its people per theme, stage and exposure (the groups
    left out: unknown, maybe none), everyone's per exposure, and the coverage's people per
    group. The attacker knows every job and site there is."""
    system = heatmap_system(people, sections, k, additive)
    views = {view.dimension: view for view in sections.groups}
    columns = {
        "code": [label.id for label in sections.heatmap.codes],
        "stage": [label.id for label in sections.heatmap.stages],
        "exposure": list(EXPOSURES),
    }
    totals: dict[str, Key] = {"code": "code", "stage": "stage", "exposure": "exposure"}

    def values(person: Person, kind: str) -> set[str]:
        if kind == "code":
            return {code for _, code in person.cells}
        if kind == "stage":
            return {stage for stage, _ in person.cells}
        return {person.exposure.value if person.exposure else "unknown"}

    for kind in ("exposure",):
        shown_totals = next(iter(views.values())).exposure.totals if views else {}
        for exposure in EXPOSURES:
            true = sum(1 for p in people if exposure in values(p, kind))
            system.value(("exposure", exposure), shown_totals.get(exposure), true)
            system.lower.setdefault(("exposure", exposure), 0)
        members: list[Key] = [("exposure", e) for e in EXPOSURES]
        _relate(system, ("all",), members, additive)
    for dimension, names in (("role", ROLES), ("site", SITES)):
        view = views.get(dimension)
        listed = {
            group.label: group.people
            for group in (
                sections.coverage.roles if dimension == "role" else sections.coverage.sites
            )
        }
        tables = (
            {"code": view.themes, "stage": view.stages, "exposure": view.exposure} if view else {}
        )
        rows = {kind: {row.label: row for row in table.rows} for kind, table in tables.items()}
        for name in names:
            members_of = [p for p in people if getattr(p, dimension) == name]
            shown_row = rows.get("code", {}).get(name)
            people_key = ("with", dimension, name)
            system.value(people_key, shown_row.people if shown_row else None, len(members_of))
            system.value(("cov", dimension, name), listed.get(name), len(members_of))
            system.lower.setdefault(people_key, 0)
            system.lower.setdefault(("cov", dimension, name), 0)
            system.below([people_key], [("cov", dimension, name)])
            for kind in ("code", "stage", "exposure"):
                row = rows.get(kind, {}).get(name)
                keys: list[Key] = []
                for column in columns[kind]:
                    key = ("group", dimension, name, kind, column)
                    true = sum(1 for p in members_of if column in values(p, kind))
                    system.value(key, row.cells.get(column) if row else None, true)
                    keys.append(key)
                _relate(system, people_key, keys, additive)
        for kind in ("code", "stage", "exposure"):
            for column in columns[kind]:
                cells: list[Key] = [("group", dimension, n, kind, column) for n in names]
                _relate(system, (totals[kind], column), cells, additive)
                if kind == "code" and not additive and ("findings", column) in system.known:
                    system.below(cells, [("findings", column)])
        _relate(system, ("all",), [("with", dimension, n) for n in names], additive)
        _relate(system, ("all",), [("cov", dimension, n) for n in names], additive)
        # A group the report does not show may not exist: none of its counts is known to be
        # one or more, whatever zeros are shown beside them.
        for name in names:
            if name not in rows.get("code", {}):
                for hidden_key in system.hidden:
                    if isinstance(hidden_key, tuple) and hidden_key[1:3] == (dimension, name):
                        system.lower[hidden_key] = 0
    return system


def _relate(system: System, total: Key, members: Sequence[Key], additive: bool) -> None:
    _maybe_zero(system, [total, *members])
    if additive:
        system.sum_is(total, members)
    else:
        system.below([total], members)
        for member in members:
            system.below([member], [total])


def _maybe_zero(system: System, entries: Sequence[Key]) -> None:
    """A hidden entry is known to be one or more only where its line shows a zero: a report
    that hides the zeros of every line hiding something (zeros shown there prove it does not)
    leaves its hidden counts possibly zero."""
    if any(system.known.get(key) == 0 for key in entries):
        for key in entries:
            if key in system.hidden and key != ("all",):  # hidden by coverage, maybe none
                system.lower[key] = max(system.lower.get(key, 0), 1)
    for key in entries:
        system.lower.setdefault(key, 0)


# ----------------------------------------------------------------------------- properties

RUN = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Each group example solves the attacker's integer programmes for every job and site besides the
# heatmap's: fewer examples keep the suite's time, the same derandomized ones every run.
GROUPS_RUN = settings(RUN, max_examples=EXAMPLES // 2)


@pytest.mark.slow
@RUN
@given(people=additive_tables(), k=st.integers(2, 6))
def test_no_small_count_is_shown_or_pinned_in_rows_and_groups(people: list[Person], k: int) -> None:
    sections = build(people, k)
    heatmap = heatmap_system(people, sections, k, additive=True)
    assert heatmap.shown_below(k) == []
    systems = [
        *automation_systems(people, sections),
        groups_system(people, sections, k, ROLES, "roles"),
        groups_system(people, sections, k, LANGUAGES, "languages"),
    ]
    for system in systems:
        assert system.shown_below(k) == []
        assert system.pinned(k) == []


@pytest.mark.slow
@settings(RUN, phases=[Phase.explicit, Phase.reuse, Phase.generate])  # no shrinking
@given(people=additive_tables(), k=st.integers(2, 6))
def test_no_hidden_heatmap_count_is_pinned_when_totals_are_sums(
    people: list[Person], k: int
) -> None:
    sections = build(people, k)
    assert heatmap_system(people, sections, k, additive=True).pinned(k) == []


@pytest.mark.slow
@RUN
@given(people=general_tables(), k=st.integers(2, 6))
def test_no_hidden_count_is_pinned_when_people_sit_in_several_cells(
    people: list[Person], k: int
) -> None:
    sections = build(people, k)
    assert heatmap_system(people, sections, k, additive=False).pinned(k) == []


def test_the_bounds_find_a_pinned_count_where_there_is_one() -> None:
    """The audit is not blind: two hidden ones beside a shown zero, under a shown total, are
    both 1 (what the line rule alone allowed); hiding the zero with them leaves them open."""
    counts = {"a": 1, "b": 1, "c": 9, "d": 0, "total": 11}
    members = ["a", "b", "c", "d"]

    def pinned(hidden: set[str]) -> list[tuple[Key, int]]:
        system = System()
        for key, value in counts.items():
            system.value(key, None if key in hidden else value, value)
        _maybe_zero(system, [*members, "total"])
        system.sum_is("total", members)
        return sorted(system.pinned(5), key=str)

    assert pinned({"a", "b"}) == [("a", 1), ("b", 1)]
    hidden = suppress(counts, [Line(members, "total")], 5, fixed=frozenset({"total"}))
    assert hidden == {"a", "b", "d"}
    assert pinned(hidden) == []


def test_a_pin_through_a_chain_of_lines_is_protected() -> None:
    """Found by a random search over additive tables (14 of 150 tables had a pinned count
    after line-wise suppression alone, 54 of 150 before it): here, with k = 2, line-wise
    suppression left follow-up × care (1 person) pinned, because moving its person anywhere
    else forces the service-delivery row below the 3 it shows. The audit
    (:mod:`assistant.report.disclosure`) sees the chain and hides one more cell."""
    table = {
        ("reception_intake", "care"): 9,
        ("reception_intake", "exemplarity"): 2,
        ("reception_intake", "experience_sharing"): 4,
        ("reception_intake", "empathy"): 2,
        ("service_delivery", "care"): 3,
        ("service_delivery", "exemplarity"): 1,
        ("service_delivery", "experience_sharing"): 1,
        ("follow_up", "care"): 1,
        ("follow_up", "exemplarity"): 2,
        ("follow_up", "experience_sharing"): 2,
    }
    people = [
        Person(frozenset({cell}), "toilette", None, "auxiliaire", "fr")
        for cell, size in table.items()
        for _ in range(size)
    ]
    sections = build(people, 2)
    assert heatmap_system(people, sections, 2, additive=True).pinned(2) == []


@pytest.mark.slow
@settings(GROUPS_RUN, phases=[Phase.explicit, Phase.reuse, Phase.generate])  # no shrinking
@given(people=additive_tables(), k=st.integers(2, 6))
def test_no_hidden_count_by_job_or_site_is_pinned_when_totals_are_sums(
    people: list[Person], k: int
) -> None:
    sections = build(people, k)
    system = group_tables_system(people, sections, k, additive=True)
    assert system.shown_below(k) == []
    assert system.pinned(k) == []


@pytest.mark.slow
@settings(GROUPS_RUN, phases=[Phase.explicit, Phase.reuse, Phase.generate])  # no shrinking
@given(people=general_tables(), k=st.integers(2, 6))
def test_no_hidden_count_by_job_or_site_is_pinned_when_people_sit_in_several_cells(
    people: list[Person], k: int
) -> None:
    sections = build(people, k)
    system = group_tables_system(people, sections, k, additive=False)
    assert system.shown_below(k) == []
    assert system.pinned(k) == []


def test_without_complementary_suppression_a_job_is_given_away(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The property is not blind: six carers and one coordinator, all in one cell. Hiding only
    the coordinator's counts (primary suppression) leaves the theme's total (7) beside the
    carers' (6): the coordinator is 1, and the bounds say so; the report hides more."""
    people = [
        Person(frozenset({(STAGES[0], CODES[0])}), "toilette", None, role, "fr", "Valence")
        for role in ["auxiliaire"] * 6 + ["coordinatrice"] + ["infirmière"] * 5
    ]
    protected = group_tables_system(people, build(people, 5), 5, additive=True)
    assert protected.pinned(5) == []

    def primary_only(
        counts: dict[Key, int],
        lines: Sequence[Line[Key]],
        *_: object,
        initial: frozenset[Key] = frozenset(),
        **__: object,
    ) -> set[Key]:
        """Small counts hidden, and the zeros beside them; nothing hidden to protect them."""
        hidden = {key for key, value in counts.items() if 0 < value < 5} | set(initial)
        while zeros := {
            key
            for line in lines
            if any(k in hidden for k in (*line.members, line.total))
            for key in (*line.members, line.total)
            if counts[key] == 0 and key not in hidden
        }:
            hidden |= zeros
        return hidden

    monkeypatch.setattr("assistant.report.heatmap.protect", primary_only)
    exposed = group_tables_system(people, build(people, 5), 5, additive=True)
    assert ("group", "role", "coordinatrice", "code", CODES[0]) in dict(exposed.pinned(5))
