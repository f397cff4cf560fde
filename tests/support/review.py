"""A store seeded with interviews and findings to review on the staff pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from assistant.findings.evidence import verify
from assistant.schemas import (
    AutomationExposure,
    Finding,
    InterviewStatus,
    InterviewUpdate,
    PassageCitation,
    Phase,
    PrescribedGap,
    Provenance,
    Speaker,
    Turn,
)
from assistant.store import Store


@dataclass(frozen=True)
class Seeded:
    interview: str
    pseudonym: str
    care: str  # accepted by the facilitator
    empathy: str  # rejected
    trust: str  # recoded
    spare: str  # left proposed, for the forged buttons


def seed(store: Store) -> Seeded:
    """A closed interview and four proposed findings."""
    interview = store.interviews.create(language="fr")
    store.interviews.record_consent(interview.id, given=True, version="test")
    for speaker, text in [
        (Speaker.INTERVIEWER, "Pouvez-vous me raconter un moment précis ?"),
        (Speaker.EMPLOYEE, NIGHT),
        (Speaker.INTERVIEWER, "Et ce qui est prévu ?"),
        (Speaker.EMPLOYEE, ROTA),
    ]:
        store.interviews.add_turn(interview.id, speaker=speaker, text=text, phase=Phase.EPISODE)
    store.interviews.update(
        interview.id, InterviewUpdate(status=InterviewStatus.CLOSED, phase=Phase.DONE)
    )
    turns = store.interviews.turns(interview.id)
    gap = PrescribedGap(
        description="Le temps prévu ne laisse pas d'écoute.",
        passage=PassageCitation(source="procedures.pdf", page=3, text=PASSAGE),
    )
    found = store.findings.add(
        [
            _finding(interview.id, turns, "restée un peu plus pour l'écouter", "care"),
            _finding(interview.id, turns, "Mme R. était seule", "empathy"),
            _finding(interview.id, turns, ROTA, "proximity", prescribed_gap=gap),
            _finding(interview.id, turns, "Je suis restée", "mediation"),
        ]
    )
    care, empathy, trust, spare = (finding.id for finding in found)
    return Seeded(interview.id, interview.pseudonym, care, empathy, trust, spare)


NIGHT = "Hier, Mme R. était seule. Je suis restée un peu plus pour l'écouter."


ROTA = "Le *planning* dit <b>dix minutes</b> par chambre, [pas plus](javascript:x)."


PASSAGE = "Chaque passage en chambre dure dix minutes."


def _finding(interview_id: str, turns: list[Turn], words: str, code: str, **extra: Any) -> Finding:
    quote = verify(words, turns)
    assert quote is not None
    now = datetime.now(UTC)
    return Finding(
        id=f"{code}-{interview_id[:8]}",
        interview_id=interview_id,
        code=code,
        activity="veille de nuit",
        counterpart="résidente",
        value_chain_stage="service_delivery",
        evidence=[quote],
        automation_exposure=AutomationExposure.HUMAN_ESSENTIAL,
        confidence=0.8,
        provenance=Provenance(model="test", codebook="codebook@1.0.0", created_at=now),
        updated_at=now,
        **extra,
    )
