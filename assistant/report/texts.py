"""The report's wording in French and English (the report's language is a parameter)."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Biens relationnels dans le travail réel : rapport de synthèse",
        "generated": "Produit le {date} avec le codebook {codebook}.",
        "drafts_included": (
            "Ce rapport inclut des constats pas encore relus par un facilitateur : "
            "ils sont marqués « brouillon » partout où ils comptent."
        ),
        "draft": "brouillon",
        "includes_drafts": "inclut des brouillons",
        "fewer_than": "moins de {n}",
        "anonymity": (
            "Règles d'anonymat : un nombre n'est affiché que s'il couvre au moins {n} personnes "
            "distinctes ; les citations n'apparaissent que si le rapport couvre au moins {q} "
            "personnes et que leur thème est affiché. Certaines cases sont masquées en plus pour "
            "qu'aucune valeur cachée ne puisse se déduire des totaux."
        ),
        "withheld": "Retenu par ces règles : {cells} case(s), {themes} thème(s), {quotes} "
        "citation(s) ; {doubtful} citation(s) écartée(s) par la vérification des données "
        "personnelles ; {others} autre(s) ligne(s) (interlocuteurs, écarts, automatisation, "
        "groupes).",
        "quotes_not_allowed": (
            "Le rapport couvre moins de {q} personnes : aucune citation n'est montrée."
        ),
        "coverage": "Couverture",
        "interviews": "Entretiens",
        "people": "Personnes",
        "findings": "Constats",
        "languages": "Langues",
        "roles": "Fonctions",
        "sites": "Sites",
        "unknown": "non renseigné",
        "heatmap": "Carte des biens relationnels : étape de la chaîne de valeur × code",
        "heatmap_caption": (
            "Nombre de personnes distinctes par case (épisodes entre parenthèses). Les totaux "
            "comptent des personnes distinctes : une personne présente dans plusieurs cases n'y "
            "est comptée qu'une fois."
        ),
        "stage": "Étape",
        "total": "Total (personnes)",
        "themes": "Thèmes",
        "strength": "Force des thèmes (personnes distinctes)",
        "theme_counts": "{people} personnes, {episodes} épisodes, {interviews} entretiens",
        "synthesis": "Synthèse",
        "quotes": "Citations",
        "counterparts": "Interlocuteurs",
        "counterpart": "Interlocuteur",
        "gaps": "Écarts entre travail prescrit et travail réel",
        "passage": "Passage concerné",
        "no_passage": "aucun passage cité",
        "page": "page",
        "automation": "Carte de l'automatisation",
        "activity": "Activité",
        "automatable": "automatisable",
        "augmented": "augmentée",
        "human_essential": "essentiellement humaine",
        "reasons": "Raisons données par les salariés",
        "recommendations": "Recommandations",
        "narratives_unavailable": (
            "Aucun modèle n'a pu être joint : ce rapport est complet sauf pour les synthèses et "
            "les recommandations rédigées. ({detail})"
        ),
        "narratives_not_requested": (
            "Rapport produit sans modèle : il est complet sauf pour les synthèses et les "
            "recommandations rédigées."
        ),
        "drafted_by": "Rédigé par le modèle {model} (prompt {prompt})",
        "edited_by": "modifié par {editor}",
        "supported_by": "Appuyé sur {n} constat(s)",
        "cites": "Sources",
        "no_theme": "Aucun thème ne couvre assez de personnes pour être affiché.",
        "chart_heatmap": "Carte de chaleur : personnes par étape et par code",
        "chart_strength": "Diagramme en barres : personnes par thème",
    },
    "en": {
        "title": "Relational goods in real work: summary report",
        "generated": "Produced on {date} with codebook {codebook}.",
        "drafts_included": (
            "This report includes findings a facilitator has not reviewed yet: they are "
            "marked “draft” wherever they count."
        ),
        "draft": "draft",
        "includes_drafts": "includes drafts",
        "fewer_than": "fewer than {n}",
        "anonymity": (
            "Anonymity rules: a number is shown only when it covers at least {n} distinct "
            "people; quotes appear only when the report covers at least {q} people and their "
            "theme is shown. Some cells are hidden as well, so that no hidden value can be "
            "worked out from the totals."
        ),
        "withheld": "Withheld by these rules: {cells} cell(s), {themes} theme(s), {quotes} "
        "quote(s); {doubtful} quote(s) left out by the personal-data check; {others} other "
        "row(s) (counterparts, gaps, automation, groups).",
        "quotes_not_allowed": "The report covers fewer than {q} people: no quote is shown.",
        "coverage": "Coverage",
        "interviews": "Interviews",
        "people": "People",
        "findings": "Findings",
        "languages": "Languages",
        "roles": "Roles",
        "sites": "Sites",
        "unknown": "not given",
        "heatmap": "Map of relational goods: value-chain stage × code",
        "heatmap_caption": (
            "Distinct people per cell (episodes in brackets). Totals count distinct people: "
            "someone present in several cells is counted once."
        ),
        "stage": "Stage",
        "total": "Total (people)",
        "themes": "Themes",
        "strength": "Strength of the themes (distinct people)",
        "theme_counts": "{people} people, {episodes} episodes, {interviews} interviews",
        "synthesis": "Synthesis",
        "quotes": "Quotes",
        "counterparts": "Counterparts",
        "counterpart": "Counterpart",
        "gaps": "Gaps between prescribed and real work",
        "passage": "Passage concerned",
        "no_passage": "no passage cited",
        "page": "page",
        "automation": "Automation map",
        "activity": "Activity",
        "automatable": "automatable",
        "augmented": "augmented",
        "human_essential": "human-essential",
        "reasons": "Reasons the employees gave",
        "recommendations": "Recommendations",
        "narratives_unavailable": (
            "No model could be reached: this report is complete except for the written "
            "syntheses and recommendations. ({detail})"
        ),
        "narratives_not_requested": (
            "Report produced without a model: it is complete except for the written syntheses "
            "and recommendations."
        ),
        "drafted_by": "Drafted by model {model} (prompt {prompt})",
        "edited_by": "edited by {editor}",
        "supported_by": "Supported by {n} finding(s)",
        "cites": "Sources",
        "no_theme": "No theme covers enough people to be shown.",
        "chart_heatmap": "Heatmap: people per stage and code",
        "chart_strength": "Bar chart: people per theme",
    },
}


def text_for(language: str, key: str, **values: object) -> str:
    table = TEXTS.get(language, TEXTS["en"])
    return table[key].format(**values)
