"""The report as one self-contained HTML file: no script, no external font or stylesheet,
charts as inline SVG with a text alternative, and a print stylesheet (the PDF is printed from
this same HTML)."""

from __future__ import annotations

import re
from html import escape

from assistant.report import texts
from assistant.report.records import (
    HeatCell,
    Narrative,
    NarrativeState,
    Report,
    ShownQuote,
    Theme,
)
from assistant.report.render_groups import render_groups
from assistant.report.render_parts import (
    DARK_FROM,
    HIDDEN_FILL,
    SCALE,
    STYLE,
    Texts,
    draft_mark,
    label_of,
    num_row,
    para,
    shown_count,
    svg_text,
    table_box,
    thead,
)
from assistant.report.summary import narratives_kept, summary_lines, threshold_hints


def render_html(report: Report) -> str:
    """The whole report as an HTML document (a pure function of ``report``)."""
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{escape(report.language)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(report.title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        + _content(report)
        + "\n</body>\n</html>\n"
    )


def render_fragment(report: Report) -> str:
    """The report to set inside another page (leadership's): its style, scoped to it, and
    its content, with no document around them."""
    return f"<style>{STYLE}</style>\n" + _content(report, heading_level=2)


def _content(report: Report, heading_level: int = 1) -> str:
    """The summary first, then the narratives a model wrote, then the detail; the two wide
    maps last, so that a printed report turns to landscape once, for them only."""
    t = Texts(report)
    body = [
        f"<h1>{escape(report.title)}</h1>",
        para("meta", t("generated", date=report.generated_at.date(), codebook=report.codebook)),
        _summary(report, t),
        _narratives(report, t),
        _about(report, t),
        _coverage(report, t),
        _themes(report, t),
        _counterparts(report, t),
        _gaps(report, t),
        _heatmap(report, t),
        _automation(report, t),
        render_groups(report),
    ]
    html = "\n".join(part for part in body if part)
    if heading_level != 1:
        html = _shift_headings(html, heading_level - 1)
    return f'<div class="terrain-report">\n{html}\n</div>'


def _shift_headings(html: str, by: int) -> str:
    def shifted(match: re.Match[str]) -> str:
        level = min(int(match.group(2)) + by, 6)
        return f"<{match.group(1)}h{level}"

    return re.sub(r"<(/?)h([1-6])", shifted, html)


def _summary(report: Report, t: Texts) -> str:
    items = "".join(f"<li>{escape(line)}</li>" for line in summary_lines(report))
    return f"<section><h2>{t('summary')}</h2><ul class='summary'>{items}</ul></section>"


def _narratives(report: Report, t: Texts) -> str:
    """The syntheses and recommendations a model wrote, or why a section has none."""
    status = report.narratives
    if status.state != NarrativeState.WRITTEN:
        return ""
    dropped = {d.theme: d.reason for d in status.dropped_sections}
    html = [f"<section><h2>{t('narratives')}</h2>", para("note", t("narratives_intro"))]
    if not narratives_kept(report):
        html.append(f'<p class="notice">{t("narratives_none_kept", calls=status.model_calls)}</p>')
    for theme in report.themes:
        if theme.synthesis is not None:
            html.append(f"<h3>{escape(theme.label)}</h3>{_narrative(t, theme.synthesis)}")
        elif theme.code in dropped:
            html.append(
                f"<h3>{escape(theme.label)}</h3>"
                + para("notice", t(f"narrative_dropped_{dropped[theme.code].value}"))
            )
    if report.recommendations or None in dropped:
        html.append(f"<h3>{t('recommendations')}</h3>")
        if report.recommendations:
            items = "".join(f"<li>{_narrative(t, n)}</li>" for n in report.recommendations)
            html.append(f"<ol>{items}</ol>")
        else:
            reason = dropped[None].value
            html.append(para("notice", t(f"recommendations_dropped_{reason}")))
    html.append("</section>")
    return "".join(html)


def _about(report: Report, t: Texts) -> str:
    html = [f"<section><h2>{t('about')}</h2>", *_notices(report, t)]
    hints = threshold_hints(report)
    if hints:
        html.append(f"<h3>{t('hints')}</h3>" + para("note", t("hints_intro", n=report.min_people)))
        html.append("<ul>" + "".join(f"<li>{escape(h)}</li>" for h in hints) + "</ul>")
    html.append("</section>")
    return "".join(html)


def _notices(report: Report, t: Texts) -> list[str]:
    notes = [
        para("note", t("anonymity", n=report.min_people, q=report.min_people_for_quotes)),
        para("note", t("hidden_legend", n=report.min_people)),
    ]
    w = report.withheld
    others = w.counterparts + w.gaps + w.automation_rows + w.groups
    notes.append(
        para(
            "note",
            texts.withheld(
                report.language,
                cells=w.cells,
                themes=w.themes,
                quotes=w.quotes,
                doubtful=w.quotes_doubtful,
                others=others,
            ),
        )
    )
    if not report.quotes_allowed:
        notes.append(
            f'<p class="note">{t("quotes_not_allowed", q=report.min_people_for_quotes)}</p>'
        )
    if report.include_proposed:
        notes.append(f'<p class="notice">{t("drafts_included")}</p>')
    state = report.narratives.state
    if state == NarrativeState.UNAVAILABLE:
        notes.append(
            f'<p class="notice">{t("narratives_unavailable", detail=report.narratives.detail)}</p>'
        )
    elif state == NarrativeState.NOT_REQUESTED:
        notes.append(f'<p class="notice">{t("narratives_not_requested")}</p>')
    return notes


def _coverage(report: Report, t: Texts) -> str:
    c = report.coverage
    rows = [
        (t("interviews"), shown_count(report, c.interviews)),
        (t("people_interviewed"), shown_count(report, c.people)),
        (t("people_with_findings"), shown_count(report, c.people_with_findings)),
        (t("findings"), shown_count(report, c.findings)),
    ]
    if c.people is not None:
        rows.append(
            (t("languages"), ", ".join(f"{k}: {v}" for k, v in sorted(c.languages.items())))
        )
    cells = "".join(
        f'<tr><th scope="row">{k}</th><td class="num">{escape(v)}</td></tr>' for k, v in rows
    )
    html = [
        f"<section><h2>{t('coverage')}</h2>"
        + table_box(t("coverage"), f"<table><tbody>{cells}</tbody></table>")
    ]
    for key, groups in (("roles", c.roles), ("sites", c.sites)):
        if not groups:
            continue
        body = "".join(
            num_row(escape(label_of(report, g.label)), escape(shown_count(report, g.people)))
            for g in groups
        )
        html.append(
            f"<h3>{t(key)}</h3>"
            + table_box(t(key), f"<table>{thead(t(key), t('people'))}<tbody>{body}</tbody></table>")
        )
    html.append("</section>")
    return "".join(html)


def _heatmap(report: Report, t: Texts) -> str:
    heat = report.heatmap
    if not heat.cells:
        return ""
    peak = max((c.people or 0 for c in heat.cells), default=1) or 1
    cell_w, cell_h, left, top = 62, 30, 190, 120
    width = left + cell_w * len(heat.codes) + 70
    height = top + cell_h * len(heat.stages) + 10
    svg = [
        f'<svg class="heat-chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-labelledby="heat-title" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" font-size="11" '
        f'font-family="DejaVu Sans, Arial, sans-serif">',
        f'<title id="heat-title">{t("chart_heatmap")}</title>',
    ]
    for j, code in enumerate(heat.codes):
        x = left + j * cell_w + cell_w / 2
        svg.append(svg_text(x, top - 6, code.label[:28], transform=f"rotate(-40 {x} {top - 6})"))
    for i, stage in enumerate(heat.stages):
        y = top + i * cell_h
        svg.append(svg_text(left - 6, y + cell_h / 2 + 4, stage.label[:30], anchor="end"))
        for j, code in enumerate(heat.codes):
            x = left + j * cell_w
            cell = heat.cell(stage.id, code.id)
            fill, label, ink = _cell_look(cell, peak)
            svg.append(
                f'<rect x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" '
                f'fill="{fill}" stroke="#c8c8c8"/>'
            )
            if label:
                svg.append(
                    svg_text(
                        x + cell_w / 2 - 1, y + cell_h / 2 + 4, label, anchor="middle", fill=ink
                    )
                )
        total = heat.stage_totals.get(stage.id)
        svg.append(
            svg_text(left + cell_w * len(heat.codes) + 8, y + cell_h / 2 + 4, _short(report, total))
        )
    svg.append("</svg>")
    table = [
        f'<table class="heat"><caption>{t("heatmap_caption")}</caption>'
        f'<thead><tr><th scope="col">{t("stage")}</th>'
    ]
    table += [f'<th scope="col">{escape(c.label)}</th>' for c in heat.codes]
    table.append(f'<th scope="col">{t("total")}</th></tr></thead><tbody>')
    for stage in heat.stages:
        table.append(f'<tr><th scope="row">{escape(stage.label)}</th>')
        for code in heat.codes:
            cell = heat.cell(stage.id, code.id)
            kind = "num" if cell else "num zero"
            table.append(f'<td class="{kind}">{_cell_text(report, t, cell)}</td>')
        stage_total = shown_count(report, heat.stage_totals.get(stage.id))
        table.append(f'<td class="num">{escape(stage_total)}</td></tr>')
    table.append(f'<tr><th scope="row">{t("total")}</th>')
    for code in heat.codes:
        table.append(
            f'<td class="num">{escape(shown_count(report, heat.code_totals.get(code.id)))}</td>'
        )
    table.append(
        f'<td class="num">{escape(shown_count(report, report.coverage.people_with_findings))}</td>'
        "</tr></tbody></table>"
    )
    return (
        f"<section class='heat wide'><h2>{t('heatmap')}</h2>{''.join(svg)}"
        f"{table_box(t('heatmap'), ''.join(table))}</section>"
    )


def _short(report: Report, value: int | None) -> str:
    return "–" if value is None else str(value)  # as a hidden cell: see "hidden_legend"


def _cell_look(cell: HeatCell | None, peak: int) -> tuple[str, str, str]:
    if cell is None:
        return "#ffffff", "", "#1a1a1a"
    if cell.people is None:
        return HIDDEN_FILL, "–", "#1a1a1a"
    level = min(len(SCALE) - 1, round(cell.people / peak * (len(SCALE) - 1)))
    ink = "#ffffff" if level >= DARK_FROM else "#1a1a1a"
    return SCALE[level], f"{cell.people}{'*' if cell.drafts else ''}", ink


def _cell_text(report: Report, t: Texts, cell: HeatCell | None) -> str:
    if cell is None:
        return "0"
    if cell.people is None:
        return escape(shown_count(report, None))
    mark = f' <span class="draft">{t("draft")}</span>' if cell.drafts else ""
    return f"{cell.people}&nbsp;({cell.episodes}){mark}"


def _themes(report: Report, t: Texts) -> str:
    html = [f"<section><h2>{t('themes')}</h2>"]
    if not report.themes:
        html.append(f"<p>{t('no_theme')}</p></section>")
        return "".join(html)
    html.append(_strength_chart(report, t))
    for theme in report.themes:
        html.append(_theme(report, t, theme))
    html.append("</section>")
    return "".join(html)


def _strength_chart(report: Report, t: Texts) -> str:
    peak = max(theme.people for theme in report.themes)
    bar_h, left, width = 24, 230, 640
    height = bar_h * len(report.themes) + 10
    svg = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="strength-title" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" font-size="12" '
        f'font-family="DejaVu Sans, Arial, sans-serif">',
        f'<title id="strength-title">{t("chart_strength")}: '
        + escape(", ".join(f"{th.label} {th.people}" for th in report.themes))
        + "</title>",
    ]
    for i, theme in enumerate(report.themes):
        y = i * bar_h + 4
        length = (width - left - 60) * theme.people / peak
        svg.append(
            f'<text x="{left - 8}" y="{y + 15}" text-anchor="end">{escape(theme.label[:34])}</text>'
        )
        svg.append(
            f'<rect x="{left}" y="{y}" width="{length:.1f}" height="{bar_h - 6}" fill="#2a6bb0"/>'
        )
        svg.append(f'<text x="{left + length + 6:.1f}" y="{y + 15}">{theme.people}</text>')
    svg.append("</svg>")
    return f"<h3>{t('strength')}</h3>" + "".join(svg)


