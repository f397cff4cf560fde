"""Fifty employees interviewed at once through the web app, against a slow fake model.

Starts the fake Ollama in its own process with a real model's pace (300 ms to the first
token, then 40 tokens per second), ingests ``knowledge/`` so that every question is grounded
as in production, starts ``terrain serve``, signs in 50 employees and has each one consent and
answer three questions over Socket.IO, as browsers do. Before the clock starts, one more
employee consents and answers once, unmeasured: the figures are those of a server that has
been up for a while. Two scenarios, each on a fresh server:

* **paced** (the goal's scenario): fifty interviews in progress together, each employee
  pausing before every click or message for a time drawn between 0.5 and 1.5 times
  ``--think`` (3 s by default). People take tens of seconds to read a question and type an
  answer, so these fifty send about as many messages as several hundred real employees.
* **burst** (a stress test): all fifty press the button, then send each message, in the same
  instant. Whatever the server does for one message, the last of fifty waits for it to be
  done forty-nine times first.

Each reply is timed from sending the message (or clicking the consent button) to the end of
the server's handling of it; the *overhead* is that time minus the fake model's own time for
the calls the message made: the interviewer's reply and, for every answer after consent, the
safety classifier's verdict, which Terrain asks for at the same time (the longer of the two,
0.85 s for the verdict here; the bare Chainlit app makes one call). Its percentiles are
given over every message, then for answers and consent clicks apart; the *latency* (the whole
time, model included) is given beside them.
Afterwards the database is read back: every message an employee sent must be a stored turn.
The server's CPU time per message is read from ``/proc``, and the simulated browsers' own
event-loop lag is reported beside it.

``--bare-chainlit`` runs the same scenarios against ``_bare_chainlit_app.py``, Chainlit with
nothing of Terrain, which streams the same reply at the same pace: the floor that Chainlit
itself sets on this machine (no database, so no lost-turn check). ``--against-bare`` runs each
scenario on Terrain, then on bare Chainlit, and gives both servers' CPU per message and their
ratio (goal: at most ``GOAL_CPU_RATIO``). ``--py-spy FOLDER`` samples the server with py-spy
while the clock runs and prints the functions that hold its CPU most.

``--replicas 1,2`` runs the burst through nginx (``deploy/nginx/terrain.conf``) in front of
that many ``terrain serve --no-worker`` replicas, with one ``terrain worker`` extracting
meanwhile, all on a throwaway PostgreSQL and a Chroma server (tests/deploy/topology.py), once
per count in the same run: the overhead's p95 and the messages answered per second of each.

Run from the repository root::

    .venv/bin/python benchmarks/load.py [--scenario paced|burst|both] [--employees 50]

Goals (paced scenario): no error, no lost turn, p95 overhead of every message at most
100 ms. The last line printed is a JSON object with the figures of each scenario.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import httpx
from _common import ROOT, emit, latency_summary, percentile, quiet
from _profile import print_top, sampling

from assistant.schemas import (
    InterviewStatus,
    InterviewUpdate,
    JobKind,
    JobStatus,
    Phase,
    Speaker,
    UserRole,
)
from tests.deploy.topology import UPSTREAM_HEADER, Process, Topology, topology
from tests.ollama_server import DEFAULT_QUESTION, ORDINARY_VERDICT, split_tokens
from tests.postgres import postgres_cluster
from tests.web.client import WebClient
from tests.web.server import PASSWORD, WebServer, free_port, server_environment

TTFT_SECONDS = 0.3
TOKENS_PER_SECOND = 40.0
ANSWERS = [
    "Je prépare les commandes des clients le matin, puis je les vérifie.",
    "En général je commence par la liste du jour, ensuite je range le stock.",
    "Souvent un collègue m'aide quand il y a beaucoup de livraisons.",
]
GOAL_P95_OVERHEAD_MS = 100.0
IDLE_SECONDS = 3.0
GOAL_CPU_RATIO = 2.0  # Terrain's server CPU per message over bare Chainlit's, same run
WARM_UP_ACCOUNT = "warmup"
BARE_APP = ROOT / "benchmarks" / "_bare_chainlit_app.py"


def model_seconds(reply: str) -> float:
    """How long the fake model takes to stream ``reply``: first token, then the others."""
    return TTFT_SECONDS + (len(split_tokens(reply)) - 1) / TOKENS_PER_SECOND


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) a process has used so far, where ``/proc`` tells it."""
    times = cpu_times(pid)
    return None if times is None else sum(times)


