"""Findings and their audit trail: every facilitator review is recorded in ``finding_changes``,
in the same transaction as the change itself."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assistant.schemas import (
    Finding,
    FindingChange,
    FindingEdit,
    FindingOrigin,
    FindingStatus,
    ReviewAction,
)
from assistant.store.database import Repository, as_utc, guarded, reason
from assistant.store.errors import FindingNotFoundError, InterviewNotFoundError, StoreError
from assistant.store.interview_erasure import interview_row
from assistant.store.models import FindingChangeRow, FindingRow, InterviewRow

# What a facilitator's review does to a finding's status.
REVIEW_STATUSES = {
    ReviewAction.ACCEPT: FindingStatus.ACCEPTED,
    ReviewAction.EDIT: FindingStatus.EDITED,
    ReviewAction.REJECT: FindingStatus.REJECTED,
}
# Finding fields kept as JSON (their JSON dump is stored).
JSON_FINDING_FIELDS = frozenset({"evidence", "prescribed_gap", "provenance"})


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _finding_values(record: Finding) -> dict[str, Any]:
    """A finding's column values: enums as strings, quotes, gap and provenance as JSON."""
    values = {name: _plain(getattr(record, name)) for name in Finding.model_fields}
    values.update(record.model_dump(mode="json", include=set(JSON_FINDING_FIELDS)))
    return values


def _stored_finding(record: Finding, now: datetime) -> Finding:
    """The finding as the store keeps it: updated now, its provenance's timestamp in UTC."""
    provenance = record.provenance.model_copy(
        update={"created_at": as_utc(record.provenance.created_at)}
    )
    return record.model_copy(update={"provenance": provenance, "updated_at": now})


def _insert(session: Session, records: Sequence[Finding], now: datetime) -> None:
    for position, record in enumerate(records):
        session.add(FindingRow(**_finding_values(record), created_at=now, position=position))


def _locked_row(session: Session, finding_id: str) -> FindingRow:
    row = session.get(FindingRow, finding_id, with_for_update=True)
    if row is None:
        raise FindingNotFoundError(finding_id)
    return row


def _duplicate(error: IntegrityError) -> StoreError:
    return StoreError(
        f"Could not store the findings: {reason(error)} (a finding id is already used, or "
        "the interview was erased meanwhile). Nothing was stored.",
        fix="Give every finding a new id (e.g. uuid4().hex), then try again.",
    )


def _unique_ids(findings: Sequence[Finding]) -> None:
    ids = [finding.id for finding in findings]
    if len(set(ids)) != len(ids):
        raise ValueError("Several findings share one id.")


