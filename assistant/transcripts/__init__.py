"""Transcripts of interviews held elsewhere, read into turns for ``terrain import``.

One entry point, :func:`parse_transcript`, and one module per format, chosen by the file's suffix
(``.json``, ``.vtt``; anything else is plain text unless its content starts with ``{`` or
``WEBVTT``): :mod:`.json_format`, :mod:`.text_format` (text or Markdown with speaker labels) and
:mod:`.webvtt_format`. :mod:`.speakers` says which side each speaker label is on; the labels,
often people's names, are not part of the turns and are not stored, but
:attr:`ImportedTranscript.speakers` says how each was read, so that the person importing can
check it. :mod:`.reading` checks and decodes the file.

Language: the JSON's ``language`` if given, otherwise guessed from the employee's stop words.

Every problem is a :class:`TranscriptFormatError` naming the file, the problem and, where one
applies, the line; a file is read whole before anything is returned, so a caller that stores
only what :func:`parse_transcript` returns stores all of a file or nothing of it.
"""

from __future__ import annotations

import re
from pathlib import Path

from assistant.retrieval.analysis import guess_language
from assistant.schemas import Profile, Speaker
from assistant.text import fold_case_and_accents
from assistant.transcripts.json_format import parse_json
from assistant.transcripts.model import (
    ImportedTranscript,
    ImportedTurn,
    TranscriptFormat,
    TranscriptFormatError,
)
from assistant.transcripts.reading import MAX_TRANSCRIPT_BYTES, read_text
from assistant.transcripts.speakers import DEFAULT_LABELS, SpeakerLabels, normalize_label
from assistant.transcripts.text_format import parse_text
from assistant.transcripts.webvtt_format import parse_vtt

__all__ = [
    "DEFAULT_LABELS",
    "MAX_TRANSCRIPT_BYTES",
    "SUPPORTED_LANGUAGES",
    "ImportedTranscript",
    "ImportedTurn",
    "SpeakerLabels",
    "TranscriptFormat",
    "TranscriptFormatError",
    "normalize_label",
    "parse_transcript",
]

SUPPORTED_LANGUAGES = ("fr", "en")
TEXT_SUFFIXES = frozenset({".txt", ".text", ".md", ".markdown"})


def parse_transcript(
    path: Path, *, labels: SpeakerLabels = DEFAULT_LABELS, language: str | None = None
) -> ImportedTranscript:
    """Read the transcript in ``path``; ``language`` (fr or en), if given, overrides the file's.

    Raises :class:`TranscriptFormatError` for anything that keeps the file from being imported.
    """
    text, encoding = read_text(path)
    format_ = _format_of(path, text)
    file_language: str | None = None
    speakers: dict[str, Speaker] = {}
    profile = Profile()
    if format_ is TranscriptFormat.JSON:
        turns, file_language, profile = parse_json(path, text)
    elif format_ is TranscriptFormat.VTT:
        turns, speakers = parse_vtt(path, text, labels)
    else:
        turns, speakers = parse_text(path, text, labels)
    if not any(turn.speaker is Speaker.EMPLOYEE for turn in turns):
        raise TranscriptFormatError(
            path,
            "no turn is the employee's, so there is nothing to find in it.",
            fix="Check the speaker labels: " + labels.describe() + ".",
        )
    chosen = language if language is not None else file_language
    if chosen is not None:
        resolved = _language(path, chosen)
    else:
        said = "\n".join(turn.text for turn in turns if turn.speaker is Speaker.EMPLOYEE)
        resolved = guess_language(said)
    return ImportedTranscript(
        source=path.name,
        format=format_,
        encoding=encoding,
        language=resolved,
        language_guessed=chosen is None,
        turns=turns,
        speakers=speakers,
        profile=profile,
    )


def _format_of(path: Path, text: str) -> TranscriptFormat:
    suffix = path.suffix.lower()
    if suffix == ".json":
        return TranscriptFormat.JSON
    if suffix == ".vtt":
        return TranscriptFormat.VTT
    if suffix not in TEXT_SUFFIXES and text.lstrip().startswith("{"):
        return TranscriptFormat.JSON
    if re.match(r"WEBVTT(?:[ \t\r\n]|$)", text):
        return TranscriptFormat.VTT
    return TranscriptFormat.TEXT


def _language(path: Path, value: str) -> str:
    primary = re.split(r"[-_]", value.strip().casefold(), maxsplit=1)[0]
    primary = {"french": "fr", "francais": "fr", "english": "en", "anglais": "en"}.get(
        fold_case_and_accents(primary), primary
    )
    if primary not in SUPPORTED_LANGUAGES:
        raise TranscriptFormatError(
            path,
            f"its language {value!r} is not one Terrain interviews in "
            f"({' or '.join(SUPPORTED_LANGUAGES)}).",
            fix="Set the language to fr or en (with --lang, or the file's 'language').",
        )
    return primary
