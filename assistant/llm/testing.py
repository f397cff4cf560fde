"""In-process stand-ins for the model port, for tests and for evaluations on scripted replies.

:class:`ScriptedChatModel` answers from a queue of scripted replies, or from a function of the
request when the queue is empty; it records every request, streams a reply in word-sized
pieces, and fails on cue (:class:`Fail`, :class:`CutOff`) so that fallback paths can be
exercised. It never invents an answer: a request it has no script for raises
:class:`ScriptExhaustedError`, which is deliberately *not* a :class:`ModelError`, so that a
missing script fails the test instead of being absorbed by a fallback.

:class:`WordEmbedder` turns texts into deterministic vectors in which texts sharing words are
close, with no model at all.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass

from assistant.llm.errors import (
    ModelError,
    ModelResponseError,
    ModelStreamInterruptedError,
    ModelUnavailableError,
)
from assistant.llm.port import ChatMessage, ChatModel, Embedder, JsonSchema, ModelResponse, Role

__all__ = [
    "CutOff",
    "Fail",
    "ModelRequest",
    "Reply",
    "ReplyFunction",
    "ScriptExhaustedError",
    "ScriptedChatModel",
    "WordEmbedder",
    "split_into_pieces",
    "word_vector",
]

IN_PROCESS_HOST = "in-process"


@dataclass(frozen=True)
class ModelRequest:
    """One call the model received, as the caller made it."""

    messages: tuple[ChatMessage, ...]
    json_schema: JsonSchema | None
    streamed: bool

    @property
    def system(self) -> str:
        """The first system message's text ("" if there is none)."""
        return next((m.content for m in self.messages if m.role == Role.SYSTEM), "")

    @property
    def last(self) -> ChatMessage:
        """The last message, usually the one the model is asked to answer."""
        return self.messages[-1]


@dataclass(frozen=True)
class Fail:
    """Raise ``error`` instead of answering (before any piece, when streaming)."""

    error: ModelError

    @classmethod
    def unavailable(cls) -> Fail:
        """The model cannot be reached, as when Ollama is not running."""
        return cls(ModelUnavailableError(IN_PROCESS_HOST, "scripted failure"))


@dataclass(frozen=True)
class CutOff:
    """Stream ``partial``, then stop as a dropped connection would.

    A whole (non-streamed) request cut off this way fails with :class:`ModelResponseError`, as
    the Ollama adapter's does: a whole answer that never finished has nothing to show.
    """

    partial: str


Reply = str | Fail | CutOff
ReplyFunction = Callable[[ModelRequest], Reply]


class ScriptExhaustedError(RuntimeError):
    """The model was asked more than its script answers: a bug in the test, not a model
    failure, so no fallback path swallows it."""


_PIECE = re.compile(r"\s*(?:\w+|[^\w\s])|\s+")


def split_into_pieces(text: str) -> list[str]:
    """Word-sized pieces whose concatenation is exactly ``text``, each carrying the white space
    before it as model tokens do: ``"Bonjour, toi"`` gives ``["Bonjour", ",", " toi"]``."""
    return _PIECE.findall(text)


class ScriptedChatModel(ChatModel):
    """A chat model whose answers are scripted; see the module docstring.

    ``replies`` are used first in, first out; once they are used up, ``respond(request)``
    answers, if given. ``split`` cuts a reply into the pieces :meth:`stream` yields.
    """

    def __init__(
        self,
        replies: Sequence[Reply] = (),
        *,
        respond: ReplyFunction | None = None,
        name: str = "scripted-model",
        split: Callable[[str], Sequence[str]] = split_into_pieces,
    ) -> None:
        self._queue: deque[Reply] = deque(replies)
        self._respond = respond
        self._name = name
        self._split = split
        self.requests: list[ModelRequest] = []

    @property
    def name(self) -> str:
        return self._name

    def queue(self, *replies: Reply) -> None:
        """Script the next answers, after those already queued."""
        self._queue.extend(replies)

    def respond_with(self, respond: ReplyFunction | None) -> None:
        """Answer with ``respond(request)`` whenever the queue is empty (``None``: no function)."""
        self._respond = respond

    @property
    def pending(self) -> int:
        """Queued replies not used yet."""
        return len(self._queue)

    def _next(self, request: ModelRequest) -> Reply:
        self.requests.append(request)
        if self._queue:
            return self._queue.popleft()
        if self._respond is not None:
            return self._respond(request)
        kind = "structured request" if request.json_schema is not None else "request"
        raise ScriptExhaustedError(
            f"{self._name} received {kind} #{len(self.requests)} with no reply left in its "
            f"script: queue one, or give a respond function. Last message: "
            f"{request.last.content[:200]!r}"
        )

    async def request(
        self, messages: Sequence[ChatMessage], *, json_schema: JsonSchema | None = None
    ) -> ModelResponse:
        reply = self._next(ModelRequest(tuple(messages), json_schema, streamed=False))
        if isinstance(reply, Fail):
            raise reply.error
        if isinstance(reply, CutOff):
            raise ModelResponseError(f"The answer from {self._name!r} was cut off.")
        return ModelResponse(text=reply, model=self._name)

    async def stream(self, messages: Sequence[ChatMessage]) -> AsyncIterator[str]:
        reply = self._next(ModelRequest(tuple(messages), None, streamed=True))
        if isinstance(reply, Fail):
            raise reply.error
        text = reply.partial if isinstance(reply, CutOff) else reply
        for piece in self._split(text):
            yield piece
        if isinstance(reply, CutOff):
            raise ModelStreamInterruptedError(self._name, reply.partial, "scripted cut-off")


# Function words carry no meaning a real embedding model would weigh; leaving them in would let
# long passages win on "de", "la" and "the" alone.
_FUNCTION_WORDS = frozenset(
    "a au aux avec ce ces dans de des du en est et il elle la le les leur mais ne nous on ou "
    "par pas pour qu que qui sa se ses son sur un une vous the and or of to in on at for is "
    "are was be it its an as by with this that from".split()
)
_WORD = re.compile(r"[a-z0-9]+")
_STEM_LETTERS = 5


def _fold(text: str) -> str:
    """Lower-case and strip accents: ``"Impayée"`` becomes ``"impayee"``."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _features(text: str) -> Iterator[str]:
    for word in _WORD.findall(_fold(text)):
        if word in _FUNCTION_WORDS or len(word) < 2:
            continue
        yield f"w:{word}"
        # A crude stem so that word forms meet: "visite", "visites" and "visiter" share "visit".
        if len(word) > _STEM_LETTERS:
            yield f"s:{word[:_STEM_LETTERS]}"


def word_vector(text: str, dim: int) -> list[float]:
    """A deterministic, L2-normalised vector in which texts sharing words are close.

    Words are lower-cased and accent-folded, function words dropped; each word and its crude
    stem are hashed (stable across processes) into a signed bucket. Text without words gets a
    fixed unit vector.
    """
    vector = [0.0] * dim
    for feature in _features(text):
        digest = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "big")
        vector[digest % dim] += 1.0 if digest >> 63 else -1.0
    norm = math.sqrt(sum(value * value for value in vector))
    if norm == 0.0:
        return [1.0] + [0.0] * (dim - 1)
    return [value / norm for value in vector]


class WordEmbedder(Embedder):
    """An embedder made of :func:`word_vector`; ``calls`` records each batch it was given."""

    def __init__(self, dim: int = 256, *, name: str = "word-embedder") -> None:
        self._dim = dim
        self._name = name
        self.calls: list[list[str]] = []

    @property
    def name(self) -> str:
        return self._name

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        return [word_vector(text, self._dim) for text in texts]
