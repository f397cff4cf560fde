"""The OpenAI-compatible adapter: vLLM, llama.cpp's ``llama-server``, SGLang, LM Studio.

The only module that imports ``openai`` and ``langchain_openai``. It implements the same port
as :mod:`assistant.llm.ollama`, the same way:

- a brief answer (the safety classifier's verdict) is asked whole, through LangChain's
  ``ChatOpenAI`` at the server's ``base_url``; a JSON schema is sent as
  ``response_format={"type": "json_schema", "json_schema": {"name", "schema", "strict"}}``,
  the one form vLLM (which removed ``guided_json`` in 0.12), llama-server and SGLang all
  accept. Validation and the repair retry are
  :func:`assistant.llm.structured.request_structured`'s, shared with Ollama.
- every other answer (an extraction, the interviewer's reply) is streamed, so that the request
  timeout bounds the wait for each next piece, and ``/v1/models`` is listed, with the ``openai``
  client directly: LangChain's per-piece machinery would cost more CPU than the reply itself,
  as with Ollama; and the stream is read as raw server-sent events
  (:mod:`assistant.llm.server_sent`), not as the client's typed chunks, which cost more again
  (``benchmarks/model_servers.py``). A whole answer joined from the stream asks for its usage
  in the last event (``stream_options.include_usage``).
- embeddings go through ``OpenAIEmbeddings`` with ``check_embedding_ctx_length=False``, so
  that raw text is sent and tiktoken never downloads an encoding (the machine may be
  air-gapped), and with ``encoding_format="float"``, which every server answers.

Reasoning models (Qwen3 and the like) may put their whole answer in ``reasoning_content`` and
leave ``content`` empty; Terrain never shows reasoning to anyone, so that is a
:class:`ModelNoContentError` saying what to change, not an answer. Unless
``TERRAIN_OPENAI_THINKING`` is set, every request asks the chat template to skip thinking.

The key (``TERRAIN_OPENAI_API_KEY`` or ``OPENAI_API_KEY``) goes only into the clients'
``Authorization`` header; it is never part of a message, an error or a log line.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import openai

from assistant.config import Settings
from assistant.llm.errors import (
    ModelError,
    ModelNoContentError,
    ModelNotFoundError,
    ModelResponseError,
    ModelStreamInterruptedError,
    ModelTimeoutError,
    ModelUnavailableError,
)
from assistant.llm.port import ChatMessage, ChatModel, Embedder, JsonSchema, ModelResponse, Role
from assistant.llm.retry import RetryPolicy, embed_in_batches, patience_from, with_retries
from assistant.llm.server_sent import Reading, chat_events

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage
    from langchain_openai import ChatOpenAI, OpenAIEmbeddings

T = TypeVar("T")

SERVER = "The OpenAI-compatible model server"
# Servers started without --api-key ignore the header, but the client insists on one.
_NO_KEY = "no-key"


class _Retryable(Exception):
    """A failure where nothing reached the model: the connection was never made."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


def _never_connected(error: BaseException) -> bool:
    if isinstance(error, openai.APITimeoutError):
        # A timeout while connecting is safe to retry; one while the model works is not.
        return type(error.__cause__).__name__ == "ConnectTimeout"
    return isinstance(error, openai.APIConnectionError | ConnectionError)


