"""Leadership's machine-readable and printable exports: JSON (with its JSON Schema) and PDF."""

from __future__ import annotations

from typing import Any

from assistant.errors import TerrainError
from assistant.report.records import Report
from assistant.report.render_html import render_html


class PdfUnavailableError(TerrainError):
    """WeasyPrint (or the Pango library it needs) cannot be loaded."""


def report_json(report: Report) -> str:
    return report.model_dump_json(indent=2)


def report_json_schema() -> dict[str, Any]:
    """The published JSON Schema of :func:`report_json`'s output."""
    return Report.model_json_schema()


def _refuse_fetch(url: str, *args: object, **kwargs: object) -> dict[str, Any]:
    # The report is self-contained: anything it would fetch is a mistake, never a download.
    raise ValueError(f"the report may not load {url}")


def render_pdf(report: Report) -> bytes:
    """The HTML report printed to PDF by WeasyPrint (its print stylesheet applies)."""
    try:
        from weasyprint import HTML  # type: ignore[import-untyped]
    except (ImportError, OSError) as error:
        raise PdfUnavailableError(
            f"Cannot load WeasyPrint to write the PDF: {error}.",
            fix="install Pango (Debian: apt-get install libpango-1.0-0 libpangoft2-1.0-0)",
        ) from None
    document = HTML(string=render_html(report), url_fetcher=_refuse_fetch)
    pdf: bytes = document.write_pdf()
    return pdf
