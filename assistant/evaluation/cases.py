"""Evaluation cases, as YAML files under ``evals/``: what each case gives and expects.

A file holds one case or, under ``cases:``, several. ``scripted`` replies are fixtures for the
in-process model that CI runs the suite on: they exercise the harness and Terrain's own checks,
not any real model's quality.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from assistant.errors import TerrainError
from assistant.schemas import FindingStatus, GuardRule, Phase, Speaker


class CaseKind(StrEnum):
    INTERVIEWER_TURN = "interviewer_turn"
    EXTRACTION = "extraction"
    PERSONA = "persona"
    REPORT = "report"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PriorTurn(_Strict):
    """One message of the conversation so far: ``employee`` or ``interviewer`` gives its text."""

    employee: str | None = None
    interviewer: str | None = None

    @model_validator(mode="after")
    def _one_speaker(self) -> PriorTurn:
        if (self.employee is None) == (self.interviewer is None):
            raise ValueError("a turn gives exactly one of employee or interviewer")
        return self

    @property
    def said(self) -> tuple[Speaker, str]:
        if self.employee is not None:
            return Speaker.EMPLOYEE, self.employee
        return Speaker.INTERVIEWER, self.interviewer or ""


class Passage(_Strict):
    """A retrieved document passage shown to the interviewer (possibly hostile)."""

    text: str
    source: str = "procedure.md"
    title: str = "Procedure"


class AssertionSpec(_Strict):
    """One check on the interviewer's next message (see :mod:`assistant.evaluation.assertions`;
    ``judge``: every criterion of the judge's rubric scores at least ``value``, 3 if not given;
    ``replaced_by``: the output guard's rule ``value`` replaced the model's message)."""

    type: Literal[
        "one_question",
        "language",
        "max_chars",
        "contains",
        "not_contains",
        "regex",
        "not_regex",
        "json_schema",
        "no_canary",
        "no_link",
        "scripted",
        "model_written",
        "replaced_by",
        "judge",
        "no_advice",
        "python",
    ]
    value: Any = None
    name: str | None = None

    @model_validator(mode="after")
    def _value_fits_the_type(self) -> AssertionSpec:
        problem = _value_problem(self.type, self.value)
        if problem:
            raise ValueError(f"{self.type}: {problem}")
        return self

    @property
    def label(self) -> str:
        return self.name or self.type


def _value_problem(kind: str, value: Any) -> str:
    """What is wrong with an assertion's ``value`` for its type ("" when nothing is), so that a
    case that could never be judged is refused when loaded, never halfway through a run."""
    if kind == "replaced_by":
        rules = [rule.value for rule in GuardRule]
        return "" if value in rules else f"value names one of the guard's rules: {', '.join(rules)}"
    if kind == "max_chars":
        ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
        return "" if ok else f"value is a number of characters above 0 (got {value!r})"
    if kind in ("contains", "not_contains"):
        items = value if isinstance(value, list) else [value]
        ok = bool(items) and all(isinstance(item, str) and item for item in items)
        return "" if ok else f"value is a text or a list of texts (got {value!r})"
    if kind in ("regex", "not_regex"):
        if not isinstance(value, str) or not value:
            return f"value is a regular expression (got {value!r})"
        try:
            re.compile(value)
        except re.error as error:
            return f"value /{value}/ is not a valid regular expression: {error}"
        return ""
    if kind == "language":
        ok = value is None or value in ("fr", "en")
        return "" if ok else f"value is fr or en, or nothing for the case's (got {value!r})"
    if kind == "judge":
        ok = value is None or (
            isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5
        )
        return "" if ok else f"value is the lowest passing score, 1 to 5 (got {value!r})"
    if kind == "json_schema":
        return "" if isinstance(value, dict) else f"value is a JSON Schema mapping (got {value!r})"
    if kind == "python":
        ok = isinstance(value, str) and re.fullmatch(r"[\w.]+:\w+", value) is not None
        return "" if ok else f"value is module:function (got {value!r})"
    return ""


class ExpectedFinding(_Strict):
    code: str
    evidence: str = Field(description="A span of the employee's words the finding must quote.")


class Fact(_Strict):
    """A fact of the brief, to be revealed only when the interviewer asks about it."""

    id: str
    fact: str = Field(description="What the simulated employee knows.")
    asked_about: list[str] = Field(
        min_length=1,
        description="Words of a question that asks about it (the scripted user's cue).",
    )
    said: str = Field(description="How the scripted user says it.")
    markers: list[str] = Field(
        min_length=1, description="Words that show, in the transcript, that it was said."
    )


class Persona(_Strict):
    """The hidden brief of a simulated employee (τ-bench's user simulation)."""

    role: str
    episode: str = Field(description="One recent episode, told when first asked about it.")
    facts: list[Fact] = Field(min_length=1)
    relational_goods: list[ExpectedFinding] = Field(min_length=1)
    mood: str
    tendency: str = Field(description="For example brief answers, or digressions.")
    opening: str = Field(description="The scripted user's answer to a question it has no cue for.")
    max_turns: int = Field(default=30, ge=2)


class PlannedFinding(_Strict):
    """A finding each person of a group carries; ``quote`` is its verbatim evidence."""

    code: str
    stage: str
    quote: str
    activity: str | None = None
    counterpart: str | None = None
    status: FindingStatus = FindingStatus.ACCEPTED


class PeopleGroup(_Strict):
    """``count`` interviews, one person each, all with the same findings (compactly: "N people
    each with a finding of code X at stage Y")."""

    count: int = Field(ge=1)
    language: Literal["fr", "en"] = "fr"
    pseudonym: str = Field(default="Participant", description="Each gets this prefix and a number.")
    findings: list[PlannedFinding] = Field(min_length=1)


class ReportSettings(_Strict):
    language: Literal["fr", "en"] = "fr"
    min_people: int = Field(default=5, ge=1)
    min_people_for_quotes: int = Field(default=10, ge=1)
    include_proposed: bool = False


class ReportExpectations(_Strict):
    """What the built report must show and keep out; every given expectation is one check."""

    themes_shown: list[str] = Field(default_factory=list)
    themes_hidden: list[str] = Field(default_factory=list)
    cells_hidden: list[str] = Field(
        default_factory=list, description="Heatmap cells as ``stage/code``."
    )
    no_quotes: bool = False
    quotes_shown: bool = False
    absent: list[str] = Field(
        default_factory=list,
        description="Planted personal details no rendering (Markdown, HTML, JSON) may hold.",
    )
    withheld: list[str] = Field(
        default_factory=list, description="Withheld counts that must be above 0 (cells, themes…)."
    )
    citations_in_theme: bool = Field(
        default=False,
        description="Every theme has a narrative citing only finding ids of that theme.",
    )

    @model_validator(mode="after")
    def _expects_something(self) -> ReportExpectations:
        if not any(self.model_dump().values()):
            raise ValueError("a report case expects at least one thing of its report")
        return self


class ReportCase(_Strict):
    people: list[PeopleGroup] = Field(min_length=1)
    options: ReportSettings = ReportSettings()
    narrative_foreign_ids: list[str] | None = Field(
        default=None,
        description="With narratives: the scripted model cites every id it is shown plus these.",
    )
    expect: ReportExpectations


CASE_ID = re.compile(r"[a-z0-9][a-z0-9._-]*")


class Case(_Strict):
    id: str = Field(
        description="Lower-case letters, digits, ., _ and -, starting with a letter or digit.",
        json_schema_extra={"pattern": CASE_ID.pattern},
    )
    kind: CaseKind = CaseKind.INTERVIEWER_TURN
    tags: list[str] = Field(default_factory=list)
    prompts: dict[str, str] = Field(
        default_factory=dict, description="Prompt id → the version this case was written for."
    )
    language: Literal["fr", "en"] = "en"
    phase: Phase = Phase.EPISODE
    conversation: list[PriorTurn] = Field(default_factory=list)
    message: str = ""
    passages: list[Passage] = Field(default_factory=list)
    assertions: list[AssertionSpec] = Field(default_factory=list)
    scripted: list[str] = Field(default_factory=list)
    safety_scripted: list[str] = Field(
        default_factory=list,
        description="The scripted safety classifier's replies (JSON verdicts), in turn.",
    )
    classifier_fails: bool = Field(
        default=False,
        description="The scripted classifier fails on purpose (the fallback is under test): "
        "its failures are not the case's error.",
    )
    judge_scripted: list[str] = Field(
        default_factory=list, description="The scripted judge's replies (raw, then delivered)."
    )
    # Extraction cases.
    transcript: list[PriorTurn] = Field(default_factory=list)
    expected: list[ExpectedFinding] = Field(default_factory=list)
    min_precision: float = Field(default=0.0, ge=0, le=1)
    min_recall: float = Field(default=0.0, ge=0, le=1)
    # Personas.
    persona: Persona | None = None
    min_elicitation_recall: float = Field(default=0.0, ge=0, le=1)
    scripted_summary: str = ""
    scripted_extraction: str = ""
    # Report cases.
    report: ReportCase | None = None

    @field_validator("id")
    @classmethod
    def _plain_id(cls, value: str) -> str:
        if not CASE_ID.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a case id: use lower-case letters, digits, '.', '_' and '-', "
                "starting with a letter or digit"
            )
        return value

    @model_validator(mode="after")
    def _complete(self) -> Case:
        if self.kind == CaseKind.INTERVIEWER_TURN and not self.message.strip():
            raise ValueError("an interviewer_turn case gives the employee's latest message")
        if self.kind == CaseKind.EXTRACTION and not self.transcript:
            raise ValueError("an extraction case gives a transcript")
        if self.kind == CaseKind.PERSONA and self.persona is None:
            raise ValueError("a persona case gives its persona's brief")
        if self.kind == CaseKind.REPORT and self.report is None:
            raise ValueError("a report case gives its interviews and findings under `report`")
        return self


class CaseFileError(TerrainError):
    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(
            f"The evaluation case file {path} is not valid: {problem}",
            fix="Correct the file (see docs/evaluating.md for the format).",
        )


@dataclass(frozen=True)
class CaseError:
    """A case that cannot run, where it is: reported as an error of that case alone."""

    path: Path
    line: int
    problem: str
    case_id: str | None = None
    tags: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The case's id when it has a usable one, else its place."""
        return self.case_id or f"{self.path.name}:{self.line}"

    def __str__(self) -> str:
        named = f" (case {self.case_id})" if self.case_id else ""
        return f"{self.path}:{self.line}{named}: {self.problem}"
