"""Transcripts of interviews held elsewhere, read into turns for ``terrain import``.

One entry point, :func:`parse_transcript`. It reads three formats, chosen by the file's suffix
(``.json``, ``.vtt``; anything else is plain text unless its content starts with ``{`` or
``WEBVTT``):

* **JSON**: ``{"turns": [{"speaker": "...", "text": "..."}], "language": "fr"}``. Speakers are
  ``interviewer`` or ``assistant`` (the interviewer's side) and ``employee`` or ``participant``
  (the employee's), in any case; other keys are ignored.
* **Plain text or Markdown** with speaker labels at the start of lines: ``Interviewer: …``,
  ``Intervieweur : …``, ``Salarié(e) : …``, ``Q:`` / ``R:`` / ``A:``, also in bold
  (``**Employee:**``, ``**Q** :``). A line without a label continues the previous turn; lines
  before the first label (a title, a date) belong to no turn and are left out.
* **WebVTT** (``.vtt``): cues whose speaker is given by a voice tag (``<v Marie>``) or a
  ``Name:`` prefix; consecutive cues of one side are merged into one turn.

Which side a label is on comes from :class:`SpeakerLabels` (:data:`DEFAULT_LABELS` knows the
usual French and English ones). A label it does not know, such as a person's name, is an error
naming the labels found and the accepted ones, with one exception: when a file (text or WebVTT)
uses no known label and exactly two distinct unknown ones, the one who speaks first is taken to
be the interviewer, and the other one the employee. :attr:`ImportedTranscript.speakers` says
how each label was read, so that the person importing can check it. The labels themselves,
often people's names, are not part of the turns and are not stored.

Encodings: a byte-order mark wins, then UTF-8, then Windows-1252. Binary files are refused.
Language: the JSON's ``language`` if given, otherwise guessed from the employee's stop words.

Every problem is a :class:`TranscriptFormatError` naming the file, the problem and, where one
applies, the line; a file is read whole before anything is returned, so a caller that stores
only what :func:`parse_transcript` returns stores all of a file or nothing of it.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.errors import TerrainError, describe_validation_error
from assistant.retrieval.analysis import guess_language
from assistant.retrieval.loaders import DocumentError
from assistant.retrieval.loaders.decoding import decode_text
from assistant.schemas import Speaker
from assistant.text import fold_case_and_accents

# Larger files are not interview transcripts (a two-hour interview is about 150 kB of text).
MAX_TRANSCRIPT_BYTES = 5 * 1024 * 1024
SUPPORTED_LANGUAGES = ("fr", "en")
TEXT_SUFFIXES = frozenset({".txt", ".text", ".md", ".markdown"})
# Files Terrain reads elsewhere that are not transcripts it can import.
REFUSED_SUFFIXES = frozenset({".pdf", ".docx", ".doc", ".odt", ".rtf", ".html", ".htm", ".srt"})


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


class SpeakerLabels(BaseModel):
    """Which speaker labels are on which side, compared without case, accents or ``(e)``."""

    model_config = ConfigDict(frozen=True)

    interviewer: frozenset[str]
    employee: frozenset[str]

    def side(self, label: str) -> Speaker | None:
        key = normalize_label(label)
        if key in {normalize_label(each) for each in self.interviewer}:
            return Speaker.INTERVIEWER
        if key in {normalize_label(each) for each in self.employee}:
            return Speaker.EMPLOYEE
        return None

    def describe(self) -> str:
        return (
            f"interviewer side: {', '.join(sorted(self.interviewer))}; "
            f"employee side: {', '.join(sorted(self.employee))}"
        )


DEFAULT_LABELS = SpeakerLabels(
    interviewer=frozenset(
        {
            "Interviewer",
            "Intervieweur",
            "Intervieweuse",
            "Enquêteur",
            "Enquêtrice",
            "Facilitateur",
            "Facilitatrice",
            "Facilitator",
            "Chercheur",
            "Chercheuse",
            "Researcher",
            "Assistant",
            "Assistante",
            "Terrain",
            "Question",
            "Q",
            "I",
        }
    ),
    employee=frozenset(
        {
            "Employee",
            "Employé",
            "Salarié",
            "Participant",
            "Participante",
            "Interviewee",
            "Interviewé",
            "Répondant",
            "Répondante",
            "Respondent",
            "Réponse",
            "Answer",
            "R",
            "A",
            "P",
        }
    ),
)

# Labels that head metadata lines ("Date : 12 mars"), never a speaker.
_METADATA_LABELS = frozenset(
    fold_case_and_accents(word)
    for word in (
        "date durée duration heure time lieu location place titre title objet sujet subject "
        "participants présents thème theme note notes remarque remarques contexte context "
        "entretien interview transcription transcript"
    ).split()
)
# Lowercase words a person's name may contain ("Marie de la Tour").
_NAME_PARTICLES = frozenset({"de", "du", "des", "la", "le", "d", "van", "von", "der", "da", "di"})
_MAX_LABEL_LENGTH = 40
_MAX_LABEL_WORDS = 4

_JSON_SPEAKERS = {
    "interviewer": Speaker.INTERVIEWER,
    "assistant": Speaker.INTERVIEWER,
    "employee": Speaker.EMPLOYEE,
    "participant": Speaker.EMPLOYEE,
}

_NEWLINE = re.compile(r"\r\n|\r|\n")
# "**Name:** text", "**Name** : text", "Name : text" (single * or _ too).
_LABEL_PATTERNS = (
    re.compile(r"(?P<mark>\*\*|__|\*|_)(?P<label>[^*_:\n]+?)\s*:\s*(?P=mark)\s*(?P<rest>.*)"),
    re.compile(r"(?P<mark>\*\*|__|\*|_)(?P<label>[^*_:\n]+?)(?P=mark)\s*:\s*(?P<rest>.*)"),
    re.compile(r"(?P<label>[^*_:\n]+?)\s*:\s*(?P<rest>.*)"),
)
_NAME_WORD = re.compile(r"(?:[^\W\d_][\w'’.-]*|\d+)")
_PARENTHESES = re.compile(r"\([^)]*\)")
_INCLUSIVE_SUFFIX = re.compile(r"[·.•-](?:e|ne|se|euse|rice|trice)$")


def normalize_label(label: str) -> str:
    """A label as compared: no case, accents, ``(e)``/``·e`` endings or extra spaces."""
    text = _PARENTHESES.sub(" ", label)
    text = _INCLUSIVE_SUFFIX.sub("", text.strip())
    return " ".join(fold_case_and_accents(text).split())


def parse_transcript(
    path: Path, *, labels: SpeakerLabels = DEFAULT_LABELS, language: str | None = None
) -> ImportedTranscript:
    """Read the transcript in ``path``; ``language`` (fr or en), if given, overrides the file's.

    Raises :class:`TranscriptFormatError` for anything that keeps the file from being imported.
    """
    text, encoding = _read_text(path)
    format_ = _format_of(path, text)
    file_language: str | None = None
    speakers: dict[str, Speaker] = {}
    if format_ is TranscriptFormat.JSON:
        turns, file_language = _parse_json(path, text)
    elif format_ is TranscriptFormat.VTT:
        turns, speakers = _parse_vtt(path, text, labels)
    else:
        turns, speakers = _parse_text(path, text, labels)
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
    )


# -------------------------------------------------------------------------------- reading


def _read_text(path: Path) -> tuple[str, str]:
    """The file's text and the codec it was read with; binary or unreadable files refused."""
    suffix = path.suffix.lower()
    if suffix in REFUSED_SUFFIXES:
        raise TranscriptFormatError(
            path,
            f"Terrain imports transcripts as JSON, WebVTT (.vtt) or plain text, not {suffix} "
            "files.",
            fix="Export the transcript as plain text with speaker labels, or as WebVTT.",
        )
    try:
        size = path.stat().st_size
        if size > MAX_TRANSCRIPT_BYTES:
            raise TranscriptFormatError(
                path,
                f"it is {size / 1024 / 1024:.1f} MB, more than the "
                f"{MAX_TRANSCRIPT_BYTES // 1024 // 1024} MB an interview transcript takes.",
                fix="Check that this is the transcript of one interview.",
            )
        data = path.read_bytes()
    except OSError as error:
        raise TranscriptFormatError(
            path, f"the file cannot be read ({error.strerror or error})."
        ) from None
    if not data.strip():
        raise TranscriptFormatError(path, "the file is empty.")
    try:
        return decode_text(path, data)
    except DocumentError:
        raise TranscriptFormatError(
            path,
            "it is not a text file (its bytes are binary, or in no text encoding Terrain "
            "recognises).",
            fix="Export the transcript as UTF-8 text: JSON, WebVTT (.vtt) or plain text.",
        ) from None


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


