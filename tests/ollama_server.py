"""A fake Ollama server for tests: speaks enough of Ollama's HTTP API for the real clients.

The real ``ollama`` client (sync and async) and langchain-ollama's ``ChatOllama`` and
``OllamaEmbeddings`` work against it unchanged. Tests script the answers (:meth:`queue`,
:meth:`respond_with`), inject faults (:meth:`fail_next`, :attr:`Reply.fault`), simulate latency
(:attr:`time_to_first_token`, :attr:`tokens_per_second`) and inspect what was sent
(:attr:`requests`). Without a script it answers with a short French interview question, or with
a JSON document that conforms to the requested ``format`` schema.

Only the standard library is used, so it also runs by hand as a stand-in for ``ollama serve``::

    python tests/ollama_server.py --port 11434 --ttft 0.3 --tps 40
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import math
import re
import socket
import socketserver
import sys
import threading
import time
import unicodedata
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, cast

__all__ = [
    "DEFAULT_QUESTION",
    "OLLAMA_VERSION",
    "Fault",
    "OllamaTestServer",
    "RecordedRequest",
    "Reply",
    "Responder",
    "default_content",
    "embed_text",
    "free_port_url",
    "is_embedding_model",
    "schema_example",
    "split_tokens",
]

OLLAMA_VERSION = "0.12.0"
DEFAULT_QUESTION = "Pouvez-vous me raconter un moment précis de votre journée d'hier ?"
_EMBEDDING_MARKERS = ("embed", "bge", "minilm")
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
    """One scripted answer of the model to a chat or generate request."""

    content: str = ""
    tool_calls: list[dict[str, Any]] | None = None  # [{"function": {"name", "arguments"}}]
    fault: Fault | None = None
    thinking: str | None = None


@dataclass(frozen=True)
class RecordedRequest:
    """A request as the server received it; ``at`` is a :func:`time.monotonic` timestamp."""

    method: str
    path: str
    body: dict[str, Any]
    at: float


Responder = Callable[[dict[str, Any]], Reply | str]
Scripted = Reply | str | Responder


# --------------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:\w+|[^\w\s])|\s+")
_WORD = re.compile(r"[a-z0-9]+")


def split_tokens(text: str) -> list[str]:
    """Split text into word-ish pieces whose concatenation is exactly ``text``.

    Each piece carries the whitespace before it, as model tokens do: ``"Bonjour, toi"`` gives
    ``["Bonjour", ",", " toi"]``.
    """
    return _TOKEN.findall(text)


def _fold(text: str) -> str:
    """Lower-case and strip accents: ``"Impayée"`` becomes ``"impayee"``."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _word_count(text: str) -> int:
    return len(text.split())


def is_embedding_model(name: str) -> bool:
    """Whether a model name looks like an embedding model (``bge-m3``, ``nomic-embed-text``)."""
    lowered = name.lower()
    return any(marker in lowered for marker in _EMBEDDING_MARKERS)


def _canonical_model(name: str) -> str:
    """Ollama's full model name: ``"bge-m3"`` and ``"bge-m3:latest"`` are the same model."""
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def _now_rfc3339() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


# --------------------------------------------------------------------------------------------
# Embeddings: hashed bag of words and crude stems
# --------------------------------------------------------------------------------------------

_WORD_WEIGHT = 1.0
_STEM_WEIGHT = 1.0
# Function words carry no meaning a real embedding model would weigh; leaving them in would let
# long passages win on "de", "la" and "the" alone.
_FUNCTION_WORDS = frozenset(
    "a au aux avec ce ces dans de des du en est et il elle la le les leur mais ne nous on ou "
    "par pas pour qu que qui sa se ses son sur un une vous the and or of to in on at for is "
    "are was be it its an as by with this that from".split()
)


def _features(text: str) -> Iterator[tuple[str, float]]:
    for word in _WORD.findall(_fold(text)):
        if word in _FUNCTION_WORDS or len(word) < 2:
            continue
        yield f"w:{word}", _WORD_WEIGHT
        # A crude stem (the first five letters) so that word forms meet: "visite", "visites"
        # and "visiter" share "visit"; "salarie" and "salaries" share "salar".
        if len(word) > 5:
            yield f"s:{word[:5]}", _STEM_WEIGHT