def _theme(report: Report, t: Texts, theme: Theme) -> str:
    html = [
        f"<h3>{escape(theme.label)}{draft_mark(t, theme.drafts)}</h3>",
        para(
            "meta",
            texts.theme_counts(
                report.language,
                people=theme.people,
                episodes=theme.episodes,
                interviews=theme.interviews,
            ),
        ),
    ]
    if theme.quotes:
        html.append("".join(_quote(t, q) for q in theme.quotes))
    return "".join(html)


def _quote(t: Texts, quote: ShownQuote) -> str:
    return f"<blockquote>« {escape(quote.text)} »{draft_mark(t, quote.draft)}</blockquote>"


def _narrative(t: Texts, narrative: Narrative) -> str:
    provenance = t("drafted_by", model=narrative.drafted_by_model, prompt=narrative.prompt)
    provenance += draft_mark(t, narrative.drafts)
    if narrative.edited:
        provenance += ", " + t("edited_by", editor=narrative.edited_by or "?")
    sources = ""
    if narrative.sources:
        cited = "; ".join(f"{s.file} § {s.section}" for s in narrative.sources)
        sources = f" · {t('cites')}: {escape(cited)}"
    support = escape(texts.counted_for(t.language, "supported_by", len(narrative.finding_ids)))
    return (
        f'<div class="narrative"><p>{escape(narrative.text)}</p>'
        + para(
            "provenance",
            f"{provenance} · {support}{sources}",
        )
        + "</div>"
    )


