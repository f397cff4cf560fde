"""The accounts page's words for profiles (job, site, team), in French and English."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProfileTexts:
    column: str
    fields: dict[str, str]  # job, site, team -> label
    change: str  # {name}
    save: str
    hint: str


_TEXTS = {
    "fr": ProfileTexts(
        column="Profil",
        fields={"job": "Métier", "site": "Site", "team": "Équipe"},
        change="Profil de {name}",
        save="Enregistrer le profil",
        hint=(
            "Texte libre ; les valeurs déjà utilisées sont proposées. Les entretiens déjà "
            "commencés gardent le profil qu'ils avaient."
        ),
    ),
    "en": ProfileTexts(
        column="Profile",
        fields={"job": "Job", "site": "Site", "team": "Team"},
        change="Profile of {name}",
        save="Save the profile",
        hint=(
            "Free text; the values already in use are suggested. Interviews already started "
            "keep the profile they had."
        ),
    ),
}


def profile_texts(language: str) -> ProfileTexts:
    return _TEXTS.get(language, _TEXTS["en"])
