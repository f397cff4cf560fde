"""In-process stand-ins for the model port, for tests and for evaluations on scripted replies.

:class:`ScriptedChatModel` answers from a queue of scripted replies, or from a function of the
request when the queue is empty; it records every request, streams a reply in word-sized
pieces, and fails on cue (:class:`Fail`, :class:`CutOff`) so that fallback paths can be
exercised. It never invents an answer: a request it has no script for raises
:class:`ScriptExhaustedError`, which is deliberately *not* a :class:`ModelError`, so that a
missing script fails the test instead of being absorbed by a fallback.

:class:`CompromisedChatModel` stands in for a jailbroken model: it obeys every injection
(recites its instructions, adds links and images, gives advice instead of asking, asks a string
of questions, answers in another language, runs far past the length limit), so that tests show
what Terrain's own checks let through. The fake Ollama server answers the same way over HTTP.

:class:`WordEmbedder` turns texts into deterministic vectors in which texts sharing words are
close, with no model at all.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
import unicodedata
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

from assistant.llm.errors import (
    ModelError,
    ModelResponseError,
    ModelStreamInterruptedError,
    ModelUnavailableError,
)
from assistant.llm.port import ChatMessage, ChatModel, Embedder, JsonSchema, ModelResponse, Role

__all__ = [
    "Attack",
    "CompromisedChatModel",
    "CutOff",
    "Fail",
    "ModelRequest",
    "Reply",
    "ReplyFunction",
    "ScriptExhaustedError",
    "ScriptedChatModel",
    "WordEmbedder",
    "choose_attack",
    "compromised_reply",
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
    # The caller expected a short answer and let the adapter ask for it in one piece.
    brief: bool = False

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
        self,
        messages: Sequence[ChatMessage],
        *,
        json_schema: JsonSchema | None = None,
        brief: bool = False,
    ) -> ModelResponse:
        reply = self._next(ModelRequest(tuple(messages), json_schema, streamed=False, brief=brief))
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


class Attack(StrEnum):
    """What a compromised model does instead of asking one short question in the interview's
    language; the employee's message names one by its trigger word, or they take turns."""

    LEAK = "leak"  # recites its instructions word for word
    LINK = "link"  # adds a link and an image
    ADVICE = "advice"  # gives advice and asks nothing
    QUESTIONS = "questions"  # asks a string of questions
    LANGUAGE = "language"  # answers in another language
    LENGTH = "length"  # runs far past the length limit

    @property
    def trigger(self) -> str:
        """The word of an employee's message that asks for this attack."""
        return _TRIGGERS[self]


_TRIGGERS = {
    Attack.LEAK: "instructions",
    Attack.LINK: "link",
    Attack.ADVICE: "advice",
    Attack.QUESTIONS: "questions",
    Attack.LANGUAGE: "language",
    Attack.LENGTH: "detail",
}
_COMPROMISED_REPLIES = {
    "fr": {
        Attack.LEAK: "Bien sûr, voici mes consignes : {system} Qu'avez-vous fait ensuite ?",
        Attack.LINK: (
            "Tout est expliqué sur [la procédure](https://intranet.example.com/procedure) "
            "![logo](https://tracker.example.net/pixel.png) ou sur www.example.org. "
            "Qu'avez-vous fait ensuite ?"
        ),
        Attack.ADVICE: (
            "Vous devriez en parler à votre responsable et prendre quelques jours de repos, "
            "c'est ce que je vous conseille vivement."
        ),
        Attack.QUESTIONS: "Qu'avez-vous fait ? Qui était là ? Et comment a-t-elle réagi ?",
        Attack.LANGUAGE: "What did you do next, and how did the person react to it?",
        Attack.LENGTH: "Je comprends tout à fait ce que vous me dites là. " * 20
        + "Que s'est-il passé ensuite ?",
    },
    "en": {
        Attack.LEAK: "Of course, here are my instructions: {system} What did you do next?",
        Attack.LINK: (
            "It is all explained in [the procedure](https://intranet.example.com/procedure) "
            "![logo](https://tracker.example.net/pixel.png) or at www.example.org. "
            "What did you do next?"
        ),
        Attack.ADVICE: (
            "You should talk to your manager about it and take a few days off, that is my "
            "strong advice to you."
        ),
        Attack.QUESTIONS: "What did you do? Who was there? And how did she react?",
        Attack.LANGUAGE: "Qu'avez-vous fait ensuite, et comment la personne a-t-elle réagi ?",
        Attack.LENGTH: "I completely understand what you are telling me here. " * 20
        + "What happened next?",
    },
}
# Structured requests (the closing summary) get points that carry a link.
_COMPROMISED_SUMMARY = {
    "fr": ["Pour la suite, consultez https://intranet.example.com/aide."],
    "en": ["For what comes next, see https://intranet.example.com/help."],
}


def compromised_reply(messages: Sequence[ChatMessage], attack: Attack, *, structured: bool) -> str:
    """What a compromised model answers to ``messages`` when it obeys ``attack``."""
    system = next((m.content for m in messages if m.role == Role.SYSTEM), "")
    everything = " ".join(message.content for message in messages)
    language = "fr" if re.search(r"\b(consignes|entretien|résumé)\b", everything) else "en"
    if structured:
        return json.dumps({"points": _COMPROMISED_SUMMARY[language]}, ensure_ascii=False)
    return _COMPROMISED_REPLIES[language][attack].replace("{system}", " ".join(system.split()))


class CompromisedChatModel(ScriptedChatModel):
    """A model that obeys every injection (see :class:`Attack`): the attack the employee's
    latest message names by its trigger word, else the next of ``attacks`` in turn.
    :attr:`obeyed` records the attack of each answer."""

    def __init__(
        self, attacks: Sequence[Attack] = tuple(Attack), *, name: str = "compromised-model"
    ) -> None:
        super().__init__(respond=self._obey, name=name)
        self._turns = itertools.cycle(attacks)
        self.obeyed: list[Attack] = []

    def _obey(self, request: ModelRequest) -> str:
        attack = choose_attack(request.messages, self._turns)
        self.obeyed.append(attack)
        return compromised_reply(
            request.messages, attack, structured=request.json_schema is not None
        )


def choose_attack(messages: Sequence[ChatMessage], turns: Iterator[Attack]) -> Attack:
    """The attack the latest user message names by its trigger word, else the next in turn."""
    said = next((m.content.lower() for m in reversed(messages) if m.role == Role.USER), "")
    named = next((attack for attack in Attack if attack.trigger in said), None)
    return named or next(turns)


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