# ----------------------------------------------------------------------------------- JSON


class _JsonTurn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    speaker: str
    text: str


class _JsonTranscript(BaseModel):
    model_config = ConfigDict(extra="ignore")

    turns: list[_JsonTurn]
    language: str | None = None


def _parse_json(path: Path, text: str) -> tuple[list[ImportedTurn], str | None]:
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
    return turns, parsed.language


def _json_kind(data: Any) -> str:
    if isinstance(data, list):
        return "list"
    if isinstance(data, str):
        return "string"
    if data is None:
        return "null"
    return type(data).__name__


# ------------------------------------------------------------------------------ speakers


class _Label:
    """A speaker label found at ``line``; ``known`` its side when the labels name it."""

    __slots__ = ("known", "label", "line", "rest")

    def __init__(self, label: str, rest: str, line: int, known: Speaker | None) -> None:
        self.label = label
        self.rest = rest
        self.line = line
        self.known = known


def _split_label(line: str, labels: SpeakerLabels) -> tuple[str, str, Speaker | None] | None:
    """``(label, rest, side)`` if the line starts with a known or name-like speaker label."""
    stripped = line.strip()
    for pattern in _LABEL_PATTERNS:
        match = pattern.fullmatch(stripped)
        if match is None:
            continue
        label = " ".join(match["label"].split())
        if not label or normalize_label(label) in _METADATA_LABELS:
            return None
        side = labels.side(label)
        if side is not None or _looks_like_name(_PARENTHESES.sub(" ", label).strip()):
            return label, match["rest"].strip(), side
        return None
    return None