# Forgotten with their loop: an HTTP client must not outlive the loop it was made in (the
# openai client's own default is shared by every loop of the process).
_http_by_loop: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[tuple[float, float], openai.DefaultAsyncHttpxClient]
] = weakref.WeakKeyDictionary()
_clients_by_loop: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[tuple[str, str, float, float], openai.AsyncOpenAI]
] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class OpenAIProvider:
    """Where the OpenAI-compatible server is and how patiently to talk to it."""

    base_url: str
    api_key: str | None = field(default=None, repr=False)
    connect_timeout: float = 5.0
    request_timeout: float = 180.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    temperature: float = 0.3
    embed_batch_size: int = 32
    thinking: bool = False

    @classmethod
    def from_settings(cls, settings: Settings, *, embeddings: bool = False) -> OpenAIProvider:
        """The chat model's server, or with ``embeddings`` the embedding model's."""
        key = settings.openai_api_key
        base_url = settings.openai_base_url
        if embeddings and settings.openai_embed_base_url:
            base_url = settings.openai_embed_base_url
        return cls(
            base_url=base_url,
            api_key=key.get_secret_value() if key else None,
            thinking=settings.openai_thinking,
            **patience_from(settings),
        )

    @property
    def timeout(self) -> openai.Timeout:
        return openai.Timeout(self.request_timeout, connect=self.connect_timeout)

    @property
    def key(self) -> str:
        return self.api_key or _NO_KEY

    @property
    def extra_body(self) -> dict[str, Any] | None:
        """What every chat request adds to the OpenAI fields: thinking off, unless wanted.
        Chat templates without thinking ignore the variable."""
        if self.thinking:
            return None
        return {"chat_template_kwargs": {"enable_thinking": False}}

    def http_client(self) -> openai.DefaultAsyncHttpxClient:
        """One connection pool per event loop, shared by every client of this loop."""
        loop = asyncio.get_running_loop()
        clients = _http_by_loop.setdefault(loop, {})
        key = (self.connect_timeout, self.request_timeout)
        if key not in clients:
            clients[key] = openai.DefaultAsyncHttpxClient(timeout=self.timeout)
        return clients[key]

    def client(self) -> openai.AsyncOpenAI:
        """The openai client of this loop, kept: building one costs more CPU than a reply."""
        loop = asyncio.get_running_loop()
        clients = _clients_by_loop.setdefault(loop, {})
        key = (self.base_url, self.key, self.connect_timeout, self.request_timeout)
        if key not in clients:
            clients[key] = openai.AsyncOpenAI(
                base_url=self.base_url,
                api_key=self.key,
                timeout=self.timeout,
                max_retries=0,  # the retry policy below decides, as for Ollama
                http_client=self.http_client(),
            )
        return clients[key]

    async def call(self, model: str, operation: Callable[[], Awaitable[T]]) -> T:
        """Run one operation with the retry policy and typed errors."""

        async def attempt() -> T:
            try:
                return await operation()
            except Exception as error:
                if _never_connected(error):
                    raise _Retryable(error) from error
                raise

        try:
            return await with_retries(attempt, policy=self.retry, retry_on=(_Retryable,))
        except _Retryable as wrapped:
            raise translate(wrapped.cause, model=model, provider=self) from wrapped.cause
        except Exception as error:
            raise translate(error, model=model, provider=self) from error

    async def available_models(self) -> set[str]:
        """The names ``GET /v1/models`` lists (``--served-model-name``)."""

        async def fetch() -> set[str]:
            listing = await self.client().models.list()
            return {entry.id for entry in listing.data if entry.id}

        return await self.call("", fetch)


def translate(error: BaseException, *, model: str, provider: OpenAIProvider) -> ModelError:
    """The port's typed error for what the openai client (or LangChain around it) raised."""
    if isinstance(error, ModelError):
        return error
    if isinstance(error, openai.APITimeoutError) and not _never_connected(error):
        return ModelTimeoutError(model, provider.request_timeout)
    # While a streamed answer is read, the client's HTTP library (httpx, or httpx2 in openai 3)
    # raises its own errors, untranslated: known by their class names, whichever library it is.
    raised = {kind.__name__ for kind in type(error).__mro__}
    if "TimeoutException" in raised:
        return ModelTimeoutError(model, provider.request_timeout)
    if "TransportError" in raised:
        return ModelResponseError(f"{SERVER}'s answer stopped midway: {error!r}")
    if _never_connected(error):
        return ModelUnavailableError(
            provider.base_url,
            server=SERVER,
            fix="start it (`vllm serve` or `llama-server`, see docs/model-servers.md), or set "
            "TERRAIN_OPENAI_BASE_URL to where it runs",
        )
    if isinstance(error, openai.AuthenticationError | openai.PermissionDeniedError):
        return ModelResponseError(
            f"{SERVER} at {provider.base_url} refused the key (HTTP {error.status_code}).",
            fix="set TERRAIN_OPENAI_API_KEY (or OPENAI_API_KEY) to the server's --api-key",
        )
    if isinstance(error, openai.NotFoundError):
        if model and "model" in error.message.lower():
            return ModelNotFoundError(
                model,
                provider.base_url,
                fix="serve it under that name (`--served-model-name`, or `--alias` for "
                "llama-server), or set TERRAIN_CHAT_MODEL / TERRAIN_EMBED_MODEL to a name "
                "that GET /v1/models lists",
            )
        return ModelResponseError(
            f"{SERVER} at {provider.base_url} has no such endpoint (HTTP 404).",
            fix="check that TERRAIN_OPENAI_BASE_URL ends with /v1",
        )
    if isinstance(error, openai.APIStatusError):
        return ModelResponseError(
            f"{SERVER} answered with an error (HTTP {error.status_code}): {error.message}"
        )
    if isinstance(error, openai.LengthFinishReasonError):
        return ModelResponseError(
            f"The answer from {model!r} was cut off at the server's token limit.",
            fix="raise the server's --max-model-len (vLLM) or --ctx-size (llama-server)",
        )
    if isinstance(error, openai.OpenAIError | ValueError):
        return ModelResponseError(f"{SERVER}'s answer could not be read: {error}")
    return ModelResponseError(f"Unexpected failure talking to {SERVER}: {error!r}")