class FindingRepository(Repository):
    """Findings and the facilitators' reviews of them (``store.findings``)."""

    @guarded("saving findings")
    def add(self, findings: Sequence[Finding]) -> list[Finding]:
        """Store the findings as given (status and origin included), all in one transaction.

        Their ``updated_at`` becomes now; the provenance's timestamp is kept, in UTC. Raises
        InterviewNotFoundError for a finding of a missing interview, StoreError for an id in use,
        ValueError for one id given twice; nothing is stored then.
        """
        _unique_ids(findings)
        now = self._db.now()
        records = [_stored_finding(finding, now) for finding in findings]
        if not records:
            return []
        wanted = {record.interview_id for record in records}
        try:
            with self._db.writing() as session:
                found = set(
                    session.scalars(select(InterviewRow.id).where(InterviewRow.id.in_(wanted)))
                )
                for interview_id in sorted(wanted - found):
                    raise InterviewNotFoundError(interview_id)
                _insert(session, records, now)
        except IntegrityError as error:
            raise _duplicate(error) from None
        return records

    @guarded("replacing an interview's findings")
    def replace_model_findings(
        self, interview_id: str, findings: Sequence[Finding]
    ) -> list[Finding]:
        """A new extraction's findings in place of the previous extraction's, in one transaction.

        Deletes the interview's findings that the model proposed and nobody reviewed yet
        (origin MODEL, status PROPOSED) and stores ``findings`` instead: re-running an
        extraction never duplicates findings, and never touches one that a facilitator
        accepted, edited, rejected or added. Every new finding must belong to ``interview_id``
        and be a PROPOSED MODEL finding (ValueError otherwise).
        """
        for finding in findings:
            if finding.interview_id != interview_id:
                raise ValueError(
                    f"Finding {finding.id!r} belongs to interview {finding.interview_id!r}, "
                    f"not {interview_id!r}."
                )
            if finding.origin != FindingOrigin.MODEL or finding.status != FindingStatus.PROPOSED:
                raise ValueError(
                    f"Finding {finding.id!r} is not a proposed model finding "
                    f"(origin {finding.origin.value}, status {finding.status.value})."
                )
        _unique_ids(findings)
        now = self._db.now()
        records = [_stored_finding(finding, now) for finding in findings]
        unreviewed = (
            FindingRow.interview_id == interview_id,
            FindingRow.origin == FindingOrigin.MODEL.value,
            FindingRow.status == FindingStatus.PROPOSED.value,
        )
        try:
            with self._db.writing() as session:
                interview_row(session, interview_id)
                # Unreviewed findings have no audit trail; deleted explicitly all the same.
                session.execute(
                    delete(FindingChangeRow).where(
                        FindingChangeRow.finding_id.in_(select(FindingRow.id).where(*unreviewed))
                    )
                )
                session.execute(delete(FindingRow).where(*unreviewed))
                _insert(session, records, now)
        except IntegrityError as error:
            raise _duplicate(error) from None
        return records

    @guarded("reading findings")
    def where(
        self, *, interview_id: str | None = None, status: FindingStatus | None = None
    ) -> list[Finding]:
        """Findings, optionally of one interview and/or in one status.

        Grouped by interview, then in the order they were stored (an extraction's order).
        """
        query = select(FindingRow).order_by(
            FindingRow.interview_id, FindingRow.created_at, FindingRow.position, FindingRow.id
        )
        if interview_id is not None:
            query = query.where(FindingRow.interview_id == interview_id)
        if status is not None:
            query = query.where(FindingRow.status == FindingStatus(status).value)
        with self._db.reading() as session:
            return [Finding.model_validate(row) for row in session.scalars(query)]

    @guarded("reading a finding")
    def get(self, finding_id: str) -> Finding | None:
        with self._db.reading() as session:
            row = session.get(FindingRow, finding_id)
            return None if row is None else Finding.model_validate(row)

    @guarded("reviewing a finding")
    def review(
        self,
        finding_id: str,
        *,
        actor: str,
        action: ReviewAction,
        edit: FindingEdit | None = None,
    ) -> Finding:
        """A facilitator's review: ACCEPT, REJECT, or EDIT with ``edit``.

        ACCEPT → ACCEPTED, REJECT → REJECTED (no ``edit`` with either); EDIT applies the fields
        ``edit`` gives (validated as a Finding) and sets EDITED. When an edit changes the code,
        the model's code is kept in ``proposed_code`` (if not kept already). The change is
        recorded in the audit trail, with the changed fields before and after (as JSON), in
        the same transaction.

        Raises ValueError for ADD (see :meth:`add_by_facilitator`), an edit without fields or
        with an invalid value; FindingNotFoundError for a missing finding.
        """
        action = ReviewAction(action)
        status = REVIEW_STATUSES.get(action)
        if status is None:
            raise ValueError("A finding is added with add_by_facilitator, not reviewed.")
        if not actor.strip():
            raise ValueError("The reviewer (actor) cannot be empty.")
        changes = {} if edit is None else edit.changes
        if action != ReviewAction.EDIT and edit is not None:
            raise ValueError(
                f"A review {action.value!r} takes no edit; use 'edit' to change fields."
            )
        if action == ReviewAction.EDIT and not changes:
            raise ValueError("An edit needs the fields to change.")
        with self._db.writing() as session:
            row = _locked_row(session, finding_id)
            current = Finding.model_validate(row)
            now = self._db.now()
            update_values: dict[str, Any] = {**changes, "status": status, "updated_at": now}
            if (
                "code" in changes
                and changes["code"] != current.code
                and current.proposed_code is None
            ):
                update_values["proposed_code"] = current.code
            updated = Finding.model_validate({**current.model_dump(), **update_values})
            old = current.model_dump(mode="json")
            new = updated.model_dump(mode="json")
            names = [n for n in (*changes, "status", "proposed_code") if old[n] != new[n]]
            names = list(dict.fromkeys(names))
            values = _finding_values(updated)
            for name in (*names, "updated_at"):
                setattr(row, name, values[name])
            session.add(
                FindingChangeRow(
                    finding_id=finding_id,
                    actor=actor,
                    action=action.value,
                    before={name: old[name] for name in names},
                    after={name: new[name] for name in names},
                    at=now,
                )
            )
        return updated

    @guarded("adding a facilitator's finding")
    def add_by_facilitator(self, finding: Finding, *, actor: str) -> Finding:
        """A finding a facilitator wrote: stored ACCEPTED, origin FACILITATOR, with an audit entry.

        Raises InterviewNotFoundError for a missing interview, StoreError for an id in use.
        """
        if not actor.strip():
            raise ValueError("The facilitator (actor) cannot be empty.")
        now = self._db.now()
        record = _stored_finding(finding, now).model_copy(
            update={"origin": FindingOrigin.FACILITATOR, "status": FindingStatus.ACCEPTED}
        )
        try:
            with self._db.writing() as session:
                interview_row(session, record.interview_id)
                _insert(session, [record], now)
                session.flush()
                session.add(
                    FindingChangeRow(
                        finding_id=record.id,
                        actor=actor,
                        action=ReviewAction.ADD.value,
                        before=None,
                        after=record.model_dump(mode="json"),
                        at=now,
                    )
                )
        except IntegrityError as error:
            raise _duplicate(error) from None
        return record

    @guarded("reading the findings' audit trail")
    def changes(self, finding_id: str | None = None) -> list[FindingChange]:
        """Facilitators' actions on findings (or on one finding), oldest first."""
        query = select(FindingChangeRow).order_by(FindingChangeRow.id)
        if finding_id is not None:
            query = query.where(FindingChangeRow.finding_id == finding_id)
        with self._db.reading() as session:
            return [FindingChange.model_validate(row) for row in session.scalars(query)]
