"""The closed sets of values that a person names on the command line: roles, phases, collections.

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
