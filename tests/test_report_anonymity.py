"""Small-count suppression: primary, complementary, and that nothing hidden can be recovered."""

from __future__ import annotations

import random

from assistant.findings.codebook import load_codebook
from assistant.report.anonymity import Line, suppress
from assistant.report.disclosure import pinned, protect

Key = tuple[str, str]


def table_lines(rows: list[str], cols: list[str]) -> list[Line[Key]]:
    lines = [Line([(r, c) for c in cols], ("row", r)) for r in rows]
    lines += [Line([(r, c) for r in rows], ("col", c)) for c in cols]
    lines.append(Line([("row", r) for r in rows], ("all", "")))
    lines.append(Line([("col", c) for c in cols], ("all", "")))
    return lines


def additive_counts(cells: dict[Key, int], rows: list[str], cols: list[str]) -> dict[Key, int]:
    """A table where each person sits in one cell, so that totals are exact sums."""
    counts = dict(cells)
    for r in rows:
        counts[("row", r)] = sum(cells[(r, c)] for c in cols)
    for c in cols:
        counts[("col", c)] = sum(cells[(r, c)] for r in rows)
    counts[("all", "")] = sum(cells.values())
    return counts


def test_counts_below_the_threshold_are_hidden_and_zeros_are_not() -> None:
    counts = {"a": 3, "b": 7, "c": 0, "total": 10}
    hidden = suppress(counts, [], 5)
    assert hidden == {"a"}


def test_a_lone_hidden_cell_takes_the_next_smallest_with_it() -> None:
    counts = {"a": 3, "b": 9, "c": 6, "total": 18}
    hidden = suppress(counts, [Line(["a", "b", "c"], "total")], 5, fixed=frozenset({"total"}))
    assert hidden == {"a", "c"}  # 18 - 9 no longer gives a's 3


def test_a_hidden_total_is_not_the_sum_of_visible_members() -> None:
    counts = {"a": 2, "b": 1, "total": 3, "other": 12, "all": 15}
    lines = [Line(["a", "b"], "total"), Line(["total", "other"], "all")]
    hidden = suppress(counts, lines, 5, fixed=frozenset({"all"}))
    assert {"a", "b", "total", "other"} <= hidden


def test_every_line_ends_with_no_hidden_entry_or_at_least_two() -> None:
    rng = random.Random(11)
    for _ in range(300):
        rows = [f"r{i}" for i in range(rng.randint(1, 5))]
        cols = [f"c{j}" for j in range(rng.randint(1, 6))]
        cells = {
            (r, c): rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 9, 14, 20]) for r in rows for c in cols
        }
        counts = additive_counts(cells, rows, cols)
        lines = table_lines(rows, cols)
        # The report publishes its number of people only when that reaches the threshold.
        published = frozenset({("all", "")}) if counts[("all", "")] >= 5 else frozenset()
        hidden = suppress(counts, lines, 5, fixed=published)
        assert {k for k, v in counts.items() if 0 < v < 5 and k != ("all", "")} <= hidden
        for line in lines:
            entries = [*line.members, line.total]
            hidden_here = [k for k in entries if k in hidden]
            assert len(hidden_here) != 1, (line, counts, hidden)
            if hidden_here:  # a hidden count may be none: the line shows no zero beside it
                assert all(counts[k] > 0 for k in entries if k not in hidden)


