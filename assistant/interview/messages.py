"""The few texts the interview core writes itself, by language (the guide's TOML holds the
interview's own words). A plain table keyed by language, so that it converts to message
catalogs as it stands: every text is whole, with named placeholders and no plural made by hand.
A language missing here speaks English."""

from __future__ import annotations

from typing import Literal

MessageId = Literal[
    "one_question_reminder",
    "no_summary_to_change",
    "no_such_point",
    "interview_over",
    "quoted",
    "language_name",
    "step",
    "closing_title",
]

MESSAGES: dict[str, dict[MessageId, str]] = {
    "fr": {
        # Sent to the model with a reply that held more than one question, to ask again.
        "one_question_reminder": (
            "Rappel : une seule question courte par message. Reformule avec une seule question."
        ),
        "no_summary_to_change": "Il n'y a pas de résumé à modifier en ce moment.",
        "no_such_point": "Ce numéro n'est pas dans le résumé : donnez un numéro de 1 à {last}.",
        "interview_over": "Cet entretien est terminé ; vous pouvez en commencer un nouveau.",
        # The employee's own words, quoted in a summary written without a model.
        "quoted": "« {words} »",
        # The interview's language, named in it (the safety classifier's prompt says it).
        "language_name": "français",
        # Where the interview stands, as the web app and the terminal show it.
        "step": "Étape {number}/{total} : {title}",
        "closing_title": "Résumé et conclusion",
    },
    "en": {
        "one_question_reminder": (
            "Reminder: one short question per message. Rephrase with a single question."
        ),
        "no_summary_to_change": "There is no summary to change right now.",
        "no_such_point": "That number is not in the summary: give a number from 1 to {last}.",
        "interview_over": "This interview is over; you can start a new one.",
        "quoted": "“{words}”",
        "language_name": "English",
        "step": "Step {number} of {total}: {title}",
        "closing_title": "Summary and closing",
    },
}
FALLBACK_LANGUAGE = "en"


def message(language: str, message_id: MessageId, **values: object) -> str:
    """The text ``message_id`` in ``language`` (English if it has none), filled with
    ``values``."""
    table = MESSAGES.get(language, MESSAGES[FALLBACK_LANGUAGE])
    return table[message_id].format(**values)
