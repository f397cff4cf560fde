"""PostgreSQL restarted while employees are answering: every turn stored before survives, a
message that fell in the gap is refused with a clear message (never the database's words),
and each interview goes on once the database is back. A throwaway cluster, as in
tests/test_store_postgres.py; skipped where PostgreSQL is not installed."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from assistant.auth import add_user
from assistant.schemas import Speaker
from assistant.store import Store
from assistant.web.texts import texts_for
from tests.faults.conftest import CAP_SECONDS, ServerFactory, recovered
from tests.ollama_server import OllamaTestServer
from tests.postgres import _as_postgres_user, _free_port, _run
from tests.postgres import _program as _postgres_program
from tests.support.employee_chat import ANSWERS, consented, interviewer
from tests.web.client import WebClient, plain
from tests.web.server import ACCOUNTS, PASSWORD

pytestmark = pytest.mark.slow
EMPLOYEES = ("alice", "bob", "chloe")
AFTER_RESTART = 2  # messages each employee gets answered once the database is back
REFUSED = {plain(texts_for("fr").store_failed), plain(texts_for("fr").cannot_save)}


@dataclass
class Cluster:
    url: str
    restart_command: list[str]

    def restart(self) -> None:
        subprocess.run(
            _as_postgres_user(self.restart_command), check=True, capture_output=True, timeout=120
        )


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    initdb, pg_ctl = _postgres_program("initdb"), _postgres_program("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip("PostgreSQL is not installed here (no initdb, pg_ctl)")
    folder = Path(tempfile.mkdtemp(prefix="terrain-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, user="postgres")
    data, port = folder / "data", _free_port()
    _run([initdb, "-D", str(data), "-A", "trust", "-U", "terrain"])
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1"
    control = [pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w"]
    _run([*control, "start"])
    try:
        yield Cluster(
            f"postgresql+psycopg://terrain@127.0.0.1:{port}/postgres",
            [*control, "-m", "fast", "restart"],
        )
    finally:
        stop = [pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"]
        subprocess.run(_as_postgres_user(stop), check=False, capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Employee:
    client: WebClient
    answered: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    refused_after: list[float] = field(default_factory=list)
    answered_after: list[float] = field(default_factory=list)  # when, after the restart began


async def test_postgresql_restarted_under_load_keeps_every_turn_and_interviews_go_on(
    tmp_path: Path, make_server: ServerFactory, fake_ollama: OllamaTestServer, cluster: Cluster
) -> None:
    fake_ollama.respond_with(interviewer)
    with Store(cluster.url) as store:
        store.migrate()
        for name, role in ACCOUNTS.items():
            add_user(store, name, role, PASSWORD)
    web = make_server(tmp_path / "data", accounts=False, TERRAIN_DATABASE_URL=cluster.url)
    employees = [Employee(await consented(web, name)) for name in EMPLOYEES]
    restart_began: list[float] = []

    async def talk(employee: Employee) -> None:
        number = 0
        while len(employee.answered_after) < AFTER_RESTART:
            number += 1
            assert number < 60, "the interview did not go on after the restart"
            text = f"{ANSWERS[number % len(ANSWERS)]} ({employee.client.username} {number})"
            before = len(employee.client.texts("assistant_message"))
            await employee.client.send(text)
            replies = employee.client.texts("assistant_message")[before:]
            assert replies, f"nothing said to {text!r}"  # never left without a word
            if plain(replies[-1]) in REFUSED:
                employee.refused.append(text)
                if restart_began:
                    employee.refused_after.append(time.monotonic() - restart_began[0])
                continue
            employee.answered.append(text)
            if restart_began:
                employee.answered_after.append(time.monotonic() - restart_began[0])

    async def restart_under_load() -> set[int]:
        while sum(len(e.answered) for e in employees) < 2 * len(employees):
            await asyncio.sleep(0.05)
        with Store(cluster.url) as store:
            kept_before = {
                turn.id
                for e in employees
                for turn in store.interviews.turns(e.client.thread_id or "")
            }
        restart_began.append(time.monotonic())
        await asyncio.to_thread(cluster.restart)
        return kept_before

    talking = asyncio.gather(*(talk(e) for e in employees))
    kept_before = await asyncio.wait_for(restart_under_load(), CAP_SECONDS)
    await asyncio.wait_for(talking, CAP_SECONDS * 2)

    with Store(cluster.url) as store:
        turns = {
            e.client.username: store.interviews.turns(e.client.thread_id or "") for e in employees
        }
    assert kept_before <= {turn.id for kept in turns.values() for turn in kept}
    for employee in employees:
        said = [t.text for t in turns[employee.client.username] if t.speaker == Speaker.EMPLOYEE]
        # Every answered message is stored.
        assert set(employee.answered) <= set(said), "\n".join(employee.client.texts()[-12:])
        shown = " ".join(employee.client.texts())
        assert "psycopg" not in shown
        assert "postgresql" not in shown.lower()
        await employee.client.disconnect()
    refused = sum(len(e.refused) for e in employees)
    last_refused = max(max(e.refused_after, default=0.0) for e in employees)
    first_back = min(t for e in employees for t in e.answered_after if t > last_refused)
    recovered(
        "PostgreSQL restarted (pg_ctl restart -m fast) under 3 employees' load",
        f"all {len(kept_before)} turns stored before kept; {refused} message(s) in the gap "
        f"refused with the human message (the last {last_refused:.2f} s after the restart "
        "began); each interview went on (time: from the restart to the first answer after the "
        "last refusal)",
        first_back,
    )
