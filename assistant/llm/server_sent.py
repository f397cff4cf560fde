"""Reading a chat answer streamed as server-sent events, as OpenAI-compatible servers send it.

The raw JSON events, not the ``openai`` client's typed chunks: building a typed chunk per token
cost three times the CPU of the rest (``benchmarks/model_servers.py``).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

from assistant.llm.errors import ModelResponseError


@dataclass
class Reading:
    """What the events of a streamed answer said besides its text."""

    finished: bool = False
    reasoned: bool = False
    usage: dict[str, Any] = field(default_factory=dict)

    def texts(self, event: dict[str, Any]) -> Iterator[str]:
        """The pieces of text ``event`` carries, noting the rest."""
        if isinstance(usage := event.get("usage"), dict):
            self.usage = usage
        for choice in event.get("choices") or ():
            self.finished = self.finished or choice.get("finish_reason") is not None
            delta = choice.get("delta") or {}
            self.reasoned = self.reasoned or bool(
                delta.get("reasoning_content") or delta.get("reasoning")
            )
            if text := delta.get("content"):
                yield text


async def chat_events(lines: AsyncIterator[str], server: str) -> AsyncIterator[dict[str, Any]]:
    """The JSON events of a server-sent stream of chat chunks, up to ``[DONE]``."""
    async for line in lines:
        if not line.startswith("data:"):
            continue
        data = line.removeprefix("data:").strip()
        if data == "[DONE]":
            return
        event = json.loads(data)
        if not isinstance(event, dict):
            raise ValueError(f"expected a JSON object, got {data[:80]!r}")
        if error := event.get("error"):
            detail = error.get("message") if isinstance(error, dict) else error
            raise ModelResponseError(f"{server} stopped the answer with an error: {detail}")
        yield event
