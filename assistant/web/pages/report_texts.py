"""The words of the report, leadership and administration pages, in French and English (the
words every staff page shares are :mod:`assistant.web.pages.texts`')."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.schemas import QuoteDecision, ReportStatus


@dataclass(frozen=True)
class ReportPageTexts:
    # the facilitators' report
    report_title: str
    build_heading: str
    build_intro: str
    build_include_proposed: str
    build_narratives: str
    build_with_model: str
    build_without_model: str
    build_button: str
    building: str  # {by} {at} {phase}
    build_failed: str  # {reason}
    refresh: str
    no_draft: str
    draft_heading: str
    draft_meta: str  # {at} {by} {people} {themes} {findings}
    fewer_than: str  # {n}
    narratives_written: str  # {calls}
    narratives_unavailable: str  # {detail}
    narratives_none: str
    preview: str
    exports_heading: str
    export_formats: dict[str, str]  # file format -> label
    qdpx_note: str
    quotes_heading: str
    quotes_intro: str
    quotes_pending: str  # {pending} {total}
    no_quotes: str
    quote_theme: str  # {theme}
    decisions: dict[QuoteDecision | None, str]
    approve: str
    drop: str
    narratives_heading: str
    no_narratives: str
    narrative_label: str  # {theme}
    recommendation: str
    edited_by: str  # {by}
    save_narrative: str
    publish_heading: str
    publish_intro: str
    publish_button: str
    versions_heading: str
    no_versions: str
    version_columns: tuple[str, ...]
    version_statuses: dict[ReportStatus, str]
    replaces: str  # {number}
    read_by_leadership: str
    withdrawn_gone: str
    notices: dict[str, str]  # ?done= key
    problems: dict[str, str]  # ?problem= key
    # leadership
    leadership_title: str
    leadership_meta: str  # {number} {at}
    leadership_none: str
    download_html: str
    download_pdf: str
    report_frame: str
    # administration: accounts
    accounts_title: str
    account_columns: tuple[str, ...]
    account_states: dict[bool, str]  # disabled -> label
    change_account: str  # {name}
    change_role: str
    role_of: str  # {name}
    disable: str
    enable: str
    new_password: str  # {name}
    set_password: str
    yourself: str
    not_yourself: str
    account_saved: str  # {name}
    add_heading: str
    field_name: str
    field_display_name: str
    field_role: str
    field_password: str
    password_hint: str
    add_button: str
    # administration: erasure
    erase_title: str
    erase_intro: str
    by_user: str
    by_pseudonym: str
    show_plan: str
    plan_heading: str
    plan_nothing: str  # {who}
    plan_what: str  # {interviews} {turns} {findings} {who}
    plan_versions: str  # {numbers}
    plan_no_versions: str
    plan_draft: str
    plan_pseudonyms: str  # {names}
    plan_for_good: str
    erase_button: str
    cancel: str
    erased: str  # {names}
    narratives_dropped: str  # {dropped} {sections}
    # a build queued for the worker, or under way (its progress read from the database)
    build_queued: str  # {by} {at}
    build_waits: str  # {reason}: why a build that had started waits again
    build_no_worker: str  # {seconds}
    build_phases: dict[str, str]  # ReportBuildPhase value -> what is being done
    build_progress: str  # {calls} {kept} {dropped}
    build_auto_refresh: str  # {seconds}
    build_retry: str  # {page}: the link to the jobs page, where a failed build is retried


FR = ReportPageTexts(
    report_title="Rapport",
    build_heading="Construire le brouillon",
    build_intro=(
        "Le brouillon reprend les constats acceptés ou modifiés de chaque entretien terminé. "
        "Le reconstruire remplace le brouillon actuel et ses décisions sur les citations."
    ),
    build_include_proposed="Compter aussi les constats pas encore revus (marqués comme brouillon)",
    build_narratives="Synthèses",
    build_with_model="Rédigées par le modèle (quelques minutes)",
    build_without_model="Sans synthèses (aucun appel au modèle)",
    build_button="Construire le brouillon",
    building="Construction en cours, demandée par {by} à {at} : {phase}.",
    build_failed="La dernière construction a échoué : {reason}",
    refresh="Recharger",
    no_draft="Aucun brouillon pour l'instant : construisez-en un.",
    draft_heading="Le brouillon",
    draft_meta=(
        "Construit le {at} par {by} · {people} personnes · {themes} thèmes affichés · "
        "{findings} constats"
    ),
    fewer_than="moins de {n}",
    narratives_written="Synthèses rédigées par le modèle ({calls} appels).",
    narratives_unavailable=(
        "Le modèle n'a pas pu être joint : le brouillon est complet, sauf les synthèses. {detail}"
    ),
    narratives_none="Construit sans synthèses (sans appel au modèle).",
    preview="Aperçu du brouillon (HTML)",
    exports_heading="Exporter le brouillon",
    export_formats={"html": "HTML", "pdf": "PDF", "md": "Markdown", "json": "JSON", "qdpx": "QDPX"},
    qdpx_note=(
        "Le QDPX (REFI-QDA) contient les transcriptions pseudonymisées : il est réservé aux "
        "animateurs, jamais à la direction."
    ),
    quotes_heading="Citations",
    quotes_intro=(
        "Chaque citation doit être approuvée ou écartée avant publication ; seules les "
        "citations approuvées sont publiées."
    ),
    quotes_pending="{pending} sur {total} en attente de décision.",
    no_quotes="Aucune citation dans ce brouillon.",
    quote_theme="Thème : {theme}",
    decisions={
        None: "en attente",
        QuoteDecision.APPROVED: "approuvée",
        QuoteDecision.DROPPED: "écartée",
    },
    approve="Approuver",
    drop="Écarter",
    narratives_heading="Synthèses et recommandations",
    no_narratives="Aucune synthèse dans ce brouillon.",
    narrative_label="Synthèse du thème {theme}",
    recommendation="Recommandation",
    edited_by="modifiée par {by}",
    save_narrative="Enregistrer le texte",
    publish_heading="Publier",
    publish_intro=(
        "La publication fige le brouillon en une nouvelle version numérotée, que la "
        "direction lit aussitôt."
    ),
    publish_button="Publier le brouillon",
    versions_heading="Versions publiées",
    no_versions="Aucune version publiée.",
    version_columns=("Version", "État", "Publiée", "Par", "Fichiers"),
    version_statuses={
        ReportStatus.DRAFT: "brouillon",
        ReportStatus.PUBLISHED: "publiée",
        ReportStatus.WITHDRAWN: "retirée (un entretien a été effacé)",
    },
    replaces="remplace la version {number}",
    read_by_leadership="lue par la direction",
    withdrawn_gone="plus lisible",
    notices={
        "building": "Construction lancée : le brouillon apparaît ici quand elle est finie.",
        "approved": "Citation approuvée.",
        "dropped": "Citation écartée.",
        "narrative": "Texte enregistré (expurgé de toute donnée personnelle).",
        "published": "Version publiée : la direction la lit désormais.",
    },
    problems={
        "busy": "Une construction est déjà demandée ou en cours : attendez qu'elle finisse.",
        "no_draft": "Il n'y a plus de brouillon (il a peut-être été reconstruit ou retiré).",
        "pending": (
            "Des citations attendent encore une décision : rien n'a été publié. Approuvez ou "
            "écartez chacune d'elles."
        ),
        "unknown_quote": "Cette citation n'est plus dans le brouillon : rien n'a été modifié.",
        "unknown_narrative": "Ce texte n'est plus dans le brouillon : rien n'a été modifié.",
        "empty": "Le texte est vide : rien n'a été modifié.",
        "pdf": "Le PDF ne peut pas être produit ici : téléchargez le HTML et imprimez-le.",
        "no_version": "Cette version n'existe pas.",
        "withdrawn": (
            "Cette version a été retirée (un entretien qu'elle utilisait a été effacé) : elle "
            "ne se lit plus. Sa version republiée figure dans la liste."
        ),
    },
    leadership_title="Rapport",
    leadership_meta="Version {number}, publiée le {at}.",
    leadership_none="Aucun rapport n'est publié pour l'instant.",
    download_html="Télécharger en HTML",
    download_pdf="Télécharger en PDF",
    report_frame="Le rapport publié",
    accounts_title="Comptes",
    account_columns=("Utilisateur", "Nom affiché", "Rôle", "État", "Créé le", "Actions"),
    account_states={False: "actif", True: "désactivé"},
    change_account="Rôle ou mot de passe de {name}",
    change_role="Changer le rôle",
    role_of="Rôle de {name}",
    disable="Désactiver",
    enable="Réactiver",
    new_password="Nouveau mot de passe de {name}",  # noqa: S106 - a label
    set_password="Changer le mot de passe",  # noqa: S106 - a label
    yourself="(vous)",
    not_yourself=(
        "Vous ne pouvez pas changer votre propre compte ici (vous risqueriez de perdre "
        "l'accès) : un autre administrateur, ou `terrain users`, le peut."
    ),
    account_saved="Compte {name} enregistré.",
    add_heading="Ajouter un compte",
    field_name="Nom d'utilisateur",
    field_display_name="Nom affiché (facultatif)",
    field_role="Rôle",
    field_password="Mot de passe",  # noqa: S106 - a label
    password_hint="Au moins 10 caractères.",  # noqa: S106 - a label
    add_button="Ajouter le compte",
    erase_title="Effacement",
    erase_intro=(
        "Effacez les entretiens d'une personne (par son nom d'utilisateur) ou un entretien "
        "(par son pseudonyme). La page suivante dit ce qui sera effacé avant que rien ne le soit."
    ),
    by_user="Nom d'utilisateur",
    by_pseudonym="Pseudonyme",
    show_plan="Voir ce qui serait effacé",
    plan_heading="Confirmer l'effacement",
    plan_nothing="Rien à effacer : aucun entretien pour {who}.",
    plan_what=(
        "Seront effacés pour de bon : {interviews} entretien(s), {turns} tour(s) de parole et "
        "{findings} constat(s) de {who}."
    ),
    plan_versions=(
        "Versions du rapport retirées aussitôt, puis republiées sans ces entretiens : {numbers}."
    ),
    plan_no_versions="Aucune version publiée du rapport ne les utilise.",
    plan_draft="Le brouillon du rapport, qui les utilise, sera supprimé.",
    plan_pseudonyms="Pseudonymes : {names}.",
    plan_for_good=(
        "L'effacement est définitif. Le compte de la personne, s'il existe, est conservé."
    ),
    erase_button="Effacer définitivement",
    cancel="Annuler",
    erased=(
        "Effacé : {names}. Les versions du rapport qui les utilisaient sont retirées ; le "
        "rapport est republié sans eux dès que le worker a tourné."
    ),
    narratives_dropped=(
        " {dropped} texte(s) écarté(s), {sections} section(s) sans synthèse : le brouillon "
        "dit pourquoi dans chacune."
    ),
    build_queued=(
        "Construction demandée par {by} à {at} : elle attend son tour auprès du processus de "
        "fond (worker)."
    ),
    build_waits="Elle a été interrompue et reprendra du début : {reason}",
    build_no_worker=(
        "Aucun processus de fond (worker) ne donne signe de vie depuis {seconds} s : la "
        "construction attendra qu'il démarre. Redémarrez terrain serve, ou lancez terrain worker."
    ),
    build_phases={
        "reading": "lecture des entretiens et des constats",
        "sections": "calcul des sections et masquage des données personnelles",
        "narratives": "rédaction des synthèses par le modèle",
        "saving": "enregistrement du brouillon",
        "done": "terminée",
    },
    build_progress=(
        "Appels au modèle : {calls} · synthèses gardées : {kept} · textes écartés : {dropped}"
    ),
    build_auto_refresh="Cette page se recharge d'elle-même toutes les {seconds} secondes.",
    build_retry="La relancer depuis la page « {page} »",
)

EN = ReportPageTexts(
    report_title="Report",
    build_heading="Build the draft",
    build_intro=(
        "The draft draws on the accepted or edited findings of every ended interview. "
        "Building it again replaces the current draft and its quote decisions."
    ),
    build_include_proposed="Count findings not yet reviewed too (marked as drafts)",
    build_narratives="Narratives",
    build_with_model="Written by the model (a few minutes)",
    build_without_model="No narratives (no model call)",
    build_button="Build the draft",
    building="Building, asked by {by} at {at}: {phase}.",
    build_failed="The last build failed: {reason}",
    refresh="Reload",
    no_draft="No draft yet: build one.",
    draft_heading="The draft",
    draft_meta=(
        "Built on {at} by {by} · {people} people · {themes} themes shown · {findings} findings"
    ),
    fewer_than="fewer than {n}",
    narratives_written="Narratives written by the model ({calls} calls).",
    narratives_unavailable=(
        "The model could not be reached: the draft is complete but for its narratives. {detail}"
    ),
    narratives_none="Built without narratives (no model call).",
    preview="Preview the draft (HTML)",
    exports_heading="Export the draft",
    export_formats={"html": "HTML", "pdf": "PDF", "md": "Markdown", "json": "JSON", "qdpx": "QDPX"},
    qdpx_note=(
        "The QDPX (REFI-QDA) holds the pseudonymised transcripts: it is for facilitators "
        "only, never for leadership."
    ),
    quotes_heading="Quotes",
    quotes_intro=(
        "Each quote must be approved or dropped before publishing; only approved quotes are "
        "published."
    ),
    quotes_pending="{pending} of {total} await a decision.",
    no_quotes="This draft has no quotes.",
    quote_theme="Theme: {theme}",
    decisions={
        None: "awaiting a decision",
        QuoteDecision.APPROVED: "approved",
        QuoteDecision.DROPPED: "dropped",
    },
    approve="Approve",
    drop="Drop",
    narratives_heading="Narratives and recommendations",
    no_narratives="This draft has no narratives.",
    narrative_label="Narrative of the theme {theme}",
    recommendation="Recommendation",
    edited_by="edited by {by}",
    save_narrative="Save the text",
    publish_heading="Publish",
    publish_intro=(
        "Publishing freezes the draft as a new numbered version, which leadership reads at once."
    ),
    publish_button="Publish the draft",
    versions_heading="Published versions",
    no_versions="No version published.",
    version_columns=("Version", "State", "Published", "By", "Files"),
    version_statuses={
        ReportStatus.DRAFT: "draft",
        ReportStatus.PUBLISHED: "published",
        ReportStatus.WITHDRAWN: "withdrawn (an interview was erased)",
    },
    replaces="replaces version {number}",
    read_by_leadership="read by leadership",
    withdrawn_gone="no longer readable",
    notices={
        "building": "Build started: the draft appears here once it is done.",
        "approved": "Quote approved.",
        "dropped": "Quote dropped.",
        "narrative": "Text saved (redacted of any personal data).",
        "published": "Version published: leadership now reads it.",
    },
    problems={
        "busy": "A build is already queued or running: wait for it to finish.",
        "no_draft": "There is no draft any more (it may have been rebuilt or withdrawn).",
        "pending": (
            "Some quotes still await a decision: nothing was published. Approve or drop each one."
        ),
        "unknown_quote": "This quote is no longer in the draft: nothing was changed.",
        "unknown_narrative": "This text is no longer in the draft: nothing was changed.",
        "empty": "The text is empty: nothing was changed.",
        "pdf": "The PDF cannot be made here: download the HTML and print it.",
        "no_version": "There is no such version.",
        "withdrawn": (
            "This version was withdrawn (an interview it used was erased): it is no longer "
            "read. Its republished version is in the list."
        ),
    },
    leadership_title="Report",
    leadership_meta="Version {number}, published on {at}.",
    leadership_none="No report is published yet.",
    download_html="Download as HTML",
    download_pdf="Download as PDF",
    report_frame="The published report",
    accounts_title="Accounts",
    account_columns=("User", "Display name", "Role", "State", "Created", "Actions"),
    account_states={False: "active", True: "disabled"},
    change_account="Role or password of {name}",
    change_role="Change the role",
    role_of="Role of {name}",
    disable="Disable",
    enable="Enable",
    new_password="New password for {name}",  # noqa: S106 - a label
    set_password="Change the password",  # noqa: S106 - a label
    yourself="(you)",
    not_yourself=(
        "You cannot change your own account here (you could lock yourself out): another "
        "administrator, or `terrain users`, can."
    ),
    account_saved="Account {name} saved.",
    add_heading="Add an account",
    field_name="User name",
    field_display_name="Display name (optional)",
    field_role="Role",
    field_password="Password",  # noqa: S106 - a label
    password_hint="At least 10 characters.",  # noqa: S106 - a label
    add_button="Add the account",
    erase_title="Erasure",
    erase_intro=(
        "Erase a person's interviews (by their user name) or one interview (by its pseudonym). "
        "The next page says what would be erased before anything is."
    ),
    by_user="User name",
    by_pseudonym="Pseudonym",
    show_plan="See what would be erased",
    plan_heading="Confirm the erasure",
    plan_nothing="Nothing to erase: no interview of {who}.",
    plan_what=(
        "To be erased for good: {interviews} interview(s), {turns} turn(s) and {findings} "
        "finding(s) of {who}."
    ),
    plan_versions=(
        "Report versions withdrawn at once, then republished without these interviews: {numbers}."
    ),
    plan_no_versions="No published version of the report uses them.",
    plan_draft="The report's draft, which uses them, will be deleted.",
    plan_pseudonyms="Pseudonyms: {names}.",
    plan_for_good="Erasure is final. The person's account, if any, is kept.",
    erase_button="Erase for good",
    cancel="Cancel",
    erased=(
        "Erased: {names}. The report versions that used them are withdrawn; the report is "
        "republished without them as soon as the worker has run."
    ),
    narratives_dropped=(
        " {dropped} draft(s) left out, and {sections} section(s) without a narrative: the "
        "draft says why in each."
    ),
    build_queued=("Build asked by {by} at {at}: it waits for its turn with the background worker."),
    build_waits="It was interrupted and will start again from the beginning: {reason}",
    build_no_worker=(
        "No background worker has been heard from in {seconds} s: the build will wait for one "
        "to start. Restart terrain serve, or start terrain worker."
    ),
    build_phases={
        "reading": "reading the interviews and findings",
        "sections": "computing the sections and masking personal data",
        "narratives": "the model writing the narratives",
        "saving": "saving the draft",
        "done": "done",
    },
    build_progress="Model calls: {calls} · narratives kept: {kept} · drafts left out: {dropped}",
    build_auto_refresh="This page reloads by itself every {seconds} seconds.",
    build_retry="Retry it from the “{page}” page",
)


def report_page_texts(language: str) -> ReportPageTexts:
    return FR if language == "fr" else EN