def embed_text(text: str, dim: int) -> list[float]:
    """A deterministic, L2-normalised vector in which texts sharing words are close.

    Words are lower-cased and accent-folded, function words dropped; each word and its crude
    stem are hashed (with :mod:`hashlib`, stable across processes) into a signed bucket, so that
    ``"visite"`` and ``"visites"`` land near each other. Text without words gets a fixed
    unit vector.
    """
    vector = [0.0] * dim
    for feature, weight in _features(text):
        digest = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "big")
        sign = 1.0 if digest >> 63 else -1.0
        vector[digest % dim] += sign * weight
    norm = math.sqrt(sum(value * value for value in vector))
    if norm == 0.0:
        return [1.0] + [0.0] * (dim - 1)
    return [value / norm for value in vector]


def _truncate_and_normalise(vector: list[float], dimensions: int) -> list[float]:
    kept = vector[:dimensions]
    norm = math.sqrt(sum(value * value for value in kept))
    if norm == 0.0:
        return [1.0] + [0.0] * (len(kept) - 1)
    return [value / norm for value in kept]


# --------------------------------------------------------------------------------------------
# JSON schema examples, for the default answer to a request with ``format=<schema>``
# --------------------------------------------------------------------------------------------

_MAX_DEPTH = 6  # past this depth only required properties and minItems are produced
_STRING_FORMATS = {
    "date-time": "2025-01-15T09:30:00Z",
    "date": "2025-01-15",
    "time": "09:30:00",
    "email": "personne@example.com",
    "uri": "https://example.com",
    "uuid": "00000000-0000-4000-8000-000000000000",
}


def schema_example(schema: dict[str, Any]) -> Any:
    """A value that conforms to a (reasonable) JSON schema, as a model would produce it.

    Supports objects (every property), strings (enum, const, format, min/maxLength), integers
    and numbers (minimum/maximum, exclusive bounds), booleans, null, arrays (min/maxItems,
    items, prefixItems, uniqueItems), ``$ref`` into ``$defs``/``definitions``, ``allOf``, and
    ``anyOf``/``oneOf`` (the first non-null option). ``pattern`` is not honoured.
    """
    return _SchemaSampler(schema).sample(schema)


