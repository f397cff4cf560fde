"""What Terrain's texts promise people, computed from the settings that keep each promise.

A text that states a rule (the report's anonymity thresholds, how long interviews are kept, how
long an interview lasts, whether facilitators read the people an employee mentions) never
writes it itself: it names a placeholder (``$min_people``, ``$min_people_for_quotes``,
``$retention``, ``$interview_minutes``, ``$third_parties``), filled here from the settings the
code enforces. Figures are written in digits, in every language, so that a text
and the report that applies it say the same thing the same way.
"""

from __future__ import annotations

from pathlib import Path
from string import Template

from assistant.config import Settings
from assistant.i18n import translation


def retention_sentence(settings: Settings, language: str) -> str:
    """How long an interview is kept, from ``TERRAIN_RETENTION_DAYS``."""
    catalog = translation(language)
    days = settings.retention_days
    if days is None:
        return catalog.gettext("Interviews are kept until someone erases them.")
    return catalog.ngettext(
        "Interviews are erased {days} day after they end.",
        "Interviews are erased {days} days after they end.",
        days,
    ).format(days=days)


def third_parties_sentence(settings: Settings, language: str) -> str:
    """What facilitators read of the people an employee mentions, from
    ``TERRAIN_MASK_THIRD_PARTIES``."""
    _ = translation(language).gettext
    if settings.mask_third_parties:
        return _(
            "The people you mention (beneficiaries, relatives, colleagues) are masked there: "
            "their names, phone numbers, e-mail and postal addresses, dates of birth and health "
            "details are replaced by labels."
        )
    return _(
        "The people you mention (beneficiaries, relatives, colleagues) are not masked there: "
        "facilitators read their names and what you say of them as you write them."
    )


def rule_values(settings: Settings, language: str) -> dict[str, str]:
    """Each placeholder a text may use to state a rule, as the settings make it."""
    return {
        "min_people": str(settings.report_min_people),
        "min_people_for_quotes": str(settings.report_min_people_for_quotes),
        "retention": retention_sentence(settings, language),
        "interview_minutes": str(settings.interview_minutes),
        "third_parties": third_parties_sentence(settings, language),
    }


def state_rules(text: str, settings: Settings, language: str) -> str:
    """``text`` with its rule placeholders (``$name``) filled from ``settings``; a text naming
    an unknown placeholder is an error, never a silent gap."""
    return Template(text).substitute(rule_values(settings, language))


def readme(settings: Settings, template: Path) -> str:
    """The "Lisez-moi" page (``chainlit.md``, French then "## English"), its rules as
    configured: written into Chainlit's folder each time the server starts."""
    text = template.read_text(encoding="utf-8")
    french, separator, english = text.partition("## English")
    return state_rules(french, settings, "fr") + separator + state_rules(english, settings, "en")
