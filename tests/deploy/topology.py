"""Terrain's multi-replica topology on this machine, for the deployment test and the load
benchmark: a Chroma server (``chroma run``), nginx from a configuration generated out of
``deploy/nginx/terrain.conf``, ``terrain serve --no-worker`` replicas and ``terrain worker``
processes, all sharing one database, one Chroma server and one secret, each on a free loopback
port with a data folder of its own.

Every wait polls its real condition under a generous cap (the machine may be loaded).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.web.server import ROOT, free_port, server_environment

NGINX_SITE = ROOT / "deploy" / "nginx" / "terrain.conf"
# A header naming the replica that answered, added by the tests' configuration only: the test
# must know which replica to kill.
UPSTREAM_HEADER = "X-Terrain-Upstream"
CAP_SECONDS = 300.0
_SERVER_LINE = re.compile(r"^\s*server 127\.0\.0\.1:\d+ .*;\n", re.MULTILINE)
_LISTEN = re.compile(r"^(\s*)listen 80;$", re.MULTILINE)
_LOCATION = re.compile(r"^(\s*)proxy_pass http://terrain_web;$", re.MULTILINE)

_DIRECT = httpx.Client(trust_env=False, timeout=5)  # loopback: never through a proxy


def nginx_executable() -> str | None:
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None


def chroma_executable() -> str | None:
    beside_python = Path(sys.executable).with_name("chroma")
    if beside_python.is_file() and os.access(beside_python, os.X_OK):
        return str(beside_python)
    return shutil.which("chroma")


def wait_until(condition: Callable[[], bool], what: str, cap: float = CAP_SECONDS) -> float:
    """Poll ``condition`` until it holds; the seconds it took. Fails after ``cap``."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > cap:
            raise TimeoutError(f"{what}: still not so after {cap:.0f} s")
        time.sleep(0.1)
    return time.monotonic() - started


def answers(url: str) -> bool:
    try:
        return _DIRECT.get(url).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass
class Process:
    """A process of the topology, its output in a log file."""

    name: str
    command: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_ready(self, ready: Callable[[], bool]) -> None:
        def up() -> bool:
            if not self.running():
                raise RuntimeError(f"{self.name} exited:\n{self.output()[-3000:]}")
            return ready()

        try:
            wait_until(up, f"{self.name} starting")
        except TimeoutError as error:
            raise RuntimeError(f"{error}:\n{self.output()[-3000:]}") from None

    def kill(self) -> None:
        """``kill -9``: a crash, nothing handed back."""
        if self.running():
            assert self.process is not None
            self.process.kill()
        if self.process is not None:
            self.process.wait(timeout=30)

    def stop(self, signum: int = signal.SIGTERM) -> None:
        if not self.running():
            return
        assert self.process is not None
        self.process.send_signal(signum)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def terrain_command(*arguments: str) -> list[str]:
    return [sys.executable, "-c", "from assistant.cli import main; main()", *arguments]


def nginx_site(replica_ports: list[int], port: int) -> str:
    """``deploy/nginx/terrain.conf`` with these replicas, listening on ``port`` on loopback,
    and the header naming the replica that answered."""
    site = NGINX_SITE.read_text(encoding="utf-8")
    servers = "".join(
        f"    server 127.0.0.1:{replica} max_fails=1 fail_timeout=10s;\n"
        for replica in replica_ports
    )
    first = _SERVER_LINE.search(site)
    assert first is not None, "deploy/nginx/terrain.conf names no replica"
    site = _SERVER_LINE.sub("", site)
    site = site[: first.start()] + servers + site[first.start() :]
    site, listens = _LISTEN.subn(rf"\1listen 127.0.0.1:{port};", site)
    site, locations = _LOCATION.subn(
        rf"\g<0>\n\1add_header {UPSTREAM_HEADER} $upstream_addr always;", site
    )
    assert listens == 1, "deploy/nginx/terrain.conf: not one `listen 80;`"
    assert locations == 1, "deploy/nginx/terrain.conf: not one `proxy_pass`"
    return site


def nginx_main(prefix: Path, site: Path) -> str:
    """A whole nginx.conf around the site, everything under ``prefix``."""
    user = "user root root;\n" if os.geteuid() == 0 else ""  # temp files in root's folder
    temp = "\n".join(
        f"    {kind}_temp_path {prefix / 'temp' / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"{user}worker_processes 1;\npid {prefix / 'nginx.pid'};\n"
        f"error_log {prefix / 'error.log'} warn;\n"
        "events { worker_connections 1024; }\n"
        "http {\n"
        f"    access_log {prefix / 'access.log'};\n"
        f"{temp}\n"
        f"    include {site};\n"
        "}\n"
    )


