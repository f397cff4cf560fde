"""The model port: the only interface the rest of Terrain uses to reach a language model.

A chat model answers a list of messages, whole (:meth:`ChatModel.request`) or piece by piece
(:meth:`ChatModel.stream`); an embedder turns texts into vectors. Connection settings live in a
provider (see :mod:`assistant.llm.ollama` and :mod:`assistant.llm.openai_compatible`), not
here, so that a test double or another backend only has to implement these few methods.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

JsonSchema = dict[str, Any]


class Role(StrEnum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"


class ChatMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    role: Role
    content: str

    @classmethod
    def system(cls, content: str) -> ChatMessage:
        return cls(role=Role.SYSTEM, content=content)

    @classmethod
    def user(cls, content: str) -> ChatMessage:
        return cls(role=Role.USER, content=content)

    @classmethod
    def assistant(cls, content: str) -> ChatMessage:
        return cls(role=Role.ASSISTANT, content=content)


class ModelResponse(BaseModel):
    """A complete answer and what it cost."""

    text: str
    model: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    seconds: float = Field(default=0.0, ge=0)


class ChatModel(ABC):
    """A chat model. Implementations raise only :class:`~assistant.llm.errors.ModelError`."""

    @property
    @abstractmethod
    def name(self) -> str:
        """The model's identifier, recorded with everything it produces."""

    @abstractmethod
    async def request(
        self,
        messages: Sequence[ChatMessage],
        *,
        json_schema: JsonSchema | None = None,
        brief: bool = False,
    ) -> ModelResponse:
        """The whole answer. With ``json_schema`` the model is constrained to that schema.

        ``brief`` says that the caller expects a short answer (a verdict of a few tokens), so
        the adapter may ask for it in one piece rather than streamed: the request timeout then
        bounds the whole answer, not the wait for each next piece, and a long answer must not
        be asked this way. Without it an adapter streams the answer and joins it, so that a
        long answer on a slow server keeps coming for as long as the model writes.
        """

    @abstractmethod
    def stream(self, messages: Sequence[ChatMessage]) -> AsyncIterator[str]:
        """The answer as it is generated.

        Raises :class:`~assistant.llm.errors.ModelStreamInterruptedError` (with the text
        received so far) if the answer stops before the model says it is done.
        """


class Embedder(ABC):
    """An embedding model."""

    @property
    @abstractmethod
    def name(self) -> str:
        """The model's identifier."""

    @abstractmethod
    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order. Implementations batch large inputs themselves."""
