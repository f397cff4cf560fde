"""Small-count suppression, primary and complementary, as employee surveys practise it.

Primary: a count covering fewer than ``min_people`` distinct people (but more than none) is
hidden. Complementary: a hidden count must not be recoverable from the counts shown beside it.
The rule works on *lines*: member counts and the total they belong to, the total being one
more entry of the line. While some line has a hidden entry, its zeros are hidden too; and while
some line has exactly one hidden entry (a member or its total), or hides only zeros under a
shown total, the smallest visible entry of that line is hidden too, until nothing changes.
Every line then has either no hidden entry or at least two, so neither a hidden member (total
minus the others) nor a hidden total (sum of the members) can be worked out.

Zeros hide with the rest because a hidden count known to be at least one can be pinned: two
hidden members of a shown total that leave 2 between them are both 1. With zeros hidden,
"fewer than k" may be none, and no such sum pins a hidden one.

Line-wise rules cannot see a pin through a chain of lines: the heatmap's suppression is then
audited by integer programming (:mod:`assistant.report.disclosure`), which hides more until
nothing is pinned. ``tests/test_report_anonymity_proof.py`` checks with integer linear
bounds, on generated tables, that no hidden count below the threshold can be pinned down from
what a report shows.

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
    initial: set[K] | frozenset[K] = frozenset(),
) -> set[K]:
    """The keys to hide: primary suppression, then complementary until a fixed point.

    ``fixed`` keys are never hidden (a total published elsewhere, such as the report's number
    of people); their lines protect their members by hiding more members instead. ``initial``
    keys are hidden from the start (an audit's choice: :mod:`assistant.report.disclosure`).
    """
    hidden = {key for key, value in counts.items() if 0 < value < min_people and key not in fixed}
    hidden |= set(initial) - fixed
    changed = True
    while changed:
        changed = False
        for line in lines:
            entries = [*line.members, line.total]
            if not any(key in hidden for key in entries):
                continue
            zeros = {k for k in entries if counts[k] == 0 and k not in fixed} - hidden
            if zeros:
                hidden |= zeros
                changed = True
            if not _exposed(line, counts, hidden):
                continue
            visible = [k for k in entries if k not in hidden and k not in fixed]
            if visible:
                hidden.add(min(visible, key=lambda k: counts[k]))
                changed = True
    return hidden


def _exposed(line: Line[K], counts: Mapping[K, int], hidden: set[K]) -> bool:
    """Whether the line gives a hidden entry away: it hides exactly one; or its total is shown
    and the members it hides are all zeros (their sum, the total minus the shown members, is
    then 0)."""
    entries = [*line.members, line.total]
    hidden_here = [key for key in entries if key in hidden]
    if len(hidden_here) == 1:
        return True
    return line.total not in hidden and all(counts[key] == 0 for key in hidden_here)


def shown(value: int, key: K, hidden: set[K]) -> int | None:
    return None if key in hidden else value