def _looks_like_name(label: str) -> bool:
    """A person's or speaker's name: a few capitalised words ("Marie", "Speaker 2")."""
    if len(label) > _MAX_LABEL_LENGTH:
        return False
    words = label.split()
    if not 1 <= len(words) <= _MAX_LABEL_WORDS:
        return False
    if not all(_NAME_WORD.fullmatch(word) for word in words):
        return False
    if not words[0][0].isupper():
        return False
    return all(
        word[0].isupper() or word.isdigit() or fold_case_and_accents(word) in _NAME_PARTICLES
        for word in words
    )


def _resolve_speakers(
    path: Path, found: Sequence[_Label], labels: SpeakerLabels
) -> dict[str, Speaker]:
    """The side of each label found, by the rules in the module's docstring."""
    if not found:
        raise TranscriptFormatError(
            path,
            "no line starts with a speaker label such as 'Intervieweur :' or 'Marie :'.",
            fix="Start each turn with its speaker, e.g. 'Intervieweur : …' and "
            "'Salarié(e) : …' (" + labels.describe() + ").",
        )
    unknown: dict[str, _Label] = {}
    for each in found:
        if each.known is None:
            unknown.setdefault(normalize_label(each.label), each)
    if not unknown:
        return {each.label: each.known for each in found if each.known is not None}
    has_known = any(each.known is not None for each in found)
    if not has_known and len(unknown) == 2:
        first, second = unknown.values()
        sides = {
            normalize_label(first.label): Speaker.INTERVIEWER,
            normalize_label(second.label): Speaker.EMPLOYEE,
        }
        return {each.label: sides[normalize_label(each.label)] for each in found}
    listed = ", ".join(f"{each.label!r} (line {each.line})" for each in unknown.values())
    if has_known:
        problem = f"speaker labels Terrain does not know: {listed}."
    else:
        problem = (
            f"{len(unknown)} distinct speaker labels that Terrain does not know: {listed}; "
            "with exactly two, the first to speak would be taken as the interviewer."
        )
    raise TranscriptFormatError(
        path,
        problem,
        line=next(iter(unknown.values())).line,
        fix="Rename the speakers with accepted labels (" + labels.describe() + "); if such a "
        "line is part of what was said, join it to the previous line.",
    )


