"""Plain text or Markdown with speaker labels at the start of lines.

``Interviewer: …``, ``Intervieweur : …``, ``Salarié(e) : …``, ``Q:`` / ``R:`` / ``A:``, also in
bold (``**Employee:**``, ``**Q** :``): :mod:`.speakers` says which labels are read and how. A
line without a label continues the previous turn; lines before the first label (a title, a
date) belong to no turn and are left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from assistant.schemas import Speaker
from assistant.transcripts.model import ImportedTurn, TranscriptFormatError
from assistant.transcripts.reading import split_lines
from assistant.transcripts.speakers import FoundLabel, SpeakerLabels, find_label, resolve_speakers


def parse_text(
    path: Path, text: str, labels: SpeakerLabels
) -> tuple[list[ImportedTurn], dict[str, Speaker]]:
    """The turns of a text transcript, and the side each speaker label was read as."""
    lines = split_lines(text)
    candidates: list[FoundLabel] = []
    for number, line in enumerate(lines, start=1):
        found = find_label(line, number, labels)
        if found is not None:
            candidates.append(found)
    first_known = next((each.line for each in candidates if each.known is not None), None)
    if first_known is not None:
        # Lines before the first known label are a preamble (title, names, date).
        candidates = [each for each in candidates if each.line >= first_known]
    sides = resolve_speakers(path, candidates, labels)
    starts = {each.line: each for each in candidates}
    turns: list[ImportedTurn] = []
    current: FoundLabel | None = None
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
