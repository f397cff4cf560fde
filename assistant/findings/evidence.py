"""Evidence verification: a quote is evidence only if it stands word for word in what the
employee said.

Matching ignores differences of white space only (the model may join lines or double a space)
and the quotation marks or ellipses a model puts around a quote. The stored quote is the
employee's own text, cut at the offsets found, never the model's rendering of it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.schemas import Quote, Speaker, Turn

_SPACE = re.compile(r"\s+")
_WRAPPING = " \t\n\"'«»“”„‘’…."


def _normalised_with_offsets(text: str) -> tuple[str, list[int]]:
    """``text`` with white-space runs folded to one space, and each kept character's offset."""
    kept: list[str] = []
    offsets: list[int] = []
    previous_space = False
    for offset, char in enumerate(text):
        if char.isspace():
            if previous_space:
                continue
            char, previous_space = " ", True
        else:
            previous_space = False
        kept.append(char)
        offsets.append(offset)
    return "".join(kept), offsets


def _clean(quote: str) -> str:
    return _SPACE.sub(" ", quote).strip(_WRAPPING)


def locate(quote: str, turn: Turn) -> Quote | None:
    """Where ``quote`` stands in ``turn``, if it does."""
    wanted = _clean(quote)
    if not wanted:
        return None
    text, offsets = _normalised_with_offsets(turn.text)
    at = text.find(wanted)
    if at < 0:
        return None
    start = offsets[at]
    end = offsets[at + len(wanted) - 1] + 1
    return Quote(text=turn.text[start:end], turn_index=turn.index, start=start, end=end)


def verify(quote: str, turns: Sequence[Turn], hint: int | None = None) -> Quote | None:
    """The quote located in an employee turn: the hinted turn first, then all of them."""
    employee = [turn for turn in turns if turn.speaker == Speaker.EMPLOYEE]
    ordered = sorted(employee, key=lambda turn: turn.index != hint)
    for turn in ordered:
        if found := locate(quote, turn):
            return found
    return None
