"""Starting the Chainlit server: a private working folder, sign-in secret, no outside fetches.

chainlit: the chat interface, streamed messages, sign-in (password, header or OAuth) and
threads, that Terrain would otherwise have to build and keep up itself.

Chainlit reads its configuration from the folder named by ``CHAINLIT_APP_ROOT`` when it is
first imported, and writes there (translations, uploads). Terrain gives it a folder of its own
under the data directory, filled from the repository's ``.chainlit/config.toml`` and
``chainlit.md`` (its rules filled from the settings: :func:`assistant.promises.readme`), and
Terrain's translations, stylesheet and script (:mod:`assistant.web.appearance`), so that
running the app never writes into the source tree. The page Chainlit serves is rewritten
without its links to outside servers (web fonts, a CDN stylesheet), and every response carries
a Content-Security-Policy that only allows this server.

Nothing here imports Chainlit before the environment is ready.
"""

from __future__ import annotations

import asyncio
import base64
import ctypes
import errno
import hashlib
import hmac
import importlib.util
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager, nullcontext, suppress
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.errors import TerrainError
from assistant.privacy import server_secret
from assistant.promises import readme
from assistant.web import appearance

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
APP_FILE = Path(__file__).resolve().with_name("app.py")
CONFIG_SOURCE = REPO_ROOT / ".chainlit" / "config.toml"
WELCOME_SOURCE = REPO_ROOT / "chainlit.md"
FRONTEND_FOLDER = "frontend"  # the config's [UI] custom_build
# Seconds the server gives its extraction worker to hand its job back when it stops.
WORKER_STOP_SECONDS = 10.0
# The worker's CPU priority (nice): extraction and republishing can wait, an employee's answer
# cannot. At 10, the kernel gives the worker about a tenth of the CPU the server asks for when
# both want it, and all of it when the server is idle.
WORKER_NICENESS = 10
PR_SET_PDEATHSIG = 1  # prctl(2)
# The worker that dies is started again after a back-off, doubled at each death in a row.
RESTART_FIRST_SECONDS = 1.0
RESTART_MAX_SECONDS = 60.0
RESTART_HEALTHY_SECONDS = 60.0  # a worker that ran this long died afresh: the back-off restarts

# Chainlit variables that would send data elsewhere or bypass Terrain's data layer.
FOREIGN_VARIABLES = ("LITERAL_API_KEY", "LITERAL_API_URL", "LITERAL_SERVER", "DATABASE_URL")

_EXTERNAL_LINK = re.compile(r"<link\b[^>]*\bhref=\"(?:https?:)?//[^\"]*\"[^>]*>\s*", re.DOTALL)
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def app_root(settings: Settings) -> Path:
    return settings.data_dir / "web"


def auth_secret(settings: Settings) -> str:
    """The key that signs sign-in tokens, derived from the installation's secret."""
    return hmac.new(server_secret(settings), b"terrain web sign-in", hashlib.sha256).hexdigest()


def _chainlit_frontend() -> Path:
    spec = importlib.util.find_spec("chainlit")
    if spec is None or spec.origin is None:
        raise TerrainError(
            "Chainlit is not installed.", fix="Run `make run` (or `uv sync`) to install it."
        )
    return Path(spec.origin).parent / "frontend" / "dist"


def without_external_links(html: str) -> str:
    """The page without ``<link>`` tags that point to another server."""
    return _EXTERNAL_LINK.sub("", html)


