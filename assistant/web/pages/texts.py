"""The staff pages' own words, in French and English; the words they share with the chat
(statuses, roles, speakers, dates) are :mod:`assistant.web.texts`'."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.schemas import AccessKind, JobStatus, ReviewAction
from assistant.web.texts import EN as WEB_EN
from assistant.web.texts import FR as WEB_FR
from assistant.web.texts import Texts


@dataclass(frozen=True)
class PageTexts:
    web: Texts  # statuses, roles, speakers, finding statuses and origins, date format
    staff_space: str
    signed_in_as: str  # {name} {role}
    sign_out: str
    menu_label: str
    nav: dict[str, str]  # a StaffRoute's nav key -> its label
    refused_title: str
    refusals: dict[str, str]  # Refused.reason -> what the page says
    not_found_title: str
    not_found: str
    back_home: str
    home_title: str
    home_empty: str
    # interviews
    interviews_title: str
    filters_label: str
    filters: dict[str, str]  # the filters that are not a status
    columns: tuple[str, ...]
    findings_cell: str  # {proposed} {accepted}
    extraction_states: dict[str, str]  # "none" or a JobStatus value
    interviews_empty: str
    flagged: str
    # one interview
    transcript_title: str  # {pseudonym}
    transcript_meta: str  # {status} {date} {language} {turns}
    flag_reason: str  # {reason}
    turn_label: str  # {number}
    no_turns: str
    findings_heading: str
    no_findings: str
    finding_label: str  # {number} {code}
    quote_of: str  # {number}
    quote_link: str  # {number}
    field_code: str
    field_stage: str
    field_activity: str
    field_counterpart: str
    field_status: str
    field_origin: str
    proposed_code: str  # {code}
    unknown: str
    accept: str
    reject: str
    edit_heading: str
    save_edit: str
    trail_heading: str
    trail_actions: dict[ReviewAction, str]
    trail_entry: str  # {at} {actor} {action}
    add_heading: str
    add_intro: str
    add_turn: str
    add_turn_choice: str  # {number} {start}
    add_words: str
    add_button: str
    add_from_selection: str  # the button under a turn once some of its words are selected
    notices: dict[str, str]  # ?done= key -> what the page says after the redirect
    problems: dict[str, str]  # why a form was not applied
    # jobs
    jobs_title: str
    jobs_columns: tuple[str, ...]
    job_statuses: dict[JobStatus, str]
    jobs_empty: str
    republish_title: str
    republish_intro: str
    republish_columns: tuple[str, ...]
    republish_empty: str
    retry: str
    erased_interview: str
    retention_done: str  # {count}, {when}: the worker's last erasure past the retention
    # export
    export_title: str
    export_intro: str
    export_csv: str
    export_json: str
    # the access log (admins)
    audit_title: str
    audit_intro: str
    audit_columns: tuple[str, ...]
    audit_kinds: dict[AccessKind, str]
    audit_what: str  # {kind} {detail}
    audit_draft: str
    audit_version: str  # {number}
    audit_filter_user: str
    audit_filter_since: str
    audit_filter_button: str
    audit_empty: str
    audit_shown: str  # {shown}: the newest entries shown, at most
    # third parties masked
    masked_note: str
    # workers (the jobs page): {count} alive; none heard from in {seconds} s
    workers_running: str
    no_worker: str
    # report builds (the jobs page)
    report_builds_title: str
    report_builds_intro: str
    report_builds_columns: tuple[str, ...]
    report_builds_empty: str


FR = PageTexts(
    web=WEB_FR,
    staff_space="Espace équipe",
    signed_in_as="{name} · {role}",
    sign_out="Se déconnecter",
    menu_label="Menu principal",
    nav={
        "interviews": "Entretiens",
        "jobs": "Extractions",
        "export": "Export des constats",
        "report": "Rapport",
        "campaigns": "Campagnes",
        "leadership": "Rapport",
        "accounts": "Comptes",
        "erase": "Effacement",
        "audit": "Journal des accès",
    },
    refused_title="Accès refusé",
    refusals={
        "role": "Votre rôle ne donne pas accès à cette page.",
        "account": "Ce compte n'existe plus ou a été désactivé.",
        "form": (
            "Ce formulaire a expiré ou ne vient pas de cette page : rien n'a été modifié. "
            "Rechargez la page et recommencez."
        ),
        "too_long": (
            "Le champ « {field} » est trop long (au plus {limit} caractères) : rien n'a été "
            "modifié. Raccourcissez-le et recommencez."
        ),
    },
    not_found_title="Introuvable",
    not_found="Cette page, cet entretien ou ce constat n'existe pas (ou plus).",
    back_home="Retour à l'accueil",
    home_title="Espace équipe",
    home_empty="Aucune page de l'espace équipe n'est encore ouverte à votre rôle.",
    interviews_title="Entretiens",
    filters_label="Filtrer les entretiens",
    filters={
        "all": "Tous",
        "flagged": "Signalés",
        "to_review": "Constats à revoir",
        "extraction_pending": "Extraction en attente",
        "extraction_failed": "Extraction échouée",
    },
    columns=(
        "Pseudonyme",
        "Date",
        "Statut",
        "Langue",
        "Tours",
        "Constats",
        "Extraction",
    ),
    findings_cell="{proposed} à revoir · {accepted} retenus",
    extraction_states={
        "none": "aucune",
        "queued": "en attente",
        "running": "en cours",
        "done": "faite",
        "failed": "échouée",
    },
    interviews_empty="Aucun entretien ne correspond à ce filtre.",
    flagged="Signalé",
    transcript_title="Entretien {pseudonym}",
    transcript_meta="{status} · {date} · langue {language} · {turns} tours",
    flag_reason="Signalé : {reason}",
    turn_label="Tour {number}",
    no_turns="Cet entretien n'a aucun tour.",
    findings_heading="Constats",
    no_findings="Aucun constat pour ce tour.",
    finding_label="Constat {number} : {code}",
    quote_of="Citation du tour {number}",
    quote_link="constat {number}",
    field_code="Code",
    field_stage="Étape de la chaîne de valeur",
    field_activity="Activité",
    field_counterpart="Interlocuteur",
    field_status="Statut",
    field_origin="Origine",
    proposed_code="Code proposé par le modèle : {code}",
    unknown="inconnu",
    accept="Accepter",
    reject="Rejeter",
    edit_heading="Modifier le code ou les champs",
    save_edit="Enregistrer les modifications",
    trail_heading="Historique",
    trail_actions={
        ReviewAction.ACCEPT: "accepté",
        ReviewAction.REJECT: "rejeté",
        ReviewAction.EDIT: "modifié",
        ReviewAction.ADD: "ajouté",
    },
    trail_entry="{at} · {actor} · {action}",
    add_heading="Ajouter un constat",
    add_intro=(
        "Sélectionnez des mots de l'employé dans la transcription, ou choisissez le tour puis "
        "collez ses mots exacts : ils sont vérifiés mot pour mot avant d'être retenus."
    ),
    add_turn="Tour de l'employé",
    add_turn_choice="Tour {number} : {start}",
    add_words="Les mots exacts de l'employé",
    add_button="Ajouter le constat",
    add_from_selection="Ajouter un constat avec ces mots",
    notices={
        "accepted": "Constat accepté.",
        "rejected": "Constat rejeté.",
        "edited": "Constat modifié.",
        "added": "Constat ajouté.",
        "requeued": "Extraction relancée : elle est en attente.",
        "republish_requeued": "Republication relancée : elle est en attente.",
        "report_build_requeued": "Construction du rapport relancée : elle est en attente.",
        "report_build_busy": (
            "Une autre construction du rapport est déjà demandée ou en cours : rien n'a été "
            "relancé."
        ),
    },
    problems={
        "not_said": (
            "Ces mots ne figurent pas tels quels dans ce tour de l'employé : rien n'a été "
            "ajouté. Copiez-les exactement depuis la transcription."
        ),
        "stale": (
            "Ce constat a changé depuis l'ouverture de la page : rien n'a été modifié. "
            "Voici son état actuel."
        ),
        "invalid": "Ces valeurs ne sont pas valables : rien n'a été modifié.",
        "nothing_changed": "Aucun champ n'a changé : rien n'a été modifié.",
        "no_turn": "Choisissez un tour de l'employé.",
    },
    jobs_title="Extractions",
    jobs_columns=("Entretien", "État", "Essais", "Raison", "Mise à jour", ""),
    job_statuses={
        JobStatus.QUEUED: "en attente",
        JobStatus.RUNNING: "en cours",
        JobStatus.DONE: "faite",
        JobStatus.FAILED: "échouée",
    },
    jobs_empty="Aucune extraction pour l'instant.",
    republish_title="Republications du rapport",
    republish_intro=(
        "Quand un entretien est effacé, chaque version publiée qui s'en servait est retirée "
        "aussitôt, puis republiée sans lui par cette tâche."
    ),
    republish_columns=("Demandée le", "État", "Essais", "Raison", "Mise à jour", ""),
    republish_empty="Aucune republication demandée.",
    retry="Relancer",
    erased_interview="(entretien effacé)",
    retention_done="Conservation : {count} entretien(s) effacé(s) le {when}.",
    export_title="Export des constats",
    export_intro=(
        "Les constats de tous les entretiens, pour votre propre analyse : pseudonymes "
        "seulement, jamais de nom d'utilisateur."
    ),
    export_csv="Télécharger en CSV",
    export_json="Télécharger en JSON",
    audit_title="Journal des accès",
    audit_intro=(
        "Chaque lecture d'un entretien, chaque export et chaque téléchargement du rapport : "
        "qui, quand, quoi. Le journal ne contient rien de ce qui a été lu ; quand un entretien "
        "est effacé, ses lignes ne le nomment plus."
    ),
    audit_columns=("Quand", "Qui", "Quoi", "Entretien"),
    audit_kinds={
        AccessKind.TRANSCRIPT: "lecture de l'entretien",
        AccessKind.FINDINGS_EXPORT: "export des constats",
        AccessKind.REPORT_EXPORT: "fichier du rapport",
        AccessKind.REPORT_DOWNLOAD: "téléchargement du rapport",
    },
    audit_what="{kind} ({detail})",
    audit_draft="brouillon",
    audit_version="version {number}",
    audit_filter_user="Compte",
    audit_filter_since="Depuis le",
    audit_filter_button="Filtrer",
    audit_empty="Aucun accès enregistré.",
    audit_shown=(
        "Les {shown} accès les plus récents sont affichés ; la commande terrain audit les donne "
        "tous."
    ),
    masked_note=(
        "Les personnes dont parle l'employé sont masquées : noms, téléphones, adresses "
        "électroniques et postales, dates de naissance et éléments de santé sont remplacés par "
        "des étiquettes, les mêmes dans tout l'entretien. Les mots que vous sélectionnez "
        "enregistrent les vrais mots de l'employé."
    ),
    workers_running="Processus d'extraction en marche : {count}.",
    no_worker=(
        "Aucun processus d'extraction n'est en marche (aucun signe de vie depuis {seconds} s) : "
        "les extractions en attente ne se feront pas. Redémarrez terrain serve, ou lancez "
        "terrain worker."
    ),
    report_builds_title="Constructions du rapport",
    report_builds_intro=(
        "Les brouillons du rapport demandés depuis la page Rapport (ou par terrain report "
        "build), construits un à la fois par le processus de fond."
    ),
    report_builds_columns=("Demandée par", "État", "Essais", "Raison", "Mise à jour", ""),
    report_builds_empty="Aucune construction demandée.",
)

EN = PageTexts(
    web=WEB_EN,
    staff_space="Staff pages",
    signed_in_as="{name} · {role}",
    sign_out="Sign out",
    menu_label="Main menu",
    nav={
        "interviews": "Interviews",
        "jobs": "Extractions",
        "export": "Findings export",
        "report": "Report",
        "campaigns": "Campaigns",
        "leadership": "Report",
        "accounts": "Accounts",
        "erase": "Erasure",
        "audit": "Access log",
    },
    refused_title="Access refused",
    refusals={
        "role": "Your role does not give access to this page.",
        "account": "This account no longer exists or was disabled.",
        "form": (
            "This form expired or does not come from this page: nothing was changed. "
            "Reload the page and try again."
        ),
        "too_long": (
            "The field “{field}” is too long (at most {limit} characters): nothing was "
            "changed. Shorten it and try again."
        ),
    },
    not_found_title="Not found",
    not_found="This page, interview or finding does not exist (any more).",
    back_home="Back to the start",
    home_title="Staff pages",
    home_empty="No staff page is open to your role yet.",
    interviews_title="Interviews",
    filters_label="Filter the interviews",
    filters={
        "all": "All",
        "flagged": "Flagged",
        "to_review": "Findings to review",
        "extraction_pending": "Extraction pending",
        "extraction_failed": "Extraction failed",
    },
    columns=(
        "Pseudonym",
        "Date",
        "Status",
        "Language",
        "Turns",
        "Findings",
        "Extraction",
    ),
    findings_cell="{proposed} to review · {accepted} kept",
    extraction_states={
        "none": "none",
        "queued": "pending",
        "running": "running",
        "done": "done",
        "failed": "failed",
    },
    interviews_empty="No interview matches this filter.",
    flagged="Flagged",
    transcript_title="Interview {pseudonym}",
    transcript_meta="{status} · {date} · language {language} · {turns} turns",
    flag_reason="Flagged: {reason}",
    turn_label="Turn {number}",
    no_turns="This interview has no turns.",
    findings_heading="Findings",
    no_findings="No finding for this turn.",
    finding_label="Finding {number}: {code}",
    quote_of="Quote from turn {number}",
    quote_link="finding {number}",
    field_code="Code",
    field_stage="Value-chain stage",
    field_activity="Activity",
    field_counterpart="Counterpart",
    field_status="Status",
    field_origin="Origin",
    proposed_code="Code the model proposed: {code}",
    unknown="unknown",
    accept="Accept",
    reject="Reject",
    edit_heading="Change the code or fields",
    save_edit="Save the changes",
    trail_heading="History",
    trail_actions={
        ReviewAction.ACCEPT: "accepted",
        ReviewAction.REJECT: "rejected",
        ReviewAction.EDIT: "edited",
        ReviewAction.ADD: "added",
    },
    trail_entry="{at} · {actor} · {action}",
    add_heading="Add a finding",
    add_intro=(
        "Select the employee's words in the transcript, or choose the turn and paste their "
        "exact words: they are checked word for word before they are kept."
    ),
    add_turn="The employee's turn",
    add_turn_choice="Turn {number}: {start}",
    add_words="The employee's exact words",
    add_button="Add the finding",
    add_from_selection="Add a finding with these words",
    notices={
        "accepted": "Finding accepted.",
        "rejected": "Finding rejected.",
        "edited": "Finding changed.",
        "added": "Finding added.",
        "requeued": "Extraction queued again.",
        "republish_requeued": "Republication queued again.",
        "report_build_requeued": "Report build queued again.",
        "report_build_busy": "Another report build is already queued or running: nothing was "
        "queued again.",
    },
    problems={
        "not_said": (
            "These words do not stand as they are in this turn of the employee's: nothing was "
            "added. Copy them exactly from the transcript."
        ),
        "stale": (
            "This finding changed since the page was opened: nothing was changed. Here is how "
            "it stands now."
        ),
        "invalid": "These values are not valid: nothing was changed.",
        "nothing_changed": "No field changed: nothing was changed.",
        "no_turn": "Choose one of the employee's turns.",
    },
    jobs_title="Extractions",
    jobs_columns=("Interview", "State", "Attempts", "Reason", "Updated", ""),
    job_statuses={
        JobStatus.QUEUED: "pending",
        JobStatus.RUNNING: "running",
        JobStatus.DONE: "done",
        JobStatus.FAILED: "failed",
    },
    jobs_empty="No extraction yet.",
    republish_title="Report republications",
    republish_intro=(
        "When an interview is erased, every published version that used it is withdrawn at "
        "once, then republished without it by this job."
    ),
    republish_columns=("Asked on", "State", "Attempts", "Reason", "Updated", ""),
    republish_empty="No republication asked for.",
    retry="Retry",
    erased_interview="(interview erased)",
    retention_done="Retention: {count} interview(s) erased on {when}.",
    export_title="Findings export",
    export_intro=(
        "The findings of every interview, for your own analysis: pseudonyms only, never a "
        "user name."
    ),
    export_csv="Download as CSV",
    export_json="Download as JSON",
    audit_title="Access log",
    audit_intro=(
        "Each read of an interview, each export and each download of the report: who, when, "
        "what. The log holds nothing of what was read; once an interview is erased, its lines "
        "no longer name it."
    ),
    audit_columns=("When", "Who", "What", "Interview"),
    audit_kinds={
        AccessKind.TRANSCRIPT: "interview read",
        AccessKind.FINDINGS_EXPORT: "findings export",
        AccessKind.REPORT_EXPORT: "report file",
        AccessKind.REPORT_DOWNLOAD: "report download",
    },
    audit_what="{kind} ({detail})",
    audit_draft="draft",
    audit_version="version {number}",
    audit_filter_user="Account",
    audit_filter_since="Since",
    audit_filter_button="Filter",
    audit_empty="No access recorded.",
    audit_shown="The {shown} newest accesses are shown; the command terrain audit gives them all.",
    masked_note=(
        "The people the employee talks about are masked: names, phone numbers, e-mail and "
        "postal addresses, dates of birth and health details are replaced by labels, the same "
        "throughout the interview. Words you select record the employee's real words."
    ),
    workers_running="Extraction workers running: {count}.",
    no_worker=(
        "No extraction worker is running (none heard from in the last {seconds} s): queued "
        "extractions will wait. Restart terrain serve, or start terrain worker."
    ),
    report_builds_title="Report builds",
    report_builds_intro=(
        "The report drafts asked for on the Report page (or by terrain report build), built one "
        "at a time by the background worker."
    ),
    report_builds_columns=("Asked by", "State", "Attempts", "Reason", "Updated", ""),
    report_builds_empty="No report build asked for.",
)


def page_texts(language: str) -> PageTexts:
    return FR if language == "fr" else EN