def _counterparts(report: Report, t: Texts) -> str:
    if not report.counterparts:
        return ""
    rows = "".join(
        num_row(
            escape(label_of(report, r.label)) + draft_mark(t, r.drafts),
            str(r.people),
            str(r.findings),
        )
        for r in report.counterparts
    )
    table = (
        f"<table>{thead(t('counterpart'), t('people'), t('findings'))}<tbody>{rows}</tbody></table>"
    )
    return f"<section><h2>{t('counterparts')}</h2>{table_box(t('counterparts'), table)}</section>"


def _gaps(report: Report, t: Texts) -> str:
    """One row per passage of the company's documents, with the people who describe a gap
    from it; the gaps that cite no passage are a row of their own, named as such."""
    if not report.gaps:
        return ""
    rows = []
    for gap in report.gaps:
        if gap.source is None:
            where = t("gap_without_passage")
        else:
            page = f", {t('page')} {gap.page}" if gap.page is not None else ""
            section = f" § {escape(gap.section)}" if gap.section else ""
            where = f"{escape(gap.source)}{section}{page}"
        said = "".join(f"<li>{escape(d)}</li>" for d in gap.descriptions)
        rows.append(
            f'<tr><th scope="row">{where}{draft_mark(t, gap.drafts)}</th>'
            f'<td class="num">{gap.people}</td>'
            f"<td>{f'<ul>{said}</ul>' if said else ''}</td></tr>"
        )
    head = thead(t("passage"), t("people"), t("descriptions"))
    html = [
        f"<section><h2>{t('gaps')}</h2>",
        table_box(t("gaps"), f"<table>{head}<tbody>{''.join(rows)}</tbody></table>"),
    ]
    if not report.quotes_allowed:
        html.append(para("note", t("gap_descriptions_later", q=report.min_people_for_quotes)))
    html.append("</section>")
    return "".join(html)


def _automation(report: Report, t: Texts) -> str:
    """Employees' own words in quotation marks; a reworded reason without, marked as such."""
    if not report.automation:
        return ""
    keys = ("automatable", "augmented", "human_essential", "unknown")
    head = thead(t("activity"), t("people"), *(t(k) for k in keys), t("reasons"))
    rows = []
    for row in report.automation:
        cells = "".join(
            f'<td class="num">{escape(shown_count(report, row.exposure.get(k)))}</td>' for k in keys
        )
        said = [f"« {escape(r)} »" for r in row.reasons]
        said += [
            f'<span class="paraphrase">{escape(r)} ({t("paraphrase")})</span>'
            for r in row.paraphrases
        ]
        rows.append(
            f'<tr><th scope="row">{escape(label_of(report, row.activity))}'
            f"{draft_mark(t, row.drafts)}</th>"
            f'<td class="num">{row.people}</td>{cells}'
            f'<td class="reasons">{"<br>".join(said)}</td></tr>'
        )
    table = f'<table class="auto">{head}<tbody>{"".join(rows)}</tbody></table>'
    return (
        f"<section class='wide'><h2>{t('automation')}</h2>"
        f"{table_box(t('automation'), table)}{para('note', t('reasons_note'))}</section>"
    )