def _is_null_schema(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    kind = schema.get("type")
    if kind == "null" or kind == ["null"]:
        return True
    return ("const" in schema and schema["const"] is None) or schema.get("enum") == [None]


class _SchemaSampler:
    def __init__(self, root: dict[str, Any]) -> None:
        self._root = root

    def sample(self, schema: Any, index: int = 0, depth: int = 0) -> Any:
        if not isinstance(schema, dict):  # `true` or a malformed schema: anything goes
            return "exemple"
        schema = self._resolve(schema)
        if "const" in schema:
            return schema["const"]
        if enum := schema.get("enum"):
            choices = [value for value in enum if value is not None] or enum
            return choices[index % len(choices)]
        for keyword in ("anyOf", "oneOf"):
            if options := schema.get(keyword):
                option = next((o for o in options if not _is_null_schema(o)), options[0])
                rest = {key: value for key, value in schema.items() if key != keyword}
                return self.sample({**rest, **self._resolve(option)}, index, depth)
        if parts := schema.get("allOf"):
            merged = {key: value for key, value in schema.items() if key != "allOf"}
            for part in parts:
                merged = _merge_schemas(merged, self._resolve(part))
            return self.sample(merged, index, depth)
        return self._sample_typed(schema, _schema_type(schema), index, depth)

    def _sample_typed(self, schema: dict[str, Any], kind: str, index: int, depth: int) -> Any:
        if kind == "object":
            return self._sample_object(schema, depth)
        if kind == "array":
            return self._sample_array(schema, depth)
        if kind == "integer":
            return _sample_integer(schema, index)
        if kind == "number":
            return _sample_number(schema, index)
        if kind == "boolean":
            return index % 2 == 0
        if kind == "null":
            return None
        return _sample_string(schema, index)

    def _sample_object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        properties: dict[str, Any] = schema.get("properties", {})
        required: list[str] = list(schema.get("required", []))
        names = required if depth >= _MAX_DEPTH else [*properties, *required]
        result: dict[str, Any] = {}
        for name in dict.fromkeys(names):
            sub = properties.get(name, schema.get("additionalProperties", {}))
            result[name] = self.sample(sub, 0, depth + 1)
        return result

    def _sample_array(self, schema: dict[str, Any], depth: int) -> list[Any]:
        prefix: list[Any] = schema.get("prefixItems", [])
        items: Any = schema.get("items", {})
        if isinstance(items, list):  # draft-4 tuple validation
            prefix, items = items, schema.get("additionalItems", {})
        minimum = int(schema.get("minItems", 0))
        count = minimum if depth >= _MAX_DEPTH else max(minimum, 1, len(prefix))
        if "maxItems" in schema:
            count = min(count, int(schema["maxItems"]))
        return [
            self.sample(prefix[i] if i < len(prefix) else items, i, depth + 1) for i in range(count)
        ]

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        seen: set[str] = set()
        while isinstance(ref := schema.get("$ref"), str) and ref not in seen:
            seen.add(ref)
            siblings = {key: value for key, value in schema.items() if key != "$ref"}
            schema = {**self._lookup(ref), **siblings}
        return schema

    def _lookup(self, ref: str) -> dict[str, Any]:
        if not ref.startswith("#"):
            raise ValueError(f"only local $ref are supported, got {ref!r}")
        node: Any = self._root
        for part in ref.lstrip("#").strip("/").split("/"):
            if part:
                node = node[part.replace("~1", "/").replace("~0", "~")]
        return cast(dict[str, Any], node)


def _schema_type(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if isinstance(kind, str):
        return kind
    if "properties" in schema or "required" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    return "string"


def _merge_schemas(left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    merged = {**left, **right}
    if "properties" in left or "properties" in right:
        merged["properties"] = {**left.get("properties", {}), **right.get("properties", {})}
    if "required" in left or "required" in right:
        merged["required"] = [*left.get("required", []), *right.get("required", [])]
    return merged


def _bounds(schema: dict[str, Any]) -> tuple[float | None, bool, float | None, bool]:
    """(lower, lower is exclusive, upper, upper is exclusive), for both JSON schema drafts."""
    low, low_exclusive = schema.get("minimum"), False
    high, high_exclusive = schema.get("maximum"), False
    exclusive_min, exclusive_max = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if isinstance(exclusive_min, bool):
        low_exclusive = exclusive_min
    elif isinstance(exclusive_min, int | float):
        low, low_exclusive = exclusive_min, True
    if isinstance(exclusive_max, bool):
        high_exclusive = exclusive_max
    elif isinstance(exclusive_max, int | float):
        high, high_exclusive = exclusive_max, True
    return low, low_exclusive, high, high_exclusive


def _sample_integer(schema: dict[str, Any], index: int) -> int:
    low, low_exclusive, high, high_exclusive = _bounds(schema)
    lowest = None if low is None else math.floor(low) + 1 if low_exclusive else math.ceil(low)
    highest = None if high is None else math.ceil(high) - 1 if high_exclusive else math.floor(high)
    value = 1 + index
    if lowest is not None:
        value = max(value, lowest + index)
    if highest is not None:
        value = min(value, highest)
    return value


def _sample_number(schema: dict[str, Any], index: int) -> float:
    low, low_exclusive, high, high_exclusive = _bounds(schema)
    value = 0.5 + index
    if low is not None and (value < low or (low_exclusive and value <= low)):
        value = low + index + (0.5 if low_exclusive else 0.0)
    if high is not None and (value > high or (high_exclusive and value >= high)):
        value = (low + high) / 2 if low is not None else high - (0.5 if high_exclusive else 0.0)
    return float(value)


def _sample_string(schema: dict[str, Any], index: int) -> str:
    text = _STRING_FORMATS.get(schema.get("format", ""), "exemple")
    if index:
        text = f"{text} {index + 1}"
    min_length = int(schema.get("minLength", 0))
    while len(text) < min_length:
        text = f"{text} exemple"
    if "maxLength" in schema:
        text = text[: int(schema["maxLength"])]
    return text


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


class OllamaTestServer:
    """A scriptable Ollama look-alike on a background thread; see the module docstring."""

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
        self.requests: list[RecordedRequest] = []
        self.errors: list[BaseException] = []  # exceptions raised while answering (responders)
        self._requested_port = port
        self._initial = (frozenset(self.models), time_to_first_token, tokens_per_second)
        self._lock = threading.Lock()
        self._queue: deque[Scripted] = deque()
        self._faults: deque[Fault] = deque()
        self._responder: Responder | None = None
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
            name=f"ollama-test-server:{self.port}",
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
        """Script the next answers of /api/chat and /api/generate, consumed first in first out.

        A string is the reply's content; a responder is called with the request body.
        """
        with self._lock:
            self._queue.extend(replies)

    def respond_with(self, responder: Responder | None) -> None:
        """Answer with ``responder(body)`` whenever the queue is empty (``None``: the default)."""
        with self._lock:
            self._responder = responder

    def fail_next(self, fault: Fault, count: int = 1) -> None:
        """Give the next ``count`` chat, generate or embed requests this fault.

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
            self._responder = None
            self.requests.clear()
            self.errors.clear()
            self._embed_calls = self._embedded_texts = 0
        self.models = set(models)
        self.time_to_first_token, self.tokens_per_second = ttft, tps

    # -- inspection --------------------------------------------------------------------------

    def chat_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [request for request in self.requests if request.path == "/api/chat"]

    @property
    def embed_calls(self) -> int:
        """Requests received by /api/embed and /api/embeddings, failed ones included."""
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
        return embed_text(text, self.embed_dim)

    def _record(self, method: str, path: str, body: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(RecordedRequest(method, path, body, time.monotonic()))
            if path in ("/api/embed", "/api/embeddings"):
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
            return Reply(content=default_content(body))
        if isinstance(scripted, Reply):
            return scripted
        if isinstance(scripted, str):
            return Reply(content=scripted)
        answer = scripted(body)
        return answer if isinstance(answer, Reply) else Reply(content=answer)

    def _track(self, connection: socket.socket, *, open_: bool) -> None:
        with self._lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def _wait(self, seconds: float) -> None:
        """Sleep, but wake up at once when the server stops."""
        if seconds > 0:
            self._stopping.wait(seconds)


def default_content(body: dict[str, Any]) -> str:
    """What the fake model says when nothing is scripted, given the request's ``format``."""
    response_format = body.get("format")
    if isinstance(response_format, dict):
        return json.dumps(schema_example(response_format), ensure_ascii=False)
    if response_format == "json":
        return "{}"
    return DEFAULT_QUESTION


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
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], owner: OllamaTestServer) -> None:
        self.owner = owner
        super().__init__(address, _Handler)

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

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

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
            ("GET", "/"): self._root,
            ("HEAD", "/"): self._root,
            ("GET", "/api/version"): self._version,
            ("GET", "/api/tags"): self._tags,
            ("GET", "/api/ps"): self._ps,
            ("POST", "/api/show"): self._show,
            ("POST", "/api/chat"): self._chat,
            ("POST", "/api/generate"): self._generate,
            ("POST", "/api/embed"): self._embed,
            ("POST", "/api/embeddings"): self._embeddings,
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
        if self.command != "HEAD":
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

    # -- simple endpoints --------------------------------------------------------------------

    def _root(self, _body: dict[str, Any]) -> None:
        self._send_bytes(HTTPStatus.OK, b"Ollama is running", "text/plain; charset=utf-8")

    def _version(self, _body: dict[str, Any]) -> None:
        self._send_json({"version": OLLAMA_VERSION})

    def _ps(self, _body: dict[str, Any]) -> None:
        self._send_json({"models": []})

    def _tags(self, _body: dict[str, Any]) -> None:
        entries = []
        for name in sorted(self.owner.models):
            full_name = _canonical_model(name)
            profile = _profile(name)
            entries.append(
                {
                    "name": full_name,
                    "model": full_name,
                    "modified_at": self.owner._started_at,
                    "size": profile.size,
                    "digest": hashlib.sha256(full_name.encode()).hexdigest(),
                    "details": profile.details(),
                }
            )
        self._send_json({"models": entries})

    def _show(self, body: dict[str, Any]) -> None:
        name = str(body.get("model") or body.get("name") or "")
        if not self.owner.has_model(name):
            self._send_error(HTTPStatus.NOT_FOUND, f"model '{name}' not found")
            return
        profile = _profile(name)
        arch = profile.architecture
        self._send_json(
            {
                "license": "",
                "modelfile": f"FROM {_canonical_model(name)}\n",
                "parameters": "",
                "template": "{{ .Prompt }}",
                "details": profile.details(),
                "model_info": {
                    "general.architecture": arch,
                    "general.parameter_count": profile.parameter_count,
                    f"{arch}.embedding_length": self.owner.embed_dim,
                    f"{arch}.context_length": profile.context_length,
                },
                "capabilities": profile.capabilities,
                "modified_at": self.owner._started_at,
            }
        )

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

    def _fail_whole_body(self, fault: Fault, model: str) -> None:
        """A fault on a non-streamed answer."""
        if self._refuse(fault, model):
            return
        if fault is Fault.DROP_MID_STREAM:
            self._drop()
        truncated = f'{{"model": "{model}", "created_at": "{_now_rfc3339()}", "mess'
        self._send_bytes(HTTPStatus.OK, truncated.encode(), "application/json; charset=utf-8")

    # -- chat and generate -------------------------------------------------------------------

    def _chat(self, body: dict[str, Any]) -> None:
        self._complete(body, chat=True)

    def _generate(self, body: dict[str, Any]) -> None:
        self._complete(body, chat=False)

    def _complete(self, body: dict[str, Any], *, chat: bool) -> None:
        started = time.perf_counter_ns()
        model = str(body.get("model") or "")
        if not model:
            self._send_error(HTTPStatus.BAD_REQUEST, "model is required")
            return
        fault = self.owner._take_fault()
        if fault is None and not self.owner.has_model(model):
            self._model_not_found(model)
            return
        if fault in (Fault.HTTP_500, Fault.MODEL_NOT_FOUND):
            reply = Reply(fault=fault)  # nothing of an answer is shown: the script waits
        else:
            reply = self.owner._next_reply(body)
            if fault is not None:
                reply = replace(reply, fault=fault)
        completion = _Completion(body, reply, chat=chat, started_ns=started)
        if body.get("stream") is not False:  # Ollama streams unless told otherwise
            self._stream_completion(completion)
        else:
            self._single_completion(completion)

    def _stream_completion(self, completion: _Completion) -> None:
        fault = completion.reply.fault
        if fault is not None and self._refuse(fault, completion.model):
            return
        events = completion.events()
        if fault is Fault.DROP_MID_STREAM:
            events = events[: len(events) // 2]
        elif fault is Fault.MALFORMED_JSON:
            events = events[:1]
        self._start_stream()
        owner = self.owner
        owner._wait(owner.time_to_first_token)
        first_at = time.monotonic()
        tps = owner.tokens_per_second
        for number, (kind, piece) in enumerate(events):
            if tps and number:
                owner._wait(first_at + number / tps - time.monotonic())
            self._write_line(completion.chunk(kind, piece))
        if fault is Fault.DROP_MID_STREAM:
            self._drop()
        if fault is Fault.MALFORMED_JSON:
            self._write_chunk(b'{"model": "' + completion.model.encode() + b'", "message": {\n')
            self._end_stream()
            return
        if completion.tool_calls:
            self._write_line(completion.tool_call_chunk())
        self._write_line(completion.final_chunk(time.perf_counter_ns()))
        self._end_stream()

    def _single_completion(self, completion: _Completion) -> None:
        fault = completion.reply.fault
        owner = self.owner
        if fault is None:
            tps = owner.tokens_per_second
            generation = len(completion.events()) / tps if tps else 0.0
            owner._wait(owner.time_to_first_token + generation)
            self._send_json(completion.whole(time.perf_counter_ns()))
        else:
            self._fail_whole_body(fault, completion.model)

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
        dimensions = body.get("dimensions")
        if isinstance(dimensions, int) and 0 < dimensions < self.owner.embed_dim:
            vectors = [_truncate_and_normalise(vector, dimensions) for vector in vectors]
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

    def _embeddings(self, body: dict[str, Any]) -> None:
        model = str(body.get("model") or "")
        if self._embedding_refused(model):
            return
        self.owner._count_embedded(1)
        self._send_json({"embedding": self.owner.embed(str(body.get("prompt") or ""))})

    def _embedding_refused(self, model: str) -> bool:
        """Answer a pending fault or an unknown model; True if the request is dealt with."""
        if not model:
            self._send_error(HTTPStatus.BAD_REQUEST, "model is required")
            return True
        fault = self.owner._take_fault()
        if fault is not None:
            self._fail_whole_body(fault, model)
            return True
        if not self.owner.has_model(model):
            self._model_not_found(model)
            return True
        return False


class _Completion:
    """Builds Ollama's JSON messages for one chat or generate answer."""

    def __init__(self, body: dict[str, Any], reply: Reply, *, chat: bool, started_ns: int) -> None:
        self.body = body
        self.reply = reply
        self.chat = chat
        self.model = str(body.get("model") or "")
        self.started_ns = started_ns
        self.tool_calls = [_normalise_tool_call(call) for call in reply.tool_calls or []]
        if not chat:
            self.tool_calls = []

    def events(self) -> list[tuple[str, str]]:
        """The streamed pieces: ("thinking", piece)s first, then ("content", piece)s."""
        thinking = split_tokens(self.reply.thinking or "")
        return [("thinking", piece) for piece in thinking] + [
            ("content", piece) for piece in split_tokens(self.reply.content)
        ]

    def _head(self) -> dict[str, Any]:
        return {"model": self.model, "created_at": _now_rfc3339()}

    def chunk(self, kind: str, piece: str) -> dict[str, Any]:
        content, thinking = ("", piece) if kind == "thinking" else (piece, None)
        return {**self._head(), **self._payload(content, thinking), "done": False}

    def tool_call_chunk(self) -> dict[str, Any]:
        payload = self._payload("", None)
        payload["message"]["tool_calls"] = self.tool_calls
        return {**self._head(), **payload, "done": False}

    def final_chunk(self, now_ns: int) -> dict[str, Any]:
        return {**self._head(), **self._payload("", None), **self._stats(now_ns)}

    def whole(self, now_ns: int) -> dict[str, Any]:
        payload = self._payload(self.reply.content, self.reply.thinking)
        if self.tool_calls:
            payload["message"]["tool_calls"] = self.tool_calls
        return {**self._head(), **payload, **self._stats(now_ns)}

    def _payload(self, content: str, thinking: str | None) -> dict[str, Any]:
        if self.chat:
            message: dict[str, Any] = {"role": "assistant", "content": content}
            if thinking is not None:
                message["thinking"] = thinking
            return {"message": message}
        payload: dict[str, Any] = {"response": content}
        if thinking is not None:
            payload["thinking"] = thinking
        return payload

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
            "eval_count": len(self.events()),
            "eval_duration": max(total - _LOAD_DURATION_NS - prompt_ns, 1),
        }

    def _prompt_tokens(self) -> int:
        texts: list[str] = []
        if self.chat:
            for message in self.body.get("messages") or []:
                if isinstance(message, dict) and isinstance(message.get("content"), str):
                    texts.append(message["content"])
        else:
            texts += [str(self.body.get(key) or "") for key in ("system", "prompt")]
        return max(1, sum(_word_count(text) for text in texts))


def _normalise_tool_call(call: dict[str, Any]) -> dict[str, Any]:
    """Accept ``{"name", "arguments"}`` as well as Ollama's ``{"function": {...}}``."""
    function = call.get("function", call)
    return {
        "function": {"name": function["name"], "arguments": dict(function.get("arguments", {}))}
    }


@dataclass(frozen=True)
class _Profile:
    """Made-up but plausible metadata for a model name."""

    embedding: bool

    @property
    def architecture(self) -> str:
        return "bert" if self.embedding else "llama"

    @property
    def size(self) -> int:
        return 1_157_672_605 if self.embedding else 15_177_384_862

    @property
    def parameter_count(self) -> int:
        return 566_703_104 if self.embedding else 24_011_361_280

    @property
    def context_length(self) -> int:
        return 8192 if self.embedding else 131_072

    @property
    def capabilities(self) -> list[str]:
        return ["embedding"] if self.embedding else ["completion", "tools"]

    def details(self) -> dict[str, Any]:
        return {
            "parent_model": "",
            "format": "gguf",
            "family": self.architecture,
            "families": [self.architecture],
            "parameter_size": "566.70M" if self.embedding else "24.0B",
            "quantization_level": "F16" if self.embedding else "Q4_K_M",
        }


def _profile(name: str) -> _Profile:
    return _Profile(embedding=is_embedding_model(name))


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
    with server:
        print(f"Fake Ollama {OLLAMA_VERSION} listening on {server.url} (Ctrl-C to stop)")
        try:
            while server.running:
                time.sleep(0.5)
        except KeyboardInterrupt:
            print("\nstopping")


if __name__ == "__main__":
    main()
