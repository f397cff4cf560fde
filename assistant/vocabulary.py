"""The closed sets of values the command line names or words: roles, phases, collections, and
why an extraction was queued or not.

They are plain enums, kept apart from the pydantic records that use them (``schemas.py``,
``retrieval/records.py``, which re-export them) so that the ``terrain`` command can declare its
options without loading pydantic: ``terrain --help`` must answer at once.
"""

from __future__ import annotations

from enum import StrEnum


class UserRole(StrEnum):
    EMPLOYEE = "employee"
    FACILITATOR = "facilitator"
    LEADERSHIP = "leadership"
    ADMIN = "admin"


class Phase(StrEnum):
    """The interview guide's phases, in order."""

    CONSENT = "consent"
    ROLE = "role"
    EPISODE = "episode"
    PEOPLE = "people"
    GAP = "gap"
    AUTOMATION = "automation"
    CLOSING = "closing"
    DONE = "done"


class Collection(StrEnum):
    """The company's own documents (prescribed work) or the essay's sources (concepts)."""

    COMPANY = "company"
    SOURCES = "sources"


class QueuedBecause(StrEnum):
    """Why an interview's extraction was queued."""

    NEW = "new"  # never extracted
    RETRY = "retry"  # its last run failed
    CHANGED = "changed"  # its transcript changed since it was extracted
    FORCED = "forced"  # extracted again on purpose
    WAITING = "waiting"  # already queued (when the interview closed, or by an earlier run)


class NotQueuedReason(StrEnum):
    """Why an interview's extraction was not queued."""

    IN_PROGRESS = "in_progress"
    DECLINED = "declined"
    NOTHING_SAID = "nothing_said"
    UP_TO_DATE = "up_to_date"
    RUNNING = "running"


# Why an interview named on purpose cannot be extracted at all (the others just wait or are done).
UNEXTRACTABLE = frozenset(
    {NotQueuedReason.IN_PROGRESS, NotQueuedReason.DECLINED, NotQueuedReason.NOTHING_SAID}
)


class GuardRule(StrEnum):
    """The output guard's rules: the one that fired is recorded on the turn it replaced."""

    LEAK = "leak"  # a run of words from the instructions, the guide or the passages; the canary
    LINK = "link"  # a URL, an e-mail address, a link, an image or markup
    QUESTIONS = "questions"  # no question, or mainly several
    LENGTH = "length"  # longer than TERRAIN_MAX_QUESTION_CHARS
    LANGUAGE = "language"  # written in another language than the interview's


class JobKind(StrEnum):
    EXTRACTION = "extract"  # one per interview
    REPUBLISH = "republish"  # report versions an erasure withdrew, published again without it
    RETENTION = "retention"  # interviews past TERRAIN_RETENTION_DAYS erased (a record, done)
    REPORT_BUILD = "report_build"  # the report's draft built by the worker; one at a time


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ReportStatus(StrEnum):
    DRAFT = "draft"  # the facilitators' working copy: at most one
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class QuoteDecision(StrEnum):
    """A facilitator's decision on a quote of the draft; a quote without one awaits review."""

    APPROVED = "approved"
    DROPPED = "dropped"


class WithdrawalReason(StrEnum):
    ERASURE = "erasure"  # an interview it drew on was erased


class AccessKind(StrEnum):
    """What a staff member read or took away, as the access log records it."""

    TRANSCRIPT = "transcript"  # an interview's page
    FINDINGS_EXPORT = "findings_export"  # the findings' CSV or JSON
    REPORT_EXPORT = "report_export"  # a facilitator's file of the draft or a version (QDPX too)
    REPORT_DOWNLOAD = "report_download"  # leadership's HTML or PDF


class ReportBuildPhase(StrEnum):
    READING = "reading"  # the ended interviews and their findings read from the database
    SECTIONS = "sections"  # the redactor loaded, the sections computed (no model)
    NARRATIVES = "narratives"  # the model writing the narratives
    SAVING = "saving"  # the draft stored in place of the previous one
    DONE = "done"


class CampaignStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
