"""Where an interview stands, as the employee is shown it: "Étape 2/6 : Un moment précis".

The steps are the guide's phases then the closing, titled by the guide; the web app and the
terminal interview show the same line, so it is written once, here.
"""

from __future__ import annotations

from assistant.interview.guide import Guide
from assistant.interview.messages import message
from assistant.schemas import Phase


def steps(guide: Guide) -> list[Phase]:
    """The steps an employee goes through after consent: the guide's phases, then closing."""
    return [spec.id for spec in guide.phases] + [Phase.CLOSING]


def step_line(guide: Guide, phase: Phase) -> str | None:
    """``Étape 3/6 : …`` for ``phase`` in the guide's language, or None for consent and after
    the end."""
    order = steps(guide)
    if phase not in order:
        return None
    spec = guide.phase(phase)
    language = guide.language
    title = spec.title if spec is not None else message(language, "closing_title")
    return message(language, "step", number=order.index(phase) + 1, total=len(order), title=title)