# ----------------------------------------------------------------------------- plain text


def _parse_text(
    path: Path, text: str, labels: SpeakerLabels
) -> tuple[list[ImportedTurn], dict[str, Speaker]]:
    lines = _NEWLINE.split(text)
    candidates: list[_Label] = []
    for number, line in enumerate(lines, start=1):
        split = _split_label(line, labels)
        if split is not None:
            candidates.append(_Label(split[0], split[1], number, split[2]))
    first_known = next((each.line for each in candidates if each.known is not None), None)
    if first_known is not None:
        # Lines before the first known label are a preamble (title, names, date).
        candidates = [each for each in candidates if each.line >= first_known]
    sides = _resolve_speakers(path, candidates, labels)
    starts = {each.line: each for each in candidates}
    turns: list[ImportedTurn] = []
    current: _Label | None = None
    body: list[str] = []

    def close() -> None:
        if current is None:
            return
        said = _join_paragraphs(body)
        if not said:
            raise TranscriptFormatError(
                path,
                f"the turn of {current.label!r} has no text.",
                line=current.line,
                fix="Remove the empty label, or fill in what was said.",
            )
        turns.append(ImportedTurn(speaker=sides[current.label], text=said, line=current.line))

    for number, line in enumerate(lines, start=1):
        start = starts.get(number)
        if start is not None:
            close()
            current, body = start, [start.rest]
        elif current is not None:
            body.append(line.strip())
    close()
    return turns, sides


def _join_paragraphs(lines: Iterable[str]) -> str:
    """Lines joined by newlines; runs of blank lines become one paragraph break."""
    text = "\n".join(lines).strip()
    return re.sub(r"\n{3,}", "\n\n", text)


# --------------------------------------------------------------------------------- WebVTT

_TIMESTAMP = r"(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})"
_TIMING = re.compile(rf"{_TIMESTAMP}[ \t]+-->[ \t]+{_TIMESTAMP}(?:[ \t]+.*)?")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?[ \t]+([^>]*)>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")


class _Cue:
    __slots__ = ("line", "text")

    def __init__(self, line: int, text: str) -> None:
        self.line = line
        self.text = text


def _parse_vtt(
    path: Path, text: str, labels: SpeakerLabels
) -> tuple[list[ImportedTurn], dict[str, Speaker]]:
    lines = _NEWLINE.split(text)
    if not re.fullmatch(r"WEBVTT(?:[ \t].*)?", lines[0]):
        raise TranscriptFormatError(
            path,
            "a WebVTT file starts with the line 'WEBVTT'.",
            line=1,
            fix="Check that the file is WebVTT, or rename it to .txt if it is plain text.",
        )
    cues = _vtt_cues(path, lines)
    if not cues:
        raise TranscriptFormatError(path, "the WebVTT file has no cue (nothing was said).")
    spoken: list[tuple[_Label, str]] = []
    for cue in cues:
        spoken.extend(_cue_voices(path, cue, labels))
    sides = _resolve_speakers(path, [label for label, _ in spoken], labels)
    turns: list[ImportedTurn] = []
    for label, said in spoken:
        speaker = sides[label.label]
        if turns and turns[-1].speaker is speaker:
            merged = f"{turns[-1].text} {said}"
            turns[-1] = turns[-1].model_copy(update={"text": merged})
        else:
            turns.append(ImportedTurn(speaker=speaker, text=said, line=label.line))
    return turns, sides


def _vtt_cues(path: Path, lines: list[str]) -> list[_Cue]:
    """The cues' text, after the header; NOTE, STYLE and REGION blocks skipped."""
    cues: list[_Cue] = []
    number = 1
    # The header runs to the first blank line (or, as the specification reads, to a timing).
    while number < len(lines) and lines[number].strip() and "-->" not in lines[number]:
        number += 1
    while number < len(lines):
        if not lines[number].strip():
            number += 1
            continue
        block_start = number
        block: list[str] = []
        while number < len(lines) and lines[number].strip():
            block.append(lines[number])
            number += 1
        head = block[0].strip()
        if re.match(r"(?:NOTE|STYLE|REGION)(?:[ \t]|$)", head) and "-->" not in head:
            continue
        cues.extend(_vtt_block_cues(path, block, block_start + 1))
    return cues


