"""The interviewer's rules that code can enforce on each generated message.

One question per message and a length limit. While a reply streams, everything up to the first
question mark reaches the employee at once; what follows is held back until the reply is
complete, then dropped if it holds another question (or passes the length limit), so a second
question never reaches the employee.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.text import count_questions, first_question

DEFAULT_MAX_CHARS = 600


def trim_to_limit(text: str, max_chars: int) -> str:
    """``text`` cut at the last sentence end before ``max_chars`` (or at a word if none)."""
    if len(text) <= max_chars:
        return text
    cut = text[:max_chars]
    end = max(cut.rfind(mark) for mark in ".?!…")
    if end > max_chars // 3:
        return cut[: end + 1].strip()
    return cut.rsplit(" ", 1)[0].strip() + "…"


def enforce_one_question(text: str, max_chars: int = DEFAULT_MAX_CHARS) -> tuple[str, list[str]]:
    """The message as it may be sent, and the names of the rules it broke."""
    broken: list[str] = []
    if count_questions(text) > 1:
        broken.append("several_questions")
        text = first_question(text)
    if len(text) > max_chars:
        broken.append("too_long")
        text = trim_to_limit(text, max_chars)
    return text.strip(), broken


@dataclass
class StreamGuard:
    """Filters a streamed reply piece by piece; :meth:`finish` gives the final message."""

    max_chars: int = DEFAULT_MAX_CHARS
    _received: list[str] = field(default_factory=list)
    _released: int = 0  # characters already passed on
    _hold: bool = False

    def feed(self, piece: str) -> str:
        """The part of ``piece`` that may be shown now."""
        self._received.append(piece)
        if self._hold:
            return ""
        text = self.received
        limit = min(len(text), self.max_chars)
        question_end = text.find("?")
        if question_end >= 0:
            limit = min(limit, question_end + 1)
            self._hold = True
        if limit >= self.max_chars:
            self._hold = True
        shown = text[self._released : limit]
        self._released = max(self._released, limit)
        return shown

    def finish(self) -> tuple[str, list[str]]:
        """The final message (it replaces what was streamed) and the rules it broke."""
        return enforce_one_question(self.received, self.max_chars)

    @property
    def received(self) -> str:
        # Leading blank lines are not part of the message; stripping them keeps offsets stable.
        return "".join(self._received).lstrip()
