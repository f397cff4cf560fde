"""The access log in the store: one entry per access, filtered by account and time; no link
to an interview that is gone; every erasure path unlinks the entries in its own commit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from assistant.schemas import AccessKind, Speaker
from assistant.store import Store


def _interview(store: Store, owner_key: str | None = None) -> tuple[str, str]:
    interview = store.interviews.import_transcript(
        language="fr",
        source="test",
        turns=[(Speaker.INTERVIEWER, "Bonjour ?"), (Speaker.EMPLOYEE, "J'ai aidé Mme Roux.")],
        owner_key=owner_key,
    )
    return interview.id, interview.pseudonym


def test_entries_are_filtered_by_account_and_time_newest_first(tmp_store: Store) -> None:
    interview_id, pseudonym = _interview(tmp_store)
    first = tmp_store.access.record("fanny", AccessKind.TRANSCRIPT, interview_id=interview_id)
    tmp_store.access.record("fanny", AccessKind.FINDINGS_EXPORT, file_format="csv")
    tmp_store.access.record("lea", AccessKind.REPORT_DOWNLOAD, file_format="pdf", report_version=3)
    assert (first.pseudonym, first.interview_id) == (pseudonym, interview_id)
    entries = tmp_store.access.entries()
    assert [e.kind for e in entries] == [
        AccessKind.REPORT_DOWNLOAD,
        AccessKind.FINDINGS_EXPORT,
        AccessKind.TRANSCRIPT,
    ]
    assert [e.actor for e in tmp_store.access.entries(actor="fanny")] == ["fanny", "fanny"]
    assert len(tmp_store.access.entries(limit=1)) == 1
    assert tmp_store.access.entries(since=datetime.now(UTC) + timedelta(hours=1)) == []
    assert len(tmp_store.access.entries(since=datetime.now(UTC) - timedelta(hours=1))) == 3


def test_an_access_is_someones_and_names_no_interview_that_is_gone(tmp_store: Store) -> None:
    with pytest.raises(ValueError, match="actor"):
        tmp_store.access.record("  ", AccessKind.TRANSCRIPT)
    gone = tmp_store.access.record("fanny", AccessKind.TRANSCRIPT, interview_id="no-such-one")
    assert (gone.interview_id, gone.pseudonym) == (None, None)


def test_erasing_by_owner_unlinks_the_entries_in_the_same_commit(tmp_store: Store) -> None:
    erased_id, erased_pseudonym = _interview(tmp_store, owner_key="owner:erased")
    kept_id, kept_pseudonym = _interview(tmp_store, owner_key="owner:kept")
    for interview_id in (erased_id, kept_id):
        tmp_store.access.record("fanny", AccessKind.TRANSCRIPT, interview_id=interview_id)
    assert [i.id for i in tmp_store.interviews.erase_owned_by("owner:erased")] == [erased_id]
    entries = tmp_store.access.entries()
    assert len(entries) == 2
    assert {(e.interview_id, e.pseudonym) for e in entries} == {
        (None, None),
        (kept_id, kept_pseudonym),
    }
    assert erased_pseudonym not in str([e.model_dump() for e in entries])