def _no_content(model: str, reasoned: bool) -> ModelNoContentError:
    if reasoned:
        detail = "it only reasoned (reasoning_content) and gave no answer"
        fix = (
            "leave TERRAIN_OPENAI_THINKING off, start vLLM with the model's own reasoning "
            "parser (`--reasoning-parser qwen3` for Qwen3), or choose an instruct model"
        )
    else:
        detail = "its answer was empty"
        fix = "check the server's log; a reasoning model may need its reasoning parser"
    return ModelNoContentError(f"The model {model!r} returned no content: {detail}.", fix=fix)


def _to_langchain(messages: Sequence[ChatMessage]) -> list[BaseMessage]:
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    kinds: dict[Role, type[BaseMessage]] = {
        Role.SYSTEM: SystemMessage,
        Role.USER: HumanMessage,
        Role.ASSISTANT: AIMessage,
    }
    return [kinds[message.role](content=message.content) for message in messages]


def response_format(json_schema: JsonSchema) -> dict[str, Any]:
    """OpenAI's structured-output request for ``json_schema``: the form vLLM (>= 0.12),
    llama-server and SGLang all read (llama-server also reads a bare ``schema``, vLLM no
    ``guided_json`` any more)."""
    title = str(json_schema.get("title") or "answer")
    name = "".join(c if c.isalnum() or c in "_-" else "_" for c in title)[:64]
    return {
        "type": "json_schema",
        "json_schema": {"name": name, "schema": json_schema, "strict": True},
    }


