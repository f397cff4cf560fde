"""The leadership report's records: what it holds, once, as pydantic models.

A count that covers fewer people than the report's ``min_people``, or that would let such a
count be deduced, is ``None``: renderers show it as hidden, and the JSON export carries
``null``. Everything textual in a :class:`Report`
has been redacted; a report is therefore safe for leadership as a whole, and every renderer is
a pure function of it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from assistant.schemas import Finding, Interview, Turn

REPORT_SCHEMA_VERSION = "1"
UNKNOWN = "unknown"


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class InterviewProfile(Frozen):
    """What the report may know of an interview's group (from the accounts, not the talk)."""

    role: str | None = None
    site: str | None = None


class SourceSection(Frozen):
    """A section of the essay's sources (``knowledge/sources/``) a narrative may cite."""

    file: str
    section: str


class ReportInputs(BaseModel):
    """Everything a report is computed from: records passed in, never read from the store."""

    interviews: list[Interview]
    findings: list[Finding]
    profiles: dict[str, InterviewProfile] = Field(
        default_factory=dict, description="By interview id; missing means unknown."
    )
    known_names: set[str] = Field(
        default_factory=set,
        description="Account names, pseudonyms, people named in the company's documents.",
    )
    allowed_terms: set[str] = Field(
        default_factory=set,
        description="Proper nouns that are not personal (the company's sites, its products).",
    )
    sources: list[SourceSection] = Field(default_factory=list)
    employee_words: dict[str, list[Turn]] = Field(
        default_factory=dict,
        description="By interview id, the employee's turns: words shown in quotation marks as "
        "an employee's (the automation reasons) must stand in them word for word.",
    )


class ReportOptions(Frozen):
    language: str = "fr"
    include_proposed: bool = False
    min_people: int = Field(default=5, ge=1)
    min_people_for_quotes: int = Field(default=10, ge=1)
    quotes_per_theme: int = Field(default=3, ge=0)
    title: str | None = None


class Label(Frozen):
    id: str
    label: str


class HeatCell(Frozen):
    stage: str
    code: str
    people: int | None
    episodes: int | None
    drafts: bool = Field(description="Counts include findings not yet reviewed.")


class Heatmap(Frozen):
    stages: list[Label]
    codes: list[Label]
    cells: list[HeatCell] = Field(description="Only cells with at least one finding.")
    stage_totals: dict[str, int | None] = Field(description="Distinct people per stage.")
    code_totals: dict[str, int | None] = Field(description="Distinct people per code.")

    def cell(self, stage: str, code: str) -> HeatCell | None:
        return next((c for c in self.cells if c.stage == stage and c.code == code), None)


class ShownQuote(Frozen):
    text: str
    finding_id: str
    draft: bool


class Narrative(Frozen):
    """Prose drafted by a model from redacted material, and perhaps edited by a facilitator."""

    id: str
    text: str
    finding_ids: list[str] = Field(min_length=1)
    sources: list[SourceSection] = Field(default_factory=list)
    theme: str | None = Field(default=None, description="The theme's code; None for advice.")
    drafted_by_model: str
    prompt: str = Field(description="Prompt id@version that drafted it.")
    drafts: bool = Field(default=False, description="It rests on findings not yet reviewed.")
    edited: bool = False
    edited_by: str | None = None
    edited_at: datetime | None = None


class Theme(Frozen):
    code: str
    label: str
    people: int
    episodes: int
    interviews: int
    findings: int
    drafts: bool
    quotes: list[ShownQuote]
    finding_ids: list[str]
    synthesis: Narrative | None = None


class CountRow(Frozen):
    label: str
    people: int
    findings: int
    drafts: bool


class GapGroup(Frozen):
    source: str | None = Field(description="The company document; None when none was cited.")
    page: int | None
    section: str
    people: int
    descriptions: list[str]
    drafts: bool


