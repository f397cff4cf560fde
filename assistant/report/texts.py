"""The report's wording, from the catalogs of :mod:`assistant.i18n` (the report's language is a
parameter): :func:`text_for` gives a message by its key, :func:`counted_for` one that names a
count, in the form the count takes in that language."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from assistant.i18n import translation


@cache
def _texts(language: str) -> dict[str, str]:
    catalog = translation(language)
    _ = catalog.gettext
    return {
        "title": _("Relational goods in real work: summary report"),
        "generated": _("Produced on {date} with codebook {codebook}."),
        "drafts_included": _(
            "This report includes findings a facilitator has not reviewed yet: they "
            "are marked “draft” wherever they count."
        ),
        "draft": _("draft"),
        "includes_drafts": _("includes drafts"),
        "hidden": _("hidden"),
        "hidden_legend": _(
            "“hidden” (– on the map): a hidden cell holds fewer than {n} people, or is"
            " hidden so that such a cell cannot be deduced."
        ),
        "anonymity": _(
            "Anonymity rules: a number is shown only when it covers at least {n} "
            "distinct people; quotes appear only when the report covers at least {q} "
            "people and their theme is shown. Some cells are hidden as well, so that "
            "no hidden value can be worked out from the totals."
        ),
        "quotes_not_allowed": _("The report covers fewer than {q} people: no quote is shown."),
        "coverage": _("Coverage"),
        "interviews": _("Interviews"),
        "people": _("People"),
        "findings": _("Findings"),
        "languages": _("Languages"),
        "roles": _("Roles"),
        "sites": _("Sites"),
        "unknown": _("not given"),
        "heatmap": _("Map of relational goods: value-chain stage × code"),
        "heatmap_caption": _(
            "Distinct people per cell (episodes in brackets). Totals count distinct "
            "people: someone present in several cells is counted once."
        ),
        "stage": _("Stage"),
        "total": _("Total (people)"),
        "themes": _("Themes"),
        "strength": _("Strength of the themes (distinct people)"),
        "synthesis": _("Synthesis"),
        "quotes": _("Quotes"),
        "counterparts": _("Counterparts"),
        "counterpart": _("Counterpart"),
        "gaps": _("Gaps between prescribed and real work"),
        "passage": _("Passage concerned"),
        "no_passage": _("no passage cited"),
        "page": _("page"),
        "automation": _("Automation map"),
        "activity": _("Activity"),
        "automatable": _("automatable"),
        "augmented": _("augmented"),
        "human_essential": _("human-essential"),
        "reasons": _("Reasons the employees gave"),
        "recommendations": _("Recommendations"),
        "narratives_unavailable": _(
            "No model could be reached: this report is complete except for the written"
            " syntheses and recommendations. ({detail})"
        ),
        "narratives_not_requested": _(
            "Report produced without a model: it is complete except for the written "
            "syntheses and recommendations."
        ),
        "drafted_by": _("Drafted by model {model} (prompt {prompt})"),
        "edited_by": _("edited by {editor}"),
        "cites": _("Sources"),
        "no_theme": _("No theme covers enough people to be shown."),
        "chart_heatmap": _("Heatmap: people per stage and code"),
        "chart_strength": _("Bar chart: people per theme"),
        "summary": _("In short"),
        "summary_base": _(
            "Based on {people} people interviewed, {with_findings} of whom have at "
            "least one finding kept."
        ),
        "summary_base_hidden_findings": _(
            "Based on {people} people interviewed; fewer than {n} of them have a finding kept."
        ),
        "summary_base_hidden": _("Based on fewer than {n} people interviewed."),
        "summary_themes": _("The most shared themes: {themes}."),
        "summary_theme": _("{label} ({people} people)"),
        "summary_no_theme": _("No theme brings together {n} people yet: none is shown."),
        "summary_stage": _(
            "In the value chain, it is mostly at the stage “{stage}” ({people} people)."
        ),
        "summary_stages": _(
            "In the value chain, it is mostly at the stages “{stage}” ({people} "
            "people) and “{second}” ({second_people} people)."
        ),
        "summary_no_stage": _("No value-chain stage brings together {n} people yet."),
        "summary_automatable": _(
            "Most exposed to automation: “{activity}” ({people} people call it automatable)."
        ),
        "summary_augmented": _(
            "Where a tool would help most: “{activity}” ({people} people call it "
            "augmented by a tool)."
        ),
        "summary_human": _(
            "What must stay human: “{activity}” ({people} people call it human-essential)."
        ),
        "summary_no_automation": _(
            "No activity brings together {n} people on its exposure to automation yet."
        ),
        "summary_hidden": _(
            "Part of the report is hidden by the anonymity rules: see “What would show more”."
        ),
        "narratives": _("Narratives written by the model"),
        "narratives_intro": _(
            "Texts a language model wrote from the anonymised findings; the figures "
            "above and the detail below do not depend on them."
        ),
        "detail": _("The detail"),
        "about": _("About this report"),
        "hints": _("What would show more"),
        "hints_intro": _(
            "Each part shows once it brings together at least {n} distinct people. The"
            " numbers below follow from that rule and the totals shown alone: they say"
            " nothing of the hidden numbers."
        ),
        "hint_quotes_exact": _(
            "Quotes: they appear from {q} people with findings; {more} more are needed."
        ),
        "hint_quotes_bound": _(
            "Quotes: they appear from {q} people with findings; at least {more} more are needed."
        ),
        "hint_rows_counterparts": _("Counterparts"),
        "hint_rows_gaps": _("Gaps from prescribed work"),
        "hint_rows_automation": _("Activities (automation)"),
        "people_interviewed": _("People interviewed"),
        "people_with_findings": _("of whom people with at least one finding kept"),
        "narrative_dropped_malformed": _(
            "No synthesis here: the model's answers did not follow the expected format"
            " and were left out."
        ),
        "narrative_dropped_no_citation": _(
            "No synthesis here: the model's text cited no finding of this theme and was left out."
        ),
        "recommendations_dropped_malformed": _(
            "No recommendation: the model's answers did not follow the expected format"
            " and were left out."
        ),
        "recommendations_dropped_no_citation": _(
            "No recommendation: none rested on a theme of the report, so they were left out."
        ),
        "narratives_none_kept": _(
            "The model was called ({calls} calls) but none of its texts was kept; each"
            " section gives the reason."
        ),
        "gap_without_passage": _("Gaps described without citing a document"),
        "gap_descriptions_later": _(
            "The gaps' descriptions show once the report covers at least {q} people."
        ),
        "descriptions": _("What the employees say"),
        "paraphrase": _("paraphrased"),
        "reasons_note": _(
            "In quotation marks: an employee's own words, found as such in what they "
            "said. Without: a paraphrase."
        ),
    }


@cache
def _counted(language: str) -> dict[str, Callable[[int], str]]:
    ngettext = translation(language).ngettext
    return {
        # the parts of the "withheld" line, each counted
        "cells": lambda n: ngettext("{count} cell", "{count} cells", n),
        "themes": lambda n: ngettext("{count} theme", "{count} themes", n),
        "quotes": lambda n: ngettext("{count} quote", "{count} quotes", n),
        "doubtful": lambda n: ngettext(
            "{count} quote left out by the personal-data check",
            "{count} quotes left out by the personal-data check",
            n,
        ),
        "others": lambda n: ngettext("{count} other row", "{count} other rows", n),
        "people": lambda n: ngettext("{count} person", "{count} people", n),
        "episodes": lambda n: ngettext("{count} episode", "{count} episodes", n),
        "interviews": lambda n: ngettext("{count} interview", "{count} interviews", n),
        "rows": lambda n: ngettext(
            "{count} row named by fewer than {n} people",
            "{count} rows named by fewer than {n} people",
            n,
        ),
        "groups": lambda n: ngettext("{count} group hidden", "{count} groups hidden", n),
        "supported_by": lambda n: ngettext(
            "Supported by {count} finding", "Supported by {count} findings", n
        ),
        # counted by {most}, the people it would take at most
        "hint_total": lambda n: ngettext(
            "The report itself: its totals will show with at most {most} more person interviewed.",
            "The report itself: its totals will show with at most {most} more people interviewed.",
            n,
        ),
        "hint_themes": lambda n: ngettext(
            "Hidden themes: {labels}. Each will show with at most {most} more person speaking "
            "of it (some are hidden only so that another cannot be worked out from the totals).",
            "Hidden themes: {labels}. Each will show with at most {most} more people speaking "
            "of it (some are hidden only so that another cannot be worked out from the totals).",
            n,
        ),
        "hint_stages": lambda n: ngettext(
            "Hidden stages: {labels}. Each will show with at most {most} more person at that "
            "stage.",
            "Hidden stages: {labels}. Each will show with at most {most} more people at that "
            "stage.",
            n,
        ),
        # counted by {cells}
        "hint_cells": lambda n: ngettext(
            "Map: {cells} cell hidden. A cell shows once it, and the other hidden cells of its "
            "row and column, each bring together {n} people: at most {most} more in each.",
            "Map: {cells} cells hidden. A cell shows once it, and the other hidden cells of its "
            "row and column, each bring together {n} people: at most {most} more in each.",
            n,
        ),
        # counted by {most}; {rows} and {groups} are counted above
        "hint_rows": lambda n: ngettext(
            "{what}: {rows}; each would show with at most {most} more person.",
            "{what}: {rows}; each would show with at most {most} more people.",
            n,
        ),
        "hint_groups": lambda n: ngettext(
            "Roles and sites: {groups}; each would show with at most {most} more person in "
            "that group.",
            "Roles and sites: {groups}; each would show with at most {most} more people in "
            "that group.",
            n,
        ),
    }


def text_for(language: str, key: str, **values: object) -> str:
    return _texts(language)[key].format(**values)


def counted_for(language: str, key: str, count: int, **values: object) -> str:
    """The message ``key`` in the form ``count`` takes in ``language`` (``{count}`` in it is
    ``count``)."""
    return _counted(language)[key](count).format(count=count, **values)


def withheld(
    language: str, cells: int, themes: int, quotes: int, doubtful: int, others: int
) -> str:
    """What the anonymity rules held back, each count in its own form."""
    parts = {
        "cells": cells,
        "themes": themes,
        "quotes": quotes,
        "doubtful": doubtful,
        "others": others,
    }
    counted = {key: counted_for(language, key, count) for key, count in parts.items()}
    return (
        translation(language)
        .gettext(
            "Withheld by these rules: {cells}, {themes}, {quotes}; {doubtful}; {others} "
            "(counterparts, gaps, automation, groups)."
        )
        .format(**counted)
    )


def theme_counts(language: str, people: int, episodes: int, interviews: int) -> str:
    return ", ".join(
        counted_for(language, key, count)
        for key, count in (("people", people), ("episodes", episodes), ("interviews", interviews))
    )
