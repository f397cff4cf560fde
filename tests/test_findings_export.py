"""The findings' export for facilitators: pseudonyms only, a JSON that its schema reads back,
and CSV cells a spreadsheet shows but never runs."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from assistant.findings.export import EXPORT, as_csv, as_json, exported, safe_cell
from assistant.schemas import Finding, Interview, Provenance, Quote


def _interview(interview_id: str, pseudonym: str) -> Interview:
    now = datetime.now(UTC)
    return Interview(
        id=interview_id,
        pseudonym=pseudonym,
        owner_key="owner-key-of-someone",
        language="fr",
        created_at=now,
        updated_at=now,
    )


def _finding(interview_id: str, activity: str | None) -> Finding:
    now = datetime.now(UTC)
    return Finding(
        id=f"f-{interview_id}",
        interview_id=interview_id,
        code="care",
        activity=activity,
        value_chain_stage="follow_up",
        evidence=[Quote(text="-10 % de temps", turn_index=1, start=0, end=14)],
        provenance=Provenance(created_at=now),
        updated_at=now,
    )


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("+33 6", "'+33 6"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("veille de nuit", "veille de nuit"),
        ("", ""),
    ],
)
def test_a_cell_that_would_be_a_formula_is_prefixed(cell: str, shown: str) -> None:
    assert safe_cell(cell) == shown


def test_the_export_keeps_pseudonyms_and_drops_findings_of_unknown_interviews() -> None:
    interviews = [_interview("i1", "Participant-AAAA")]
    findings = [_finding("i1", '=HYPERLINK("x")'), _finding("gone", None)]
    rows = exported(interviews, findings)
    assert [row.pseudonym for row in rows] == ["Participant-AAAA"]
    assert rows[0].quotes[0].turn_number == 2
    assert EXPORT.validate_json(as_json(rows)) == rows
    table = list(csv.reader(io.StringIO(as_csv(rows))))
    assert table[1][:6] == [
        "Participant-AAAA",
        "fr",
        "f-i1",
        "care",
        "follow_up",
        '\'=HYPERLINK("x")',
    ]
    assert table[1][-2:] == ["2", "'-10 % de temps"]
    for text in (as_csv(rows), as_json(rows).decode()):
        assert "owner-key-of-someone" not in text
        assert '"i1"' not in text
