"""No test of the web app waits on a deadline of the machine's speed (issue 23.17: a fixed
120 s failed `make test` once on a loaded machine): every wait is capped by the one cap against
a hang, tests/web/waiting.py, and the few fixed numbers left say why they are not timings."""

from __future__ import annotations

import re
from pathlib import Path

WEB_TESTS = Path(__file__).parent / "web"
# A literal number of seconds (or ms) where something is waited for.
FIXED_WAIT = re.compile(
    r"(?:timeout|wait_timeout)\s*=\s*(\d[\d_]*)|monotonic\(\)\s*\+\s*(\d[\d_]*)"
)
# Not waits for the work under test: a probe repeated until the server answers, and how long
# a stopping server gets before it is killed.
NOT_TIMINGS = {
    ("server.py", 'httpx.get(f"{self.url}/health", timeout=1)'),
    ("server.py", "process.wait(timeout=15)"),
    ("server.py", "process.wait(timeout=5)"),
}


def test_every_wait_in_the_web_tests_is_capped_only_against_a_hang() -> None:
    fixed = [
        f"{path.name}:{number}: {line.strip()}"
        for path in sorted(WEB_TESTS.glob("*.py"))
        if path.name != "waiting.py"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if FIXED_WAIT.search(line)
        and not any(path.name == name and code in line for name, code in NOT_TIMINGS)
    ]
    assert fixed == [], "wait on the condition, capped by tests.web.waiting.HANG_CAP_*"