def cpu_times(pid: int) -> tuple[float, float] | None:
    """User and system CPU time a process has used so far, where ``/proc`` tells it."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


class Server(Protocol):
    """What the scenario needs of a running web app."""

    @property
    def pid(self) -> int: ...

    def client(self, name: str) -> WebClient: ...


@dataclass
class Employee:
    client: WebClient
    sent: int = 0
    response_seconds: list[float] = field(default_factory=list)
    consent_seconds: float | None = None
    errors: list[str] = field(default_factory=list)


@dataclass
class Run:
    employees: list[Employee]
    seconds: float
    server_cpu_seconds: float | None
    client_lags: list[float]
    idle_cpu_share: float | None = None
    server_system_seconds: float | None = None  # the kernel's part of server_cpu_seconds


async def watch_lag(lags: list[float], stop: asyncio.Event) -> None:
    """How late this process's own event loop wakes up: the part of the measured overhead
    that the fifty simulated browsers, sharing one loop, add themselves."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        began = loop.time()
        await asyncio.sleep(0.01)
        lags.append(max(loop.time() - began - 0.01, 0.0))


async def run_employee(
    employee: Employee,
    messages: int,
    start: asyncio.Event,
    think: float,
    seed: int,
    *,
    started: bool = False,
) -> None:
    client = employee.client
    pauses = random.Random(seed)

    async def pause() -> None:  # reading what is shown, then clicking or typing
        if think:
            await asyncio.sleep(think * pauses.uniform(0.5, 1.5))

    try:
        await client.login()
        await client.connect()
        await client.wait_for(lambda: "J'accepte" in client.labels(), timeout=60)
        if not started:
            await start.wait()
        await pause()
        began = time.perf_counter()
        response = await client.click("J'accepte")
        if response.status_code != 200:
            raise RuntimeError(f"consent: HTTP {response.status_code}")
        await client.wait_for(lambda: "Retirer mon entretien" in client.labels(), timeout=60)
        employee.consent_seconds = time.perf_counter() - began
        employee.sent += 1
        for answer in ANSWERS[:messages]:
            await pause()
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


async def warm_up(server: Server, name: str) -> None:
    """One interview begun and answered before the clock starts, as on a server that has been
    up for a while: the first of anything (statements prepared, connections opened, code paths
    run once) is not what fifty people meet."""
    employee = Employee(server.client(name))
    await run_employee(employee, 1, asyncio.Event(), 0.0, 0, started=True)
    if employee.errors:
        raise RuntimeError(f"warming up failed: {employee.errors[0]}")


async def idle_cpu_share(pid: int) -> float | None:
    """The server's CPU per second while fifty sockets are open and nobody sends anything
    (``IDLE_SECONDS``): what it spends whatever the messages, so that a run slowed down by a
    loaded machine, which lasts longer, is charged for it (``server_cpu_ms_per_turn_net``)."""
    before = cpu_seconds(pid)
    began = time.perf_counter()
    await asyncio.sleep(IDLE_SECONDS)
    after = cpu_seconds(pid)
    if before is None or after is None:
        return None
    return (after - before) / (time.perf_counter() - began)


