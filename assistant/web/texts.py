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
    # where each staff role's pages are: title, intro (its rules as $placeholders of
    # assistant.promises), link label
    staff_pages: dict[UserRole, tuple[str, str, str]]
    speakers: dict[Speaker, str]
    statuses: dict[InterviewStatus, str]
    phases: dict[Phase, str]
    # finding statuses and origins, as the staff pages show them
    finding_statuses: dict[FindingStatus, str]
    finding_origins: dict[FindingOrigin, str]
    # a thread's name in the conversation list
    thread_name: str  # {status} {date}: the status first, where a narrow list still shows it
    date_format: str
    # accounts
    roles: dict[UserRole, str]
    # the database cannot be written (a full disk, a read-only file); any other store failure
    cannot_save: str
    store_failed: str


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
    staff_pages={
        UserRole.FACILITATOR: (
            "## Espace animateur",
            "Les entretiens, leurs transcriptions, la revue des constats, les extractions et "
            "le rapport sont dans l'espace animateur.",
            "Ouvrir l'espace animateur",
        ),
        UserRole.LEADERSHIP: (
            "## Rapport",
            "Le dernier rapport publié se lit sur sa page, avec son PDF et son HTML à "
            "télécharger. Il est anonyme : aucun thème ni aucun chiffre qui concerne moins de "
            "$min_people personnes n'y figure, aucune citation s'il porte sur moins de "
            "$min_people_for_quotes personnes ; la direction n'a pas accès aux entretiens "
            "eux-mêmes.",
            "Lire le rapport",
        ),
        UserRole.ADMIN: (
            "## Administration",
            "Les comptes (ajout, désactivation, mot de passe, rôle) et l'effacement des "
            "entretiens d'une personne sont dans les pages d'administration.",
            "Ouvrir l'administration",
        ),
    },
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
    thread_name="{status} · {date}",
    date_format="%d/%m/%Y %H:%M",
    roles={
        UserRole.EMPLOYEE: "salarié·e",
        UserRole.FACILITATOR: "facilitateur·rice",
        UserRole.LEADERSHIP: "direction",
        UserRole.ADMIN: "administrateur·rice",
    },
    cannot_save=(
        "Terrain ne peut rien enregistrer pour le moment : l'espace de stockage du serveur a un "
        "problème que son administrateur doit régler. Ce qui était déjà enregistré est gardé. "
        "Copiez votre dernier message et renvoyez-le plus tard."
    ),
    store_failed=(
        "Votre message n'a pas pu être traité à cause d'une erreur du serveur. Ce qui était "
        "déjà enregistré est gardé ; réessayez dans un instant."
    ),
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
    staff_pages={
        UserRole.FACILITATOR: (
            "## Facilitator pages",
            "The interviews, their transcripts, the review of findings, the extractions and "
            "the report are in the facilitator pages.",
            "Open the facilitator pages",
        ),
        UserRole.LEADERSHIP: (
            "## Report",
            "The latest published report is read on its page, with its PDF and HTML to "
            "download. It is anonymous: no theme or count that concerns fewer than $min_people "
            "people appears in it, and no quote unless it covers at least "
            "$min_people_for_quotes people; leadership has no access to the interviews "
            "themselves.",
            "Read the report",
        ),
        UserRole.ADMIN: (
            "## Administration",
            "Accounts (add, disable, password, role) and erasing a person's interviews are in "
            "the administration pages.",
            "Open the administration",
        ),
    },
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
    thread_name="{status} · {date}",
    date_format="%Y-%m-%d %H:%M",
    roles={
        UserRole.EMPLOYEE: "employee",
        UserRole.FACILITATOR: "facilitator",
        UserRole.LEADERSHIP: "leadership",
        UserRole.ADMIN: "administrator",
    },
    cannot_save=(
        "Terrain cannot save anything right now: the server's storage has a problem that its "
        "administrator must fix. What was saved before is kept. Copy your last message and "
        "send it again later."
    ),
    store_failed=(
        "Your message could not be handled because of a server error. What was saved before "
        "is kept; try again in a moment."
    ),
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
