"""A fake Ollama server for tests: the part of Ollama's HTTP API that Terrain calls.

Terrain's adapter (:mod:`assistant.llm.ollama`) streams chats (``/api/chat``; a brief answer,
the safety classifier's verdict, is asked whole with ``"stream": false`` and served as one JSON
object), embeds (``/api/embed``), and ``terrain doctor`` reads the version (``/api/version``)
and the pulled models (``/api/tags``). The official clients (``ollama``, langchain-ollama's
``ChatOllama``) work against this server unchanged too (tests/test_ollama_server.py checks it);
any other endpoint is a 404.

Tests script the answers (:meth:`~OllamaTestServer.queue`, :meth:`~OllamaTestServer.respond_with`),
inject faults (:meth:`~OllamaTestServer.fail_next`, :attr:`Reply.fault`), pace the stream like a
real model (:attr:`~OllamaTestServer.time_to_first_token`,
:attr:`~OllamaTestServer.tokens_per_second`) and inspect what was sent
(:attr:`~OllamaTestServer.requests`). Without a script it answers with a short French interview
question; :func:`compromised_responder` (``--compromised`` by hand) makes it a jailbroken model
that obeys every injection, as :class:`assistant.llm.testing.CompromisedChatModel` does.
Tests of Terrain's own logic use the in-process :mod:`assistant.llm.testing` instead; this
server is for the adapter and the whole path (and the web app, the CLI and benchmarks).

It also runs by hand as a stand-in for ``ollama serve``, with the project's Python::

    .venv/bin/python tests/ollama_server.py --port 11434 --ttft 0.3 --tps 40
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import itertools
import json
import re
import socket
import socketserver
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, cast

from assistant.llm.port import ChatMessage, Role
from assistant.llm.testing import Attack, choose_attack, compromised_reply, word_vector

__all__ = [
    "DEFAULT_QUESTION",
    "OLLAMA_VERSION",
    "ORDINARY_VERDICT",
    "Fault",
    "OllamaTestServer",
    "RecordedRequest",
    "Reply",
    "Responder",
    "compromised_responder",
    "free_port_url",
    "split_tokens",
]

OLLAMA_VERSION = "0.12.0"
DEFAULT_QUESTION = "Pouvez-vous me raconter un moment précis de votre journée d'hier ?"
# The safety classifier's schema (assistant.interview.classifier.SafetyVerdict) and its default
# verdict: an ordinary message.
SAFETY_SCHEMA_TITLE = "SafetyVerdict"
ORDINARY_VERDICT = '{"category": "none", "confidence": 0.95, "language": null}'
_LOAD_DURATION_NS = 1_000_000
_NS_PER_PROMPT_TOKEN = 100_000


class Fault(StrEnum):
    """A failure the server can inject instead of a normal answer."""

    HTTP_500 = "http_500"  # 500 with {"error": ...}
    DROP_MID_STREAM = "drop"  # some chunks, then the socket is shut down; no final message
    MALFORMED_JSON = "malformed"  # a line (or body) that is not valid JSON
    MODEL_NOT_FOUND = "not_found"  # 404 {"error": "model \"X\" not found, try pulling it first"}


@dataclass
class Reply:
    """One scripted answer of the model to a chat request."""

    content: str = ""
    fault: Fault | None = None
    # What a reasoning model thinks before it answers; only the OpenAI-compatible fake sends it
    # (as ``reasoning_content``), as vLLM does with a reasoning parser.
    reasoning: str = ""


@dataclass(frozen=True)
class RecordedRequest:
    """A request as the server received it."""

    method: str
    path: str
    body: dict[str, Any]


Responder = Callable[[dict[str, Any]], Reply | str]
Scripted = Reply | str | Responder

_TOKEN = re.compile(r"\s*(?:\w+|[^\w\s])|\s+")


def split_tokens(text: str) -> list[str]:
    """Split text into word-ish pieces whose concatenation is exactly ``text``.

    Each piece carries the whitespace before it, as model tokens do: ``"Bonjour, toi"`` gives
    ``["Bonjour", ",", " toi"]``.
    """
    return _TOKEN.findall(text)


def compromised_responder(attacks: Iterable[Attack] = tuple(Attack)) -> Responder:
    """Answers as a compromised model: the attack the employee's latest message names by its
    trigger word, else the next of ``attacks`` in turn (see
    :class:`assistant.llm.testing.Attack`)."""
    turns = itertools.cycle(tuple(attacks))
    lock = threading.Lock()

    def respond(body: dict[str, Any]) -> str:
        messages = [
            ChatMessage(role=Role(message["role"]), content=str(message.get("content", "")))
            for message in body.get("messages", [])
        ]
        with lock:  # the server answers each request on a thread of its own
            attack = choose_attack(messages, turns)
        return compromised_reply(messages, attack, structured=isinstance(body.get("format"), dict))

    return respond


def _word_count(text: str) -> int:
    return len(text.split())


def _canonical_model(name: str) -> str:
    """Ollama's full model name: ``"bge-m3"`` and ``"bge-m3:latest"`` are the same model."""
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def _now_rfc3339() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


