"""The database's disk fills up, or its file becomes read-only, under a running `terrain serve`:
the employee is told in their language (no path, no SQL), the server's log says it once with
the fix, and the interview goes on once it is fixed."""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
import time
from pathlib import Path

import pytest

from assistant.schemas import Speaker
from assistant.web.texts import texts_for
from tests.faults.conftest import ServerFactory, recovered
from tests.ollama_server import OllamaTestServer
from tests.support.employee_chat import ANSWERS, consented, interviewer
from tests.web.client import WebClient, plain
from tests.web.server import WebServer

pytestmark = pytest.mark.slow


def fill(folder: Path) -> Path:
    """A file that takes every free byte of ``folder``'s disk (a block smaller each time the
    disk refuses one, down to a byte)."""
    filler = folder / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        size = 1 << 20
        while size:
            try:
                os.write(descriptor, b"\0" * size)
            except OSError as error:
                if error.errno != errno.ENOSPC:
                    raise
                size //= 2
        with contextlib.suppress(OSError):
            os.fsync(descriptor)
    finally:
        os.close(descriptor)
    return filler


async def refused_until_told(client: WebClient, texts: list[str]) -> list[str]:
    """Send messages until one is refused with the message about storage; those answered."""
    answered: list[str] = []
    for text in texts:
        await client.send(text)
        if plain(client.last()) == plain(texts_for("fr").cannot_save):
            return answered
        answered.append(text)
    raise AssertionError(f"never refused; last message: {client.last()!r}")


def assert_told_without_details(client: WebClient, web: WebServer) -> None:
    shown = " ".join(client.texts())
    assert plain(texts_for("fr").cannot_save) in [plain(text) for text in client.texts()]
    for detail in (str(web.data_dir), "terrain.db", "sqlite", "SQLite", "disk I/O", "Fix:"):
        assert detail not in shown


async def test_a_full_disk_is_told_to_the_employee_logged_once_and_the_interview_goes_on(
    small_disk: Path, make_server: ServerFactory, fake_ollama: OllamaTestServer
) -> None:
    fake_ollama.respond_with(interviewer)
    web = make_server(small_disk / "data")
    client = await consented(web, "alice")
    await client.send(ANSWERS[0])
    filler = fill(small_disk)
    filled_answers = [f"{ANSWERS[1]} ({number}) " + "détail " * 300 for number in range(12)]
    answered = await refused_until_told(client, filled_answers)
    await client.send(ANSWERS[2])  # still full: told again
    assert plain(client.last()) == plain(texts_for("fr").cannot_save)
    assert_told_without_details(client, web)
    log = web.output()
    full = [line for line in log.splitlines() if "its disk is full" in line]
    # Once by the server, and at most once by the worker (a process of its own), each with
    # its fix: not once per message.
    assert 1 <= len(full) <= 2, full
    assert all("Fix: Free space on the disk" in line for line in full)
    print("\n[log]", *full, sep="\n")

    filler.unlink()
    freed_at = time.monotonic()
    await client.send(ANSWERS[3])
    seconds = time.monotonic() - freed_at
    assert plain(client.last()) != plain(texts_for("fr").cannot_save)
    with web.store() as store:
        turns = store.interviews.turns(client.thread_id or "")
    said = [turn.text for turn in turns if turn.speaker == Speaker.EMPLOYEE]
    assert said[1:] == [ANSWERS[0], *answered, ANSWERS[3]]  # each answered message is kept
    assert turns[-1].speaker == Speaker.INTERVIEWER
    assert "can be written again" in web.output()
    await client.disconnect()
    recovered(
        "full disk under the SQLite database",
        f"employee told without a path, {len(full)} log line(s) with the fix, "
        "next message answered once space was freed",
        seconds,
    )


async def test_a_read_only_database_is_told_to_the_employee_logged_once_and_then_goes_on(
    small_disk: Path, make_server: ServerFactory, fake_ollama: OllamaTestServer
) -> None:
    fake_ollama.respond_with(interviewer)
    web = make_server(small_disk / "data")
    client = await consented(web, "alice")
    await client.send(ANSWERS[0])
    database = web.data_dir / "terrain.db"
    # The file and its write-ahead log: the server's open connections fail to write (EPERM),
    # new ones open the file read-only. (Not the -shm file: SQLite maps it in memory.)
    files = [str(database), f"{database}-wal"]
    subprocess.run(["chattr", "+i", *files], check=True, timeout=60)
    try:
        await client.send(ANSWERS[1])
        assert plain(client.last()) == plain(texts_for("fr").cannot_save)
        await client.send(ANSWERS[1])
        assert_told_without_details(client, web)
        read_only = [line for line in web.output().splitlines() if "is read-only" in line]
        assert 1 <= len(read_only) <= 2, read_only
        assert all("Fix: Make the database file" in line for line in read_only)
        print("\n[log]", *read_only, sep="\n")
    finally:
        subprocess.run(["chattr", "-i", *files], check=True, timeout=60)
    fixed_at = time.monotonic()
    await client.send(ANSWERS[2])
    seconds = time.monotonic() - fixed_at
    assert plain(client.last()) != plain(texts_for("fr").cannot_save)
    with web.store() as store:
        turns = store.interviews.turns(client.thread_id or "")
    said = [turn.text for turn in turns if turn.speaker == Speaker.EMPLOYEE]
    assert said[1:] == [ANSWERS[0], ANSWERS[2]]
    assert turns[-1].speaker == Speaker.INTERVIEWER
    await client.disconnect()
    recovered(
        "read-only database file (chattr +i)",
        f"employee told without a path, {len(read_only)} log line(s) with the fix, "
        "next message answered once writable",
        seconds,
    )
