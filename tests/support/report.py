"""The report's inputs from a scripted set of interviews."""

from __future__ import annotations

from pathlib import Path

from assistant.report import (
    ReportInputs,
    load_source_catalogue,
)
from tests.report_scripts import Scripted

ROOT = Path(__file__).resolve().parents[2]


def inputs_for(script: Scripted) -> ReportInputs:
    return ReportInputs(
        interviews=script.interviews,
        findings=script.findings,
        profiles=script.profiles,
        known_names=script.known_names,
        sources=load_source_catalogue(ROOT / "knowledge" / "sources", "fr"),
    )
