"""What the report's HTML renderers share: the stylesheet, table and chart helpers, and the
report's texts, escaped."""

from __future__ import annotations

from html import escape

from assistant.report.records import Report
from assistant.report.texts import text_for

# Blues from light to dark; text switches to white on the two darkest (contrast ≥ 4.5:1).
SCALE = ("#eef4fb", "#cfe0f3", "#9fc2e7", "#5b95d1", "#2a6bb0", "#174a80")
DARK_FROM = 4
HIDDEN_FILL = "#e4e4e4"
STYLE = """
:root { color-scheme: light; }
.terrain-report { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif;
  color: #1a1a1a; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; line-height: 1.45;
  overflow-wrap: break-word; }
.terrain-report h1 { font-size: 1.7rem; margin-bottom: .3rem; }
.terrain-report h2 { font-size: 1.3rem; border-bottom: 2px solid #174a80;
  padding-bottom: .2rem; margin-top: 2rem; }
.terrain-report h3 { font-size: 1.08rem; margin-bottom: .3rem; }
.terrain-report h1, .terrain-report h2, .terrain-report h3 { break-after: avoid;
  page-break-after: avoid; }
.terrain-report .meta, .terrain-report .note { color: #444; font-size: .92rem; }
.terrain-report .notice { background: #fff4d6; border-left: 4px solid #8a6100;
  padding: .5rem .8rem; }
.terrain-report .summary { background: #f5f8fc; border-left: 4px solid #174a80;
  padding: .4rem .9rem .4rem 1.6rem; }
.terrain-report .summary li { margin: .25rem 0; }
.terrain-report .draft { background: #fde2cf; color: #6b2e00; border-radius: 3px;
  padding: 0 .3rem; font-size: .8rem; font-weight: bold; white-space: nowrap; }
/* A table scrolls inside its own box, never the page. */
.terrain-report .table-box { overflow-x: auto; max-width: 100%; margin: .6rem 0; }
.terrain-report table { border-collapse: collapse; font-size: .9rem; width: auto; }
.terrain-report th, .terrain-report td { border: 1px solid #b5b5b5; padding: .25rem .45rem;
  text-align: left; vertical-align: top; }
/* Headers wrap between words only: no break inside a word, no hyphen added (and whatever
   the page around says, when the report is set inside leadership's page). */
.terrain-report th { background: #f0f0f0; hyphens: manual; overflow-wrap: normal;
  word-break: normal; white-space: normal; position: static; font-weight: bold; }
.terrain-report td.num { text-align: right; white-space: nowrap; }
.terrain-report td.zero { color: #595959; }
.terrain-report table.heat { font-size: .8rem; }
.terrain-report table.heat thead th { min-width: 5.5em; }
.terrain-report table.auto td.reasons { min-width: 14rem; }
.terrain-report caption { caption-side: top; text-align: left; color: #444;
  padding-bottom: .3rem; }
.terrain-report blockquote { margin: .4rem 0 .4rem 1rem; padding-left: .7rem;
  border-left: 3px solid #9fc2e7; font-style: italic; }
.terrain-report .narrative { background: #f5f8fc; padding: .5rem .8rem; border-radius: 4px; }
.terrain-report .provenance { color: #444; font-size: .82rem; }
.terrain-report .paraphrase { color: #444; }
.terrain-report svg { max-width: 100%; height: auto; }
@media (max-width: 40rem) {
  .terrain-report { margin: 1rem auto; padding: 0 .6rem; }
  .terrain-report h1 { font-size: 1.35rem; }
  .terrain-report table { font-size: .82rem; }
  /* Too small to read on a phone: the table below it holds the same figures. */
  .terrain-report svg.heat-chart { display: none; }
}
@page { size: A4; margin: 16mm 14mm; }
@page wide { size: A4 landscape; margin: 12mm 12mm; }
@media print {
  .terrain-report { margin: 0; max-width: none; padding: 0; font-size: 9.5pt; }
  .terrain-report .table-box { overflow: visible; }
  .terrain-report table { width: 100%; font-size: 8.5pt; }
  .terrain-report tr, .terrain-report blockquote, .terrain-report svg,
  .terrain-report .narrative, .terrain-report li { break-inside: avoid; }
  .terrain-report .notice { border: 1px solid #8a6100; }
  .terrain-report a { color: inherit; text-decoration: none; }
  /* The two maps, wide by nature, print together on landscape pages, after the rest. */
  .terrain-report section.wide { page: wide; }
  .terrain-report table.heat { font-size: 7.5pt; }
  .terrain-report table.heat thead th { min-width: 0; }
  .terrain-report table.auto td.reasons { width: 38%; min-width: 0; }
}
"""


def para(css_class: str, content: str) -> str:
    return f'<p class="{css_class}">{content}</p>'


def thead(*labels: str) -> str:
    cells = "".join(f'<th scope="col">{label}</th>' for label in labels)
    return f"<thead><tr>{cells}</tr></thead>"


def num_row(header: str, *cells: str) -> str:
    values = "".join(f'<td class="num">{cell}</td>' for cell in cells)
    return f'<tr><th scope="row">{header}</th>{values}</tr>'


def svg_text(
    x: float, y: float, content: str, *, anchor: str = "start", fill: str = "#1a1a1a", **extra: str
) -> str:
    attributes = "".join(f' {name}="{escape(value)}"' for name, value in extra.items())
    return (
        f'<text x="{x:g}" y="{y:g}" text-anchor="{anchor}" fill="{fill}"{attributes}>'
        f"{escape(content)}</text>"
    )


def shown_count(report: Report, value: int | None) -> str:
    if value is None:
        return text_for(report.language, "hidden")
    return str(value)


def table_box(label: str, table: str) -> str:
    """A table in a box that scrolls sideways by itself on a narrow screen."""
    return f'<div class="table-box" role="region" tabindex="0" aria-label="{label}">{table}</div>'


class Texts:
    def __init__(self, report: Report) -> None:
        self.language = report.language

    def __call__(self, key: str, **values: object) -> str:
        return escape(text_for(self.language, key, **values))


def draft_mark(t: Texts, draft: bool) -> str:
    return f' <span class="draft">{t("draft")}</span>' if draft else ""


def label_of(report: Report, label: str) -> str:
    return text_for(report.language, "unknown") if label == "unknown" else label
