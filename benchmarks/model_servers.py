"""The model adapters' own CPU: Ollama's and the OpenAI-compatible one's, per streamed reply
and per structured request.

Each fake server (tests/ollama_server.py, tests/openai_server.py) runs in a process of its own,
so that the CPU this process spends (time.process_time) is the adapter's alone: building the
request, reading the answer, the client libraries. The reply is the fake's default question
(15 pieces). Figures: milliseconds of CPU per streamed reply, and the wall time per streamed
reply; and per structured request, the fake's safety verdict (23 pieces, the same answer each
time) streamed and joined as an extraction is, and asked whole (``brief``) as the safety
classifier asks it; for each adapter.
"""

from __future__ import annotations

import argparse
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
# The fake servers answer this schema with their ordinary safety verdict.
SCHEMA = {"type": "object", "title": "SafetyVerdict"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(module: str, port: int, tps: float | None) -> subprocess.Popen[bytes]:
    pace = ["--tps", str(tps)] if tps else []
    process = subprocess.Popen(
        [sys.executable, "-m", module, "--port", str(port), "--quiet", *pace],
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
    await model.request(MESSAGES, json_schema=SCHEMA, brief=True)
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(ROUNDS):
        _ = [piece async for piece in model.stream(MESSAGES)]
    streamed_cpu, streamed_wall = time.process_time() - cpu, time.perf_counter() - wall
    structured: dict[bool, float] = {}
    for brief in (False, True):
        cpu = time.process_time()
        for _ in range(ROUNDS):
            await model.request(MESSAGES, json_schema=SCHEMA, brief=brief)
        structured[brief] = time.process_time() - cpu
    return {
        "stream_cpu_ms_per_reply": round(1000 * streamed_cpu / ROUNDS, 2),
        "stream_wall_ms_per_reply": round(1000 * streamed_wall / ROUNDS, 2),
        "structured_streamed_cpu_ms_per_request": round(1000 * structured[False] / ROUNDS, 2),
        "structured_whole_cpu_ms_per_request": round(1000 * structured[True] / ROUNDS, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tps",
        type=float,
        default=None,
        help="the fake servers' tokens per second (default: unpaced, all pieces at once); "
        "paced, each piece arrives on its own, as from a model",
    )
    tps = parser.parse_args().tps
    quiet()
    ollama_port, openai_port = _free_port(), _free_port()
    servers = [
        _serve("tests.ollama_server", ollama_port, tps),
        _serve("tests.openai_server", openai_port, tps),
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
                "tokens_per_second": tps,
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
