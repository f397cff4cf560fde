"""The report's scripted study, stored: for the tests of publishing, erasure and the CLI."""

from __future__ import annotations

from assistant.findings.extraction import transcript_digest
from assistant.schemas import Finding, JobKind
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
    # The scripted findings stand for an extraction already run: the jobs that importing
    # queued are done, as that extraction would have left them.
    for job in store.jobs.where(kind=JobKind.EXTRACTION):
        if job.interview_id is not None and job.interview_id in stored.values():
            turns = store.interviews.turns(job.interview_id)
            store.jobs.finish(job.id, result={}, input_digest=transcript_digest(turns))
    return stored
