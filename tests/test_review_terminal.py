"""The interactive review in a real terminal (a pseudo-terminal): what the facilitator reads,
and what each answer does."""

from __future__ import annotations

import os
import select
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from assistant.schemas import (
    AutomationExposure,
    Finding,
    FindingStatus,
    InterviewStatus,
    InterviewUpdate,
    Phase,
    Provenance,
    Quote,
    Speaker,
)
from assistant.store import Store
from tests.conftest import SettingsFactory

pytestmark = pytest.mark.slow

SAID = "J'ai noté [urgent] sur le cahier, puis j'ai rassuré Mme R. avant la toilette."
# A safety net against a review waiting for input forever, not a measure of speed.
HANG_GUARD_SECONDS = 60.0
NOW = datetime(2026, 12, 1, tzinfo=UTC)


class Terminal:
    """`terrain` run with a pseudo-terminal as its standard input and output."""

    def __init__(self, *args: str) -> None:
        self._master, slave = os.openpty()
        env = {**os.environ, "TERM": "dumb", "COLUMNS": "200"}
        self._process = subprocess.Popen(
            [sys.executable, "-c", "from assistant.cli import main; main()", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=Path(__file__).resolve().parents[1],
        )
        os.close(slave)
        self.seen = ""

    def expect(self, text: str) -> None:
        """Read until ``text`` has been shown."""
        while text not in self.seen:
            if not self._read():
                raise AssertionError(f"The terminal never showed {text!r}; it showed {self.seen!r}")

    def type(self, line: str) -> None:
        os.write(self._master, line.encode() + b"\n")

    def finish(self) -> int:
        while self._read():
            pass
        code = self._process.wait(timeout=HANG_GUARD_SECONDS)
        os.close(self._master)
        return code

    def _read(self) -> bool:
        ready, _, _ = select.select([self._master], [], [], HANG_GUARD_SECONDS)
        if not ready:
            self._process.kill()
            raise AssertionError(f"The review hung; it showed {self.seen!r}")
        try:
            chunk = os.read(self._master, 4096)
        except OSError:  # the child closed the terminal (EIO on Linux)
            return False
        self.seen += chunk.decode(errors="replace").replace("\r\n", "\n")
        return bool(chunk)


def proposed(interview_id: str, code: str, text: str) -> Finding:
    start = SAID.index(text)
    return Finding(
        id=f"{interview_id[:8]}-{code}",
        interview_id=interview_id,
        code=code,
        activity="toilette",
        counterpart="bénéficiaire",
        value_chain_stage="service_delivery",
        evidence=[Quote(text=text, turn_index=1, start=start, end=start + len(text))],
        automation_exposure=AutomationExposure.HUMAN_ESSENTIAL,
        confidence=0.8,
        provenance=Provenance(model="m", created_at=NOW),
        updated_at=NOW,
    )


@pytest.fixture
def reviewable(
    monkeypatch: pytest.MonkeyPatch, make_settings: SettingsFactory
) -> Iterator[tuple[Store, str]]:
    settings = make_settings()
    monkeypatch.setenv("TERRAIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TERRAIN_CONFIG", os.devnull)  # no terrain.toml of the working folder
    store = Store.open(settings)
    interview = store.interviews.create(language="fr")
    store.interviews.record_consent(interview.id, given=True, version="test")
    store.interviews.add_turn(
        interview.id, speaker=Speaker.INTERVIEWER, text="Racontez.", phase=Phase.ROLE
    )
    store.interviews.add_turn(
        interview.id, speaker=Speaker.EMPLOYEE, text=SAID, phase=Phase.EPISODE
    )
    store.interviews.update(
        interview.id, InterviewUpdate(status=InterviewStatus.CLOSED, phase=Phase.DONE)
    )
    store.findings.add(
        [
            proposed(interview.id, "care", "J'ai noté [urgent] sur le cahier"),
            proposed(interview.id, "empathy", "j'ai rassuré Mme R"),
            proposed(interview.id, "trust", "avant la toilette"),
        ]
    )
    yield store, interview.id
    store.close()


def test_the_prompt_shows_its_keys_and_every_decision_is_confirmed(
    reviewable: tuple[Store, str],
) -> None:
    store, interview_id = reviewable
    terminal = Terminal("review", "--interview", interview_id, "--as", "claire")
    terminal.expect("[a]ccept, [r]eject, [c]hange code, [s]kip, [q]uit? ")
    assert "« J'ai noté [urgent] sur le cahier »" in terminal.seen  # the employee's words, whole
    terminal.type("x")
    terminal.expect("Please answer a, r, c, s or q: ")
    terminal.type("c")
    terminal.expect("New code (")
    terminal.type("trust")
    terminal.expect("Code changed: care → trust.")
    terminal.expect("« j'ai rassuré Mme R »")
    terminal.type("a")
    terminal.expect("Accepted.")
    terminal.expect("« avant la toilette »")
    terminal.type("q")
    assert terminal.finish() == 0
    assert (
        "Reviewed 2 of 3 findings (1 accepted, 1 code changed). 1 still awaits review."
        in terminal.seen
    )

    changed, accepted, left = store.findings.where(interview_id=interview_id)
    assert (changed.status, changed.code, changed.proposed_code) == (
        FindingStatus.EDITED,
        "trust",
        "care",
    )
    assert accepted.status == FindingStatus.ACCEPTED
    assert left.status == FindingStatus.PROPOSED
