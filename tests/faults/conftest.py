"""Faults provoked against real processes: `terrain serve` (and the worker it supervises)
killed, the database's disk filled or made read-only, the model server stopped mid-answer,
PostgreSQL restarted under load. Each test asserts what the employee keeps and sees, and
measures the time to recovery, which :func:`recovered` prints and the run sums up at its end.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.ollama_server import OllamaTestServer
from tests.web.server import ACCOUNTS, CHAT_MODEL, EMBED_MODEL, WebServer

# Generous caps: the machine may be loaded; each wait polls its real condition.
CAP_SECONDS = 180.0


@dataclass(frozen=True)
class Recovery:
    fault: str
    outcome: str
    seconds: float


RECOVERIES: list[Recovery] = []


def recovered(fault: str, outcome: str, seconds: float) -> None:
    """Keep a fault's outcome and time to recovery for the run's summary, and print it."""
    RECOVERIES.append(Recovery(fault, outcome, seconds))
    print(f"\n[fault] {fault}: {outcome}; recovered in {seconds:.2f} s")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not RECOVERIES:
        return
    terminalreporter.section("faults: outcome and time to recovery")
    for entry in RECOVERIES:
        terminalreporter.line(f"{entry.fault}: {entry.outcome} — {entry.seconds:.2f} s")


async def poll(
    condition: Callable[[], bool], *, cap: float = CAP_SECONDS, every: float = 0.05
) -> float:
    """Wait until ``condition()`` holds (at most ``cap`` seconds); the seconds it took. The
    event loop runs meanwhile: the Socket.IO clients keep sending and receiving."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > cap:
            raise TimeoutError(f"still not true after {cap} s: {condition}")
        await asyncio.sleep(every)
    return time.monotonic() - started


def children(pid: int) -> list[int]:
    """The live child processes of ``pid`` (Linux)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(child) for child in task.read_text().split()]
        except OSError:
            continue
    return found


def is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False  # gone: reaped
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


@pytest.fixture
def fake_ollama() -> Iterator[OllamaTestServer]:
    with OllamaTestServer(models=(CHAT_MODEL, EMBED_MODEL)) as server:
        yield server


ServerFactory = Callable[..., WebServer]


@pytest.fixture
def make_server(fake_ollama: OllamaTestServer) -> Iterator[ServerFactory]:
    """``make_server(data_dir, **env)``: a started `terrain serve` with the test accounts;
    stopped (or found killed) at the end."""
    started: list[WebServer] = []

    def make(data_dir: Path, *, accounts: bool = True, **env: str) -> WebServer:
        server = WebServer(data_dir=data_dir, ollama_url=fake_ollama.url, extra_env=env)
        if accounts:
            server.add_accounts(ACCOUNTS)
        started.append(server)
        return server.start()

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def small_disk() -> Iterator[Path]:
    """A 48 MB ext4 file system of its own (a loop-mounted image), for a disk that fills up or
    a file made read-only (``chattr +i``). Needs root and loop devices: skipped otherwise."""
    if os.geteuid() != 0 or not shutil.which("mkfs.ext4") or not shutil.which("chattr"):
        pytest.skip("needs root, mkfs.ext4 and chattr to mount a small file system")
    folder = Path(tempfile.mkdtemp(prefix="terrain-disk-"))
    image, mount = folder / "disk.img", folder / "mnt"
    mount.mkdir()
    with image.open("wb") as out:
        out.truncate(48 * 1024 * 1024)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-m", "0", str(image)], check=True, timeout=60)
    mounted = subprocess.run(
        ["mount", "-o", "loop", str(image), str(mount)], capture_output=True, timeout=60
    )
    if mounted.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"cannot mount a loop file system here: {mounted.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["chattr", "-R", "-i", str(mount)], capture_output=True, timeout=60)
        for _ in range(50):  # the server's last processes may still be closing their files
            if subprocess.run(["umount", str(mount)], capture_output=True).returncode == 0:
                break
            time.sleep(0.2)
        shutil.rmtree(folder, ignore_errors=True)
