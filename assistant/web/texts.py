"""The web app's own words, in French and English (the interview's words are the guide's)."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.schemas import (
    FindingOrigin,
    FindingStatus,
    InterviewStatus,
    Phase,
    Speaker,
    UserRole,
)

LANGUAGES = ("fr", "en")


@dataclass(frozen=True)
class Texts:
    language: str
    assistant_name: str
    # consent
    agree_label: str
    decline_label: str
    agree_said: str
    decline_said: str
    consent_first: str
    # controls
    stop_label: str
    withdraw_label: str
    withdraw_confirm: str
    withdraw_yes: str
    withdraw_no: str
    withdrawn: str  # {pseudonym} {date} {turns}
    withdraw_cancelled: str
    nothing_to_withdraw: str
    erased: str
    ongoing: str  # {date}
    ongoing_link: str
    # the closing summary
    summary_confirm_label: str
    summary_correct_label: str
    summary_strike_label: str  # {number}
    summary_confirm_said: str
    correct_prompt: str
    struck: str  # {point}
    # access
    not_allowed: str
    not_found: str
    no_account: str
    # leadership
    leadership_home: str
    # facilitator
    facilitator_title: str
    staff_pages_intro: str
    staff_pages_link: str
    report_label: str
    report_draft: str  # {built} {by} {people} {themes} {findings} {pending}
    report_publish_label: str
    report_rebuild_label: str
    report_pending: str
    report_no_draft: str
    report_published: str  # {number}
    speakers: dict[Speaker, str]
    statuses: dict[InterviewStatus, str]
    phases: dict[Phase, str]
    # finding statuses and origins, as the staff pages show them
    finding_statuses: dict[FindingStatus, str]
    finding_origins: dict[FindingOrigin, str]
    # admin
    admin_title: str
    admin_users: str
    admin_user_columns: tuple[str, ...]
    admin_interviews: str
    admin_interview_columns: tuple[str, ...]
    admin_no_interviews: str
    admin_erase_label: str  # {pseudonym}
    admin_erase_confirm: str  # {pseudonym} {turns}
    admin_erase_yes: str
    admin_erased: str  # {pseudonym} {turns}
    admin_help: str
    # a thread's name in the conversation list
    thread_name: str  # {status} {date}: the status first, where a narrow list still shows it
    date_format: str
    # accounts
    roles: dict[UserRole, str]


FR = Texts(
    language="fr",
    assistant_name="Terrain",
    agree_label="J'accepte",
    decline_label="Je refuse",
    agree_said="Oui, j'accepte.",
    decline_said="Non, je refuse.",
    consent_first=(
        "Pour commencer, choisissez « J'accepte » ou « Je refuse » sous le message d'accueil. "
        "Rien n'est enregistré avant votre réponse."
    ),
    stop_label="Arrêter l'entretien",
    withdraw_label="Retirer mon entretien",
    withdraw_confirm=(
        "Retirer votre entretien l'efface définitivement : tous vos messages, toutes les "
        "questions, le résumé, et le lien entre son pseudonyme et votre compte. "
        "Rien ne pourra être récupéré. Confirmez-vous l'effacement ?"
    ),
    withdraw_yes="Oui, tout effacer",
    withdraw_no="Non, garder l'entretien",
    withdrawn=(
        "C'est fait. Ont été effacés : l'entretien {pseudonym} commencé le {date}, "
        "ses {turns} messages (les vôtres et ceux de Terrain), et le lien entre ce pseudonyme "
        "et votre compte. Il n'en reste rien dans la base de Terrain."
    ),
    withdraw_cancelled="Rien n'a été effacé ; l'entretien continue.",
    nothing_to_withdraw=(
        "Aucun entretien n'est enregistré dans cette conversation : rien à effacer."
    ),
    erased=(
        "Cet entretien a été effacé. Pour en commencer un autre, ouvrez une nouvelle conversation."
    ),
    ongoing="Vous avez un entretien en cours, commencé le {date}.",
    ongoing_link="Le reprendre là où vous en étiez",
    summary_confirm_label="C'est juste",
    summary_correct_label="Corriger",
    summary_strike_label="Enlever du résumé : point {number}",
    summary_confirm_said="Oui, c'est juste.",
    correct_prompt="Écrivez votre correction dans votre prochain message.",
    struck="Point retiré du résumé : {point}",
    not_allowed="Cette action n'est pas permise avec votre rôle.",
    not_found="Cet entretien n'existe pas ou n'est pas accessible.",
    no_account="Votre compte n'existe plus ; reconnectez-vous ou contactez un administrateur.",
    leadership_home=(
        "## Rapports\n\n"
        "Les rapports de la démarche apparaîtront ici dès qu'une synthèse aura été publiée. "
        "Ils sont anonymes : aucun thème, aucune citation ni aucun chiffre qui concerne moins "
        "de cinq personnes n'y figure.\n\n"
        "La direction n'a pas accès aux entretiens eux-mêmes."
    ),
    facilitator_title="## Entretiens",
    staff_pages_intro=(
        "Les entretiens, leurs transcriptions, la revue des constats et les extractions sont "
        "dans l'espace animateur ; le rapport reste ici pour l'instant."
    ),
    staff_pages_link="Ouvrir l'espace animateur",
    report_label="Rapport",
    report_draft=(
        "Brouillon du rapport, construit le {built} par {by} : {people} personnes, {themes} "
        "thèmes affichés, {findings} constats. Citations en attente d'approbation : {pending} "
        "(terrain report show, puis terrain report approve ou drop). Les synthèses rédigées "
        "par le modèle s'obtiennent avec terrain report build."
    ),
    report_publish_label="Publier",
    report_rebuild_label="Reconstruire",
    report_pending=(
        "Des citations attendent encore votre décision : rien n'a été publié. Approuvez ou "
        "écartez chacune (terrain report show, terrain report approve, terrain report drop)."
    ),
    report_no_draft=(
        "Il n'y a pas de brouillon à publier : cliquez sur Rapport pour en construire un."
    ),
    report_published="Version {number} publiée : la direction la lit désormais.",
    speakers={Speaker.INTERVIEWER: "Terrain", Speaker.EMPLOYEE: "Salarié·e"},
    statuses={
        InterviewStatus.IN_PROGRESS: "en cours",
        InterviewStatus.CLOSED: "terminé",
        InterviewStatus.DECLINED: "refusé",
        InterviewStatus.STOPPED: "arrêté",
    },
    phases={
        Phase.CONSENT: "consentement",
        Phase.ROLE: "le métier",
        Phase.EPISODE: "un moment précis",
        Phase.PEOPLE: "les personnes",
        Phase.GAP: "prévu et réel",
        Phase.AUTOMATION: "outils",
        Phase.CLOSING: "conclusion",
        Phase.DONE: "fini",
    },
    finding_statuses={
        FindingStatus.PROPOSED: "proposé",
        FindingStatus.ACCEPTED: "accepté",
        FindingStatus.EDITED: "code modifié",
        FindingStatus.REJECTED: "rejeté",
    },
    finding_origins={FindingOrigin.MODEL: "modèle", FindingOrigin.FACILITATOR: "facilitateur"},
    admin_title="## Administration",
    admin_users="### Utilisateurs",
    admin_user_columns=("Nom", "Rôle", "Créé le"),
    admin_interviews="### Entretiens",
    admin_interview_columns=("Pseudonyme", "Statut", "Commencé", "Messages"),
    admin_no_interviews="Aucun entretien enregistré.",
    admin_erase_label="Effacer {pseudonym}",
    admin_erase_confirm=(
        "Effacer l'entretien {pseudonym} supprime définitivement ses {turns} messages et le "
        "lien entre ce pseudonyme et la personne. Confirmez-vous ?"
    ),
    admin_erase_yes="Oui, effacer",
    admin_erased=(
        "Effacé : l'entretien {pseudonym}, ses {turns} messages et le lien entre le pseudonyme "
        "et la personne."
    ),
    admin_help=(
        "Les comptes se gèrent avec `terrain users` ; l'effacement d'un entretien se fait ici."
    ),
    thread_name="{status} · {date}",
    date_format="%d/%m/%Y %H:%M",
    roles={
        UserRole.EMPLOYEE: "salarié·e",
        UserRole.FACILITATOR: "facilitateur·rice",
        UserRole.LEADERSHIP: "direction",
        UserRole.ADMIN: "administrateur·rice",
    },
)

EN = Texts(
    language="en",
    assistant_name="Terrain",
    agree_label="I agree",
    decline_label="I decline",
    agree_said="Yes, I agree.",
    decline_said="No, I decline.",
    consent_first=(
        'To begin, choose "I agree" or "I decline" below the welcome message. Nothing is '
        "recorded before you answer."
    ),
    stop_label="Stop the interview",
    withdraw_label="Withdraw my interview",
    withdraw_confirm=(
        "Withdrawing your interview erases it for good: all your messages, all the questions, "
        "the summary, and the link between its pseudonym and your account. Nothing can be "
        "recovered. Do you confirm the erasure?"
    ),
    withdraw_yes="Yes, erase everything",
    withdraw_no="No, keep the interview",
    withdrawn=(
        "Done. Erased: the interview {pseudonym} started on {date}, its {turns} messages "
        "(yours and Terrain's), and the link between this pseudonym and your account. "
        "Nothing of it remains in Terrain's database."
    ),
    withdraw_cancelled="Nothing was erased; the interview goes on.",
    nothing_to_withdraw="No interview is recorded in this conversation: nothing to erase.",
    erased="This interview was erased. To begin another one, open a new conversation.",
    ongoing="You have an interview in progress, started on {date}.",
    ongoing_link="Resume it where you left off",
    summary_confirm_label="That's right",
    summary_correct_label="Correct it",
    summary_strike_label="Leave out of the summary: point {number}",
    summary_confirm_said="Yes, that's right.",
    correct_prompt="Write your correction in your next message.",
    struck="Point struck from the summary: {point}",
    not_allowed="Your role does not allow this action.",
    not_found="This interview does not exist or is not accessible.",
    no_account="Your account no longer exists; sign in again or contact an administrator.",
    leadership_home=(
        "## Reports\n\n"
        "The study's reports will appear here as soon as a synthesis is published. They are "
        "anonymous: no theme, quote or figure that concerns fewer than five people appears "
        "in them.\n\n"
        "Leadership has no access to the interviews themselves."
    ),
    facilitator_title="## Interviews",
    staff_pages_intro=(
        "The interviews, their transcripts, the review of findings and the extractions are in "
        "the facilitator pages; the report stays here for now."
    ),
    staff_pages_link="Open the facilitator pages",
    report_label="Report",
    report_draft=(
        "Report draft, built on {built} by {by}: {people} people, {themes} themes shown, "
        "{findings} findings. Quotes awaiting approval: {pending} (terrain report show, then "
        "terrain report approve or drop). The model's narratives come with terrain report build."
    ),
    report_publish_label="Publish",
    report_rebuild_label="Rebuild",
    report_pending=(
        "Some quotes still await your decision: nothing was published. Approve or drop each "
        "(terrain report show, terrain report approve, terrain report drop)."
    ),
    report_no_draft="There is no draft to publish: click Report to build one.",
    report_published="Version {number} published: leadership now reads it.",
    speakers={Speaker.INTERVIEWER: "Terrain", Speaker.EMPLOYEE: "Employee"},
    statuses={
        InterviewStatus.IN_PROGRESS: "in progress",
        InterviewStatus.CLOSED: "closed",
        InterviewStatus.DECLINED: "declined",
        InterviewStatus.STOPPED: "stopped",
    },
    phases={
        Phase.CONSENT: "consent",
        Phase.ROLE: "the job",
        Phase.EPISODE: "one moment",
        Phase.PEOPLE: "the people",
        Phase.GAP: "planned and real",
        Phase.AUTOMATION: "tools",
        Phase.CLOSING: "closing",
        Phase.DONE: "done",
    },
    finding_statuses={
        FindingStatus.PROPOSED: "proposed",
        FindingStatus.ACCEPTED: "accepted",
        FindingStatus.EDITED: "code changed",
        FindingStatus.REJECTED: "rejected",
    },
    finding_origins={FindingOrigin.MODEL: "model", FindingOrigin.FACILITATOR: "facilitator"},
    admin_title="## Administration",
    admin_users="### Users",
    admin_user_columns=("Name", "Role", "Created"),
    admin_interviews="### Interviews",
    admin_interview_columns=("Pseudonym", "Status", "Started", "Messages"),
    admin_no_interviews="No interviews recorded.",
    admin_erase_label="Erase {pseudonym}",
    admin_erase_confirm=(
        "Erasing the interview {pseudonym} deletes its {turns} messages and the link between "
        "this pseudonym and the person for good. Do you confirm?"
    ),
    admin_erase_yes="Yes, erase",
    admin_erased=(
        "Erased: the interview {pseudonym}, its {turns} messages and the link between the "
        "pseudonym and the person."
    ),
    admin_help="Accounts are managed with `terrain users`; interviews are erased here.",
    thread_name="{status} · {date}",
    date_format="%Y-%m-%d %H:%M",
    roles={
        UserRole.EMPLOYEE: "employee",
        UserRole.FACILITATOR: "facilitator",
        UserRole.LEADERSHIP: "leadership",
        UserRole.ADMIN: "administrator",
    },
)


def texts_for(language: str) -> Texts:
    return FR if language == "fr" else EN


def language_from(accept_language: str | None, default: str) -> str:
    """``fr`` or ``en`` from a browser's language tag (``fr-FR``, ``en-US``…), else ``default``."""
    if accept_language:
        primary = accept_language.split(",")[0].split(";")[0].strip().lower()
        base = primary.split("-")[0]
        if base in LANGUAGES:
            return base
    return default if default in LANGUAGES else "fr"
