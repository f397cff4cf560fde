"""The Ollama adapter: Ollama's own HTTP API, spoken with aiohttp.

Terrain uses four endpoints: ``/api/chat`` (answers, streamed, a structured one joined here
with its JSON schema sent as ``format``; a brief answer, such as the safety classifier's
verdict, asked whole), ``/api/embed``, ``/api/version`` and ``/api/tags`` (``terrain doctor``).
A streamed answer arrives as lines of JSON, one per piece; a whole one as one JSON object.

Why aiohttp rather than the ``ollama`` client, which sits on httpx: the interviewer streams a
reply, the safety classifier asks for a verdict and retrieval embeds the query at every employee
message, so the cost of one HTTP exchange is paid three times per message. With fifty streams at
once, httpx's connection pool looked at every connection whenever a request started or ended,
and the client validated every piece into a pydantic object; reading the same reply with
aiohttp cost about a third of the CPU (``benchmarks/model_servers.py``). The other model servers
go through LangChain's OpenAI integration (:mod:`assistant.llm.openai_compatible`).

:func:`_translate` maps aiohttp's and the server's failures onto the port's typed errors, so
that callers never see a library exception.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TypeVar

import aiohttp

from assistant.config import Settings
from assistant.llm.errors import (
    ModelError,
    ModelNotFoundError,
    ModelResponseError,
    ModelStreamInterruptedError,
    ModelTimeoutError,
    ModelUnavailableError,
)
from assistant.llm.port import (
    ChatMessage,
    ChatModel,
    Embedder,
    JsonSchema,
    ModelResponse,
)
from assistant.llm.retry import RetryPolicy, embed_in_batches, patience_from, with_retries

T = TypeVar("T")

# Failures where the request never reached the model (or a kept-alive connection the server
# had closed): safe to try again.
_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionError,
    aiohttp.ClientConnectorError,
    aiohttp.ConnectionTimeoutError,
    aiohttp.ServerDisconnectedError,
)
# A piece of an answer is one short line; an error line or a whole embedding batch is read
# otherwise. The limit only bounds one line held in memory.
_LINE_LIMIT_BYTES = 1 << 20


class OllamaServerError(Exception):
    """Ollama answered with an error: an HTTP status, or an ``error`` line in a stream."""

    def __init__(self, message: str, status: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    # Building a client loads the system's certificates again (about 20 ms); one context,
    # shared by every client, makes a client cost nothing.
    return ssl.create_default_context()


# One HTTP session per event loop and server settings, so that connections are reused: a session
# must not outlive its loop, and the CLI, the web app and the tests each run their own. Each is
# closed when its loop shuts down (see _closed_with_the_loop).
_sessions_by_loop: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[tuple[str, float, float], _LoopSession]
] = weakref.WeakKeyDictionary()


@dataclass
class _LoopSession:
    session: aiohttp.ClientSession
    closer: AsyncGenerator[None, None]


async def _closed_with_the_loop(
    loop: asyncio.AbstractEventLoop, key: tuple[str, float, float], session: aiohttp.ClientSession
) -> AsyncGenerator[None, None]:
    """Suspended until the loop shuts down: ``asyncio.run`` (and every ``asyncio.Runner``)
    finalises the async generators left open before closing the loop, which closes the session
    with its connections instead of leaving them to the garbage collector's warnings."""
    try:
        yield
    finally:
        _sessions_by_loop.get(loop, {}).pop(key, None)
        await session.close()


