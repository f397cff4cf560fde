"""The findings exported for a facilitator's own analysis (CSV and JSON): pseudonyms only.

Nothing here names a person: an interview appears by its pseudonym, never by its owner key or
a user name, and reviewers (the audit trail) are left out. Every row is an
:class:`ExportedFinding`, so the JSON is the schema's own dump, and the CSV's cells cannot be
read as formulas by a spreadsheet.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from assistant.schemas import (
    AutomationExposure,
    Finding,
    FindingOrigin,
    FindingStatus,
    Interview,
)

# A spreadsheet reads a cell starting with one of these as a formula (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE_SEPARATOR = " | "


class ExportedQuote(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    turn_number: int = Field(ge=1, description="The quoted turn, counted from 1.")
    text: str = Field(min_length=1)


class ExportedFinding(BaseModel):
    """One finding as the export gives it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pseudonym: str
    interview_language: str
    finding_id: str
    code: str
    value_chain_stage: str
    activity: str | None
    counterpart: str | None
    status: FindingStatus
    origin: FindingOrigin
    proposed_code: str | None
    automation_exposure: AutomationExposure | None
    confidence: float | None
    quotes: list[ExportedQuote] = Field(min_length=1)


EXPORT = TypeAdapter(list[ExportedFinding])
CSV_COLUMNS = (
    "pseudonym",
    "interview_language",
    "finding_id",
    "code",
    "value_chain_stage",
    "activity",
    "counterpart",
    "status",
    "origin",
    "proposed_code",
    "automation_exposure",
    "confidence",
    "turn_numbers",
    "quotes",
)


def exported(interviews: Sequence[Interview], findings: Sequence[Finding]) -> list[ExportedFinding]:
    """The findings of ``interviews`` (those of another interview are left out), in order."""
    by_id = {interview.id: interview for interview in interviews}
    rows = []
    for finding in findings:
        interview = by_id.get(finding.interview_id)
        if interview is None:
            continue
        rows.append(
            ExportedFinding(
                pseudonym=interview.pseudonym,
                interview_language=interview.language,
                finding_id=finding.id,
                code=finding.code,
                value_chain_stage=finding.value_chain_stage,
                activity=finding.activity,
                counterpart=finding.counterpart,
                status=finding.status,
                origin=finding.origin,
                proposed_code=finding.proposed_code,
                automation_exposure=finding.automation_exposure,
                confidence=finding.confidence,
                quotes=[
                    ExportedQuote(turn_number=quote.turn_number, text=quote.text)
                    for quote in finding.evidence
                ],
            )
        )
    return rows


def as_json(rows: Sequence[ExportedFinding]) -> bytes:
    return EXPORT.dump_json(list(rows), indent=2)


def safe_cell(value: str) -> str:
    """``value`` as a spreadsheet shows it, never runs it: a formula's start is prefixed."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def as_csv(rows: Sequence[ExportedFinding]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        values = row.model_dump(mode="json", exclude={"quotes"})
        cells = ["" if values[name] is None else str(values[name]) for name in CSV_COLUMNS[:-2]]
        cells.append(" ".join(str(quote.turn_number) for quote in row.quotes))
        cells.append(QUOTE_SEPARATOR.join(quote.text for quote in row.quotes))
        writer.writerow([safe_cell(cell) for cell in cells])
    return out.getvalue()
