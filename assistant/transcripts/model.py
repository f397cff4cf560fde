"""A transcript as read from a file, whatever its format, and the error that refuses one."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from assistant.errors import TerrainError
from assistant.schemas import Profile, Speaker


class TranscriptFormatError(TerrainError):
    """A transcript that cannot be imported: the message names the file, the line, the problem."""

    def __init__(
        self, path: Path, problem: str, *, line: int | None = None, fix: str | None = None
    ) -> None:
        where = f"{path}, line {line}" if line is not None else str(path)
        super().__init__(f"Cannot import {where}: {problem}", fix=fix)
        self.path = path
        self.line = line
        self.problem = problem


class TranscriptFormat(StrEnum):
    JSON = "json"
    TEXT = "text"
    VTT = "vtt"


class ImportedTurn(BaseModel):
    model_config = ConfigDict(frozen=True)

    speaker: Speaker
    text: str = Field(min_length=1)
    line: int | None = Field(
        default=None, description="Line of the file where the turn starts (text and WebVTT)."
    )


class ImportedTranscript(BaseModel):
    """A transcript read from a file, ready to be stored as an interview."""

    source: str = Field(description="The file's name.")
    format: TranscriptFormat
    encoding: str = Field(description="Python codec the file was read with.")
    language: str = Field(description="fr or en: the file's own, or guessed.")
    language_guessed: bool = Field(description="True when the file did not say its language.")
    turns: list[ImportedTurn] = Field(min_length=1)
    speakers: dict[str, Speaker] = Field(
        default_factory=dict,
        description="Each speaker label found in the file and the side it was read as.",
    )
    profile: Profile = Field(
        default_factory=Profile,
        description="The employee's job (the file's 'role'), site and team, as the file gives.",
    )

    @property
    def content_digest(self) -> str:
        """SHA-256 of who said what, in order, Unicode forms and whitespace normalised.

        The same interview read twice has the same digest, whatever the file's name, encoding,
        line endings or line breaks within turns; the labels and the language play no part.
        """
        said = [
            [turn.speaker.value, " ".join(unicodedata.normalize("NFC", turn.text).split())]
            for turn in self.turns
        ]
        canonical = json.dumps(said, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