@dataclass(frozen=True)
class OllamaProvider:
    """Where Ollama is and how patiently to talk to it."""

    host: str
    connect_timeout: float = 5.0
    request_timeout: float = 180.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    temperature: float = 0.3
    context_window: int = 8192
    embed_batch_size: int = 32

    @classmethod
    def from_settings(cls, settings: Settings) -> OllamaProvider:
        return cls(
            host=settings.ollama_host,
            context_window=settings.context_window,
            **patience_from(settings),
        )

    async def session(self) -> aiohttp.ClientSession:
        """This event loop's session for this server, made on first use."""
        loop = asyncio.get_running_loop()
        sessions = _sessions_by_loop.setdefault(loop, {})
        key = (self.host, self.connect_timeout, self.request_timeout)
        kept = sessions.get(key)
        if kept is None or kept.session.closed:
            session = aiohttp.ClientSession(
                # No cap on connections: the server queues what it cannot run at once.
                connector=aiohttp.TCPConnector(limit=0, ssl=_tls_context()),
                # The read timeout bounds the wait between two pieces, not a long answer.
                timeout=aiohttp.ClientTimeout(
                    total=None, sock_connect=self.connect_timeout, sock_read=self.request_timeout
                ),
                read_bufsize=_LINE_LIMIT_BYTES,
                trust_env=False,  # the configured URL, straight: no proxy from the environment
            )
            closer = _closed_with_the_loop(loop, key, session)
            await anext(closer)
            kept = sessions[key] = _LoopSession(session, closer)
        return kept.session

    @asynccontextmanager
    async def post(self, path: str, body: dict[str, Any]) -> AsyncIterator[aiohttp.ClientResponse]:
        """The server's response to a POST of ``body`` as JSON, its status checked."""
        session = await self.session()
        async with session.post(f"{self.host}{path}", json=body) as response:
            await _check_status(response)
            yield response

    async def get_json(self, path: str) -> Any:
        session = await self.session()
        async with session.get(f"{self.host}{path}") as response:
            await _check_status(response)
            return json.loads(await response.read())

    async def call(self, model: str, operation: Callable[[], Awaitable[T]]) -> T:
        """Run one Ollama operation with the retry policy and typed errors."""
        try:
            return await with_retries(operation, policy=self.retry, retry_on=_CONNECTION_ERRORS)
        except Exception as error:
            raise _translate(error, model=model, provider=self) from error

    async def version(self) -> str:
        async def fetch() -> str:
            return str((await self.get_json("/api/version")).get("version", "unknown"))

        return await self.call("", fetch)

    async def available_models(self) -> set[str]:
        """Names of the models pulled on the server, with and without the ``:latest`` tag."""

        async def fetch() -> set[str]:
            names: set[str] = set()
            for entry in (await self.get_json("/api/tags")).get("models") or []:
                name = entry.get("model") or entry.get("name")
                if name:
                    names.add(name)
                    names.add(name.removesuffix(":latest"))
            return names

        return await self.call("", fetch)


async def _check_status(response: aiohttp.ClientResponse) -> None:
    if response.status == 200:
        return
    body = (await response.read()).decode(errors="replace")
    try:
        message = str(json.loads(body)["error"])
    except (ValueError, KeyError, TypeError):
        message = body.strip() or (response.reason or "")
    raise OllamaServerError(message, response.status)


def _piece(line: bytes) -> dict[str, Any]:
    """One line of a streamed answer (or a whole answer's one object), as the server sent it;
    an error object raises."""
    piece = json.loads(line)
    if not isinstance(piece, dict):
        raise ValueError(f"a piece of the answer is not a JSON object: {line[:80]!r}")
    if "error" in piece:
        raise OllamaServerError(str(piece["error"]), None)
    return piece


def _text_of(piece: dict[str, Any]) -> str:
    message = piece.get("message")
    return str(message.get("content") or "") if isinstance(message, dict) else ""


async def _pieces(response: aiohttp.ClientResponse) -> AsyncIterator[dict[str, Any]]:
    """The answer's lines as they arrive. Read as whatever bytes came, then split here: the
    stream reader's own line iteration cost more than the parsing of each line."""
    pending = b""
    async for received in response.content.iter_any():
        *lines, pending = (pending + received).split(b"\n")
        for line in lines:
            if line.strip():
                yield _piece(line)
    if pending.strip():
        yield _piece(pending)


def _translate(error: BaseException, *, model: str, provider: OllamaProvider) -> ModelError:
    if isinstance(error, ModelError):
        return error
    if isinstance(error, _CONNECTION_ERRORS):
        return ModelUnavailableError(provider.host)
    if isinstance(error, TimeoutError):  # aiohttp's read timeout is one
        return ModelTimeoutError(model, provider.request_timeout)
    if isinstance(error, OllamaServerError):
        if error.status == 404 and "not found" in error.message.lower():
            return ModelNotFoundError(model, provider.host)
        status = "in its answer" if error.status is None else f"(HTTP {error.status})"
        return ModelResponseError(f"Ollama answered with an error {status}: {error.message}")
    if isinstance(error, aiohttp.ClientError | ValueError):  # JSON errors are ValueErrors
        return ModelResponseError(f"Ollama's answer could not be read: {error}")
    return ModelResponseError(f"Unexpected failure talking to Ollama: {error!r}")


def _payload(messages: Sequence[ChatMessage]) -> list[dict[str, str]]:
    return [{"role": message.role.value, "content": message.content} for message in messages]