class OpenAIChatModel(ChatModel):
    def __init__(self, provider: OpenAIProvider, model: str) -> None:
        self._provider = provider
        self._model = model
        self._chats: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ChatOpenAI] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def name(self) -> str:
        return self._model

    def _chat(self) -> ChatOpenAI:
        from langchain_openai import ChatOpenAI
        from pydantic import SecretStr

        loop = asyncio.get_running_loop()
        if loop not in self._chats:
            self._chats[loop] = ChatOpenAI(
                model=self._model,
                base_url=self._provider.base_url,
                api_key=SecretStr(self._provider.key),
                temperature=self._provider.temperature,
                timeout=self._provider.timeout,
                max_retries=0,
                extra_body=self._provider.extra_body,
                http_async_client=self._provider.http_client(),
            )
        return self._chats[loop]

    async def request(
        self,
        messages: Sequence[ChatMessage],
        *,
        json_schema: JsonSchema | None = None,
        brief: bool = False,
    ) -> ModelResponse:
        """A brief answer in one piece, through ``ChatOpenAI``; any other streamed and joined,
        so that the request timeout bounds the wait for each piece, as with Ollama."""
        if brief:
            return await self._ask_whole(messages, json_schema)
        started = time.perf_counter()

        async def read() -> tuple[str, Reading]:
            reading, received = Reading(), list[str]()
            async with self._open(messages, json_schema, usage=True) as response:
                async for event in chat_events(response.iter_lines(), SERVER):
                    received.extend(reading.texts(event))
            return "".join(received), reading

        text, reading = await self._provider.call(self._model, read)
        if not reading.finished:
            raise ModelResponseError(f"The answer from {self._model!r} stopped before its end.")
        if not text.strip():
            raise _no_content(self._model, reasoned=reading.reasoned)
        usage = reading.usage
        return ModelResponse(
            text=text,
            model=self._model,
            prompt_tokens=usage.get("prompt_tokens"),
            completion_tokens=usage.get("completion_tokens"),
            seconds=time.perf_counter() - started,
        )

    async def _ask_whole(
        self, messages: Sequence[ChatMessage], json_schema: JsonSchema | None
    ) -> ModelResponse:
        from langchain_core.messages import AIMessage

        started = time.perf_counter()
        lc_messages = _to_langchain(messages)

        async def invoke() -> AIMessage:
            if json_schema is None:
                answer = await self._chat().ainvoke(lc_messages)
            else:
                answer = await self._chat().ainvoke(
                    lc_messages, response_format=response_format(json_schema)
                )
            assert isinstance(answer, AIMessage)
            return answer

        answer = await self._provider.call(self._model, invoke)
        text = answer.content if isinstance(answer.content, str) else answer.text
        if not text.strip():
            # ChatOpenAI drops reasoning_content; an empty answer from a server that
            # reasons is the known case (vLLM issues 17357, 17609).
            raise _no_content(self._model, reasoned=True)
        usage = answer.usage_metadata
        return ModelResponse(
            text=text,
            model=self._model,
            prompt_tokens=usage["input_tokens"] if usage else None,
            completion_tokens=usage["output_tokens"] if usage else None,
            seconds=time.perf_counter() - started,
        )

    def _open(
        self, messages: Sequence[ChatMessage], json_schema: JsonSchema | None, *, usage: bool
    ) -> Any:
        """The streamed answer's response, to enter. The raw events, not the client's typed
        chunks: building a typed chunk per token cost three times the CPU of the rest."""
        payload: Any = [{"role": m.role.value, "content": m.content} for m in messages]
        options: dict[str, Any] = {}
        if json_schema is not None:
            options["response_format"] = response_format(json_schema)
        if usage:  # the last event then carries the usage, as a whole answer does
            options["stream_options"] = {"include_usage": True}
        return self._provider.client().chat.completions.with_streaming_response.create(
            model=self._model,
            messages=payload,
            stream=True,
            temperature=self._provider.temperature,
            extra_body=self._provider.extra_body,
            **options,
        )

    async def stream(self, messages: Sequence[ChatMessage]) -> AsyncIterator[str]:
        opened = contextlib.AsyncExitStack()

        async def open_stream() -> tuple[AsyncIterator[dict[str, Any]], dict[str, Any] | None]:
            # Connection failures surface on the first event; retrying here is safe because
            # nothing has been shown to anyone yet.
            response = await opened.enter_async_context(self._open(messages, None, usage=False))
            events = chat_events(response.iter_lines(), SERVER)
            return events, await anext(events, None)

        async with opened:
            events, event = await self._provider.call(self._model, open_stream)
            reading, received = Reading(), list[str]()
            try:
                while event is not None:
                    for text in reading.texts(event):
                        received.append(text)
                        yield text
                    event = await anext(events, None)
            except Exception as error:
                reason = translate(error, model=self._model, provider=self._provider)
                raise ModelStreamInterruptedError(
                    self._model, "".join(received), str(reason)
                ) from error
        if not reading.finished:
            raise ModelStreamInterruptedError(
                self._model, "".join(received), "the stream ended before the model finished"
            )
        if not "".join(received).strip():
            raise _no_content(self._model, reasoned=reading.reasoned)


class OpenAIEmbedder(Embedder):
    def __init__(self, provider: OpenAIProvider, model: str) -> None:
        self._provider = provider
        self._model = model
        self._embedders: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, OpenAIEmbeddings] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def name(self) -> str:
        return self._model

    def _embeddings(self) -> OpenAIEmbeddings:
        from langchain_openai import OpenAIEmbeddings
        from pydantic import SecretStr

        loop = asyncio.get_running_loop()
        if loop not in self._embedders:
            self._embedders[loop] = OpenAIEmbeddings(
                model=self._model,
                openai_api_base=self._provider.base_url,
                openai_api_key=SecretStr(self._provider.key),
                # Raw text, not tiktoken's tokens: no encoding to download, and the server
                # counts with the model's own tokenizer.
                check_embedding_ctx_length=False,
                chunk_size=self._provider.embed_batch_size,
                max_retries=0,
                request_timeout=self._provider.timeout,
                model_kwargs={"encoding_format": "float"},
                http_async_client=self._provider.http_client(),
            )
        return self._embedders[loop]

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        async def embed_batch(batch: list[str]) -> Sequence[Sequence[float]]:
            async def embed() -> Sequence[Sequence[float]]:
                return await self._embeddings().aembed_documents(batch)

            return await self._provider.call(self._model, embed)

        return await embed_in_batches(
            texts,
            batch_size=self._provider.embed_batch_size,
            embed_batch=embed_batch,
            server=SERVER,
        )


def chat_model(settings: Settings, model: str | None = None) -> OpenAIChatModel:
    return OpenAIChatModel(OpenAIProvider.from_settings(settings), model or settings.chat_model)


def embedder(settings: Settings, model: str | None = None) -> OpenAIEmbedder:
    provider = OpenAIProvider.from_settings(settings, embeddings=True)
    return OpenAIEmbedder(provider, model or settings.embed_model)