@dataclass
class Topology:
    """The processes started, and what a test or benchmark needs to drive them."""

    folder: Path
    database_url: str
    ollama_url: str
    secret: str = field(default_factory=lambda: secrets.token_hex(32))
    extra_env: dict[str, str] = field(default_factory=dict)
    # One data folder for every process (the retrieval files written by `terrain ingest`
    # are still per folder); None: a folder of its own for each.
    shared_data_dir: Path | None = None
    chroma_url: str = ""
    proxy_port: int = 0
    replicas: list[Process] = field(default_factory=list)
    workers: list[Process] = field(default_factory=list)
    others: list[Process] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The proxy: where the employees go."""
        return f"http://127.0.0.1:{self.proxy_port}"

    def environment(self, data_dir: Path) -> dict[str, str]:
        """What every Terrain process of the topology shares, and its own data folder."""
        data_dir = self.shared_data_dir or data_dir
        return server_environment(data_dir, self.ollama_url) | {
            "TERRAIN_DATABASE_URL": self.database_url,
            "TERRAIN_CHROMA_URL": self.chroma_url,
            "TERRAIN_SECRET_KEY": self.secret,
            "TERRAIN_TRUSTED_PROXIES": "127.0.0.1",
            **self.extra_env,
        }

    def replica_port(self, replica: Process) -> int:
        return int(replica.command[-1])

    def replica_at(self, address: str) -> Process:
        """The replica nginx names by ``address`` (its ``$upstream_addr``)."""
        port = int(address.rsplit(":", 1)[-1])
        return next(r for r in self.replicas if self.replica_port(r) == port)

    def pids(self) -> list[int]:
        return [p.pid for p in self.replicas if p.running()]


def start_chroma(topology: Topology) -> None:
    executable = chroma_executable()
    if executable is None:
        raise RuntimeError("the `chroma` executable (chromadb's server) is not installed")
    port = free_port()
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False", "CHROMA_TELEMETRY__ENABLED": "false"}
    address = ["--host", "127.0.0.1", "--port", str(port)]
    chroma = Process(
        "chroma run",
        [executable, "run", "--path", str(topology.folder / "chroma"), *address],
        env,
        topology.folder / "chroma.log",
    ).start()
    topology.others.append(chroma)
    topology.chroma_url = f"http://127.0.0.1:{port}"
    chroma.wait_ready(lambda: answers(f"{topology.chroma_url}/api/v2/heartbeat"))


def start_replica(topology: Topology, number: int) -> Process:
    port = free_port()
    data_dir = topology.folder / f"web-{number}"
    replica = Process(
        f"replica {number}",
        terrain_command("serve", "--no-worker", "--port", str(port)),
        topology.environment(data_dir),
        topology.folder / f"web-{number}.log",
    ).start()
    topology.replicas.append(replica)
    replica.wait_ready(lambda: answers(f"http://127.0.0.1:{port}/health"))
    return replica


def start_worker(topology: Topology, number: int) -> Process:
    worker = Process(
        f"worker {number}",
        terrain_command("worker"),
        topology.environment(topology.folder / f"worker-{number}"),
        topology.folder / f"worker-{number}.log",
    ).start()
    topology.workers.append(worker)
    return worker


def start_proxy(topology: Topology) -> None:
    executable = nginx_executable()
    if executable is None:
        raise RuntimeError("nginx is not installed")
    prefix = topology.folder / "nginx"
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / "temp" / kind).mkdir(parents=True, exist_ok=True)
    topology.proxy_port = free_port()
    site = prefix / "terrain.conf"
    ports = [topology.replica_port(replica) for replica in topology.replicas]
    site.write_text(nginx_site(ports, topology.proxy_port), encoding="utf-8")
    main = prefix / "nginx.conf"
    main.write_text(nginx_main(prefix, site), encoding="utf-8")
    command = [executable, "-p", str(prefix), "-e", str(prefix / "error.log"), "-c", str(main)]
    checked = subprocess.run(
        [*command, "-t"], capture_output=True, text=True, check=False, timeout=60
    )
    if checked.returncode != 0:
        raise RuntimeError(f"nginx -t refused the configuration:\n{checked.stderr}")
    proxy = Process(
        "nginx", [*command, "-g", "daemon off;"], dict(os.environ), prefix / "nginx.out"
    ).start()
    topology.others.append(proxy)
    proxy.wait_ready(lambda: answers(f"{topology.url}/health"))


@contextmanager
def topology(
    folder: Path,
    *,
    database_url: str,
    ollama_url: str,
    replicas: int = 2,
    workers: int = 1,
    extra_env: dict[str, str] | None = None,
    shared_data_dir: Path | None = None,
    prepare: Callable[[Topology], None] | None = None,
) -> Iterator[Topology]:
    """Chroma, ``replicas`` web replicas, ``workers`` workers and nginx in front, all stopped
    at the end (whatever a test killed already). ``prepare`` runs once Chroma is up, before
    any Terrain process starts."""
    started = Topology(
        folder,
        database_url,
        ollama_url,
        extra_env=dict(extra_env or {}),
        shared_data_dir=shared_data_dir,
    )
    with ExitStack() as stack:
        stack.callback(_stop_all, started)
        start_chroma(started)
        if prepare is not None:
            prepare(started)
        for number in range(1, replicas + 1):
            start_replica(started, number)
        for number in range(1, workers + 1):
            start_worker(started, number)
        start_proxy(started)
        yield started


def _stop_all(started: Topology) -> None:
    for process in [*started.others[::-1], *started.workers, *started.replicas]:
        process.stop(signal.SIGINT if process in started.replicas else signal.SIGTERM)
