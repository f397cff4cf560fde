"""What decided the route of an employee message: kept in the session state with the turn."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel


class Route(StrEnum):
    DISTRESS = "distress"
    STOP = "stop"
    OFF_MISSION = "off_mission"
    SAFEGUARDING = "safeguarding"
    HOSTILITY = "hostility"
    CONFIDENTIALITY = "confidentiality"
    WITHDRAWAL = "withdrawal"
    LANGUAGE_CHANGE = "language_change"


class DecisionSource(StrEnum):
    CUE = "cue"  # the guide's cue words
    CLASSIFIER = "classifier"


class SafetyDecision(BaseModel):
    """The route an employee message took and what decided it, kept in the session state."""

    turn_id: int
    route: Route
    source: DecisionSource
    confidence: float | None = None
    language: str | None = None
    prompt: str | None = None  # the classifier's prompt, id@version, when it decided
