"""The staff pages' own words, from the catalogs of :mod:`assistant.i18n`; the words they
share with the chat (statuses, roles, speakers, dates) are :mod:`assistant.web.texts`'."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from assistant.i18n import translation
from assistant.schemas import AccessKind, JobStatus, ReviewAction
from assistant.web.texts import Texts, texts_for


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


@cache
def page_texts(language: str) -> PageTexts:
    """The staff pages' words in ``language``, from its catalog."""
    catalog = translation(language)
    _, pgettext = catalog.gettext, catalog.pgettext
    return PageTexts(
        web=texts_for(language),
        staff_space=_("Staff pages"),
        signed_in_as=_("{name} · {role}"),
        sign_out=_("Sign out"),
        menu_label=_("Main menu"),
        nav={
            "interviews": _("Interviews"),
            "jobs": _("Extractions"),
            "export": _("Findings export"),
            "report": _("Report"),
            "campaigns": _("Campaigns"),
            "leadership": _("Report"),
            "accounts": _("Accounts"),
            "erase": _("Erasure"),
            "audit": _("Access log"),
        },
        refused_title=_("Access refused"),
        refusals={
            "role": _("Your role does not give access to this page."),
            "account": _("This account no longer exists or was disabled."),
            "form": _(
                "This form expired or does not come from this page: nothing was "
                "changed. Reload the page and try again."
            ),
            "too_long": _(
                "The field “{field}” is too long (at most {limit} characters): "
                "nothing was changed. Shorten it and try again."
            ),
        },
        not_found_title=_("Not found"),
        not_found=_("This page, interview or finding does not exist (any more)."),
        back_home=_("Back to the start"),
        home_title=_("Staff pages"),
        home_empty=_("No staff page is open to your role yet."),
        interviews_title=_("Interviews"),
        filters_label=_("Filter the interviews"),
        filters={
            "all": _("All"),
            "flagged": pgettext("filters", "Flagged"),
            "to_review": _("Findings to review"),
            "extraction_pending": _("Extraction pending"),
            "extraction_failed": _("Extraction failed"),
        },
        columns=(
            _("Pseudonym"),
            _("Date"),
            _("Status"),
            _("Language"),
            _("Turns"),
            _("Findings"),
            _("Extraction"),
        ),
        findings_cell=_("{proposed} to review · {accepted} kept"),
        extraction_states={
            "none": _("none"),
            "queued": _("pending"),
            "running": _("running"),
            "done": pgettext("extraction_states", "done"),
            "failed": _("failed"),
        },
        interviews_empty=_("No interview matches this filter."),
        flagged=pgettext("flagged", "Flagged"),
        transcript_title=_("Interview {pseudonym}"),
        transcript_meta=_("{status} · {date} · language {language} · {turns} turns"),
        flag_reason=_("Flagged: {reason}"),
        turn_label=_("Turn {number}"),
        no_turns=_("This interview has no turns."),
        findings_heading=_("Findings"),
        no_findings=_("No finding for this turn."),
        finding_label=_("Finding {number}: {code}"),
        quote_of=_("Quote from turn {number}"),
        quote_link=_("finding {number}"),
        field_code=_("Code"),
        field_stage=_("Value-chain stage"),
        field_activity=_("Activity"),
        field_counterpart=_("Counterpart"),
        field_status=_("Status"),
        field_origin=_("Origin"),
        proposed_code=_("Code the model proposed: {code}"),
        unknown=_("unknown"),
        accept=_("Accept"),
        reject=_("Reject"),
        edit_heading=_("Change the code or fields"),
        save_edit=_("Save the changes"),
        trail_heading=_("History"),
        trail_actions={
            ReviewAction.ACCEPT: _("accepted"),
            ReviewAction.REJECT: _("rejected"),
            ReviewAction.EDIT: _("edited"),
            ReviewAction.ADD: _("added"),
        },
        trail_entry=_("{at} · {actor} · {action}"),
        add_heading=_("Add a finding"),
        add_intro=_(
            "Select the employee's words in the transcript, or choose the turn and "
            "paste their exact words: they are checked word for word before they are "
            "kept."
        ),
        add_turn=_("The employee's turn"),
        add_turn_choice=_("Turn {number}: {start}"),
        add_words=_("The employee's exact words"),
        add_button=_("Add the finding"),
        add_from_selection=_("Add a finding with these words"),
        notices={
            "accepted": _("Finding accepted."),
            "rejected": _("Finding rejected."),
            "edited": _("Finding changed."),
            "added": _("Finding added."),
            "requeued": _("Extraction queued again."),
            "republish_requeued": _("Republication queued again."),
            "report_build_requeued": _("Report build queued again."),
            "report_build_busy": _(
                "Another report build is already queued or running: nothing was queued again."
            ),
        },
        problems={
            "not_said": _(
                "These words do not stand as they are in this turn of the "
                "employee's: nothing was added. Copy them exactly from the "
                "transcript."
            ),
            "stale": _(
                "This finding changed since the page was opened: nothing was "
                "changed. Here is how it stands now."
            ),
            "invalid": _("These values are not valid: nothing was changed."),
            "nothing_changed": _("No field changed: nothing was changed."),
            "no_turn": _("Choose one of the employee's turns."),
        },
        jobs_title=_("Extractions"),
        jobs_columns=(
            _("Interview"),
            _("State"),
            _("Attempts"),
            _("Reason"),
            _("Updated"),
            "",
        ),
        job_statuses={
            JobStatus.QUEUED: _("pending"),
            JobStatus.RUNNING: _("running"),
            JobStatus.DONE: pgettext("job_statuses", "done"),
            JobStatus.FAILED: _("failed"),
        },
        jobs_empty=_("No extraction yet."),
        republish_title=_("Report republications"),
        republish_intro=_(
            "When an interview is erased, every published version that used it is "
            "withdrawn at once, then republished without it by this job."
        ),
        republish_columns=(
            _("Asked on"),
            _("State"),
            _("Attempts"),
            _("Reason"),
            _("Updated"),
            "",
        ),
        republish_empty=_("No republication asked for."),
        retry=_("Retry"),
        erased_interview=_("(interview erased)"),
        export_title=_("Findings export"),
        export_intro=_(
            "The findings of every interview, for your own analysis: pseudonyms only, "
            "never a user name."
        ),
        export_csv=_("Download as CSV"),
        export_json=_("Download as JSON"),
        audit_title=_("Access log"),
        audit_intro=_(
            "Each read of an interview, each export and each download of the report: "
            "who, when, what. The log holds nothing of what was read; once an "
            "interview is erased, its lines no longer name it."
        ),
        audit_columns=(
            _("When"),
            _("Who"),
            _("What"),
            _("Interview"),
        ),
        audit_kinds={
            AccessKind.TRANSCRIPT: _("interview read"),
            AccessKind.FINDINGS_EXPORT: _("findings export"),
            AccessKind.REPORT_EXPORT: _("report file"),
            AccessKind.REPORT_DOWNLOAD: _("report download"),
        },
        audit_what=_("{kind} ({detail})"),
        audit_draft=_("draft"),
        audit_version=_("version {number}"),
        audit_filter_user=_("Account"),
        audit_filter_since=_("Since"),
        audit_filter_button=_("Filter"),
        audit_empty=_("No access recorded."),
        audit_shown=_(
            "The {shown} newest accesses are shown; the command terrain audit gives them all."
        ),
        masked_note=_(
            "The people the employee talks about are masked: names, phone numbers, "
            "e-mail and postal addresses, dates of birth and health details are "
            "replaced by labels, the same throughout the interview. Words you select "
            "record the employee's real words."
        ),
        workers_running=_("Extraction workers running: {count}."),
        no_worker=_(
            "No extraction worker is running (none heard from in the last {seconds} "
            "s): queued extractions will wait. Restart terrain serve, or start terrain"
            " worker."
        ),
        report_builds_title=_("Report builds"),
        report_builds_intro=_(
            "The report drafts asked for on the Report page (or by terrain report "
            "build), built one at a time by the background worker."
        ),
        report_builds_columns=(
            _("Asked by"),
            _("State"),
            _("Attempts"),
            _("Reason"),
            _("Updated"),
            "",
        ),
        report_builds_empty=_("No report build asked for."),
    )
