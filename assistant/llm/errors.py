"""Typed failures of the model port, each with a message a person can act on."""

from __future__ import annotations

from assistant.errors import TerrainError


class ModelError(TerrainError):
    """A model call failed."""


class ModelUnavailableError(ModelError):
    """The model server could not be reached (after the retries)."""

    def __init__(
        self, host: str, detail: str = "", *, server: str = "Ollama", fix: str | None = None
    ) -> None:
        reason = f" ({detail})" if detail else ""
        super().__init__(
            f"{server} is not reachable at {host}{reason}.",
            fix=fix or "start it with `ollama serve`, or set OLLAMA_HOST to where it runs",
        )
        self.host = host
        # What to do, when the adapter of another server than Ollama said (None for Ollama,
        # whose callers know its commands).
        self.server_fix = fix


class ModelNotFoundError(ModelError):
    """The model is not pulled on the Ollama server, or not served by the OpenAI-compatible one."""

    def __init__(self, model: str, host: str, *, fix: str | None = None) -> None:
        super().__init__(
            f"The model {model!r} is not available on {host}.",
            fix=fix or f"run `ollama pull {model}`",
        )
        self.model = model
        self.server_fix = fix


class ModelTimeoutError(ModelError):
    """The model took longer than the configured timeout."""

    def __init__(self, model: str, seconds: float) -> None:
        super().__init__(
            f"The model {model!r} did not answer within {seconds:g} s.",
            fix="raise TERRAIN_REQUEST_TIMEOUT or use a smaller model",
        )


class ModelResponseError(ModelError):
    """The model server answered with an error, or with something that is not its protocol."""


class ModelStreamInterruptedError(ModelError):
    """The answer stopped before it was complete; ``partial`` holds what had arrived."""

    def __init__(self, model: str, partial: str, detail: str) -> None:
        super().__init__(f"The answer from {model!r} was cut off ({detail}).")
        self.partial = partial


class StructuredOutputError(ModelError):
    """The model did not produce output matching the schema, even after a repair attempt."""

    def __init__(self, schema_name: str, attempts: int, last_error: str, raw: str) -> None:
        super().__init__(
            f"The model's answer did not match {schema_name} after {attempts} attempts: "
            f"{last_error}",
            fix="retry later, or choose a stronger model with TERRAIN_CHAT_MODEL",
        )
        self.attempts = attempts
        self.raw = raw


class ModelNoContentError(ModelResponseError):
    """The model answered nothing usable: an empty answer, or only its reasoning."""