def _vtt_block_cues(path: Path, block: list[str], first_line: int) -> list[_Cue]:
    """One block's cues: [identifier], timing, text; a line with '-->' starts a new cue."""
    cues: list[_Cue] = []
    index = 0
    while index < len(block):
        line_number = first_line + index
        timing = block[index]
        if "-->" not in timing:
            if index + 1 < len(block) and "-->" in block[index + 1]:
                index += 1  # a cue identifier
                continue
            raise TranscriptFormatError(
                path,
                f"expected a cue timing line such as '00:00:01.000 --> 00:00:04.000', found "
                f"{_excerpt(timing)}.",
                line=line_number,
            )
        match = _TIMING.fullmatch(timing.strip())
        if match is None:
            raise TranscriptFormatError(
                path,
                f"invalid cue timing {_excerpt(timing)}: write it as "
                "'00:00:01.000 --> 00:00:04.000' (hours optional, milliseconds required).",
                line=line_number,
            )
        start = _seconds(match.groups()[:4])
        end = _seconds(match.groups()[4:])
        if end < start:
            raise TranscriptFormatError(path, "the cue ends before it starts.", line=line_number)
        index += 1
        payload: list[str] = []
        # As in the specification, a line with '-->' ends the cue and starts the next one.
        while index < len(block) and "-->" not in block[index]:
            payload.append(block[index])
            index += 1
        if not any(part.strip() for part in payload):
            raise TranscriptFormatError(path, "the cue has no text.", line=line_number)
        cues.append(_Cue(line_number, "\n".join(payload)))
    return cues


def _seconds(parts: Sequence[str | None]) -> float:
    hours, minutes, seconds, millis = (int(part) if part else 0 for part in parts)
    return hours * 3600 + minutes * 60 + seconds + millis / 1000


def _excerpt(line: str) -> str:
    line = line.strip()
    return repr(line if len(line) <= 60 else line[:57] + "…")


def _cue_voices(path: Path, cue: _Cue, labels: SpeakerLabels) -> list[tuple[_Label, str]]:
    """What the cue says, by speaker: voice tags first, else a 'Name:' prefix per line."""
    voices = list(_VOICE.finditer(cue.text))
    spoken: list[tuple[_Label, str]] = []
    if voices:
        before = _plain_cue_text(cue.text[: voices[0].start()])
        if before:
            raise TranscriptFormatError(
                path,
                f"the cue's text {_excerpt(before)} comes before its voice tag, so its "
                "speaker is unknown.",
                line=cue.line,
            )
        for position, voice in enumerate(voices):
            end = voices[position + 1].start() if position + 1 < len(voices) else len(cue.text)
            name = " ".join(html.unescape(voice.group(1)).split())
            said = _plain_cue_text(cue.text[voice.end() : end])
            if not name:
                raise TranscriptFormatError(path, "a voice tag names no one.", line=cue.line)
            if said:
                label = _Label(name, said, cue.line, labels.side(name))
                spoken.append((label, said))
        if not spoken:
            raise TranscriptFormatError(path, "the cue has no text.", line=cue.line)
        return spoken
    current: _Label | None = None
    parts: list[str] = []
    for raw in cue.text.split("\n"):
        line = _plain_cue_text(raw)
        split = _split_label(line, labels) if line else None
        if split is not None:
            if current is not None and parts:
                spoken.append((current, " ".join(parts)))
            current, parts = _Label(split[0], split[1], cue.line, split[2]), []
            if split[1]:
                parts.append(split[1])
        elif line:
            if current is None:
                raise TranscriptFormatError(
                    path,
                    f"the cue {_excerpt(line)} has no speaker: give it a voice tag "
                    "(<v Name>) or start it with 'Name:'.",
                    line=cue.line,
                )
            parts.append(line)
    if current is not None and parts:
        spoken.append((current, " ".join(parts)))
    if not spoken:
        raise TranscriptFormatError(path, "the cue has no text after its speaker.", line=cue.line)
    return spoken


def _plain_cue_text(text: str) -> str:
    """Cue text without its tags (<i>, <c.x>, </v>, timestamps), entities decoded."""
    return " ".join(html.unescape(_TAG.sub("", text)).split())
