"""The web server's event loop: uvloop's, with asyncio's tasks and futures as compiled.

``chainlit run``'s module applies nest_asyncio, which swaps asyncio's C tasks and futures for
pure-Python ones; `terrain serve` starts Chainlit's app itself and never imports it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.web.server import WebServer, free_port, server_environment
from tests.web.waiting import HANG_CAP_SECONDS

pytestmark = pytest.mark.slow  # the whole app is imported in a process of its own

# `terrain serve` as users start it, with uvicorn's serving replaced by a look at the loop it
# would serve on.
LOOK_AT_THE_LOOP = """
import asyncio, json, sys
import uvicorn

seen = {}

async def look(self, sockets=None):
    seen["loop"] = type(asyncio.get_running_loop()).__module__
    seen["task"] = asyncio.Task.__module__
    seen["future"] = asyncio.Future.__module__
    seen["nest_asyncio"] = "nest_asyncio" in sys.modules

uvicorn.Server.serve = look
from assistant.cli import app
try:
    app(["serve", "--no-worker", "--port", sys.argv[1]])
except SystemExit as stop:
    assert not stop.code, stop.code
print(json.dumps(seen))
"""


def test_terrain_serve_runs_on_uvloop_with_compiled_tasks(tmp_path: Path) -> None:
    environment = server_environment(tmp_path / "data", "http://127.0.0.1:9")
    result = subprocess.run(
        [sys.executable, "-c", LOOK_AT_THE_LOOP, str(free_port())],
        capture_output=True,
        text=True,
        env=environment,
        timeout=HANG_CAP_SECONDS,  # against a hang only
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen == {
        "loop": "uvloop",
        "task": "_asyncio",
        "future": "_asyncio",
        "nest_asyncio": False,
    }


def test_the_running_server_has_uvloop_loaded(web: WebServer) -> None:
    assert web.process is not None
    maps = Path(f"/proc/{web.process.pid}/maps").read_text(encoding="utf-8")
    assert "/uvloop/" in maps
