"""Records the store's tests create: findings, closed interviews, report drafts; and a
settable clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from assistant.config import Settings
from assistant.report.publishing import (
    build_draft,
    decide_quote,
    quotes_of,
)
from assistant.schemas import (
    AutomationExposure,
    Finding,
    InterviewStatus,
    InterviewUpdate,
    Phase,
    Provenance,
    Quote,
    QuoteDecision,
    ReportVersion,
    Speaker,
)
from assistant.store import (
    Store,
)


def finding(interview_id: str, **overrides: Any) -> Finding:
    start = SAID.index("rassurer")
    values: dict[str, Any] = {
        "id": f"f{next(_counter):06d}",
        "interview_id": interview_id,
        "code": "reassurance",
        "activity": "toilette",
        "counterpart": "bénéficiaire",
        "value_chain_stage": "soin",
        "evidence": [Quote(text="rassurer", turn_index=1, start=start, end=start + 8)],
        "automation_exposure": AutomationExposure.HUMAN_ESSENTIAL,
        "automation_reasons": "la confiance",
        "confidence": 0.8,
        "provenance": Provenance(
            model="mistral-small3.2",
            prompt="extract@1",
            codebook="codebook@1",
            created_at=datetime(2025, 3, 1, 10, 0, tzinfo=timezone(timedelta(hours=1))),
        ),
        "updated_at": datetime(2000, 1, 1, tzinfo=UTC),
    }
    values.update(overrides)
    return Finding(**values)


class SettableClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def closed_interview(store: Store) -> str:
    interview = store.interviews.create(language="fr")
    store.interviews.record_consent(interview.id, given=True, version="test")
    for speaker, text in [
        (Speaker.INTERVIEWER, "Pouvez-vous me raconter un moment précis ?"),
        (Speaker.EMPLOYEE, "Hier, Mme R. était seule. Je suis restée un peu plus pour l'écouter."),
    ]:
        store.interviews.add_turn(interview.id, speaker=speaker, text=text, phase=Phase.EPISODE)
    store.interviews.update(
        interview.id, InterviewUpdate(status=InterviewStatus.CLOSED, phase=Phase.DONE)
    )
    return interview.id


def drafted(store: Store, settings: Settings) -> ReportVersion:
    return asyncio.run(build_draft(store, settings, None, actor="claire"))


def approve_all(store: Store, draft: ReportVersion) -> None:
    for quote in quotes_of(draft):
        decide_quote(store, quote.id, QuoteDecision.APPROVED)


SAID = "Je passe cinq minutes à rassurer Mme L. avant la toilette."


_counter = iter(range(1_000_000))


class MonotonicClock:
    """A monotonic clock (``time.monotonic``'s stand-in) that a test moves forward."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def past_the_index_check(self) -> None:
        """Moved past the time a search relies on its last check of the saved index."""
        from assistant.retrieval.knowledge_base import INDEX_CHECK_SECONDS

        self.now += INDEX_CHECK_SECONDS
