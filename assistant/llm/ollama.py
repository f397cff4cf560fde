"""The Ollama adapter: the only module that imports ``ollama``.

Why each library is here:

- ollama: answers, streamed or whole (structured output included: the JSON schema goes as
  Ollama's ``format``), embeddings and server queries (version, pulled models). Whole answers
  are streamed too and joined here, as langchain-ollama's ``ChatOllama`` did: its per-piece
  machinery (a message object and a merge per piece, callbacks) cost several times the CPU of
  reading the answer, and the safety classifier asks for one at every employee message. The
  other model servers go through LangChain's OpenAI integration
  (:mod:`assistant.llm.openai_compatible`).
- httpx: timeouts, connection errors, and the one endpoint the ollama client lacks.

The library raises its own exceptions; :func:`_translate` maps them onto the port's typed
errors so that callers never see a library exception.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import ssl
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TypeVar

import httpx
import ollama
from ollama import ChatResponse

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

# Failures where nothing reached the model: safe to try again.
_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionError,
    httpx.ConnectError,
    httpx.ConnectTimeout,
)


# Forgotten with their loop: a closed loop's connections are closed with it.
_clients_by_loop: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[tuple[str, float, float, int], ollama.AsyncClient]
] = weakref.WeakKeyDictionary()
# Clients per loop and server, used in turn (see OllamaProvider.client).
CLIENTS_PER_LOOP = 8
_turns = itertools.count()


@lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    # Building a client loads the system's certificates again (about 20 ms); one context,
    # shared by every client, makes a client cost nothing.
    return ssl.create_default_context()


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

    @property
    def timeout(self) -> httpx.Timeout:
        return httpx.Timeout(self.request_timeout, connect=self.connect_timeout)

    @asynccontextmanager
    async def client(self) -> AsyncIterator[ollama.AsyncClient]:
        """A client for this event loop, kept for the loop's life so that its connections
        are reused (an httpx client must not outlive its loop, and the CLI, the web app and
        the tests each run their own)."""
        loop = asyncio.get_running_loop()
        clients = _clients_by_loop.setdefault(loop, {})
        # Requests take turns over a few clients: httpx's pool looks at each of its connections
        # (and, for each idle one, at all of them) whenever a request starts or ends, so that
        # one pool holding the streams of fifty interviews spent more CPU choosing a
        # connection than reading the reply. A few pools of a dozen connections cost little.
        shard = next(_turns) % CLIENTS_PER_LOOP
        key = (self.host, self.connect_timeout, self.request_timeout, shard)
        if key not in clients:
            clients[key] = ollama.AsyncClient(
                host=self.host, timeout=self.timeout, verify=_tls_context()
            )
        yield clients[key]

    async def call(self, model: str, operation: Callable[[], Awaitable[T]]) -> T:
        """Run one Ollama operation with the retry policy and typed errors."""
        try:
            return await with_retries(operation, policy=self.retry, retry_on=_CONNECTION_ERRORS)
        except Exception as error:
            raise _translate(error, model=model, provider=self) from error

    async def version(self) -> str:
        async def fetch() -> str:
            # The ollama client has no public call for this endpoint.
            async with httpx.AsyncClient(
                base_url=self.host, timeout=self.timeout, verify=_tls_context()
            ) as http:
                response = await http.get("/api/version")
            if response.status_code != httpx.codes.OK:
                raise ollama.ResponseError(response.text, response.status_code)
            return str(response.json().get("version", "unknown"))

        return await self.call("", fetch)

    async def available_models(self) -> set[str]:
        """Names of the models pulled on the server, with and without the ``:latest`` tag."""

        async def fetch() -> set[str]:
            async with self.client() as client:
                listing = await client.list()
            names: set[str] = set()
            for entry in listing.models:
                if entry.model:
                    names.add(entry.model)
                    names.add(entry.model.removesuffix(":latest"))
            return names

        return await self.call("", fetch)


def _translate(error: BaseException, *, model: str, provider: OllamaProvider) -> ModelError:
    if isinstance(error, ModelError):
        return error
    if isinstance(error, _CONNECTION_ERRORS):
        return ModelUnavailableError(provider.host)
    if isinstance(error, httpx.TimeoutException):
        return ModelTimeoutError(model, provider.request_timeout)
    if isinstance(error, ollama.ResponseError):
        if error.status_code == 404 and "not found" in error.error.lower():
            return ModelNotFoundError(model, provider.host)
        return ModelResponseError(
            f"Ollama answered with an error (HTTP {error.status_code}): {error.error}"
        )
    if isinstance(error, httpx.HTTPError | json.JSONDecodeError | ValueError):
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

    def _options(self) -> dict[str, float | int]:
        return {"temperature": self._provider.temperature, "num_ctx": self._provider.context_window}

    async def request(
        self, messages: Sequence[ChatMessage], *, json_schema: JsonSchema | None = None
    ) -> ModelResponse:
        """The whole answer, streamed from Ollama (its timeout then bounds the wait between
        two pieces, not a long answer's whole time) and joined here."""
        started = time.perf_counter()
        payload = _payload(messages)
        async with self._provider.client() as client:

            async def invoke() -> tuple[str, ChatResponse | None]:
                parts = await client.chat(
                    model=self._model,
                    messages=payload,
                    stream=True,
                    options=self._options(),
                    format=json_schema,
                )
                received: list[str] = []
                last: ChatResponse | None = None
                async for part in parts:
                    if text := part.message.content:
                        received.append(text)
                    last = part
                return "".join(received), last

            text, last = await self._provider.call(self._model, invoke)
        if last is None:
            raise ModelResponseError("Ollama's answer could not be read: it sent nothing.")
        return ModelResponse(
            text=text,
            model=self._model,
            prompt_tokens=last.prompt_eval_count,
            completion_tokens=last.eval_count,
            seconds=time.perf_counter() - started,
        )

    async def stream(self, messages: Sequence[ChatMessage]) -> AsyncIterator[str]:
        payload = _payload(messages)
        options = self._options()
        async with self._provider.client() as client:

            async def open_stream() -> tuple[AsyncIterator[ChatResponse], ChatResponse | None]:
                # Connection failures surface on the first part; retrying here is safe because
                # nothing has been shown to anyone yet.
                parts = aiter(
                    await client.chat(
                        model=self._model, messages=payload, stream=True, options=options
                    )
                )
                try:
                    return parts, await anext(parts)
                except StopAsyncIteration:
                    return parts, None

            parts, part = await self._provider.call(self._model, open_stream)
            received: list[str] = []
            finished = False
            try:
                while part is not None:
                    finished = finished or bool(part.done)
                    if text := part.message.content:
                        received.append(text)
                        yield text
                    part = await anext(parts, None)
            except Exception as error:
                reason = _translate(error, model=self._model, provider=self._provider)
                raise ModelStreamInterruptedError(
                    self._model, "".join(received), str(reason)
                ) from error
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
                async with self._provider.client() as client:
                    return (await client.embed(model=self._model, input=batch)).embeddings

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
