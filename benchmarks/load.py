"""Fifty employees interviewed at once through the web app, against a slow fake model.

Starts the fake Ollama in its own process with a real model's pace (300 ms to the first
token, then 40 tokens per second), starts ``terrain serve``, signs in 50 employees and has
them all consent and answer three questions at the same time over Socket.IO, as browsers do
(``--think`` gives them a pause before each answer, as people reading and typing take; by
default there is none, so that all fifty messages arrive together: the worst case).
Each reply is timed from sending the message to the end of the server's handling of it; the
*overhead* is that time minus the fake model's own time for the same reply. Afterwards the
database is read back: every message an employee sent must be a stored turn. Run from the
repository root::

    .venv/bin/python benchmarks/load.py [--employees 50] [--messages 3]

Goals: no error, no lost turn, p95 overhead at most 100 ms. The last line printed is a JSON
object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from _common import ROOT, emit, latency_summary, quiet

from assistant.schemas import Speaker, UserRole
from tests.ollama_server import DEFAULT_QUESTION, split_tokens
from tests.web.client import WebClient
from tests.web.server import WebServer, free_port

TTFT_SECONDS = 0.3
TOKENS_PER_SECOND = 40.0
ANSWERS = [
    "Je prépare les commandes des clients le matin, puis je les vérifie.",
    "En général je commence par la liste du jour, ensuite je range le stock.",
    "Souvent un collègue m'aide quand il y a beaucoup de livraisons.",
]
GOAL_P95_OVERHEAD_MS = 100.0


def model_seconds(reply: str) -> float:
    """How long the fake model takes to stream ``reply``: first token, then the others."""
    return TTFT_SECONDS + (len(split_tokens(reply)) - 1) / TOKENS_PER_SECOND


@dataclass
class Employee:
    client: WebClient
    sent: int = 0
    response_seconds: list[float] = field(default_factory=list)
    consent_seconds: float | None = None
    errors: list[str] = field(default_factory=list)


async def run_employee(
    employee: Employee, messages: int, start: asyncio.Event, think: float, seed: int
) -> None:
    client = employee.client
    try:
        await client.login()
        await client.connect()
        await client.wait_for(lambda: "J'accepte" in client.labels(), timeout=60)
        await start.wait()
        began = time.perf_counter()
        response = await client.click("J'accepte")
        if response.status_code != 200:
            raise RuntimeError(f"consent: HTTP {response.status_code}")
        employee.consent_seconds = time.perf_counter() - began
        employee.sent += 1
        await client.wait_for(lambda: "Retirer mon entretien" in client.labels(), timeout=60)
        pauses = random.Random(seed)
        for answer in ANSWERS[:messages]:
            if think:  # reading the question and typing the answer
                await asyncio.sleep(think * pauses.uniform(0.5, 1.5))
            began = time.perf_counter()
            await client.send(answer)
            employee.response_seconds.append(time.perf_counter() - began)
            employee.sent += 1
        failed = [
            data for event, data in client.events if isinstance(data, dict) and data.get("isError")
        ]
        if failed:
            employee.errors.append(f"error message shown: {failed[0].get('output')}")
    except Exception as error:
        employee.errors.append(f"{type(error).__name__}: {error}")
    finally:
        try:
            await client.disconnect()
        except Exception as error:
            employee.errors.append(f"disconnect: {error}")


async def drive(server: WebServer, count: int, messages: int, think: float) -> list[Employee]:
    employees = [Employee(server.client(f"employee{n:03d}")) for n in range(count)]
    start = asyncio.Event()
    tasks = [
        asyncio.create_task(run_employee(e, messages, start, think, seed))
        for seed, e in enumerate(employees)
    ]
    # Everyone signed in and looking at the consent question, then all answer at once.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not all(
        "J'accepte" in e.client.labels() or e.errors for e in employees
    ):
        await asyncio.sleep(0.1)
    start.set()
    await asyncio.gather(*tasks)
    return employees


def lost_turns(server: WebServer, employees: list[Employee]) -> int:
    """Messages sent that are not employee turns in the database."""
    lost = 0
    with server.store() as store:
        for employee in employees:
            thread = employee.client.thread_id
            stored = (
                [t for t in store.turns(thread) if t.speaker == Speaker.EMPLOYEE] if thread else []
            )
            lost += max(employee.sent - len(stored), 0)
    return lost


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=50)
    parser.add_argument("--messages", type=int, default=3, choices=range(1, len(ANSWERS) + 1))
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean seconds an employee takes to answer (0: everyone answers at once, the "
        "worst case)",
    )
    args = parser.parse_args()
    quiet()

    with tempfile.TemporaryDirectory(prefix="terrain-load-") as folder:
        ollama_port = free_port()
        ollama = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "tests" / "ollama_server.py"),
                "--port",
                str(ollama_port),
                "--ttft",
                str(TTFT_SECONDS),
                "--tps",
                str(TOKENS_PER_SECOND),
                "--quiet",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        server = WebServer(
            data_dir=Path(folder) / "data", ollama_url=f"http://127.0.0.1:{ollama_port}"
        )
        try:
            print(f"Adding {args.employees} employees…", file=sys.stderr)
            server.add_accounts(
                {f"employee{n:03d}": UserRole.EMPLOYEE for n in range(args.employees)}
            )
            server.start()
            print(f"Web app on {server.url}; {args.employees} employees at once…", file=sys.stderr)
            began = time.perf_counter()
            employees = asyncio.run(drive(server, args.employees, args.messages, args.think))
            wall = time.perf_counter() - began
            lost = lost_turns(server, employees)
        finally:
            server.stop()
            ollama.terminate()
            ollama.wait(timeout=10)

    model = model_seconds(DEFAULT_QUESTION)
    responses = [s for e in employees for s in e.response_seconds]
    overheads = [max(s - model, 0.0) for s in responses]
    consents = [e.consent_seconds - model for e in employees if e.consent_seconds is not None]
    errors = [error for e in employees for error in e.errors]
    for error in errors[:10]:
        print(f"error: {error}", file=sys.stderr)
    figures: dict[str, object] = {
        "benchmark": "web_load",
        "employees": args.employees,
        "messages_per_employee": args.messages,
        "think_s": args.think,
        "model_ttft_s": TTFT_SECONDS,
        "model_tokens_per_s": TOKENS_PER_SECOND,
        "model_seconds_per_reply": round(model, 3),
        "turns_sent": sum(e.sent for e in employees),
        "errors": len(errors),
        "lost_turns": lost,
        "wall_s": round(wall, 2),
    }
    if overheads:
        summary = latency_summary(overheads)
        figures.update({f"overhead_{key}": value for key, value in summary.items()})
        figures["response_p50_ms"] = latency_summary(responses)["p50_ms"]
        figures["response_p95_ms"] = latency_summary(responses)["p95_ms"]
    if consents:
        figures["consent_overhead_p95_ms"] = latency_summary([max(c, 0.0) for c in consents])[
            "p95_ms"
        ]
    figures["goals_met"] = bool(
        not errors
        and lost == 0
        and overheads
        and float(figures["overhead_p95_ms"]) <= GOAL_P95_OVERHEAD_MS  # type: ignore[arg-type]
    )
    emit(figures)


if __name__ == "__main__":
    main()
