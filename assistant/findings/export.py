"""The findings exported for a facilitator's own analysis (CSV and JSON): pseudonyms only.

Nothing here names a person: an interview appears by its pseudonym, never by its owner key or
a user name, and reviewers (the audit trail) are left out. Every row is an
:class:`ExportedFinding`, so the JSON is the schema's own dump, and the CSV's cells cannot be
read as formulas by a spreadsheet.

The JSON is for programs: identifiers, as stored. The CSV is for a spreadsheet in the
facilitator's language (:func:`csv_labels`): headers, codes, stages and statuses as words, the
list separator and decimal mark a spreadsheet of that language expects (a semicolon and a
decimal comma in French), and a byte-order mark so that it reads the file as UTF-8.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from babel.numbers import get_decimal_symbol
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from assistant.findings.codebook import Codebook
from assistant.i18n import translation
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
# Makes Excel read the file as UTF-8 (without it, "é" shows as "Ã©").
BYTE_ORDER_MARK = "\ufeff"


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


@dataclass(frozen=True)
class CsvLabels:
    """How the CSV reads in one language: its list separator and decimal mark, its headers,
    and the words shown for stored values (column -> value -> word; a value without a word is
    shown as stored). The default is the machine-readable CSV: identifiers, commas, no BOM."""

    separator: str = ","
    decimal_mark: str = "."
    headers: Mapping[str, str] = field(default_factory=dict)
    words: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    byte_order_mark: bool = False


def _headers(language: str) -> tuple[str, ...]:
    _ = translation(language).gettext
    return (
        _("Pseudonym"),
        _("Interview language"),
        _("Finding (id)"),
        _("Code"),
        _("Value-chain stage"),
        _("Activity"),
        _("Counterpart"),
        _("Status"),
        _("Origin"),
        _("Code the model proposed"),
        _("Exposure to automation"),
        _("Confidence"),
        _("Turns quoted"),
        _("Quotes"),
    )


def _exposures(language: str) -> dict[AutomationExposure, str]:
    _ = translation(language).gettext
    return {
        AutomationExposure.AUTOMATABLE: _("automatable"),
        AutomationExposure.AUGMENTED: _("augmented by a tool"),
        AutomationExposure.HUMAN_ESSENTIAL: _("human-essential"),
    }


def csv_labels(
    language: str,
    codebook: Codebook,
    statuses: Mapping[FindingStatus, str],
    origins: Mapping[FindingOrigin, str],
) -> CsvLabels:
    """The CSV for a spreadsheet in ``language`` (one of :func:`assistant.i18n.languages`): the
    codebook's labels for codes and stages, and the pages' words for statuses (``statuses``) and
    origins (``origins``). Its decimal mark is the language's (Babel's locale data); where that
    is a comma, spreadsheets separate a list's values with a semicolon."""
    decimal_mark = get_decimal_symbol(language)
    codes = {code.id: code.label.in_language(language) for code in codebook.codes}
    stages = {stage.id: stage.label.in_language(language) for stage in codebook.value_chain}
    return CsvLabels(
        separator=";" if decimal_mark == "," else ",",
        decimal_mark=decimal_mark,
        headers=dict(zip(CSV_COLUMNS, _headers(language), strict=True)),
        words={
            "code": codes,
            "proposed_code": codes,
            "value_chain_stage": stages,
            "status": {status.value: word for status, word in statuses.items()},
            "origin": {origin.value: word for origin, word in origins.items()},
            "automation_exposure": {e.value: word for e, word in _exposures(language).items()},
        },
        byte_order_mark=True,
    )


def as_csv(rows: Sequence[ExportedFinding], labels: CsvLabels | None = None) -> str:
    """The rows as CSV, read as ``labels`` say (identifiers and commas without)."""
    labels = labels or CsvLabels()
    out = io.StringIO()
    if labels.byte_order_mark:
        out.write(BYTE_ORDER_MARK)
    writer = csv.writer(out, delimiter=labels.separator)
    writer.writerow([labels.headers.get(name, name) for name in CSV_COLUMNS])
    for row in rows:
        values = row.model_dump(mode="json", exclude={"quotes"})
        cells = [_cell(name, values[name], labels) for name in CSV_COLUMNS[:-2]]
        cells.append(" ".join(str(quote.turn_number) for quote in row.quotes))
        cells.append(QUOTE_SEPARATOR.join(quote.text for quote in row.quotes))
        writer.writerow([safe_cell(cell) for cell in cells])
    return out.getvalue()


def _cell(column: str, value: object, labels: CsvLabels) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(value).replace(".", labels.decimal_mark)
    text = str(value)
    return labels.words.get(column, {}).get(text, text)
