"""The model port and its adapters.

Import from here: :class:`ChatModel`, :class:`Embedder`, :class:`ChatMessage`, the typed errors,
:func:`request_structured`, and :func:`chat_model_for` / :func:`embedder_for`, which build the
configured backend (Ollama, or an OpenAI-compatible server) lazily so that importing the
port costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.llm.errors import (
    ModelError,
    ModelNoContentError,
    ModelNotFoundError,
    ModelResponseError,
    ModelStreamInterruptedError,
    ModelTimeoutError,
    ModelUnavailableError,
    StructuredOutputError,
)
from assistant.llm.port import ChatMessage, ChatModel, Embedder, ModelResponse, Role
from assistant.llm.structured import Structured, request_structured

if TYPE_CHECKING:
    from assistant.config import Settings

__all__ = [
    "ChatMessage",
    "ChatModel",
    "Embedder",
    "ModelError",
    "ModelNoContentError",
    "ModelNotFoundError",
    "ModelResponse",
    "ModelResponseError",
    "ModelStreamInterruptedError",
    "ModelTimeoutError",
    "ModelUnavailableError",
    "Role",
    "Structured",
    "StructuredOutputError",
    "chat_model_for",
    "embedder_for",
    "model_server",
    "request_structured",
]


def chat_model_for(settings: Settings, model: str | None = None) -> ChatModel:
    """The configured chat model (``settings.chat_model`` unless ``model`` is given), on the
    server ``TERRAIN_MODEL_PROVIDER`` names: the only place that knows which one it is."""
    if settings.model_provider == "openai":
        from assistant.llm import openai_compatible

        return openai_compatible.chat_model(settings, model)
    from assistant.llm import ollama

    return ollama.chat_model(settings, model)


def embedder_for(settings: Settings, model: str | None = None) -> Embedder:
    """The configured embedding model, on the configured server."""
    if settings.model_provider == "openai":
        from assistant.llm import openai_compatible

        return openai_compatible.embedder(settings, model)
    from assistant.llm import ollama

    return ollama.embedder(settings, model)


def model_server(settings: Settings) -> tuple[str, str]:
    """The chat model server's URL, and the setting that gives it, whichever provider it is."""
    if settings.model_provider == "openai":
        return settings.openai_base_url, "TERRAIN_OPENAI_BASE_URL"
    return settings.ollama_host, "OLLAMA_HOST"