class OllamaTestServer:
    """A scriptable Ollama look-alike on a background thread; see the module docstring."""

    # The protocol's paths; the OpenAI-compatible fake (tests/openai_server.py) keeps the
    # scripting and names its own.
    CHAT_PATH = "/api/chat"
    EMBED_PATH = "/api/embed"
    thread_name = "ollama-test-server"

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        models: Iterable[str] = ("mistral-small3.2", "bge-m3"),
        embed_dim: int = 512,
        time_to_first_token: float = 0.0,
        tokens_per_second: float | None = None,
        verbose: bool = False,
    ) -> None:
        self.host = host
        self.models: set[str] = set(models)
        self.embed_dim = embed_dim
        self.time_to_first_token = time_to_first_token
        self.tokens_per_second = tokens_per_second
        self.verbose = verbose
        # Pacing reads this clock and waits with `pause`; a test can replace both to check the
        # pace without waiting for it.
        self.clock: Callable[[], float] = time.monotonic
        self.pause: Callable[[float], None] = self._pause_unless_stopping
        self.requests: list[RecordedRequest] = []
        self.errors: list[BaseException] = []  # exceptions raised while answering (responders)
        self._requested_port = port
        self._initial = (frozenset(self.models), time_to_first_token, tokens_per_second)
        self._lock = threading.Lock()
        self._queue: deque[Scripted] = deque()
        self._faults: deque[Fault] = deque()
        self._responder: Responder | None = None
        self._classifier: Responder | None = None
        self._embed_calls = 0
        self._embedded_texts = 0
        self._started_at = _now_rfc3339()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> OllamaTestServer:
        if self._httpd is not None:
            raise RuntimeError("the server is already running")
        self._stopping.clear()
        self._httpd = _HTTPServer((self.host, self._requested_port), self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{self.thread_name}:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        self._stopping.set()
        httpd.shutdown()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:  # wake handler threads waiting on kept-alive sockets
            _shutdown_quietly(connection)
        httpd.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> OllamaTestServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the server is not running: call start() first")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- scripting ---------------------------------------------------------------------------

    def queue(self, *replies: Scripted) -> None:
        """Script the next answers of /api/chat, consumed first in first out.

        A string is the reply's content; a responder is called with the request body.
        """
        with self._lock:
            self._queue.extend(replies)

    def respond_with(self, responder: Responder | None) -> None:
        """Answer with ``responder(body)`` whenever the queue is empty (``None``: the default)."""
        with self._lock:
            self._responder = responder

    def classify_with(self, responder: Responder | None) -> None:
        """Answer the safety classifier's requests with ``responder(body)`` (``None``: every
        message is ordinary). Its requests are told apart by their schema: they never take a
        reply of the queue or a fault of :meth:`fail_next`, which script the interviewer; a
        responder can return a :class:`Reply` with a fault."""
        with self._lock:
            self._classifier = responder

    def fail_next(self, fault: Fault, count: int = 1) -> None:
        """Give the next ``count`` chat or embed requests this fault.

        HTTP_500 and MODEL_NOT_FOUND leave the script alone: the scripted reply goes to the next
        request. DROP_MID_STREAM and MALFORMED_JSON consume the next reply (queued, responder or
        default) and show part of it before failing, as a model cut off mid-answer would.
        """
        with self._lock:
            self._faults.extend([fault] * count)

    def reset(self) -> None:
        """Back to the state after construction: no script, no records, initial models."""
        models, ttft, tps = self._initial
        with self._lock:
            self._queue.clear()
            self._faults.clear()
            self._responder = self._classifier = None
            self.requests.clear()
            self.errors.clear()
            self._embed_calls = self._embedded_texts = 0
        self.models = set(models)
        self.time_to_first_token, self.tokens_per_second = ttft, tps
        self.clock, self.pause = time.monotonic, self._pause_unless_stopping

    # -- inspection --------------------------------------------------------------------------

    def chat_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [request for request in self.requests if request.path == self.CHAT_PATH]

    @property
    def embed_calls(self) -> int:
        """Requests received by /api/embed, failed ones included."""
        return self._embed_calls

    @property
    def embedded_texts(self) -> int:
        """Texts embedded so far, over all successful embed requests."""
        return self._embedded_texts

    # -- used by the request handler ---------------------------------------------------------

    def has_model(self, name: str) -> bool:
        wanted = _canonical_model(name)
        return any(_canonical_model(model) == wanted for model in list(self.models))

    def embed(self, text: str) -> list[float]:
        return word_vector(text, self.embed_dim)

    def _record(self, method: str, path: str, body: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(RecordedRequest(method, path, body))
            if path == self.EMBED_PATH:
                self._embed_calls += 1

    def _count_embedded(self, count: int) -> None:
        with self._lock:
            self._embedded_texts += count

    def _take_fault(self) -> Fault | None:
        with self._lock:
            return self._faults.popleft() if self._faults else None

    def _next_reply(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            scripted: Scripted | None = self._queue.popleft() if self._queue else None
            if scripted is None:
                scripted = self._responder
        if scripted is None:
            return Reply(content=DEFAULT_QUESTION)
        if isinstance(scripted, Reply):
            return scripted
        if isinstance(scripted, str):
            return Reply(content=scripted)
        answer = scripted(body)
        return answer if isinstance(answer, Reply) else Reply(content=answer)

    def _safety_reply(self, body: dict[str, Any]) -> Reply | None:
        """The classifier's answer, if ``body`` is a request of the safety classifier."""
        schema = body.get("format")
        if not isinstance(schema, dict) or schema.get("title") != SAFETY_SCHEMA_TITLE:
            return None
        with self._lock:
            classifier = self._classifier
        if classifier is None:
            return Reply(content=ORDINARY_VERDICT)
        answer = classifier(body)
        return answer if isinstance(answer, Reply) else Reply(content=answer)

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        """The request handler that speaks this server's protocol."""
        return _Handler

    def _track(self, connection: socket.socket, *, open_: bool) -> None:
        with self._lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def _pause_unless_stopping(self, seconds: float) -> None:
        """Sleep, but wake up at once when the server stops."""
        if seconds > 0:
            self._stopping.wait(seconds)


def free_port_url() -> str:
    """The URL of a loopback port with nothing listening, for "connection refused" tests."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _shutdown_quietly(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # As a real server's listener (the kernel caps it at net.core.somaxconn): with a short queue,
    # fifty interviews opening their connections at once saw some refused and retried by the
    # kernel a second later, a delay no real model server adds.
    request_queue_size = 4096

    def __init__(self, address: tuple[str, int], owner: OllamaTestServer) -> None:
        self.owner = owner
        super().__init__(address, owner.handler_class())

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name (socket.getfqdn), which can stall.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if error is not None and not isinstance(error, ConnectionError):
            self.owner.errors.append(error)
            if self.owner.verbose:
                super().handle_error(request, client_address)


class _Dropped(Exception):
    """The handler closed the connection on purpose (Fault.DROP_MID_STREAM)."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and chunked streaming, as Ollama does
    server_version = "ollama-test-server"
    sys_version = ""
    disable_nagle_algorithm = True  # stream chunks leave at once
    _responding = False  # whether the status line of the current response has been sent

    # -- plumbing ----------------------------------------------------------------------------

    @property
    def owner(self) -> OllamaTestServer:
        return cast(_HTTPServer, self.server).owner

    def setup(self) -> None:
        super().setup()
        self.owner._track(self.connection, open_=True)

    def finish(self) -> None:
        self.owner._track(self.connection, open_=False)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        if self.owner.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        self._responding = False
        path = self.path.split("?", 1)[0].rstrip("/") or "/"
        try:
            body = self._read_body()
        except ValueError as error:
            self.owner._record(method, path, {})
            self._send_error(HTTPStatus.BAD_REQUEST, f"invalid request body: {error}")
            return
        self.owner._record(method, path, body)
        route = self._routes().get((method, path))
        try:
            if route is None:
                self._send_error(HTTPStatus.NOT_FOUND, f"404 page not found: {method} {path}")
            else:
                route(body)
        except _Dropped:
            self.close_connection = True
        except ConnectionError:  # the client went away
            self.close_connection = True
        except Exception as error:
            self.owner.errors.append(error)
            if self._responding:  # too late for an error status: cut the response short
                self.close_connection = True
                _shutdown_quietly(self.connection)
            else:
                self._send_error(HTTPStatus.INTERNAL_SERVER_ERROR, f"test server: {error!r}")

    def _routes(self) -> dict[tuple[str, str], Callable[[dict[str, Any]], None]]:
        return {
            ("GET", "/api/version"): self._version,
            ("GET", "/api/tags"): self._tags,
            ("POST", "/api/chat"): self._chat,
            ("POST", "/api/embed"): self._embed,
        }

    def _read_body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        if length <= 0:
            return {}
        raw = self.rfile.read(length)
        parsed = json.loads(raw)  # JSONDecodeError is a ValueError
        if not isinstance(parsed, dict):
            raise ValueError("expected a JSON object")
        return parsed

    def _send_bytes(self, status: int, data: bytes, content_type: str) -> None:
        self._responding = True
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send_json(self, payload: dict[str, Any], status: int = HTTPStatus.OK) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        self._send_bytes(status, data, "application/json; charset=utf-8")

    def _send_error(self, status: int, message: str) -> None:
        self._send_json({"error": message}, status)

    def _start_stream(self) -> None:
        self._responding = True
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def _write_line(self, payload: dict[str, Any]) -> None:
        self._write_chunk(json.dumps(payload, ensure_ascii=False).encode() + b"\n")

    def _end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")

    def _drop(self) -> None:
        """Shut the socket down under the client's feet: it sees an incomplete response."""
        _shutdown_quietly(self.connection)
        raise _Dropped

    # -- what `terrain doctor` reads ---------------------------------------------------------

    def _version(self, _body: dict[str, Any]) -> None:
        self._send_json({"version": OLLAMA_VERSION})

    def _tags(self, _body: dict[str, Any]) -> None:
        entries = []
        for name in sorted(self.owner.models):
            full_name = _canonical_model(name)
            entries.append(
                {
                    "name": full_name,
                    "model": full_name,
                    "modified_at": self.owner._started_at,
                    "digest": hashlib.sha256(full_name.encode()).hexdigest(),
                }
            )
        self._send_json({"models": entries})

    # -- faults ------------------------------------------------------------------------------

    def _model_not_found(self, model: str) -> None:
        self._send_error(HTTPStatus.NOT_FOUND, f'model "{model}" not found, try pulling it first')

    def _refuse(self, fault: Fault, model: str) -> bool:
        """Answer with an error status for faults that need no body; True if it did."""
        if fault is Fault.HTTP_500:
            self._send_error(HTTPStatus.INTERNAL_SERVER_ERROR, "simulated internal server error")
            return True
        if fault is Fault.MODEL_NOT_FOUND:
            self._model_not_found(model)
            return True
        return False

    # -- chat --------------------------------------------------------------------------------

    def _chat(self, body: dict[str, Any]) -> None:
        started = time.perf_counter_ns()
        model = str(body.get("model") or "")
        if not model:
            self._send_error(HTTPStatus.BAD_REQUEST, "model is required")
            return
        verdict = self.owner._safety_reply(body)
        if verdict is not None:
            if self.owner.has_model(model):
                self._complete(_Completion(body, verdict, started_ns=started))
            else:
                self._model_not_found(model)
            return
        fault = self.owner._take_fault()
        if fault is None and not self.owner.has_model(model):
            self._model_not_found(model)
            return
        if fault is not None and self._refuse(fault, model):
            return  # nothing of an answer was shown: the script waits for the next request
        reply = self.owner._next_reply(body)
        if fault is not None:
            reply = replace(reply, fault=fault)
        self._complete(_Completion(body, reply, started_ns=started))

    def _complete(self, completion: _Completion) -> None:
        fault = completion.reply.fault
        if fault is not None and self._refuse(fault, completion.model):
            return
        # As Ollama: streamed unless the request says "stream": false.
        if completion.body.get("stream", True) is False:
            self._answer_whole(completion)
        else:
            self._stream_completion(completion)

    def _answer_whole(self, completion: _Completion) -> None:
        """One JSON object, once the whole answer is generated: the server spends the same
        time as when streaming it (time to first token, then each token), silent meanwhile."""
        owner = self.owner
        owner.pause(owner.time_to_first_token)
        first_at = owner.clock()
        tps = owner.tokens_per_second
        pieces = completion.pieces()
        if tps and len(pieces) > 1:
            owner.pause(first_at + (len(pieces) - 1) / tps - owner.clock())
        fault = completion.reply.fault
        if fault is Fault.DROP_MID_STREAM:
            self._drop()
        if fault is Fault.MALFORMED_JSON:
            truncated = f'{{"model": "{completion.model}", "message": {{"role": "assis'
            self._send_bytes(HTTPStatus.OK, truncated.encode(), "application/json; charset=utf-8")
            return
        self._send_json(completion.whole(time.perf_counter_ns()))

    def _stream_completion(self, completion: _Completion) -> None:
        fault = completion.reply.fault
        pieces = completion.pieces()
        if fault is Fault.DROP_MID_STREAM:
            pieces = pieces[: len(pieces) // 2]
        elif fault is Fault.MALFORMED_JSON:
            pieces = pieces[:1]
        self._start_stream()
        owner = self.owner
        owner.pause(owner.time_to_first_token)
        # Each piece leaves at its deadline from the first, so that writing does not add up.
        first_at = owner.clock()
        tps = owner.tokens_per_second
        for number, piece in enumerate(pieces):
            if tps and number:
                owner.pause(first_at + number / tps - owner.clock())
            self._write_line(completion.chunk(piece))
        if fault is Fault.DROP_MID_STREAM:
            self._drop()
        if fault is Fault.MALFORMED_JSON:
            self._write_chunk(b'{"model": "' + completion.model.encode() + b'", "message": {\n')
            self._end_stream()
            return
        self._write_line(completion.final_chunk(time.perf_counter_ns()))
        self._end_stream()

    # -- embeddings --------------------------------------------------------------------------

    def _embed(self, body: dict[str, Any]) -> None:
        started = time.perf_counter_ns()
        model = str(body.get("model") or "")
        if self._embedding_refused(model):
            return
        raw_input = body.get("input", [])
        texts: list[Any] = [raw_input] if isinstance(raw_input, str) else list(raw_input)
        if not all(isinstance(text, str) for text in texts):
            self._send_error(HTTPStatus.BAD_REQUEST, "invalid input type")
            return
        vectors = [self.owner.embed(text) for text in texts]
        self.owner._count_embedded(len(texts))
        self._send_json(
            {
                "model": model,
                "embeddings": vectors,
                "total_duration": time.perf_counter_ns() - started + _LOAD_DURATION_NS,
                "load_duration": _LOAD_DURATION_NS,
                "prompt_eval_count": sum(_word_count(text) for text in texts),
            }
        )

    def _embedding_refused(self, model: str) -> bool:
        """Answer a pending fault or an unknown model; True if the request is dealt with."""
        if not model:
            self._send_error(HTTPStatus.BAD_REQUEST, "model is required")
            return True
        fault = self.owner._take_fault()
        if fault is not None:
            if self._refuse(fault, model):
                return True
            if fault is Fault.DROP_MID_STREAM:
                self._drop()
            truncated = f'{{"model": "{model}", "created_at": "{_now_rfc3339()}", "embe'
            self._send_bytes(HTTPStatus.OK, truncated.encode(), "application/json; charset=utf-8")
            return True
        if not self.owner.has_model(model):
            self._model_not_found(model)
            return True
        return False


class _Completion:
    """Builds Ollama's streamed JSON lines for one chat answer, or its one whole object."""

    def __init__(self, body: dict[str, Any], reply: Reply, *, started_ns: int) -> None:
        self.body = body
        self.reply = reply
        self.model = str(body.get("model") or "")
        self.started_ns = started_ns

    def pieces(self) -> list[str]:
        return split_tokens(self.reply.content)

    def _head(self) -> dict[str, Any]:
        return {"model": self.model, "created_at": _now_rfc3339()}

    def chunk(self, piece: str) -> dict[str, Any]:
        message = {"role": "assistant", "content": piece}
        return {**self._head(), "message": message, "done": False}

    def final_chunk(self, now_ns: int) -> dict[str, Any]:
        message = {"role": "assistant", "content": ""}
        return {**self._head(), "message": message, **self._stats(now_ns)}

    def whole(self, now_ns: int) -> dict[str, Any]:
        """The answer to a request with ``"stream": false``: the last line's fields, with the
        whole text."""
        message = {"role": "assistant", "content": self.reply.content}
        return {**self._head(), "message": message, **self._stats(now_ns)}

    def _stats(self, now_ns: int) -> dict[str, Any]:
        prompt_tokens = self._prompt_tokens()
        prompt_ns = prompt_tokens * _NS_PER_PROMPT_TOKEN
        total = max(now_ns - self.started_ns, 1) + _LOAD_DURATION_NS + prompt_ns
        return {
            "done": True,
            "done_reason": "stop",
            "total_duration": total,
            "load_duration": _LOAD_DURATION_NS,
            "prompt_eval_count": prompt_tokens,
            "prompt_eval_duration": prompt_ns,
            "eval_count": len(self.pieces()),
            "eval_duration": max(total - _LOAD_DURATION_NS - prompt_ns, 1),
        }

    def _prompt_tokens(self) -> int:
        texts = [
            message["content"]
            for message in self.body.get("messages") or []
            if isinstance(message, dict) and isinstance(message.get("content"), str)
        ]
        return max(1, sum(_word_count(text) for text in texts))


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A fake Ollama server for tests and demos.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=11434)
    parser.add_argument("--ttft", type=float, default=0.0, help="seconds before the first token")
    parser.add_argument("--tps", type=float, default=None, help="tokens per second")
    parser.add_argument(
        "--models", nargs="+", default=["mistral-small3.2", "bge-m3"], help="available models"
    )
    parser.add_argument("--embed-dim", type=int, default=256)
    parser.add_argument("--quiet", action="store_true", help="do not log requests")
    parser.add_argument(
        "--compromised",
        action="store_true",
        help="answer as a jailbroken model that obeys every injection",
    )
    args = parser.parse_args(argv)
    server = OllamaTestServer(
        host=args.host,
        port=args.port,
        models=args.models,
        embed_dim=args.embed_dim,
        time_to_first_token=args.ttft,
        tokens_per_second=args.tps,
        verbose=not args.quiet,
    )
    if args.compromised:
        server.respond_with(compromised_responder())
    with server:
        print(f"Fake Ollama {OLLAMA_VERSION} listening on {server.url} (Ctrl-C to stop)")
        try:
            while server.running:
                time.sleep(0.5)
        except KeyboardInterrupt:
            print("\nstopping")


if __name__ == "__main__":
    main()
