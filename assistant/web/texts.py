"""The web app's own words, from the catalogs of :mod:`assistant.i18n` (the interview's words
are the guide's)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache

from assistant.i18n import UnsupportedLanguage, languages, translation
from assistant.schemas import (
    FindingOrigin,
    FindingStatus,
    InterviewStatus,
    Phase,
    Speaker,
    UserRole,
)

log = logging.getLogger(__name__)


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


@cache
def texts_for(language: str) -> Texts:
    """The web app's words in ``language`` (one of :func:`assistant.i18n.languages`)."""
    catalog = translation(language)
    _, pgettext = catalog.gettext, catalog.pgettext
    return Texts(
        language=language,
        assistant_name=_("Terrain"),
        agree_label=_("I agree"),
        decline_label=_("I decline"),
        agree_said=_("Yes, I agree."),
        decline_said=_("No, I decline."),
        consent_first=_(
            'To begin, choose "I agree" or "I decline" below the welcome message. '
            "Nothing is recorded before you answer."
        ),
        stop_label=_("Stop the interview"),
        withdraw_label=_("Withdraw my interview"),
        withdraw_confirm=_(
            "Withdrawing your interview erases it for good: all your messages, all the"
            " questions, the summary, and the link between its pseudonym and your "
            "account. Nothing can be recovered. Do you confirm the erasure?"
        ),
        withdraw_yes=_("Yes, erase everything"),
        withdraw_no=_("No, keep the interview"),
        withdrawn=_(
            "Done. Erased: the interview {pseudonym} started on {date}, its {turns} "
            "messages (yours and Terrain's), and the link between this pseudonym and "
            "your account. Nothing of it remains in Terrain's database."
        ),
        withdraw_cancelled=_("Nothing was erased; the interview goes on."),
        nothing_to_withdraw=_("No interview is recorded in this conversation: nothing to erase."),
        erased=_("This interview was erased. To begin another one, open a new conversation."),
        ongoing=_("You have an interview in progress, started on {date}."),
        ongoing_link=_("Resume it where you left off"),
        summary_confirm_label=_("That's right"),
        summary_correct_label=_("Correct it"),
        summary_strike_label=_("Leave out of the summary: point {number}"),
        summary_confirm_said=_("Yes, that's right."),
        correct_prompt=_("Write your correction in your next message."),
        struck=_("Point struck from the summary: {point}"),
        not_allowed=_("Your role does not allow this action."),
        not_found=_("This interview does not exist or is not accessible."),
        no_account=_("Your account no longer exists; sign in again or contact an administrator."),
        staff_pages={
            UserRole.FACILITATOR: (
                _("## Facilitator pages"),
                _(
                    "The interviews, their transcripts, the review of findings, "
                    "the extractions and the report are in the facilitator pages."
                ),
                _("Open the facilitator pages"),
            ),
            UserRole.LEADERSHIP: (
                _("## Report"),
                _(
                    "The latest published report is read on its page, with its PDF"
                    " and HTML to download. It is anonymous: no theme or count "
                    "that concerns fewer than $min_people people appears in it, "
                    "and no quote unless it covers at least $min_people_for_quotes"
                    " people; leadership has no access to the interviews "
                    "themselves."
                ),
                _("Read the report"),
            ),
            UserRole.ADMIN: (
                _("## Administration"),
                _(
                    "Accounts (add, disable, password, role) and erasing a "
                    "person's interviews are in the administration pages."
                ),
                _("Open the administration"),
            ),
        },
        speakers={Speaker.INTERVIEWER: _("Terrain"), Speaker.EMPLOYEE: _("Employee")},
        statuses={
            InterviewStatus.IN_PROGRESS: _("in progress"),
            InterviewStatus.CLOSED: _("closed"),
            InterviewStatus.DECLINED: _("declined"),
            InterviewStatus.STOPPED: _("stopped"),
        },
        phases={
            Phase.CONSENT: _("consent"),
            Phase.ROLE: _("the job"),
            Phase.EPISODE: _("one moment"),
            Phase.PEOPLE: _("the people"),
            Phase.GAP: _("planned and real"),
            Phase.AUTOMATION: _("tools"),
            Phase.CLOSING: _("closing"),
            Phase.DONE: pgettext("phases", "done"),
        },
        finding_statuses={
            FindingStatus.PROPOSED: _("proposed"),
            FindingStatus.ACCEPTED: _("accepted"),
            FindingStatus.EDITED: _("code changed"),
            FindingStatus.REJECTED: _("rejected"),
        },
        finding_origins={
            FindingOrigin.MODEL: _("model"),
            FindingOrigin.FACILITATOR: pgettext("finding_origins", "facilitator"),
        },
        thread_name=_("{status} · {date}"),
        date_format=_("%Y-%m-%d %H:%M"),
        roles={
            UserRole.EMPLOYEE: _("employee"),
            UserRole.FACILITATOR: pgettext("roles", "facilitator"),
            UserRole.LEADERSHIP: _("leadership"),
            UserRole.ADMIN: _("administrator"),
        },
        cannot_save=_(
            "Terrain cannot save anything right now: the server's storage has a "
            "problem that its administrator must fix. What was saved before is kept. "
            "Copy your last message and send it again later."
        ),
        store_failed=_(
            "Your message could not be handled because of a server error. What was "
            "saved before is kept; try again in a moment."
        ),
    )


def language_from(accept_language: str | None, default: str) -> str:
    """The language of a browser's first tag (``fr-FR``, ``en-US``…) when Terrain speaks it,
    else ``default``: the one place where a language Terrain has no catalog for turns into
    another, said in the log (every text table refuses an unknown language)."""
    if default not in languages():
        raise UnsupportedLanguage(default)
    if accept_language:
        primary = accept_language.split(",")[0].split(";")[0].strip().lower()
        base = primary.split("-")[0]
        if base in languages():
            return base
        if base and base not in _NOTICED:
            _NOTICED.add(base)
            log.info(
                "A browser asks for %r, which Terrain has no catalog for: %r is used.",
                base,
                default,
            )
    return default


_NOTICED: set[str] = set()  # the unknown languages already logged, each once
