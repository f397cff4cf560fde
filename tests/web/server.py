"""`terrain serve` in a subprocess, on a free loopback port, for tests and benchmarks."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from assistant.auth import add_user
from assistant.config import Settings, load_settings
from assistant.schemas import UserRole
from assistant.store import Store
from tests.web.client import WebClient
from tests.web.waiting import HANG_CAP_SECONDS

ROOT = Path(__file__).resolve().parents[2]
CHAT_MODEL = "mistral-small3.2"
EMBED_MODEL = "bge-m3"
# Generous: on a loaded machine (CI, shared cores) importing Chainlit alone can take a minute.
START_TIMEOUT = HANG_CAP_SECONDS  # starting the server, on a loaded machine too
PASSWORD = "un-mot-de-passe-solide"

# name -> role; every account has PASSWORD
ACCOUNTS = {
    "alice": UserRole.EMPLOYEE,
    "bob": UserRole.EMPLOYEE,
    "chloe": UserRole.EMPLOYEE,
    "fanny": UserRole.FACILITATOR,
    "lea": UserRole.LEADERSHIP,
    "adam": UserRole.ADMIN,
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_environment(data_dir: Path, ollama_url: str) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("TERRAIN_", "CHAINLIT_", "LITERAL_")) and name != "OLLAMA_HOST"
    }
    env.update(
        {
            "TERRAIN_CONFIG": os.devnull,
            "TERRAIN_DATA_DIR": str(data_dir),
            "OLLAMA_HOST": ollama_url,
            "TERRAIN_CHAT_MODEL": CHAT_MODEL,
            "TERRAIN_EMBED_MODEL": EMBED_MODEL,
            "TERRAIN_RETRY_BACKOFF": "0.01",
            "TERRAIN_REQUEST_TIMEOUT": "20",
            "ANONYMIZED_TELEMETRY": "False",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


@dataclass
class WebServer:
    """A running `terrain serve`; :meth:`restart` keeps its data folder and port."""

    data_dir: Path
    ollama_url: str
    port: int = field(default_factory=free_port)
    extra_env: dict[str, str] = field(default_factory=dict)
    log: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def settings(self) -> Settings:
        return load_settings(data_dir=self.data_dir, ollama_host=self.ollama_url)

    def start(self) -> WebServer:
        self.log = self.data_dir.parent / f"serve-{self.port}-{int(time.time() * 1000)}.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    "from assistant.cli import main; main()",
                    "serve",
                    "--port",
                    str(self.port),
                ],
                cwd=ROOT,
                env=server_environment(self.data_dir, self.ollama_url) | self.extra_env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"terrain serve exited:\n{self.output()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"terrain serve did not start in {START_TIMEOUT} s:\n{self.output()}")

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def restart(self) -> None:
        self.stop()
        self.start()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log and self.log.exists() else ""

    def store(self) -> Store:
        return Store.open(self.settings)

    def client(self, name: str, language: str = "fr-FR") -> WebClient:
        return WebClient(self.url, name, PASSWORD, language=language)

    def add_accounts(self, accounts: dict[str, UserRole], password: str = PASSWORD) -> None:
        with self.store() as store:
            for name, role in accounts.items():
                add_user(store, name, role, password)
