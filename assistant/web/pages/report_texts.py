"""The words of the report, leadership and administration pages
(:mod:`assistant.i18n`; the words every staff page shares are :mod:`assistant.web.pages.texts`')."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from assistant.i18n import translation
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
    plan_versions: str  # {numbers}
    plan_no_versions: str
    plan_draft: str
    plan_pseudonyms: str  # {names}
    plan_for_good: str
    erase_button: str
    cancel: str
    erased: str  # {names}
    # a build queued for the worker, or under way (its progress read from the database)
    build_queued: str  # {by} {at}
    build_waits: str  # {reason}: why a build that had started waits again
    build_no_worker: str  # {seconds}
    build_phases: dict[str, str]  # ReportBuildPhase value -> what is being done
    build_progress: str  # {calls} {kept} {dropped}
    build_auto_refresh: str  # {seconds}
    build_retry: str  # {page}: the link to the jobs page, where a failed build is retried


@cache
def report_page_texts(language: str) -> ReportPageTexts:
    """The report, leadership and administration pages' words in ``language``."""
    catalog = translation(language)
    _, pgettext = catalog.gettext, catalog.pgettext
    return ReportPageTexts(
        report_title=_("Report"),
        build_heading=_("Build the draft"),
        build_intro=_(
            "The draft draws on the accepted or edited findings of every ended "
            "interview. Building it again replaces the current draft and its quote "
            "decisions."
        ),
        build_include_proposed=_("Count findings not yet reviewed too (marked as drafts)"),
        build_narratives=_("Narratives"),
        build_with_model=_("Written by the model (a few minutes)"),
        build_without_model=_("No narratives (no model call)"),
        build_button=_("Build the draft"),
        building=_("Building, asked by {by} at {at}: {phase}."),
        build_failed=_("The last build failed: {reason}"),
        refresh=_("Reload"),
        no_draft=_("No draft yet: build one."),
        draft_heading=_("The draft"),
        draft_meta=_(
            "Built on {at} by {by} · {people} people · {themes} themes shown · {findings} findings"
        ),
        fewer_than=_("fewer than {n}"),
        narratives_written=_("Narratives written by the model ({calls} calls)."),
        narratives_unavailable=_(
            "The model could not be reached: the draft is complete but for its narratives. {detail}"
        ),
        narratives_none=_("Built without narratives (no model call)."),
        preview=_("Preview the draft (HTML)"),
        exports_heading=_("Export the draft"),
        export_formats={
            "html": _("HTML"),
            "pdf": _("PDF"),
            "md": _("Markdown"),
            "json": _("JSON"),
            "qdpx": _("QDPX"),
        },
        qdpx_note=_(
            "The QDPX (REFI-QDA) holds the pseudonymised transcripts: it is for "
            "facilitators only, never for leadership."
        ),
        quotes_heading=_("Quotes"),
        quotes_intro=_(
            "Each quote must be approved or dropped before publishing; only approved "
            "quotes are published."
        ),
        quotes_pending=_("{pending} of {total} await a decision."),
        no_quotes=_("This draft has no quotes."),
        quote_theme=_("Theme: {theme}"),
        decisions={
            None: _("awaiting a decision"),
            QuoteDecision.APPROVED: _("approved"),
            QuoteDecision.DROPPED: _("dropped"),
        },
        approve=_("Approve"),
        drop=_("Drop"),
        narratives_heading=_("Narratives and recommendations"),
        no_narratives=_("This draft has no narratives."),
        narrative_label=_("Narrative of the theme {theme}"),
        recommendation=_("Recommendation"),
        edited_by=_("edited by {by}"),
        save_narrative=_("Save the text"),
        publish_heading=_("Publish"),
        publish_intro=_(
            "Publishing freezes the draft as a new numbered version, which leadership "
            "reads at once."
        ),
        publish_button=_("Publish the draft"),
        versions_heading=_("Published versions"),
        no_versions=_("No version published."),
        version_columns=(
            _("Version"),
            _("State"),
            _("Published"),
            _("By"),
            _("Files"),
        ),
        version_statuses={
            ReportStatus.DRAFT: _("draft"),
            ReportStatus.PUBLISHED: _("published"),
            ReportStatus.WITHDRAWN: _("withdrawn (an interview was erased)"),
        },
        replaces=_("replaces version {number}"),
        read_by_leadership=_("read by leadership"),
        withdrawn_gone=_("no longer readable"),
        notices={
            "building": _("Build started: the draft appears here once it is done."),
            "approved": _("Quote approved."),
            "dropped": _("Quote dropped."),
            "narrative": _("Text saved (redacted of any personal data)."),
            "published": _("Version published: leadership now reads it."),
        },
        problems={
            "busy": _("A build is already queued or running: wait for it to finish."),
            "no_draft": _("There is no draft any more (it may have been rebuilt or withdrawn)."),
            "pending": _(
                "Some quotes still await a decision: nothing was published. "
                "Approve or drop each one."
            ),
            "unknown_quote": _("This quote is no longer in the draft: nothing was changed."),
            "unknown_narrative": _("This text is no longer in the draft: nothing was changed."),
            "empty": _("The text is empty: nothing was changed."),
            "pdf": _("The PDF cannot be made here: download the HTML and print it."),
            "no_version": _("There is no such version."),
            "withdrawn": _(
                "This version was withdrawn (an interview it used was erased): it "
                "is no longer read. Its republished version is in the list."
            ),
        },
        leadership_title=_("Report"),
        leadership_meta=_("Version {number}, published on {at}."),
        leadership_none=_("No report is published yet."),
        download_html=_("Download as HTML"),
        download_pdf=_("Download as PDF"),
        report_frame=_("The published report"),
        accounts_title=_("Accounts"),
        account_columns=(
            _("User"),
            _("Display name"),
            _("Role"),
            _("State"),
            _("Created"),
            _("Actions"),
        ),
        account_states={False: _("active"), True: _("disabled")},
        change_account=_("Role or password of {name}"),
        change_role=_("Change the role"),
        role_of=_("Role of {name}"),
        disable=_("Disable"),
        enable=_("Enable"),
        new_password=_("New password for {name}"),
        set_password=_("Change the password"),
        yourself=_("(you)"),
        not_yourself=_(
            "You cannot change your own account here (you could lock yourself out): "
            "another administrator, or `terrain users`, can."
        ),
        account_saved=_("Account {name} saved."),
        add_heading=_("Add an account"),
        field_name=_("User name"),
        field_display_name=_("Display name (optional)"),
        field_role=_("Role"),
        field_password=_("Password"),
        password_hint=_("At least 10 characters."),
        add_button=_("Add the account"),
        erase_title=_("Erasure"),
        erase_intro=_(
            "Erase a person's interviews (by their user name) or one interview (by its"
            " pseudonym). The next page says what would be erased before anything is."
        ),
        by_user=_("User name"),
        by_pseudonym=_("Pseudonym"),
        show_plan=_("See what would be erased"),
        plan_heading=_("Confirm the erasure"),
        plan_nothing=_("Nothing to erase: no interview of {who}."),
        plan_versions=_(
            "Report versions withdrawn at once, then republished without these "
            "interviews: {numbers}."
        ),
        plan_no_versions=_("No published version of the report uses them."),
        plan_draft=_("The report's draft, which uses them, will be deleted."),
        plan_pseudonyms=_("Pseudonyms: {names}."),
        plan_for_good=_("Erasure is final. The person's account, if any, is kept."),
        erase_button=_("Erase for good"),
        cancel=_("Cancel"),
        erased=_(
            "Erased: {names}. The report versions that used them are withdrawn; the "
            "report is republished without them as soon as the worker has run."
        ),
        build_queued=_(
            "Build asked by {by} at {at}: it waits for its turn with the background worker."
        ),
        build_waits=_("It was interrupted and will start again from the beginning: {reason}"),
        build_no_worker=_(
            "No background worker has been heard from in {seconds} s: the build will "
            "wait for one to start. Restart terrain serve, or start terrain worker."
        ),
        build_phases={
            "reading": _("reading the interviews and findings"),
            "sections": _("computing the sections and masking personal data"),
            "narratives": _("the model writing the narratives"),
            "saving": _("saving the draft"),
            "done": pgettext("build_phases", "done"),
        },
        build_progress=_(
            "Model calls: {calls} · narratives kept: {kept} · drafts left out: {dropped}"
        ),
        build_auto_refresh=_("This page reloads by itself every {seconds} seconds."),
        build_retry=_("Retry it from the “{page}” page"),
    )
