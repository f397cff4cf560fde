"""The accounts page's words for profiles (job, site, team), from the catalogs of
:mod:`assistant.i18n`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from assistant.i18n import translation


@dataclass(frozen=True)
class ProfileTexts:
    column: str
    fields: dict[str, str]  # job, site, team -> label
    change: str  # {name}
    save: str
    hint: str


@cache
def profile_texts(language: str) -> ProfileTexts:
    """The profile words of the accounts page in ``language``."""
    catalog = translation(language)
    _ = catalog.gettext
    return ProfileTexts(
        column=_("Profile"),
        fields={"job": _("Job"), "site": _("Site"), "team": _("Team")},
        change=_("Profile of {name}"),
        save=_("Save the profile"),
        hint=_(
            "Free text; the values already in use are suggested. Interviews already "
            "started keep the profile they had."
        ),
    )