class AutomationRow(Frozen):
    activity: str
    people: int
    exposure: dict[str, int | None] = Field(
        description="Distinct people per exposure (automatable, augmented, human_essential, "
        "unknown); None below the threshold."
    )
    reasons: list[str] = Field(
        description="Employees' own words, found word for word in what they said (quoted)."
    )
    paraphrases: list[str] = Field(
        default_factory=list,
        description="Reasons as the extraction worded them, not found in what the employees "
        "said: shown without quotation marks, as a paraphrase.",
    )
    drafts: bool


class GroupCount(Frozen):
    """A role or site shown with its people; hidden groups are only counted in Withheld."""

    label: str
    people: int


class GroupRow(Frozen):
    """A group (a job, a site) at or above the threshold: its people with a finding, and its
    people per column (theme, stage or exposure), None where hidden."""

    label: str
    people: int
    cells: dict[str, int | None]


class GroupTable(Frozen):
    """Groups by columns; ``totals`` are everyone's per column (the heatmap's where they are
    the same counts), ``people`` everyone's with a finding."""

    columns: list[Label]
    rows: list[GroupRow]
    totals: dict[str, int | None]
    people: int | None


class GroupView(Frozen):
    """One dimension (``role`` or ``site``): themes, value-chain stages and exposure to
    automation, each by group. Quotes are never shown by group."""

    dimension: str
    themes: GroupTable
    stages: GroupTable
    exposure: GroupTable


class Coverage(Frozen):
    interviews: int | None
    people: int | None = Field(description="People interviewed (ended interviews).")
    people_with_findings: int | None = Field(
        default=None,
        description="People with at least one finding in the report: the heatmap's total.",
    )
    findings: int | None
    draft_findings: int
    languages: dict[str, int]
    roles: list[GroupCount]
    sites: list[GroupCount]


class Withheld(Frozen):
    """How much anonymity rules kept out, never which."""

    cells: int = 0
    themes: int = 0
    quotes: int = 0
    quotes_doubtful: int = 0
    counterparts: int = 0
    gaps: int = 0
    automation_rows: int = 0
    groups: int = 0
    group_rows: int = Field(default=0, description="Groups left out of the sections by group.")
    narratives: int = 0


class NarrativeState(StrEnum):
    WRITTEN = "written"
    UNAVAILABLE = "unavailable"  # no model reached: the report is complete but for its prose
    NOT_REQUESTED = "not_requested"


class DropReason(StrEnum):
    """Why a drafted narrative was not kept."""

    MALFORMED = "malformed"  # the model's answer never fit the expected structure
    NO_CITATION = "no_citation"  # it cited no finding (or theme) that exists where it belongs


class DroppedNarrative(Frozen):
    """A section whose narrative was drafted and dropped, and why (shown in the draft)."""

    theme: str | None = Field(description="The theme's code; None for the recommendations.")
    reason: DropReason


class NarrativeStatus(Frozen):
    state: NarrativeState
    detail: str = ""
    model_calls: int = 0
    largest_prompt_tokens: int = 0
    dropped: int = Field(default=0, description="Drafts dropped: no valid finding cited.")
    dropped_sections: list[DroppedNarrative] = Field(
        default_factory=list, description="Each section left without its narrative, and why."
    )


class Report(Frozen):
    schema_version: str = REPORT_SCHEMA_VERSION
    title: str
    language: str
    generated_at: datetime
    codebook: str
    include_proposed: bool
    min_people: int
    min_people_for_quotes: int
    quotes_allowed: bool
    coverage: Coverage
    heatmap: Heatmap
    themes: list[Theme]
    counterparts: list[CountRow]
    gaps: list[GapGroup]
    automation: list[AutomationRow]
    groups: list[GroupView] = Field(
        default_factory=list, description="Themes, stages and exposure by job and by site."
    )
    recommendations: list[Narrative]
    withheld: Withheld
    narratives: NarrativeStatus
