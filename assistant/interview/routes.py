"""Which route an employee message takes, and the scripted texts the routes say.

The guide's cue words win when they fire: they are what works with no model at all. The
classifier adds what they miss, when it is sure enough (``TERRAIN_SAFETY_MIN_CONFIDENCE``). What
a route says comes from the guide, filled with the settings as configured, so that an answer
about who reads what cannot drift from what the code does.
"""

from __future__ import annotations

from string import Template
from typing import get_args

from assistant.config import Settings
from assistant.interview.classifier import SafetyCategory, SafetyVerdict
from assistant.interview.decisions import DecisionSource, Route, SafetyDecision
from assistant.interview.guide import Guide
from assistant.interview.safety import Concern
from assistant.promises import state_rules
from assistant.retrieval.search import Hit

# The languages an interview can be held in: those the settings accept.
SUPPORTED_LANGUAGES: tuple[str, ...] = get_args(Settings.model_fields["language"].annotation)


_CUE_ROUTES = {
    Concern.DISTRESS: Route.DISTRESS,
    Concern.STOP: Route.STOP,
    Concern.OFF_MISSION: Route.OFF_MISSION,
    Concern.CONFIDENTIALITY: Route.CONFIDENTIALITY,
}


def decide(
    turn_id: int,
    concern: Concern | None,
    verdict: SafetyVerdict | None,
    *,
    language: str,
    min_confidence: float,
    prompt: str | None = None,
) -> SafetyDecision | None:
    """The route for a message in an interview held in ``language``; None: an ordinary answer.
    ``prompt``: the classifier's prompt (id@version), recorded when the classifier decides."""
    if concern is not None:
        return SafetyDecision(
            turn_id=turn_id, route=_CUE_ROUTES[concern], source=DecisionSource.CUE
        )
    if verdict is None or verdict.category == SafetyCategory.NONE:
        return None
    if verdict.confidence < min_confidence:
        return None
    asked = None
    if verdict.category == SafetyCategory.LANGUAGE_CHANGE:
        asked = (verdict.language or "").strip().lower()[:2]
        if not asked or asked == language:
            return None  # nothing to change
    return SafetyDecision(
        turn_id=turn_id,
        route=Route(verdict.category.value),
        source=DecisionSource.CLASSIFIER,
        confidence=verdict.confidence,
        language=asked,
        prompt=prompt,
    )


def safeguarding_message(guide: Guide, settings: Settings, procedure: Hit | None) -> str:
    """Say that it must be reported today, to whom, and the company's procedure if there is one."""
    texts = guide.routes
    where = (
        Template(texts.safeguarding_procedure).substitute(citation=procedure.citation)
        if procedure is not None
        else texts.safeguarding_no_procedure
    )
    return Template(texts.safeguarding.strip()).substitute(
        contact=settings.safeguarding_contact, procedure=where
    )


def confidentiality_answer(guide: Guide, settings: Settings) -> str:
    """Who sees what, from the thresholds and the retention as configured."""
    return state_rules(guide.routes.confidentiality.strip(), settings, guide.language)


def unsupported_language(guide: Guide) -> str:
    """The truth about the languages offered, in the interview's language."""
    names = guide.routes.language_names
    offered = [names.get(code, code) for code in SUPPORTED_LANGUAGES]
    return Template(guide.routes.language_unsupported).substitute(
        languages=f" {guide.routes.language_or} ".join(offered)
    )
