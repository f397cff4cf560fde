"""Small-count suppression, primary and complementary, as employee surveys practise it.

Primary: a count covering fewer than ``min_people`` distinct people (but more than none) is
hidden. Complementary: a hidden count must not be recoverable from a total and the counts shown
beside it. The rule works on *lines*, a list of member counts and the total they belong to:
while some line with a visible total has exactly one hidden member, the smallest visible
non-zero member of that line is hidden too (or, if there is none, the total), until nothing
changes. Every line then shows its total with either no hidden member or at least two.

Totals here count *distinct people*: one person can sit in several cells of a row, so a row's
total is at most the sum of its cells, not equal to it. Subtracting the visible cells from a
total therefore gives only a lower bound on what is hidden, never its value. The rule still
treats totals as if they were sums, which is the cautious reading: it is what makes recovery
impossible even in a row where nobody appears twice and the total *is* the sum.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Line(Generic[K]):
    """Members whose counts a total covers; ``total`` is itself a key of the counts."""

    members: Sequence[K]
    total: K


def suppress(
    counts: Mapping[K, int],
    lines: Sequence[Line[K]],
    min_people: int,
    *,
    fixed: frozenset[K] = frozenset(),
) -> set[K]:
    """The keys to hide: primary suppression, then complementary until a fixed point.

    ``fixed`` keys are never hidden (a total published elsewhere, such as the report's number
    of people); their lines protect their members by hiding more members instead.
    """
    hidden = {key for key, value in counts.items() if 0 < value < min_people and key not in fixed}
    changed = True
    while changed:
        changed = False
        for line in lines:
            if line.total in hidden:
                continue
            hidden_members = [m for m in line.members if m in hidden and counts[m] > 0]
            if len(hidden_members) != 1:
                continue
            visible = sorted(
                (m for m in line.members if m not in hidden and counts[m] > 0),
                key=lambda m: counts[m],
            )
            if visible:
                hidden.add(visible[0])
            elif line.total not in fixed:
                hidden.add(line.total)
            else:
                continue
            changed = True
    return hidden


def shown(value: int, key: K, hidden: set[K]) -> int | None:
    return None if key in hidden else value
