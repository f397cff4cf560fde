"""JSON transcripts: ``{"turns": [{"speaker": "...", "text": "..."}], "language": "fr"}``.

Speakers are ``interviewer`` or ``assistant`` (the interviewer's side) and ``employee`` or
``participant`` (the employee's), in any case. ``role`` (the employee's job), ``site`` and
``team``, when given, become the interview's profile; other keys are ignored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.errors import describe_validation_error
from assistant.schemas import MAX_PROFILE_CHARS, Profile, Speaker
from assistant.transcripts.model import ImportedTurn, TranscriptFormatError

_JSON_SPEAKERS = {
    "interviewer": Speaker.INTERVIEWER,
    "assistant": Speaker.INTERVIEWER,
    "employee": Speaker.EMPLOYEE,
    "participant": Speaker.EMPLOYEE,
}


class _JsonTurn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    speaker: str
    text: str


class _JsonTranscript(BaseModel):
    model_config = ConfigDict(extra="ignore")

    turns: list[_JsonTurn]
    language: str | None = None
    role: str | None = Field(default=None, max_length=MAX_PROFILE_CHARS)
    site: str | None = Field(default=None, max_length=MAX_PROFILE_CHARS)
    team: str | None = Field(default=None, max_length=MAX_PROFILE_CHARS)

    @property
    def profile(self) -> Profile:
        def given(value: str | None) -> str | None:
            return (" ".join(value.split()) or None) if value is not None else None

        return Profile(job=given(self.role), site=given(self.site), team=given(self.team))


def parse_json(path: Path, text: str) -> tuple[list[ImportedTurn], str | None, Profile]:
    """The turns of a JSON transcript, the language it gives (None if it gives none) and the
    employee's profile it gives (its ``role``, ``site`` and ``team``)."""
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as error:
        raise TranscriptFormatError(
            path,
            f"it is not valid JSON ({error.msg} at column {error.colno}).",
            line=error.lineno,
        ) from None
    if not isinstance(data, dict):
        raise TranscriptFormatError(
            path,
            f"the JSON is a {_json_kind(data)}, not an object with a 'turns' list.",
            fix='Write it as {"turns": [{"speaker": "interviewer", "text": "…"}, …]}.',
        )
    if "turns" not in data:
        raise TranscriptFormatError(
            path,
            "the JSON has no 'turns' list.",
            fix='Write it as {"turns": [{"speaker": "interviewer", "text": "…"}, …]}.',
        )
    try:
        parsed = _JsonTranscript.model_validate(data)
    except ValidationError as error:
        raise TranscriptFormatError(path, f"{describe_validation_error(error, most=1)}.") from None
    if not parsed.turns:
        raise TranscriptFormatError(path, "its 'turns' list is empty.")
    turns: list[ImportedTurn] = []
    for index, turn in enumerate(parsed.turns):
        speaker = _JSON_SPEAKERS.get(turn.speaker.strip().casefold())
        if speaker is None:
            raise TranscriptFormatError(
                path,
                f"turn {index + 1} (turns[{index}]) has the unknown speaker {turn.speaker!r}.",
                fix="Use interviewer, assistant, employee or participant.",
            )
        said = turn.text.strip()
        if not said:
            raise TranscriptFormatError(
                path,
                f"turn {index + 1} (turns[{index}]) has no text.",
                fix="Remove the empty turn, or fill in what was said.",
            )
        turns.append(ImportedTurn(speaker=speaker, text=said))
    return turns, parsed.language, parsed.profile


def _json_kind(data: Any) -> str:
    if isinstance(data, list):
        return "list"
    if isinstance(data, str):
        return "string"
    if data is None:
        return "null"
    return type(data).__name__
