"""A cache of model replies, so that a suite replays without a model.

The key is the sha256 of a canonical JSON of the model's name, the rendered messages, the JSON
schema and the parameters that change an answer (temperature, context size). ``record`` asks
the model and stores its reply; ``replay`` answers from the cache only, and a miss is a
:class:`CacheMissError`, which is deliberately not a model error: no fallback may absorb it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any

from assistant.llm.port import ChatMessage, ChatModel, JsonSchema, ModelResponse


class CacheMode(StrEnum):
    RECORD = "record"
    REPLAY = "replay"


class CacheMissError(RuntimeError):
    def __init__(self, model: str, key: str) -> None:
        super().__init__(
            f"No cached reply of {model!r} for this request (key {key[:12]}…): record it first "
            "with `terrain eval run --record`."
        )


def cache_key(
    model: str,
    messages: Sequence[ChatMessage],
    json_schema: JsonSchema | None,
    parameters: dict[str, Any],
) -> str:
    document = {
        "model": model,
        "messages": [{"role": str(m.role), "content": m.content} for m in messages],
        "json_schema": json_schema,
        "parameters": parameters,
    }
    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class CachedChatModel(ChatModel):
    """``inner`` behind a reply cache in ``folder`` (one JSON file per key)."""

    def __init__(
        self, inner: ChatModel, folder: Path, mode: CacheMode, parameters: dict[str, Any]
    ) -> None:
        self._inner = inner
        self._folder = folder
        self._mode = mode
        self._parameters = parameters

    @property
    def name(self) -> str:
        return self._inner.name

    def _path(self, key: str) -> Path:
        return self._folder / key[:2] / f"{key}.json"

    async def request(
        self,
        messages: Sequence[ChatMessage],
        *,
        json_schema: JsonSchema | None = None,
        brief: bool = False,
    ) -> ModelResponse:
        # ``brief`` changes how the answer travels, not what it is: it is not part of the key.
        key = cache_key(self.name, messages, json_schema, self._parameters)
        path = self._path(key)
        if self._mode == CacheMode.REPLAY:
            try:
                return ModelResponse.model_validate_json(path.read_bytes())
            except FileNotFoundError:
                raise CacheMissError(self.name, key) from None
        response = await self._inner.request(messages, json_schema=json_schema, brief=brief)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".tmp")
        partial.write_text(response.model_dump_json(indent=1), encoding="utf-8")
        partial.replace(path)
        return response

    async def stream(self, messages: Sequence[ChatMessage]) -> AsyncIterator[str]:
        response = await self.request(messages)
        yield response.text
