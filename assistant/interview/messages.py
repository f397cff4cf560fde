"""The few texts the interview core writes itself (the guide's TOML holds the interview's own
words), each an English message id of the catalogs (:mod:`assistant.i18n`), named here so that
the core asks for them by what they are for."""

from __future__ import annotations

from typing import Literal

from assistant import i18n
from assistant.i18n import N_

MessageId = Literal[
    "one_question_reminder",
    "no_summary_to_change",
    "no_such_point",
    "interview_over",
    "quoted",
    "step",
    "closing_title",
]

MESSAGES: dict[MessageId, str] = {
    # Sent to the model with a reply that held more than one question, to ask again.
    "one_question_reminder": N_(
        "Reminder: one short question per message. Rephrase with a single question."
    ),
    "no_summary_to_change": N_("There is no summary to change right now."),
    "no_such_point": N_("That number is not in the summary: give a number from 1 to {last}."),
    "interview_over": N_("This interview is over; you can start a new one."),
    # The employee's own words, quoted in a summary written without a model.
    "quoted": N_("“{words}”"),
    # Where the interview stands, as the web app and the terminal show it.
    "step": N_("Step {number} of {total}: {title}"),
    "closing_title": N_("Summary and closing"),
}


def language_name(language: str) -> str:
    """The interview's language, named in it (the safety classifier's prompt says it)."""
    return i18n.pgettext(language, "the language's own name", "English")


def message(language: str, message_id: MessageId, **values: object) -> str:
    """The text ``message_id`` in ``language``, filled with ``values``."""
    return i18n.gettext(language, MESSAGES[message_id]).format(**values)
