"""The report's scripted study, stored: for the tests of publishing, erasure and the CLI."""

from __future__ import annotations

from assistant.schemas import Finding
from assistant.store import Store
from tests.report_scripts import Scripted


def store_study(store: Store, script: Scripted) -> dict[str, str]:
    """Import each scripted interview with its turns and findings (as reviewed as scripted);
    returns the stored interview id of each scripted one."""
    stored: dict[str, str] = {}
    for interview in script.interviews:
        turns = script.turns[interview.id]
        imported = store.interviews.import_transcript(
            language=interview.language,
            source="scripted",
            turns=[(turn.speaker, turn.text) for turn in turns],
            owner_key=interview.owner_key,
        )
        stored[interview.id] = imported.id
    findings: list[Finding] = [
        f.model_copy(update={"interview_id": stored[f.interview_id]}) for f in script.findings
    ]
    store.findings.add(findings)
    return stored
