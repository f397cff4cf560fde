"""WebVTT (``.vtt``) subtitles of an interview's recording.

A cue's speaker is given by a voice tag (``<v Marie>``) or a ``Name:`` prefix, read as
:mod:`.speakers` says; consecutive cues of one side are merged into one turn. NOTE, STYLE and
REGION blocks are skipped; timings are checked (an end before its start is an error), tags are
dropped and entities decoded.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.schemas import Speaker
from assistant.transcripts.model import ImportedTurn, TranscriptFormatError
from assistant.transcripts.reading import split_lines
from assistant.transcripts.speakers import FoundLabel, SpeakerLabels, find_label, resolve_speakers

_TIMESTAMP = r"(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})"
_TIMING = re.compile(rf"{_TIMESTAMP}[ \t]+-->[ \t]+{_TIMESTAMP}(?:[ \t]+.*)?")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?[ \t]+([^>]*)>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True, slots=True)
class _Cue:
    line: int
    text: str


def parse_vtt(
    path: Path, text: str, labels: SpeakerLabels
) -> tuple[list[ImportedTurn], dict[str, Speaker]]:
    """The turns of a WebVTT transcript, and the side each speaker was read as."""
    lines = split_lines(text)
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
    spoken: list[tuple[FoundLabel, str]] = []
    for cue in cues:
        spoken.extend(_cue_voices(path, cue, labels))
    sides = resolve_speakers(path, [label for label, _ in spoken], labels)
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


def _cue_voices(path: Path, cue: _Cue, labels: SpeakerLabels) -> list[tuple[FoundLabel, str]]:
    """What the cue says, by speaker: voice tags first, else a 'Name:' prefix per line."""
    voices = list(_VOICE.finditer(cue.text))
    spoken: list[tuple[FoundLabel, str]] = []
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
                label = FoundLabel(name, said, cue.line, labels.side(name))
                spoken.append((label, said))
        if not spoken:
            raise TranscriptFormatError(path, "the cue has no text.", line=cue.line)
        return spoken
    current: FoundLabel | None = None
    parts: list[str] = []
    for raw in cue.text.split("\n"):
        line = _plain_cue_text(raw)
        found = find_label(line, cue.line, labels) if line else None
        if found is not None:
            if current is not None and parts:
                spoken.append((current, " ".join(parts)))
            current, parts = found, []
            if found.rest:
                parts.append(found.rest)
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