def prepare_app_root(settings: Settings) -> Path:
    """Fill Chainlit's working folder: configuration, welcome text, the rewritten page."""
    for source in (CONFIG_SOURCE, WELCOME_SOURCE):
        if not source.is_file():
            raise TerrainError(
                f"The web app's file {source} is missing.",
                fix="Run Terrain from its source folder, which holds .chainlit/ and chainlit.md.",
            )
    root = app_root(settings)
    (root / ".chainlit").mkdir(mode=0o700, parents=True, exist_ok=True)
    shutil.copyfile(CONFIG_SOURCE, root / ".chainlit" / "config.toml")
    (root / "chainlit.md").write_text(readme(settings, WELCOME_SOURCE), encoding="utf-8")
    packaged = _chainlit_frontend()
    appearance.install(root, settings, packaged.parents[1])
    frontend = root / FRONTEND_FOLDER
    frontend.mkdir(exist_ok=True)
    page = (packaged / "index.html").read_text(encoding="utf-8")
    (frontend / "index.html").write_text(without_external_links(page), encoding="utf-8")
    for name in ("favicon.svg", "logo_dark.svg", "logo_light.svg"):
        if (packaged / name).is_file():
            shutil.copyfile(packaged / name, frontend / name)
    assets = frontend / "assets"
    if assets.is_symlink() or assets.exists():
        if assets.is_symlink() and assets.resolve() == (packaged / "assets").resolve():
            return root
        if assets.is_symlink() or assets.is_file():
            assets.unlink()
        else:
            shutil.rmtree(assets)
    assets.symlink_to(packaged / "assets", target_is_directory=True)
    return root


def chainlit_environment(settings: Settings, host: str, port: int) -> dict[str, str]:
    """The variables Chainlit reads at import: where it works, the sign-in key, the address."""
    env = {
        "CHAINLIT_APP_ROOT": str(app_root(settings)),
        "CHAINLIT_HOST": host,
        "CHAINLIT_PORT": str(port),
    }
    if not os.environ.get("CHAINLIT_AUTH_SECRET"):
        env["CHAINLIT_AUTH_SECRET"] = auth_secret(settings)
    return env


