"""The leadership report: deterministic sections, model-drafted narratives, redaction,
anonymity rules and the renderers (HTML, PDF, Markdown, JSON) — plus the facilitators'
REFI-QDA export, which holds transcripts and is kept apart.

Importing this package loads no spaCy pipeline: the redactor loads it on first use.
"""

from assistant.personal_data.redaction import Redactor, default_redactor
from assistant.report.build import (
    build_report,
    build_sections_report,
    edit_narrative,
    load_source_catalogue,
)
from assistant.report.exports import render_pdf, report_json, report_json_schema
from assistant.report.qdpx import build_qdpx, validate_project
from assistant.report.records import InterviewProfile, Report, ReportInputs, ReportOptions
from assistant.report.render_html import render_html
from assistant.report.render_markdown import render_markdown

__all__ = [
    "InterviewProfile",
    "Redactor",
    "Report",
    "ReportInputs",
    "ReportOptions",
    "build_qdpx",
    "build_report",
    "build_sections_report",
    "default_redactor",
    "edit_narrative",
    "load_source_catalogue",
    "render_html",
    "render_markdown",
    "render_pdf",
    "report_json",
    "report_json_schema",
    "validate_project",
]
