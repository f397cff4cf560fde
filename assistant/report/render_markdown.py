"""The report as Markdown (a pure function of the report)."""

from __future__ import annotations

from collections.abc import Callable

from assistant.report import texts
from assistant.report.records import HeatCell, Narrative, NarrativeState, Report
from assistant.report.render_groups import markdown_groups
from assistant.report.summary import summary_lines, threshold_hints
from assistant.report.texts import text_for


def render_markdown(report: Report) -> str:
    def t(key: str, **values: object) -> str:
        return text_for(report.language, key, **values)

    def count(value: int | None) -> str:
        return t("hidden") if value is None else str(value)

    def label(text: str) -> str:
        return t("unknown") if text == "unknown" else _cell(text)

    def draft(flag: bool) -> str:
        return f" *({t('draft')})*" if flag else ""

    date = report.generated_at.date().isoformat()
    out = [f"# {report.title}", "", t("generated", date=date, codebook=report.codebook), ""]
    out += [f"## {t('summary')}", "", *(f"- {line}" for line in summary_lines(report)), ""]
    out += [f"## {t('about')}", ""]
    out += [t("anonymity", n=report.min_people, q=report.min_people_for_quotes), ""]
    out += [t("hidden_legend", n=report.min_people), ""]
    w = report.withheld
    others = w.counterparts + w.gaps + w.automation_rows + w.groups
    withheld = texts.withheld(
        report.language,
        cells=w.cells,
        themes=w.themes,
        quotes=w.quotes,
        doubtful=w.quotes_doubtful,
        others=others,
    )
    out += [withheld, ""]
    if not report.quotes_allowed:
        out += [t("quotes_not_allowed", q=report.min_people_for_quotes), ""]
    if report.include_proposed:
        out += [f"> {t('drafts_included')}", ""]
    if report.narratives.state == NarrativeState.UNAVAILABLE:
        out += [f"> {t('narratives_unavailable', detail=report.narratives.detail)}", ""]
    elif report.narratives.state == NarrativeState.NOT_REQUESTED:
        out += [f"> {t('narratives_not_requested')}", ""]
    hints = threshold_hints(report)
    if hints:
        out += [f"### {t('hints')}", "", t("hints_intro", n=report.min_people), ""]
        out += [*(f"- {hint}" for hint in hints), ""]
    dropped = {d.theme: d.reason.value for d in report.narratives.dropped_sections}

    c = report.coverage
    out += [f"## {t('coverage')}", "", "| | |", "|---|---:|"]
    out += [
        f"| {t('interviews')} | {count(c.interviews)} |",
        f"| {t('people_interviewed')} | {count(c.people)} |",
        f"| {t('people_with_findings')} | {count(c.people_with_findings)} |",
    ]
    out += [f"| {t('findings')} | {count(c.findings)} |", ""]
    for key, groups in (("roles", c.roles), ("sites", c.sites)):
        if groups:
            out += [f"### {t(key)}", "", f"| {t(key)} | {t('people')} |", "|---|---:|"]
            for group in groups:
                name = label(group.label)
                out.append(f"| {name} | {count(group.people)} |")
            out.append("")

    heat = report.heatmap
    if heat.cells:
        out += [f"## {t('heatmap')}", "", t("heatmap_caption"), ""]
        out.append(
            f"| {t('stage')} | "
            + " | ".join(_cell(c.label) for c in heat.codes)
            + f" | {t('total')} |"
        )
        out.append("|---|" + "---:|" * (len(heat.codes) + 1))
        for stage in heat.stages:
            cells = [_heat(count, heat.cell(stage.id, code.id)) for code in heat.codes]
            total = count(heat.stage_totals.get(stage.id))
            out.append(f"| {_cell(stage.label)} | " + " | ".join(cells) + f" | {total} |")
        totals = [count(heat.code_totals.get(code.id)) for code in heat.codes]
        out += [
            f"| {t('total')} | " + " | ".join(totals) + f" | {count(c.people_with_findings)} |",
            "",
        ]

    out += [f"## {t('themes')}", ""]
    if not report.themes:
        out += [t("no_theme"), ""]
    for theme in report.themes:
        out += [f"### {theme.label}{draft(theme.drafts)}", ""]
        counts = texts.theme_counts(
            report.language,
            people=theme.people,
            episodes=theme.episodes,
            interviews=theme.interviews,
        )
        out += [counts, ""]
        if theme.synthesis is not None:
            out += [*_narrative(t, report.language, theme.synthesis), ""]
        elif theme.code in dropped:
            out += [f"> {t('narrative_dropped_' + dropped[theme.code])}", ""]
        for quote in theme.quotes:
            out += [f"> « {quote.text} »{draft(quote.draft)}", ""]

    if report.counterparts:
        out += [
            f"## {t('counterparts')}",
            "",
            f"| {t('counterpart')} | {t('people')} | {t('findings')} |",
        ]
        out.append("|---|---:|---:|")
        for counterpart in report.counterparts:
            name = label(counterpart.label) + draft(counterpart.drafts)
            out.append(f"| {name} | {counterpart.people} | {counterpart.findings} |")
        out.append("")

    if report.gaps:
        out += [f"## {t('gaps')}", ""]
        for gap in report.gaps:
            where = t("gap_without_passage") if gap.source is None else gap.source
            if gap.source is not None and gap.section:
                where += f" § {gap.section}"
            if gap.page is not None:
                where += f", {t('page')} {gap.page}"
            out += [f"### {t('passage')} : {where}{draft(gap.drafts)}", ""]
            out += [f"{t('people')} : {gap.people}", ""]
            out += [f"- {d}" for d in gap.descriptions]
            out.append("")
        if not report.quotes_allowed:
            out += [t("gap_descriptions_later", q=report.min_people_for_quotes), ""]

    if report.automation:
        keys = ("automatable", "augmented", "human_essential", "unknown")
        out += [f"## {t('automation')}", ""]
        out.append(f"| {t('activity')} | {t('people')} | " + " | ".join(t(k) for k in keys) + " |")
        out.append("|---|---:|" + "---:|" * len(keys))
        for automation in report.automation:
            exposure = " | ".join(count(automation.exposure.get(k)) for k in keys)
            name = label(automation.activity) + draft(automation.drafts)
            out.append(f"| {name} | {automation.people} | {exposure} |")
        out.append("")
        for automation in report.automation:
            if automation.reasons or automation.paraphrases:
                out += [f"**{label(automation.activity)}** — {t('reasons')} :", ""]
                out += [f"- « {r} »" for r in automation.reasons]
                out += [f"- {r} ({t('paraphrase')})" for r in automation.paraphrases]
                out.append("")
        out += [t("reasons_note"), ""]
    out += markdown_groups(report, count, label)

    if None in dropped and not report.recommendations:
        out += [
            f"## {t('recommendations')}",
            "",
            f"> {t('recommendations_dropped_' + dropped[None])}",
        ]
    if report.recommendations:
        out += [f"## {t('recommendations')}", ""]
        for number, narrative in enumerate(report.recommendations, start=1):
            first, *rest = _narrative(t, report.language, narrative)
            out += [f"{number}. {first}", *(f"   {line}" for line in rest), ""]
    return "\n".join(out).rstrip() + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _heat(count: Callable[[int | None], str], cell: HeatCell | None) -> str:
    if cell is None:
        return "0"
    if cell.people is None:
        return count(None)
    return f"{cell.people} ({cell.episodes}){'*' if cell.drafts else ''}"


def _narrative(t: Callable[..., str], language: str, narrative: Narrative) -> list[str]:
    provenance = t("drafted_by", model=narrative.drafted_by_model, prompt=narrative.prompt)
    if narrative.drafts:
        provenance += f" ({t('includes_drafts')})"
    if narrative.edited:
        provenance += ", " + t("edited_by", editor=narrative.edited_by or "?")
    support = texts.counted_for(language, "supported_by", len(narrative.finding_ids))
    lines = [narrative.text, f"*{provenance} · {support}*"]
    if narrative.sources:
        cited = "; ".join(f"{s.file} § {s.section}" for s in narrative.sources)
        lines.append(f"*{t('cites')} : {cited}*")
    return lines
