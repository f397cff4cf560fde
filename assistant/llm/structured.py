"""Structured output: ask for JSON matching a pydantic model, validate it, repair once.

The schema goes to the model (Ollama's ``format``, or ``response_format`` of type
``json_schema`` on an OpenAI-compatible server), so a capable model answers valid JSON
directly. When it does not, the model is shown its answer and the validation error and asked
again; a second failure raises :class:`StructuredOutputError` rather than passing bad data on.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from assistant.errors import describe_validation_error
from assistant.llm.errors import StructuredOutputError
from assistant.llm.port import ChatMessage, ChatModel, ModelResponse

T = TypeVar("T", bound=BaseModel)

_REPAIR_INSTRUCTION = (
    "Your previous answer could not be used: {error}\n"
    "Answer again with only a JSON document that matches the requested schema exactly."
)
_MAX_ERROR_CHARS = 1500


@dataclass(frozen=True)
class Structured(Generic[T]):
    """A validated value and how it was obtained."""

    value: T
    attempts: int
    responses: tuple[ModelResponse, ...]


def json_schema_of(schema: type[BaseModel]) -> dict[str, Any]:
    """``schema.model_json_schema()``, generated once per class (pydantic takes about a
    millisecond each time, and the safety classifier asks at every answer); each caller gets
    its own copy to change."""
    return json.loads(_json_schema_text(schema))  # type: ignore[no-any-return]


@lru_cache(maxsize=64)
def _json_schema_text(schema: type[BaseModel]) -> str:
    return json.dumps(schema.model_json_schema())


async def request_structured(
    model: ChatModel,
    messages: Sequence[ChatMessage],
    schema: type[T],
    *,
    repair_attempts: int = 1,
    brief: bool = False,
) -> Structured[T]:
    """Ask ``model`` for an instance of ``schema``; see the module docstring for the policy.

    ``brief``: the answer is a few tokens (a verdict), which the adapter may ask for in one
    piece (see :meth:`ChatModel.request`); a long one (an extraction) must stream."""
    json_schema = json_schema_of(schema)
    conversation = list(messages)
    responses: list[ModelResponse] = []
    last_error = ""
    for _ in range(1 + repair_attempts):
        response = await model.request(conversation, json_schema=json_schema, brief=brief)
        responses.append(response)
        try:
            value = schema.model_validate_json(response.text)
        except ValidationError as error:
            last_error = describe_validation_error(error, most=None)[:_MAX_ERROR_CHARS]
        else:
            return Structured(value=value, attempts=len(responses), responses=tuple(responses))
        conversation += [
            ChatMessage.assistant(response.text),
            ChatMessage.user(_REPAIR_INSTRUCTION.format(error=last_error)),
        ]
    raise StructuredOutputError(
        schema.__name__, attempts=len(responses), last_error=last_error, raw=responses[-1].text
    )