def test_hidden_cells_cannot_be_recovered_from_the_published_figures() -> None:
    rows, cols = ["r1", "r2"], ["a", "b", "c"]
    cells = {("r1", "a"): 3, ("r1", "b"): 8, ("r1", "c"): 0,
             ("r2", "a"): 6, ("r2", "b"): 7, ("r2", "c"): 2}  # fmt: skip
    counts = additive_counts(cells, rows, cols)
    hidden = suppress(counts, table_lines(rows, cols), 5, fixed=frozenset({("all", "")}))
    published = {k: v for k, v in counts.items() if k not in hidden}
    assert ("r1", "a") in hidden
    assert ("r2", "c") in hidden
    assert ("r1", "c") in hidden  # a zero, hidden beside the small count of its row
    # Another table, with a different value in every originally small cell's rectangle,
    # publishes exactly the same figures: the hidden values are not determined.
    other = dict(cells)
    other[("r1", "a")] -= 1
    other[("r1", "c")] += 1
    other[("r2", "a")] += 1
    other[("r2", "c")] -= 1
    other_counts = additive_counts(other, rows, cols)
    assert {k: other_counts[k] for k in published} == published
    assert other_counts[("r1", "a")] != counts[("r1", "a")]
    # The naive attack, row total minus the visible cells, gives two hidden cells' sum.
    assert sum(1 for c in cols if ("r1", c) in hidden) >= 2


def test_totals_of_distinct_people_are_at_most_the_sum_of_their_cells() -> None:
    # Why the rule treats totals as sums: with people in several cells a total is smaller than
    # the sum, so subtraction only bounds the hidden cell; with nobody twice it is the sum.
    people = {("s1", "a"): {"p1", "p2"}, ("s1", "b"): {"p2", "p3"}}
    distinct = len(set().union(*people.values()))
    assert distinct == 3 < sum(len(v) for v in people.values())


# ------------------------------------------------------- the audit of chains of lines

# The whole codebook's map (every stage × every code, as the report lists them), k = 2, people
# in ten cells: a table found by a random search.
CHAIN_ROWS = load_codebook().stage_ids
CHAIN_COLS = load_codebook().code_ids
CHAIN = dict.fromkeys(((r, c) for r in CHAIN_ROWS for c in CHAIN_COLS), 0) | {
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


def test_the_audit_sees_a_pin_through_a_chain_that_line_rules_miss() -> None:
    counts = additive_counts(CHAIN, CHAIN_ROWS, CHAIN_COLS)
    lines = table_lines(CHAIN_ROWS, CHAIN_COLS)
    fixed = frozenset({("all", "")})
    line_wise = suppress(counts, lines, 2, fixed=fixed)
    assert all(sum(k in line_wise for k in (*ln.members, ln.total)) != 1 for ln in lines)
    # follow-up × care (1 person): moving its person anywhere else forces the service-delivery
    # row below the 3 it shows.
    assert pinned(counts, lines, line_wise, 2) == [("follow_up", "care")]

    protected = protect(counts, lines, 2, fixed=fixed)
    assert protected > line_wise
    assert pinned(counts, lines, protected, 2) == []
    assert protect(counts, lines, 2, fixed=fixed) == protected  # deterministic


def test_protect_leaves_no_pin_on_random_tables() -> None:
    """Tables shaped like the report's map (8 stages × 10 codes, people in the first 3 × 4):
    4 of these 60 have a pin after line-wise suppression alone."""
    rng = random.Random(7)
    sizes = (0, 0, 1, 1, 1, 2, 2, 3, 4, 5, 6, 7, 9, 12)
    rows, cols = [f"stage{i}" for i in range(8)], [f"code{j}" for j in range(10)]
    lines = table_lines(rows, cols)
    everyone = frozenset({("all", "")})
    pins_before = 0
    for _ in range(60):
        cells = {(r, c): 0 for r in rows for c in cols}
        cells |= {(r, c): rng.choice(sizes) for r in rows[:3] for c in cols[:4]}
        counts = additive_counts(cells, rows, cols)
        k = rng.randint(2, 6)
        fixed = everyone if counts[("all", "")] >= k else frozenset()
        line_wise = suppress(counts, lines, k, fixed=fixed)
        pins_before += bool(pinned(counts, lines, line_wise, k, below=everyone))
        hidden = protect(counts, lines, k, fixed=fixed, below=everyone)
        assert hidden >= line_wise
        assert pinned(counts, lines, hidden, k, below=everyone) == []
    assert pins_before == 4  # the property is not vacuous