async def drive(
    server: Server, names: list[str], messages: int, think: float, profile: Path | None = None
) -> Run:
    await warm_up(server, WARM_UP_ACCOUNT)
    employees = [Employee(server.client(name)) for name in names]
    start = asyncio.Event()
    tasks = [
        asyncio.create_task(run_employee(e, messages, start, think, seed))
        for seed, e in enumerate(employees)
    ]
    # Everyone signed in and looking at the consent question before the clock starts.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not all(
        "J'accepte" in e.client.labels() or e.errors for e in employees
    ):
        await asyncio.sleep(0.1)
    print("Everyone signed in and asked for consent; now answering…", file=sys.stderr)
    idle = await idle_cpu_share(server.pid)
    lags: list[float] = []
    done = asyncio.Event()
    watcher = asyncio.create_task(watch_lag(lags, done))
    with sampling(server.pid, profile) if profile else nullcontext():
        cpu_before = cpu_times(server.pid)
        began = time.perf_counter()
        start.set()
        await asyncio.gather(*tasks)
        seconds = time.perf_counter() - began
        cpu_after = cpu_times(server.pid)
    if profile:
        print_top(profile)
    done.set()
    await watcher
    used = system = None
    if cpu_before is not None and cpu_after is not None:
        system = cpu_after[1] - cpu_before[1]
        used = cpu_after[0] - cpu_before[0] + system
    return Run(employees, seconds, used, lags, idle, system)


def lost_turns(server: WebServer, employees: list[Employee]) -> int:
    """Messages sent that are not employee turns in the database."""
    lost = 0
    with server.store() as store:
        for employee in employees:
            thread = employee.client.thread_id
            stored = (
                [t for t in store.interviews.turns(thread) if t.speaker == Speaker.EMPLOYEE]
                if thread
                else []
            )
            lost += max(employee.sent - len(stored), 0)
    return lost


# -- the servers --------------------------------------------------------------------------


