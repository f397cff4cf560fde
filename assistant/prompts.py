"""Versioned prompts: one loader for the files in ``prompts/``.

A prompt file is TOML with an ``id``, a ``version``, a ``language`` and its content (a
``template`` for text prompts, or structured data such as the interview guide). Templates use
``$name`` placeholders (``string.Template``): a missing value is an error, never a silent gap,
and literal braces in prompts need no escaping. Whatever a prompt produces records
``PromptRef`` (``id@version``) so that results can be traced to the exact text that made them.

Every value put into a template is data unless the builder marks it :class:`Trusted` (text
Terrain itself wrote: the guide, the codebook, the tags around a block). Data is made
:func:`inert` by the renderer, so that no employee's words, quote, passage or transcript can
close a block of the prompt and speak as an instruction, whichever builder forgets to think of
it.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache, lru_cache
from pathlib import Path
from string import Template
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.errors import TerrainError, describe_validation_error

_SOURCE_TREE_PROMPTS = Path(__file__).resolve().parent.parent / "prompts"
_PACKAGED_PROMPTS = Path(__file__).resolve().parent / "_prompts"


def inert(text: str) -> str:
    """Data that cannot open or close a block of the prompt."""
    return text.replace("<", "‹").replace(">", "›")


class Trusted(str):
    """Prompt text Terrain wrote (instructions, guide, codebook, block tags), sent as it is.

    Build one around data with :func:`fragment` or :meth:`join`, which escape the data."""

    __slots__ = ()

    def join(self, parts: Iterable[object]) -> Trusted:
        return Trusted(str.join(self, (escaped(part) for part in parts)))


def escaped(value: object) -> Trusted:
    """``value`` as prompt text: trusted text unchanged, anything else made inert."""
    if isinstance(value, Trusted):
        return value
    return Trusted(inert(str(value)))


def fragment(template: str, **values: object) -> Trusted:
    """A piece of prompt written by a builder (``$name`` placeholders), its values escaped."""
    return Trusted(Template(template).substitute({k: escaped(v) for k, v in values.items()}))


class PromptError(TerrainError):
    """A prompt file is missing or malformed."""


# Set only by `prompts_from`, for evaluating another set of prompts (`terrain eval run
# --prompts`); a context variable, so that it holds for that run's tasks and threads alone.
_PROMPTS_OVERRIDE: ContextVar[Path | None] = ContextVar("prompts_override", default=None)


def prompts_dir() -> Path:
    """``prompts/`` beside the package in a source checkout, else the copy in the wheel."""
    override = _PROMPTS_OVERRIDE.get()
    if override is not None:
        return override
    return _installed_prompts()


@cache
def _installed_prompts() -> Path:
    # Looked up once: a process does not move between a checkout and a wheel, and a prompt is
    # loaded several times per employee message.
    return _SOURCE_TREE_PROMPTS if _SOURCE_TREE_PROMPTS.is_dir() else _PACKAGED_PROMPTS


@contextmanager
def prompts_from(directory: Path) -> Iterator[None]:
    """Within the block (and the tasks and threads it starts), prompts come from ``directory``."""
    token = _PROMPTS_OVERRIDE.set(directory)
    try:
        yield
    finally:
        _PROMPTS_OVERRIDE.reset(token)


class PromptFile(BaseModel):
    """The fields every prompt file has; the rest of the file is the prompt's own content."""

    model_config = ConfigDict(extra="allow", frozen=True)

    id: str = Field(min_length=1)
    version: str = Field(min_length=1)
    language: str = Field(min_length=2)
    description: str = ""
    digest: str = Field(description="SHA-256 of the file, to tell edits without a new version.")

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"

    @property
    def content(self) -> dict[str, Any]:
        return dict(self.model_extra or {})

    def render(self, **values: object) -> str:
        """Fill the ``template`` of a text prompt; values not :class:`Trusted` are data, made
        :func:`inert` here."""
        template = self.content.get("template")
        if not isinstance(template, str):
            raise PromptError(f"Prompt {self.ref} has no template.")
        try:
            return Template(template).substitute({k: escaped(v) for k, v in values.items()}).strip()
        except KeyError as missing:
            raise PromptError(f"Prompt {self.ref} needs a value for {missing}.") from None
        except ValueError as error:
            raise PromptError(f"Prompt {self.ref} has a malformed placeholder: {error}.") from None


def _path_for(prompt_id: str, language: str, directory: Path) -> Path:
    return directory / f"{prompt_id}.{language}.toml"


@lru_cache(maxsize=64)
def _load_cached(path: Path, mtime_ns: int) -> PromptFile:
    raw = path.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
        return PromptFile.model_validate({**data, "digest": hashlib.sha256(raw).hexdigest()})
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise PromptError(f"Prompt file {path} is not valid TOML: {error}.") from None
    except ValidationError as error:
        raise PromptError(
            f"Prompt file {path} is incomplete at {describe_validation_error(error)}."
        ) from None


def load_prompt(prompt_id: str, language: str, directory: Path | None = None) -> PromptFile:
    """The prompt ``prompt_id`` in ``language`` (``prompts/<id>.<language>.toml``)."""
    path = _path_for(prompt_id, language, directory or prompts_dir())
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        raise PromptError(
            f"No prompt {prompt_id!r} in language {language!r} (looked for {path})."
        ) from None
    prompt = _load_cached(path, mtime)
    if prompt.id != prompt_id or prompt.language != language:
        raise PromptError(
            f"Prompt file {path} declares {prompt.id!r} in {prompt.language!r}; "
            f"its name says {prompt_id!r} in {language!r}."
        )
    return prompt
