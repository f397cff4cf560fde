"""Staff accounts and an interview that names a third party, for the privacy pages' tests."""

from __future__ import annotations

from datetime import UTC, datetime

from assistant.findings.evidence import verify
from assistant.schemas import (
    Finding,
    Provenance,
    Speaker,
    UserRole,
)
from assistant.store import Store

SAID = (
    "Ce matin j'ai vu Mme Jeanne Dubois, son numéro c'est le 06 12 34 56 78. Elle a la "
    "maladie d'Alzheimer et Jeanne oublie ses repas."
)


# What no facilitator may read: the beneficiary's name, her phone number, her diagnosis.
THIRD_PARTY = ("Jeanne", "Dubois", "06 12 34 56 78", "Alzheimer")


ACCOUNTS = {"fanny": UserRole.FACILITATOR, "adam": UserRole.ADMIN, "lea": UserRole.LEADERSHIP}


def seed(store: Store) -> tuple[str, str, str]:
    """An imported interview naming a beneficiary, and a finding quoting her; returns the
    interview's id and pseudonym and the finding's id."""
    interview = store.interviews.import_transcript(
        language="fr",
        source="test",
        turns=[(Speaker.INTERVIEWER, "Racontez-moi une journée."), (Speaker.EMPLOYEE, SAID)],
    )
    turns = store.interviews.turns(interview.id)
    quote = verify("Mme Jeanne Dubois, son numéro c'est le 06 12 34 56 78", turns)
    diagnosis = verify("Elle a la maladie d'Alzheimer", turns)
    assert quote is not None
    assert diagnosis is not None
    now = datetime.now(UTC)
    (finding,) = store.findings.add(
        [
            Finding(
                id=f"care-{interview.id[:8]}",
                interview_id=interview.id,
                code="care",
                activity="repas de Jeanne",
                counterpart="Mme Dubois",
                value_chain_stage="service_delivery",
                evidence=[quote, diagnosis],
                provenance=Provenance(model="test", codebook="codebook@1.0.0", created_at=now),
                updated_at=now,
            )
        ]
    )
    return interview.id, interview.pseudonym, finding.id
