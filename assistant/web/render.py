"""What the web app shows, as Markdown: inert text, progress lines, tables, transcripts.

Chainlit renders messages as Markdown. Anything that comes from a person or a model goes
through :func:`literal`, which backslash-escapes every ASCII punctuation character (CommonMark
allows an escape before each of them), so that ``<img onerror=…>``, ``[x](javascript:…)``,
emphasis, headings, tables and autolinks all display as the characters that were typed.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from datetime import datetime

from assistant.interview.guide import Guide
from assistant.interview.progress import step_line
from assistant.schemas import Interview, Phase
from assistant.web.texts import Texts

_ESCAPES = {ord(char): "\\" + char for char in string.punctuation}


def literal(text: str) -> str:
    """``text`` as Markdown that displays exactly these characters and nothing live.

    Line breaks stay line breaks (hard breaks); indentation, which Markdown would read as a
    code block, is dropped.
    """
    lines = [line.strip().translate(_ESCAPES) for line in text.split("\n")]
    return "  \n".join(lines)


def fragment(text: str, *, line_start: bool) -> str:
    """A piece of a streamed message, inert as :func:`literal` makes it, spaces kept.

    A model's pieces carry the space before them (``" me"``), which :func:`literal` would
    strip. Indentation is still dropped wherever a line begins (inside the piece, and at its
    start when ``line_start`` says the text before it ended a line), so that no line can open
    a code block.
    """
    lines = text.split("\n")
    lines = [
        lines[0].lstrip() if line_start else lines[0],
        *(line.lstrip() for line in lines[1:]),
    ]
    return "  \n".join(line.translate(_ESCAPES) for line in lines)


def ends_at_line_start(text: str, *, before: bool) -> bool:
    """Whether the next piece begins a line: ``text`` ended one, or held only blanks after
    the start of one (``before`` says whether the text before ``text`` ended at a line start)."""
    if "\n" in text:
        return not text.rpartition("\n")[2].strip()
    return before and not text.strip()


def message(text: str) -> str:
    """An interviewer's message: literal, except that its ``- `` lines stay a bullet list."""
    lines = []
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped.startswith("- "):
            lines.append("- " + literal(stripped[2:]))
        else:
            lines.append(literal(stripped))
    return "  \n".join(lines)


def cell(text: str) -> str:
    """One table cell: literal, on one line."""
    return literal(" ".join(text.split()))


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table; headers and cells are taken literally."""
    lines = [
        "| " + " | ".join(cell(header) for header in headers) + " |",
        "|" + "|".join("---" for _ in headers) + "|",
    ]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def when(texts: Texts, moment: datetime) -> str:
    return moment.astimezone().strftime(texts.date_format)


def progress(guide: Guide, phase: Phase) -> str | None:
    """``Étape 3/6 : …`` for ``phase``, in italics, or None for consent and after the end."""
    line = step_line(guide, phase)
    return None if line is None else f"*{literal(line)}*"


def thread_name(texts: Texts, interview: Interview) -> str:
    status = texts.statuses[interview.status]
    return texts.thread_name.format(
        date=when(texts, interview.created_at), status=status[:1].upper() + status[1:]
    )


def summary_points(text: str) -> list[str]:
    """The bullet points of a closing summary message, as the session wrote them."""
    return [line[2:].strip() for line in text.splitlines() if line.startswith("- ")]
