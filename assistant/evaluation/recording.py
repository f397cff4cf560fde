"""A decorator of the model port that records what the model wrote, before Terrain's checks.

The interviewer's instructions carry :data:`~assistant.evaluation.assertions.CANARY`, written
there by the session itself (``SessionDeps.canary``), so that a message repeating them shows it.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from assistant.llm.port import ChatMessage, ChatModel, JsonSchema, ModelResponse


@dataclass(frozen=True)
class Call:
    text: str
    prompt_tokens: int | None
    completion_tokens: int | None
    seconds: float
    structured: bool


class RecordingChatModel(ChatModel):
    """Passes every request on to ``inner`` and keeps each answer in :attr:`calls`."""

    def __init__(self, inner: ChatModel) -> None:
        self._inner = inner
        self.calls: list[Call] = []

    @property
    def name(self) -> str:
        return self._inner.name

    async def request(
        self,
        messages: Sequence[ChatMessage],
        *,
        json_schema: JsonSchema | None = None,
        brief: bool = False,
    ) -> ModelResponse:
        started = time.perf_counter()
        response = await self._inner.request(messages, json_schema=json_schema, brief=brief)
        self.calls.append(
            Call(
                text=response.text,
                prompt_tokens=response.prompt_tokens,
                completion_tokens=response.completion_tokens,
                seconds=time.perf_counter() - started,
                structured=json_schema is not None,
            )
        )
        return response

    async def stream(self, messages: Sequence[ChatMessage]) -> AsyncIterator[str]:
        # Evaluations ask for whole answers, so that each is recorded and cached exactly.
        response = await self.request(messages)
        yield response.text