def check_address(host: str, port: int) -> None:
    """Fail with a clear error, before anything is announced, if the app cannot listen there.

    Chainlit announces the address first and only then lets the server try to listen, which
    fails with a bare "[Errno 98]" and exit status 0. Binding once here, the way the server
    does (``SO_REUSEADDR``, so that connections closing on a stopped server are no obstacle),
    finds a taken port or an address this machine does not have.
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except socket.gaierror:
        raise TerrainError(
            f"Unknown address {host!r} to listen on.",
            fix="Give --host an address of this machine (127.0.0.1, or 0.0.0.0 for all).",
        ) from None
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise TerrainError(
                f"Port {port} on {host} is already in use (another Terrain, or another program).",
                fix="Stop it, or choose another port with --port.",
            ) from None
        raise TerrainError(
            f"Cannot listen on {host}:{port}: {error.strerror or error}.",
            fix="Choose another address or port with --host and --port.",
        ) from None


class SupervisedWorker:
    """``terrain worker`` as a child process, started again whenever it dies.

    A process and not a thread of the server: extraction's own CPU (prompts, token counts,
    parsing) would otherwise take the interpreter lock from the event loop that answers the
    employees; with 40 extractions running beside 50 employees, a thread put the p95 overhead
    of a message at 596 ms.

    A thread waits on the child (so that a dead one is reaped at once, never left a zombie),
    logs its death, and starts it again after a back-off: RESTART_FIRST_SECONDS, doubled at
    each death in a row up to RESTART_MAX_SECONDS, back to the first once a child has run for
    RESTART_HEALTHY_SECONDS. :meth:`stop` sends SIGTERM, which gives the job back to the queue.
    """

    def __init__(self, command: list[str]) -> None:
        self.command = command
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._supervise, name="worker-supervisor")

    def start(self) -> SupervisedWorker:
        self._spawn()
        self._thread.start()
        return self

    def _spawn(self) -> subprocess.Popen[bytes] | None:
        with self._lock:
            if self._stopping.is_set():
                return None
            self.process = subprocess.Popen(  # noqa: S603 - our own command
                self.command,
                stdout=subprocess.DEVNULL,
                preexec_fn=_as_background_child if os.name == "posix" else None,
            )
            return self.process

    def _supervise(self) -> None:
        delay = RESTART_FIRST_SECONDS
        process = self.process
        while process is not None:
            started = time.monotonic()
            status = process.wait()  # reaps it: no zombie
            if self._stopping.is_set():
                return
            if time.monotonic() - started >= RESTART_HEALTHY_SECONDS:
                delay = RESTART_FIRST_SECONDS
            self.restarts += 1
            log.warning(
                "The extraction worker (pid %d) stopped (%s); starting it again in %.0f s "
                "(restart %d).",
                process.pid,
                _exit_description(status),
                delay,
                self.restarts,
            )
            if self._stopping.wait(delay):
                return
            delay = min(delay * 2, RESTART_MAX_SECONDS)
            process = self._spawn()
            if process is not None:
                log.warning("The extraction worker is running again (pid %d).", process.pid)

    def stop(self) -> None:
        with self._lock:
            self._stopping.set()
            process = self.process
        if process is not None:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(WORKER_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._thread.is_alive():
            self._thread.join()


def _exit_description(status: int) -> str:
    if status < 0:
        with suppress(ValueError):
            return f"killed by {signal.Signals(-status).name}"
        return f"killed by signal {-status}"
    return f"exit status {status}"


@contextmanager
def extraction_worker() -> Iterator[SupervisedWorker]:
    """``terrain worker`` as a supervised child process (:class:`SupervisedWorker`), for as
    long as the block runs."""
    command = [sys.executable, "-c", "from assistant.cli import main; main()", "worker"]
    supervisor = SupervisedWorker(command).start()
    try:
        yield supervisor
    finally:
        supervisor.stop()


def _as_background_child() -> None:
    """In the worker before it starts: a lower CPU priority (WORKER_NICENESS) and, on Linux,
    SIGTERM should the server die without stopping it (SIGKILL)."""
    with suppress(OSError):
        os.nice(WORKER_NICENESS)
    if sys.platform == "linux":
        with suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def serve(settings: Settings, host: str, port: int, *, with_worker: bool = True) -> None:
    """Run the web app in this process until it is stopped (Ctrl-C or SIGTERM), with an
    extraction worker beside it (:func:`extraction_worker`), started and stopped with it,
    unless ``with_worker`` is false (a replica whose workers run apart)."""
    prepare_app_root(settings)
    for name in FOREIGN_VARIABLES:
        os.environ.pop(name, None)
    os.environ.update(chainlit_environment(settings, host, port))

    from chainlit.config import config

    config.run.headless = True  # never open a browser on the server
    config.run.watch = False
    with extraction_worker() if with_worker else nullcontext():
        _serve_app(host, port)


def _serve_app(host: str, port: int) -> None:
    """Chainlit's app, served by uvicorn on :func:`event_loop_factory`'s loop until stopped.

    Not through ``chainlit run``'s module (``chainlit.cli``): importing it applies
    nest_asyncio, so that a running loop can be entered again, and to that end swaps asyncio's
    tasks and futures, written in C, for their pure-Python versions, whose bookkeeping then
    costs every message of every conversation. Terrain never enters a running loop again (the
    one Chainlit feature that does, chat profiles, is not used).
    """
    import uvicorn
    from chainlit.auth import ensure_jwt_secret
    from chainlit.config import config, load_module
    from chainlit.server import app

    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stdout,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    config.run.host, config.run.port = host, port
    config.run.module_name = str(APP_FILE)
    load_module(config.run.module_name)
    ensure_jwt_secret()
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="error"))
    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
        runner.run(server.serve())


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop (libuv's, in C) where it is installed, as on Linux and macOS; None
    for asyncio's own elsewhere (Windows). Under fifty conversations at once, the loop's own
    work is a large part of a message's cost (docs/architecture.md gives the figures)."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


# -- response headers ------------------------------------------------------------------------

ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
    Awaitable[None],
]


def content_security_policy(page: str) -> str:
    """Only this server: its own scripts (and the page's inline ones, by hash), no frames."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(page)
    )
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {hashes}".strip(),
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "media-src 'self' blob:",
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'self'",
        ]
    )


class SecurityHeaders:
    """ASGI middleware adding the Content-Security-Policy and friends to every response."""

    def __init__(self, app: ASGIApp, policy: str) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", policy.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"SAMEORIGIN"),
        ]

    async def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[Any], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_security_headers() -> None:
    """Add :class:`SecurityHeaders` to Chainlit's server (before it starts)."""
    from chainlit.server import app, get_html_template

    policy = content_security_policy(get_html_template(""))
    app.add_middleware(SecurityHeaders, policy=policy)
