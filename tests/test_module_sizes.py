"""Modules of one job each: none of assistant/ grows past 500 lines (migrations aside, which
are written once and never edited)."""

from __future__ import annotations

from pathlib import Path

LIMIT = 500
PACKAGE = Path(__file__).resolve().parents[1] / "assistant"


def test_no_module_is_over_the_limit() -> None:
    too_long = {
        str(path.relative_to(PACKAGE)): length
        for path in PACKAGE.rglob("*.py")
        if "migrations" not in path.parts
        and (length := len(path.read_text(encoding="utf-8").splitlines())) > LIMIT
    }
    assert too_long == {}, f"split these by job (over {LIMIT} lines): {too_long}"
