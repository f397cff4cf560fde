"""An audit of what a suppressed table gives away, by integer linear bounds.

Line-wise complementary suppression (:mod:`assistant.report.anonymity`) makes sure no single
line hides exactly one entry, but a hidden count can still be pinned through a *chain* of lines:
moving its people to any other hidden cell forces some other line below what it shows. This
module looks for such pins the way an attacker would, and :func:`protect` hides one more entry
at a time until none is left.

**The attacker model.** The attacker knows every count shown and which are hidden, and:

- the relation between each line's members and its total: where the total *is* the sum of its
  members (nobody counted in two of them), the exact sum; otherwise only what always holds for
  counts of distinct people, each member at most the total and the total at most the sum of
  the members;
- ``ceilings``: sums of counts known to be at most a shown number (a theme's number of
  findings bounds its cells' people);
- ``orders``: sums of counts known to be at most other sums (a group's people with a finding
  are at most its people interviewed, whether either is shown or hidden);
- that a hidden entry is one or more when a line it belongs to shows a zero (zeros are hidden
  with the rest of a line, so a shown zero says its hidden neighbours are not empty), and zero
  or more otherwise;
- that the entries in ``below`` are under the threshold when hidden (the report says "fewer
  than k" of its number of people).

A hidden count of ``v`` people, ``1 <= v < k``, is *pinned* when the smallest and the largest
integer values it can take, over all tables consistent with that knowledge, are both ``v``.
Counts of ``k`` or more hidden only to protect others may be worked out: they could have been
shown. ``tests/test_report_anonymity_proof.py`` checks, on generated tables, the same property
on the sections the report shows.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Generic, TypeVar

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from assistant.report.anonymity import Line, suppress

K = TypeVar("K", bound=Hashable)


def pinned(
    counts: Mapping[K, int],
    lines: Sequence[Line[K]],
    hidden: set[K],
    min_people: int,
    *,
    ceilings: Sequence[tuple[Sequence[K], int]] = (),
    orders: Sequence[tuple[Sequence[K], Sequence[K]]] = (),
    below: frozenset[K] = frozenset(),
) -> list[K]:
    """The hidden keys whose count (below ``min_people``, above zero) can be worked out."""
    at_risk = sorted((key for key in hidden if 0 < counts[key] < min_people), key=repr)
    if not at_risk:
        return []
    program = _Program(counts, lines, hidden, min_people, ceilings, orders, below)
    open_keys = set(at_risk)
    found: list[K] = []
    for key in at_risk:
        for sign in (-1.0, 1.0):  # the largest value, then the smallest
            if key not in open_keys:
                break
            solution = program.solve(key, sign)
            # Any table the attacker cannot rule out frees every count it moves.
            open_keys -= {k for k, value in solution.items() if value != counts[k]}
        if key in open_keys:
            found.append(key)
    return found


def protect(
    counts: Mapping[K, int],
    lines: Sequence[Line[K]],
    min_people: int,
    *,
    fixed: frozenset[K] = frozenset(),
    ceilings: Sequence[tuple[Sequence[K], int]] = (),
    orders: Sequence[tuple[Sequence[K], Sequence[K]]] = (),
    below: frozenset[K] = frozenset(),
    initial: set[K] | frozenset[K] = frozenset(),
) -> set[K]:
    """Line-wise suppression, then one more hidden entry at a time while the audit finds a
    pinned count: the smallest shown member of a line of the first pinned key (ties: the first
    in the line), else the smallest shown entry of its lines, else of the table."""
    hidden = suppress(counts, lines, min_people, fixed=fixed, initial=initial)
    while found := pinned(
        counts, lines, hidden, min_people, ceilings=ceilings, orders=orders, below=below
    ):
        extra = _next_to_hide(found[0], counts, lines, hidden, fixed)
        if extra is None:
            break  # everything that may be hidden is
        hidden = suppress(counts, lines, min_people, fixed=fixed, initial=hidden | {extra})
    return hidden


def _next_to_hide(
    key: K,
    counts: Mapping[K, int],
    lines: Sequence[Line[K]],
    hidden: set[K],
    fixed: frozenset[K],
) -> K | None:
    own = [line for line in lines if key in line.members or key == line.total]

    def smallest(candidates: Sequence[K]) -> K | None:
        shown = [k for k in candidates if k not in hidden and k not in fixed]
        return min(shown, key=lambda k: counts[k]) if shown else None

    members = [m for line in own for m in line.members]
    entries = [e for line in lines for e in (*line.members, line.total)]
    return (
        smallest(members)
        or smallest([*members, *(line.total for line in own)])
        or smallest(entries)
    )


class _Program(Generic[K]):
    """The attacker's integer program: one variable per hidden key."""

    def __init__(
        self,
        counts: Mapping[K, int],
        lines: Sequence[Line[K]],
        hidden: set[K],
        min_people: int,
        ceilings: Sequence[tuple[Sequence[K], int]],
        orders: Sequence[tuple[Sequence[K], Sequence[K]]],
        below: frozenset[K],
    ) -> None:
        self.variables = sorted(hidden, key=repr)
        self.index = {key: i for i, key in enumerate(self.variables)}
        self.counts = counts
        lowest = np.zeros(len(self.variables))
        highest = np.full(len(self.variables), np.inf)
        rows: list[np.ndarray] = []
        low: list[float] = []
        high: list[float] = []

        def relation(weights: Mapping[K, int], floor: float, top: float) -> None:
            row = np.zeros(len(self.variables))
            constant = 0.0
            for k, weight in weights.items():
                if k in self.index:
                    row[self.index[k]] += weight
                else:
                    constant += weight * counts[k]
            if row.any():
                rows.append(row)
                low.append(floor - constant)
                high.append(top - constant)

        for line in lines:
            entries = [*line.members, line.total]
            if any(counts[k] == 0 and k not in hidden for k in entries):
                for k in entries:
                    if k in self.index:
                        lowest[self.index[k]] = 1
            if not any(k in self.index for k in entries):
                continue
            difference = {line.total: 1} | {m: -1 for m in line.members}
            if counts[line.total] == sum(counts[m] for m in line.members):
                relation(difference, 0.0, 0.0)
            else:
                relation(difference, -np.inf, 0.0)
                for member in line.members:
                    relation({member: 1, line.total: -1}, -np.inf, 0.0)
        for keys, value in ceilings:
            relation(dict.fromkeys(keys, 1), -np.inf, float(value))
        for small, large in orders:
            weights: dict[K, int] = {}
            for k in small:
                weights[k] = weights.get(k, 0) + 1
            for k in large:
                weights[k] = weights.get(k, 0) - 1
            relation(weights, -np.inf, 0.0)
        for key in below & hidden:
            highest[self.index[key]] = min_people - 1
        self.bounds = Bounds(lowest, highest)
        self.constraints = (
            [LinearConstraint(np.array(rows), np.array(low), np.array(high))] if rows else []
        )

    def solve(self, key: K, sign: float) -> dict[K, int]:
        """A table the attacker cannot rule out, with ``key`` as large (``sign`` -1) or as
        small (1) as it can be; the true one when ``key`` has no limit."""
        goal = np.zeros(len(self.variables))
        goal[self.index[key]] = sign
        result = milp(
            goal,
            integrality=np.ones(len(self.variables)),
            bounds=self.bounds,
            constraints=self.constraints,
        )
        if result.status == 3:  # unbounded (no largest value): the key is not pinned
            return {key: self.counts[key] + 1}
        if result.x is None:  # cannot happen (the true table is feasible): count it pinned
            return {}
        return {k: round(value) for k, value in zip(self.variables, result.x, strict=True)}
