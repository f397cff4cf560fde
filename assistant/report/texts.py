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
        # Every hidden number carries the same label: primary and complementary suppression
        # cannot be told apart, and "fewer than k" would be false of a complement.
        "hidden": "masqué",
        "hidden_legend": (
            "« masqué » (– sur la carte) : une case masquée réunit moins de {n} personnes, "
            "ou est masquée pour qu'une telle case ne puisse pas se déduire."
        ),
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
        "hidden": "hidden",
        "hidden_legend": (
            "“hidden” (– on the map): a hidden cell holds fewer than {n} people, or is "
            "hidden so that such a cell cannot be deduced."
        ),
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


# The summary first, what would show the hidden parts, and why a narrative is missing.
_MORE: dict[str, dict[str, str]] = {
    "fr": {
        "summary": "L'essentiel",
        "summary_base": "Fondé sur {people} personnes interrogées, dont {with_findings} avec au "
        "moins un constat retenu.",
        "summary_base_hidden_findings": "Fondé sur {people} personnes interrogées ; moins de {n} "
        "d'entre elles ont un constat retenu.",
        "summary_base_hidden": "Fondé sur moins de {n} personnes interrogées.",
        "summary_themes": "Les thèmes les plus partagés : {themes}.",
        "summary_theme": "{label} ({people} personnes)",
        "summary_no_theme": "Aucun thème ne réunit encore {n} personnes : aucun n'est affiché.",
        "summary_stage": "Dans la chaîne de valeur, on en parle surtout à l'étape "
        "« {stage} » ({people} personnes).",
        "summary_stages": "Dans la chaîne de valeur, on en parle surtout aux étapes "
        "« {stage} » ({people} personnes) et « {second} » ({second_people} personnes).",
        "summary_no_stage": "Aucune étape de la chaîne de valeur ne réunit encore {n} personnes.",
        "summary_automatable": "Le plus exposé à l'automatisation : « {activity} » ({people} "
        "personnes la disent automatisable).",
        "summary_augmented": "Là où un outil aiderait le plus : « {activity} » ({people} "
        "personnes la disent augmentée par un outil).",
        "summary_human": "Ce qui doit rester humain : « {activity} » ({people} personnes la "
        "disent essentiellement humaine).",
        "summary_no_automation": "Aucune activité ne réunit encore {n} personnes sur son "
        "exposition à l'automatisation.",
        "summary_hidden": "Une partie du rapport est masquée par les règles d'anonymat : voir "
        "« Ce qui permettrait d'en montrer plus ».",
        "narratives": "Synthèses rédigées par le modèle",
        "narratives_intro": "Textes rédigés par un modèle de langue à partir des constats "
        "anonymisés ; les chiffres ci-dessus et le détail ci-dessous n'en dépendent pas.",
        "detail": "Le détail",
        "about": "À propos de ce rapport",
        "hints": "Ce qui permettrait d'en montrer plus",
        "hints_intro": "Chaque partie s'affiche quand elle réunit au moins {n} personnes "
        "distinctes. Les nombres ci-dessous se déduisent de cette seule règle et des totaux "
        "affichés : ils ne disent rien des nombres masqués.",
        "hint_total": "Le rapport lui-même : ses totaux s'afficheront avec au plus {most} "
        "personne(s) interrogée(s) de plus.",
        "hint_quotes_exact": "Citations : elles apparaissent à partir de {q} personnes ayant "
        "des constats ; il en faut {more} de plus.",
        "hint_quotes_bound": "Citations : elles apparaissent à partir de {q} personnes ayant "
        "des constats ; il en faut au moins {more} de plus.",
        "hint_themes": "Thèmes masqués : {labels}. Chacun s'affichera avec au plus {most} "
        "personne(s) de plus qui en parlent (certains ne sont masqués que pour qu'un autre ne "
        "se déduise pas des totaux).",
        "hint_stages": "Étapes masquées : {labels}. Chacune s'affichera avec au plus {most} "
        "personne(s) de plus à cette étape.",
        "hint_cells": "Carte : {cells} case(s) masquée(s). Une case s'affiche quand elle, et "
        "les autres cases masquées de sa ligne et de sa colonne, réunissent chacune {n} "
        "personnes : au plus {most} de plus dans chacune.",
        "hint_rows": "{what} : {count} ligne(s) citée(s) par moins de {n} personnes ; chacune "
        "s'afficherait avec au plus {most} personne(s) de plus.",
        "hint_rows_counterparts": "Interlocuteurs",
        "hint_rows_gaps": "Écarts au travail prescrit",
        "hint_rows_automation": "Activités (automatisation)",
        "hint_groups": "Fonctions et sites : {count} groupe(s) masqué(s) ; chacun s'afficherait "
        "avec au plus {most} personne(s) de plus dans ce groupe.",
        "people_interviewed": "Personnes interrogées",
        "people_with_findings": "dont personnes avec au moins un constat retenu",
        "narrative_dropped_malformed": "Pas de synthèse ici : les réponses du modèle ne "
        "suivaient pas le format attendu, elles ont été écartées.",
        "narrative_dropped_no_citation": "Pas de synthèse ici : le texte du modèle ne citait "
        "aucun constat de ce thème, il a été écarté.",
        "recommendations_dropped_malformed": "Pas de recommandation : les réponses du modèle ne "
        "suivaient pas le format attendu, elles ont été écartées.",
        "recommendations_dropped_no_citation": "Pas de recommandation : aucune ne s'appuyait "
        "sur un thème du rapport, elles ont été écartées.",
        "narratives_none_kept": "Le modèle a été appelé ({calls} appels) mais aucun de ses "
        "textes n'a été retenu ; la raison est donnée à chaque section.",
        "gap_without_passage": "Écarts décrits sans citer de document",
        "gap_descriptions_later": "Les descriptions des écarts s'affichent quand le rapport "
        "couvre au moins {q} personnes.",
        "descriptions": "Ce qu'en disent les salariés",
        "paraphrase": "reformulé",
        "reasons_note": "Entre guillemets : les mots mêmes d'un salarié, retrouvés tels quels "
        "dans ce qu'il a dit. Sans guillemets : une reformulation.",
    },
    "en": {
        "summary": "In short",
        "summary_base": "Based on {people} people interviewed, {with_findings} of whom have at "
        "least one finding kept.",
        "summary_base_hidden_findings": "Based on {people} people interviewed; fewer than {n} "
        "of them have a finding kept.",
        "summary_base_hidden": "Based on fewer than {n} people interviewed.",
        "summary_themes": "The most shared themes: {themes}.",
        "summary_theme": "{label} ({people} people)",
        "summary_no_theme": "No theme brings together {n} people yet: none is shown.",
        "summary_stage": "In the value chain, it is mostly at the stage “{stage}” ({people} "
        "people).",
        "summary_stages": "In the value chain, it is mostly at the stages “{stage}” ({people} "
        "people) and “{second}” ({second_people} people).",
        "summary_no_stage": "No value-chain stage brings together {n} people yet.",
        "summary_automatable": "Most exposed to automation: “{activity}” ({people} people call "
        "it automatable).",
        "summary_augmented": "Where a tool would help most: “{activity}” ({people} people call "
        "it augmented by a tool).",
        "summary_human": "What must stay human: “{activity}” ({people} people call it "
        "human-essential).",
        "summary_no_automation": "No activity brings together {n} people on its exposure to "
        "automation yet.",
        "summary_hidden": "Part of the report is hidden by the anonymity rules: see “What "
        "would show more”.",
        "narratives": "Narratives written by the model",
        "narratives_intro": "Texts a language model wrote from the anonymised findings; the "
        "figures above and the detail below do not depend on them.",
        "detail": "The detail",
        "about": "About this report",
        "hints": "What would show more",
        "hints_intro": "Each part shows once it brings together at least {n} distinct people. "
        "The numbers below follow from that rule and the totals shown alone: they say nothing "
        "of the hidden numbers.",
        "hint_total": "The report itself: its totals will show with at most {most} more "
        "people interviewed.",
        "hint_quotes_exact": "Quotes: they appear from {q} people with findings; {more} more "
        "are needed.",
        "hint_quotes_bound": "Quotes: they appear from {q} people with findings; at least "
        "{more} more are needed.",
        "hint_themes": "Hidden themes: {labels}. Each will show with at most {most} more "
        "people speaking of it (some are hidden only so that another cannot be worked out "
        "from the totals).",
        "hint_stages": "Hidden stages: {labels}. Each will show with at most {most} more "
        "people at that stage.",
        "hint_cells": "Map: {cells} cell(s) hidden. A cell shows once it, and the other hidden "
        "cells of its row and column, each bring together {n} people: at most {most} more in "
        "each.",
        "hint_rows": "{what}: {count} row(s) named by fewer than {n} people; each would show "
        "with at most {most} more people.",
        "hint_rows_counterparts": "Counterparts",
        "hint_rows_gaps": "Gaps from prescribed work",
        "hint_rows_automation": "Activities (automation)",
        "hint_groups": "Roles and sites: {count} group(s) hidden; each would show with at most "
        "{most} more people in that group.",
        "people_interviewed": "People interviewed",
        "people_with_findings": "of whom people with at least one finding kept",
        "narrative_dropped_malformed": "No synthesis here: the model's answers did not follow "
        "the expected format and were left out.",
        "narrative_dropped_no_citation": "No synthesis here: the model's text cited no finding "
        "of this theme and was left out.",
        "recommendations_dropped_malformed": "No recommendation: the model's answers did not "
        "follow the expected format and were left out.",
        "recommendations_dropped_no_citation": "No recommendation: none rested on a theme of "
        "the report, so they were left out.",
        "narratives_none_kept": "The model was called ({calls} calls) but none of its texts "
        "was kept; each section gives the reason.",
        "gap_without_passage": "Gaps described without citing a document",
        "gap_descriptions_later": "The gaps' descriptions show once the report covers at "
        "least {q} people.",
        "descriptions": "What the employees say",
        "paraphrase": "paraphrased",
        "reasons_note": "In quotation marks: an employee's own words, found as such in what "
        "they said. Without: a paraphrase.",
    },
}
for _language, _texts in _MORE.items():
    TEXTS[_language].update(_texts)


def text_for(language: str, key: str, **values: object) -> str:
    table = TEXTS.get(language, TEXTS["en"])
    return table[key].format(**values)
