"""The model adapters' own CPU: Ollama's and the OpenAI-compatible one's, per streamed reply
and per structured request.

Each fake server (tests/ollama_server.py, tests/openai_server.py) runs in a process of its own,
so that the CPU this process spends (time.process_time) is the adapter's alone: building the
request, reading the answer, the client libraries. The reply is the fake's default question
(15 pieces). Figures: milliseconds of CPU per streamed reply and per whole answer asked with a
JSON schema, and the wall time per streamed reply, for each adapter.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import bench_settings, emit, quiet

from assistant.config import Settings
from assistant.llm import ChatMessage, chat_model_for

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = 200
MESSAGES = [ChatMessage.system("Tu mènes un entretien."), ChatMessage.user("Bonjour")]
SCHEMA = {"type": "object", "title": "Answer"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(module: str, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", module, "--port", str(port), "--quiet"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{module} did not start")


async def _measure(settings: Settings) -> dict[str, float]:
    model = chat_model_for(settings)
    # Warm: the libraries' imports and the first connection are not a reply's cost.
    _ = [piece async for piece in model.stream(MESSAGES)]
    await model.request(MESSAGES, json_schema=SCHEMA)
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(ROUNDS):
        _ = [piece async for piece in model.stream(MESSAGES)]
    streamed_cpu, streamed_wall = time.process_time() - cpu, time.perf_counter() - wall
    cpu = time.process_time()
    for _ in range(ROUNDS):
        await model.request(MESSAGES, json_schema=SCHEMA)
    structured_cpu = time.process_time() - cpu
    return {
        "stream_cpu_ms_per_reply": round(1000 * streamed_cpu / ROUNDS, 2),
        "stream_wall_ms_per_reply": round(1000 * streamed_wall / ROUNDS, 2),
        "structured_cpu_ms_per_request": round(1000 * structured_cpu / ROUNDS, 2),
    }


def main() -> None:
    quiet()
    ollama_port, openai_port = _free_port(), _free_port()
    servers = [
        _serve("tests.ollama_server", ollama_port),
        _serve("tests.openai_server", openai_port),
    ]
    try:
        with tempfile.TemporaryDirectory() as folder:
            ollama = bench_settings(Path(folder), f"http://127.0.0.1:{ollama_port}")
            openai = bench_settings(
                Path(folder),
                "http://127.0.0.1:9",
                model_provider="openai",
                openai_base_url=f"http://127.0.0.1:{openai_port}/v1",
            )
            figures = {
                "rounds": ROUNDS,
                "ollama": asyncio.run(_measure(ollama)),
                "openai": asyncio.run(_measure(openai)),
            }
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
    emit(figures)


if __name__ == "__main__":
    main()