class OllamaChatModel(ChatModel):
    def __init__(self, provider: OllamaProvider, model: str) -> None:
        self._provider = provider
        self._model = model

    @property
    def name(self) -> str:
        return self._model

    def _body(
        self,
        messages: Sequence[ChatMessage],
        json_schema: JsonSchema | None = None,
        *,
        stream: bool = True,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self._model,
            "messages": _payload(messages),
            "stream": stream,
            "options": {
                "temperature": self._provider.temperature,
                "num_ctx": self._provider.context_window,
            },
        }
        if json_schema is not None:
            body["format"] = json_schema
        return body

    async def request(
        self,
        messages: Sequence[ChatMessage],
        *,
        json_schema: JsonSchema | None = None,
        brief: bool = False,
    ) -> ModelResponse:
        """The whole answer, streamed from Ollama (its timeout then bounds the wait between
        two pieces, not a long answer's whole time) and joined here; or, ``brief``, asked in
        one piece: one JSON object to read instead of a line per token, and the timeout
        bounds the whole answer."""
        started = time.perf_counter()
        body = self._body(messages, json_schema, stream=not brief)

        async def ask_whole() -> tuple[str, dict[str, Any] | None]:
            async with self._provider.post("/api/chat", body) as response:
                answer = _piece(await response.read())
            if not answer.get("done"):
                raise ValueError("the answer is not finished")
            return _text_of(answer), answer

        async def ask_streamed() -> tuple[str, dict[str, Any] | None]:
            received: list[str] = []
            last: dict[str, Any] | None = None
            async with self._provider.post("/api/chat", body) as response:
                async for piece in _pieces(response):
                    if text := _text_of(piece):
                        received.append(text)
                    last = piece
            return "".join(received), last

        text, last = await self._provider.call(self._model, ask_whole if brief else ask_streamed)
        if last is None:
            raise ModelResponseError("Ollama's answer could not be read: it sent nothing.")
        return ModelResponse(
            text=text,
            model=self._model,
            prompt_tokens=last.get("prompt_eval_count"),
            completion_tokens=last.get("eval_count"),
            seconds=time.perf_counter() - started,
        )

    async def stream(self, messages: Sequence[ChatMessage]) -> AsyncIterator[str]:
        body = self._body(messages)
        provider = self._provider

        async def open_stream() -> tuple[
            aiohttp.ClientResponse, AsyncIterator[dict[str, Any]], dict[str, Any] | None
        ]:
            # Connection failures and error statuses surface before the first piece; retrying
            # here is safe because nothing has been shown to anyone yet.
            session = await provider.session()
            response = await session.post(f"{provider.host}/api/chat", json=body)
            try:
                await _check_status(response)
                pieces = _pieces(response)
                return response, pieces, await anext(pieces, None)
            except BaseException:
                response.release()
                raise

        response, pieces, piece = await provider.call(self._model, open_stream)
        received: list[str] = []
        finished = False
        try:
            while piece is not None:
                finished = finished or bool(piece.get("done"))
                if text := _text_of(piece):
                    received.append(text)
                    yield text
                piece = await anext(pieces, None)
        except Exception as error:
            reason = _translate(error, model=self._model, provider=provider)
            raise ModelStreamInterruptedError(
                self._model, "".join(received), str(reason)
            ) from error
        finally:
            response.release()
        if not finished:
            raise ModelStreamInterruptedError(
                self._model, "".join(received), "the stream ended before the model finished"
            )


class OllamaEmbedder(Embedder):
    def __init__(self, provider: OllamaProvider, model: str) -> None:
        self._provider = provider
        self._model = model

    @property
    def name(self) -> str:
        return self._model

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        async def embed_batch(batch: list[str]) -> Sequence[Sequence[float]]:
            async def embed() -> Sequence[Sequence[float]]:
                body = {"model": self._model, "input": batch}
                async with self._provider.post("/api/embed", body) as response:
                    answer = json.loads(await response.read())
                embeddings = answer.get("embeddings") if isinstance(answer, dict) else None
                if not isinstance(embeddings, list):
                    raise ValueError("the answer holds no embeddings")
                return embeddings

            return await self._provider.call(self._model, embed)

        return await embed_in_batches(
            texts,
            batch_size=self._provider.embed_batch_size,
            embed_batch=embed_batch,
            server="Ollama",
        )


def chat_model(settings: Settings, model: str | None = None) -> OllamaChatModel:
    return OllamaChatModel(OllamaProvider.from_settings(settings), model or settings.chat_model)


def embedder(settings: Settings, model: str | None = None) -> OllamaEmbedder:
    return OllamaEmbedder(OllamaProvider.from_settings(settings), model or settings.embed_model)