@contextmanager
def fake_model() -> Iterator[str]:
    """The fake Ollama in its own process, at a real model's pace; yields its URL."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "tests" / "ollama_server.py"),
            "--port",
            str(port),
            "--ttft",
            str(TTFT_SECONDS),
            "--tps",
            str(TOKENS_PER_SECOND),
            "--quiet",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@dataclass
class TerrainServer:
    web: WebServer

    @property
    def pid(self) -> int:
        assert self.web.process is not None
        return self.web.process.pid

    def client(self, name: str) -> WebClient:
        return self.web.client(name)


def queue_extractions(web: WebServer, count: int) -> None:
    """Closed interviews with their extraction queued, for the server's worker to run while
    the employees talk (the fake model's answers are no codes: the jobs end failed, after
    the model calls and the repair attempt that a real extraction makes too)."""
    with web.store() as store:
        for _ in range(count):
            interview = store.interviews.create(language="fr")
            store.interviews.record_consent(interview.id, given=True, version="load")
            for answer in ANSWERS:
                store.interviews.add_turn(
                    interview.id,
                    speaker=Speaker.INTERVIEWER,
                    text=DEFAULT_QUESTION,
                    phase=Phase.EPISODE,
                )
                store.interviews.add_turn(
                    interview.id, speaker=Speaker.EMPLOYEE, text=answer, phase=Phase.EPISODE
                )
            store.interviews.update(
                interview.id, InterviewUpdate(status=InterviewStatus.CLOSED, phase=Phase.DONE)
            )
            store.jobs.enqueue(JobKind.EXTRACTION, interview.id)


def extractions_ended(web: WebServer) -> int:
    with web.store() as store:
        return sum(
            job.status in (JobStatus.DONE, JobStatus.FAILED)
            for job in store.jobs.where(kind=JobKind.EXTRACTION)
        )


@contextmanager
def terrain_server(folder: Path, names: list[str], extracting: int) -> Iterator[TerrainServer]:
    with fake_model() as ollama_url:
        web = WebServer(data_dir=folder / "data", ollama_url=ollama_url)
        print("Ingesting knowledge/ with the fake embedding model…", file=sys.stderr)
        subprocess.run(
            [sys.executable, "-c", "from assistant.cli import main; main()", "ingest", "--json"],
            cwd=ROOT,
            env=server_environment(web.data_dir, ollama_url),
            stdout=subprocess.DEVNULL,
            check=True,
        )
        web.add_accounts(dict.fromkeys([WARM_UP_ACCOUNT, *names], UserRole.EMPLOYEE))
        queue_extractions(web, extracting)
        web.start()
        try:
            yield TerrainServer(web)
        finally:
            web.stop()


@dataclass
class BareServer:
    url: str
    process: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid

    def client(self, name: str) -> WebClient:
        return WebClient(self.url, name, PASSWORD, language="fr-FR")


@contextmanager
def bare_server(folder: Path) -> Iterator[BareServer]:
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("CHAINLIT_")}
    env |= {"CHAINLIT_AUTH_SECRET": secrets.token_urlsafe(48), "PYTHONUNBUFFERED": "1"}
    chainlit = Path(sys.executable).with_name("chainlit")
    with (folder / "bare-chainlit.log").open("wb") as log:
        process = subprocess.Popen(
            [str(chainlit), "run", str(BARE_APP), "--headless", "--port", str(port)],
            cwd=folder,  # Chainlit writes its default files in the working directory
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = BareServer(f"http://127.0.0.1:{port}", process)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the bare Chainlit app did not start")
            try:
                if httpx.get(f"{server.url}/auth/config", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=15)


# -- one scenario -------------------------------------------------------------------------


def scenario(name: str, args: argparse.Namespace, *, bare_chainlit: bool) -> dict[str, object]:
    think = args.think if name == "paced" else 0.0
    names = [f"employee{n:03d}" for n in range(args.employees)]
    lost: int | None = None
    extracted: int | None = None
    profile = None
    if args.py_spy:
        args.py_spy.mkdir(parents=True, exist_ok=True)
        profile = args.py_spy / f"{name}-{'bare' if bare_chainlit else 'terrain'}.txt"
    with tempfile.TemporaryDirectory(prefix="terrain-load-") as folder:
        print(f"Scenario {name}: starting the server…", file=sys.stderr)
        if bare_chainlit:
            with bare_server(Path(folder)) as bare:
                run = asyncio.run(drive(bare, names, args.messages, think, profile))
        else:
            with terrain_server(Path(folder), names, args.extracting) as terrain:
                run = asyncio.run(drive(terrain, names, args.messages, think, profile))
                lost = lost_turns(terrain.web, run.employees)
                extracted = extractions_ended(terrain.web)
    figures = figures_of(run, think, lost, classified=not bare_chainlit)
    if extracted is not None:
        figures["extraction_jobs_ended_by_the_server_worker"] = extracted
    return figures


def figures_of(run: Run, think: float, lost: int | None, *, classified: bool) -> dict[str, object]:
    """Errors, lost turns, server CPU, and overheads: of every message (the goal's figure),
    then of the answers and of the consent clicks apart.

    An answer's model time is the longer of the classifier's verdict and the reply, asked
    together (``classified``); the consent click asks the classifier nothing (consent is read
    from the guide's words)."""
    reply = model_seconds(DEFAULT_QUESTION)
    answer_model = max(reply, model_seconds(ORDINARY_VERDICT)) if classified else reply
    employees = run.employees
    answers = [max(s - answer_model, 0.0) for e in employees for s in e.response_seconds]
    consents = [max(e.consent_seconds - reply, 0.0) for e in employees if e.consent_seconds]
    latencies = [s for e in employees for s in e.response_seconds]
    everything = answers + consents
    errors = [error for e in employees for error in e.errors]
    for error in errors[:10]:
        print(f"error: {error}", file=sys.stderr)
    turns = sum(e.sent for e in employees)
    figures: dict[str, object] = {
        "think_s": think,
        "turns_sent": turns,
        "errors": len(errors),
        "lost_turns": lost,
        "interviewing_s": round(run.seconds, 2),
    }
    if run.server_cpu_seconds is not None and turns:
        # What one answered message costs the server, whatever the pacing.
        figures["server_cpu_ms_per_turn"] = round(1000 * run.server_cpu_seconds / turns, 2)
        figures["server_cpu_share"] = round(run.server_cpu_seconds / run.seconds, 2)
        if run.server_system_seconds is not None:
            figures["server_system_cpu_ms_per_turn"] = round(
                1000 * run.server_system_seconds / turns, 2
            )
        if run.idle_cpu_share is not None:
            figures["server_idle_cpu_share"] = round(run.idle_cpu_share, 3)
            net = run.server_cpu_seconds - run.idle_cpu_share * run.seconds
            figures["server_cpu_ms_per_turn_net"] = round(1000 * max(net, 0.0) / turns, 2)
    for name, overheads in (("overhead", everything), ("answers", answers), ("consent", consents)):
        if overheads:
            summary = latency_summary(overheads)
            keys = summary if name == "overhead" else ("p50_ms", "p95_ms")
            figures.update({f"{name}_{key}": summary[key] for key in keys})
    if latencies:
        # What the employee waits for an answer, model included: at least the longer of the
        # classifier's verdict and the reply (model_seconds_per_verdict, _per_reply).
        figures.update(
            {
                f"answer_latency_{key}": value
                for key, value in latency_summary(latencies).items()
                if key in ("p50_ms", "p95_ms")
            }
        )
    if run.client_lags:
        figures["client_loop_lag_p95_ms"] = latency_summary(run.client_lags)["p95_ms"]
    figures["goals_met"] = bool(
        not errors
        and not lost
        and everything
        and percentile(everything, 0.95) * 1000 <= GOAL_P95_OVERHEAD_MS
    )
    return figures


# -- several replicas behind nginx ----------------------------------------------------------


@dataclass
class ReplicatedServer:
    """The proxy in front of the replicas; ``pid`` (the first replica's) is only what the
    scenario's protocol asks: CPU per message is not measured across replicas."""

    topology: Topology

    @property
    def pid(self) -> int:
        return self.topology.replicas[0].pid

    def client(self, name: str) -> WebClient:
        return WebClient(self.topology.url, name, PASSWORD, language="fr-FR")


@dataclass
class DirectReplica:
    """One replica reached without the proxy: to warm each one up before the clock starts
    (through the proxy, the warm-up account reaches only the replica its cookie hashes to)."""

    process: Process
    port: int

    @property
    def pid(self) -> int:
        return self.process.pid

    def client(self, name: str) -> WebClient:
        return WebClient(f"http://127.0.0.1:{self.port}", name, PASSWORD, language="fr-FR")


async def warm_up_each(started: Topology) -> None:
    for replica in started.replicas:
        await warm_up(DirectReplica(replica, started.replica_port(replica)), WARM_UP_ACCOUNT)


async def replicas_used(employees: list[Employee]) -> dict[str, int]:
    """How many employees nginx sent to each replica (by its answer's upstream header)."""
    counts: dict[str, int] = {}
    for employee in employees:
        async with employee.client.http() as http:
            answer = await http.get("/health")
        address = answer.headers.get(UPSTREAM_HEADER, "?")
        counts[address] = counts.get(address, 0) + 1
    return counts


def replicated_scenario(
    replicas: int, args: argparse.Namespace, database_url: str
) -> dict[str, object]:
    """The burst through nginx in front of ``replicas`` replicas (one worker beside them)."""
    names = [f"employee{n:03d}" for n in range(args.employees)]
    with tempfile.TemporaryDirectory(prefix="terrain-load-replicas-") as name, fake_model() as url:
        folder = Path(name)
        shared = folder / "data"
        # This process reads and writes the same database (accounts, jobs, lost turns).
        os.environ["TERRAIN_DATABASE_URL"] = database_url
        web = WebServer(data_dir=shared, ollama_url=url)

        def prepare(started: Topology) -> None:
            os.environ["TERRAIN_CHROMA_URL"] = started.chroma_url
            print("Ingesting knowledge/ into the Chroma server…", file=sys.stderr)
            subprocess.run(
                [sys.executable, "-c", "from assistant.cli import main; main()", "ingest"],
                cwd=ROOT,
                env=started.environment(shared),
                stdout=subprocess.DEVNULL,
                check=True,
            )
            web.add_accounts(dict.fromkeys([WARM_UP_ACCOUNT, *names], UserRole.EMPLOYEE))
            queue_extractions(web, args.extracting)

        print(f"Burst through nginx, {replicas} replica(s): starting…", file=sys.stderr)
        with topology(
            folder,
            database_url=database_url,
            ollama_url=url,
            replicas=replicas,
            workers=1,
            shared_data_dir=shared,
            prepare=prepare,
        ) as started:
            asyncio.run(warm_up_each(started))
            run = asyncio.run(drive(ReplicatedServer(started), names, args.messages, 0.0))
            spread = asyncio.run(replicas_used(run.employees))
            lost = lost_turns(web, run.employees)
            extracted = extractions_ended(web)
    figures = figures_of(run, 0.0, lost, classified=True)
    for key in ("server_cpu_ms_per_turn", "server_cpu_share", "goals_met"):
        figures.pop(key, None)
    turns = int(str(figures["turns_sent"]))
    return {
        "replicas": replicas,
        "messages_per_s": round(turns / run.seconds, 2) if run.seconds else None,
        **figures,
        "employees_per_replica": sorted(spread.values(), reverse=True),
        "extraction_jobs_ended_by_the_worker": extracted,
    }


def run_replicas(args: argparse.Namespace) -> None:
    counts = [int(part) for part in args.replicas.split(",") if part.strip()]
    with postgres_cluster() as cluster:
        results = []
        for count in counts:
            cluster.empty()
            results.append(replicated_scenario(count, args, cluster.url))
    for figures in results:
        print(
            f"burst, {figures['replicas']} replica(s): {figures['errors']} errors, "
            f"{figures['lost_turns']} lost turns, overhead p95 {figures.get('overhead_p95_ms')} ms,"
            f" {figures['messages_per_s']} messages/s",
            file=sys.stderr,
        )
    emit(
        {
            "benchmark": "web_load_replicas",
            "scenario": "burst",
            "employees": args.employees,
            "messages_per_employee": args.messages + 1,
            "extracting": args.extracting,
            "model_ttft_s": TTFT_SECONDS,
            "model_tokens_per_s": TOKENS_PER_SECOND,
            "runs": results,
        }
    )


def compare_with_bare(figures: dict[str, object], bare: dict[str, object]) -> None:
    """Bare Chainlit's figures beside Terrain's, from the same run, and the CPU ratio."""
    keys = (
        "server_cpu_ms_per_turn",
        "server_cpu_ms_per_turn_net",
        "server_system_cpu_ms_per_turn",
        "server_idle_cpu_share",
    )
    for key in (*keys, "overhead_p50_ms", "overhead_p95_ms", "errors"):
        figures[f"bare_chainlit_{key}"] = bare.get(key)
    ours, theirs = figures.get("server_cpu_ms_per_turn"), bare.get("server_cpu_ms_per_turn")
    if isinstance(ours, float) and isinstance(theirs, float) and theirs > 0:
        figures["cpu_ratio_to_bare_chainlit"] = round(ours / theirs, 2)
        figures["cpu_goal_met"] = ours / theirs <= GOAL_CPU_RATIO
    ours, theirs = figures.get("server_cpu_ms_per_turn_net"), bare.get("server_cpu_ms_per_turn_net")
    if isinstance(ours, float) and isinstance(theirs, float) and theirs > 0:
        figures["cpu_ratio_to_bare_chainlit_net"] = round(ours / theirs, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=["paced", "burst", "both"], default="both")
    parser.add_argument("--employees", type=int, default=50)
    parser.add_argument("--messages", type=int, default=3, choices=range(1, len(ANSWERS) + 1))
    parser.add_argument(
        "--think", type=float, default=3.0, help="mean pause before each action (paced), s"
    )
    parser.add_argument(
        "--extracting",
        type=int,
        default=40,
        help="closed interviews queued for extraction, run by the server's worker meanwhile",
    )
    parser.add_argument(
        "--bare-chainlit",
        action="store_true",
        help="measure Chainlit alone (benchmarks/_bare_chainlit_app.py) instead of Terrain",
    )
    parser.add_argument(
        "--replicas",
        default=None,
        help="comma-separated replica counts (e.g. 1,2): the burst through nginx in front of "
        "that many `terrain serve --no-worker`, on PostgreSQL and a Chroma server",
    )
    parser.add_argument(
        "--against-bare",
        action="store_true",
        help="after each scenario, run it on bare Chainlit too and give the CPU ratio",
    )
    parser.add_argument(
        "--py-spy",
        type=Path,
        metavar="FOLDER",
        help="sample the server with py-spy while the clock runs; collapsed stacks go here",
    )
    args = parser.parse_args()
    quiet()
    if args.replicas:
        run_replicas(args)
        return
    names = ["paced", "burst"] if args.scenario == "both" else [args.scenario]
    results = {name: scenario(name, args, bare_chainlit=args.bare_chainlit) for name in names}
    if args.against_bare and not args.bare_chainlit:
        for name, figures in results.items():
            compare_with_bare(figures, scenario(name, args, bare_chainlit=True))
    for name, figures in results.items():
        print(
            f"{name}: {figures['errors']} errors, {figures['lost_turns']} lost turns, "
            f"overhead p50 {figures.get('overhead_p50_ms')} ms, "
            f"p95 {figures.get('overhead_p95_ms')} ms, "
            f"{figures.get('server_cpu_ms_per_turn')} ms of server CPU a message "
            f"({figures.get('server_cpu_ms_per_turn_net')} ms beyond its idle "
            f"{figures.get('server_idle_cpu_share')} s/s)",
            file=sys.stderr,
        )
        if "cpu_ratio_to_bare_chainlit" in figures:
            print(
                f"{name}: bare Chainlit {figures['bare_chainlit_server_cpu_ms_per_turn']} ms of "
                f"server CPU a message, overhead p95 {figures['bare_chainlit_overhead_p95_ms']} "
                f"ms ({figures['bare_chainlit_server_cpu_ms_per_turn_net']} ms beyond its idle); "
                f"Terrain/bare CPU ratio {figures['cpu_ratio_to_bare_chainlit']} "
                f"(goal <= {GOAL_CPU_RATIO}), beyond idle "
                f"{figures.get('cpu_ratio_to_bare_chainlit_net')}",
                file=sys.stderr,
            )
    emit(
        {
            "benchmark": "web_load_bare_chainlit" if args.bare_chainlit else "web_load",
            "employees": args.employees,
            "messages_per_employee": args.messages + 1,  # the consent click, then the answers
            "model_ttft_s": TTFT_SECONDS,
            "model_tokens_per_s": TOKENS_PER_SECOND,
            "model_seconds_per_reply": round(model_seconds(DEFAULT_QUESTION), 3),
            "model_seconds_per_verdict": (
                None if args.bare_chainlit else round(model_seconds(ORDINARY_VERDICT), 3)
            ),
            "scenarios": results,
            "goals_met": results["paced"]["goals_met"] if "paced" in results else None,
        }
    )


if __name__ == "__main__":
    main()
