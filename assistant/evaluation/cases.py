"""Evaluation cases, as YAML files under ``evals/``: what each case gives and expects.

A file holds one case or, under ``cases:``, several. ``scripted`` replies are fixtures for the
in-process model that CI runs the suite on: they exercise the harness and Terrain's own checks,
not any real model's quality.
"""

from __future__ import annotations

import csv
import fnmatch
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from assistant.errors import TerrainError, describe_validation_error
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


_CASE_ID = re.compile(r"[a-z0-9][a-z0-9._-]*")


class Case(_Strict):
    id: str = Field(
        description="Lower-case letters, digits, ., _ and -, starting with a letter or digit.",
        json_schema_extra={"pattern": _CASE_ID.pattern},
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
        if not _CASE_ID.fullmatch(value):
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


@dataclass
class LoadedCases:
    cases: list[Case] = field(default_factory=list)
    errors: list[CaseError] = field(default_factory=list)


CASE_SUFFIXES = (".yaml", ".yml", ".jsonl", ".csv")
DEFAULT_PATTERN = "**/*"


def _line_of(node: yaml.Node | None, path: Sequence[int | str]) -> int:
    """The line (1-based) of the deepest node along ``path`` that the YAML tree has."""
    if node is None:
        return 1
    for part in path:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if 0 <= part < len(node.value) else None
        if child is None:
            break
        node = child
    return int(node.start_mark.line) + 1


def _tags_of(item: object) -> tuple[str, ...]:
    tags = item.get("tags") if isinstance(item, dict) else None
    return tuple(str(tag) for tag in tags) if isinstance(tags, list) else ()


def _id_of(item: object) -> str | None:
    case_id = item.get("id") if isinstance(item, dict) else None
    return case_id if isinstance(case_id, str) and _CASE_ID.fullmatch(case_id) else None


def _validate(
    path: Path,
    item: object,
    defaults: dict[str, Any],
    locate: Any,
    loaded: LoadedCases,
) -> None:
    """One case into ``loaded``: the case, or the error of that case with its line.
    ``locate(loc)`` gives the line of a validation error's location."""
    if not isinstance(item, dict):
        loaded.errors.append(CaseError(path, locate(()), "a case is a mapping of its fields"))
        return
    merged = {**defaults, **item}
    own = item.get("assertions", [])
    inherited = defaults.get("assertions", [])
    if not isinstance(own, list) or not isinstance(inherited, list):
        loaded.errors.append(
            CaseError(path, locate(("assertions",)), "assertions is a list", _id_of(item))
        )
        return
    merged["assertions"] = [*inherited, *own]
    try:
        loaded.cases.append(Case.model_validate(merged))
    except ValidationError as error:
        first = error.errors(include_url=False)[0]["loc"]
        loc: tuple[int | str, ...] = tuple(first)
        in_defaults = False
        if loc[:1] == ("assertions",) and len(loc) > 1 and isinstance(loc[1], int):
            if loc[1] < len(inherited):
                in_defaults = True
            else:
                loc = ("assertions", loc[1] - len(inherited), *loc[2:])
        elif loc and loc[0] not in item and loc[0] in defaults:
            in_defaults = True
        line = locate(loc, in_defaults)
        loaded.errors.append(
            CaseError(
                path,
                line,
                describe_validation_error(error, most=None),
                _id_of(item),
                _tags_of(item),
            )
        )


def _load_yaml(path: Path, text: str, loaded: LoadedCases) -> None:
    try:
        tree = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = int(mark.line) + 1 if mark is not None else 1
        loaded.errors.append(CaseError(path, line, f"not valid YAML: {error}"))
        return
    several = isinstance(data, dict) and "cases" in data
    items = data["cases"] if several else [data]
    defaults = (data.get("defaults") or {}) if several else {}
    if not isinstance(items, list) or not isinstance(defaults, dict):
        line = _line_of(tree, ("cases",))
        loaded.errors.append(CaseError(path, line, "`cases` is a list and `defaults` a mapping"))
        return
    for number, item in enumerate(items):
        prefix: tuple[int | str, ...] = ("cases", number) if several else ()

        def locate(
            loc: Sequence[int | str],
            in_defaults: bool = False,
            prefix: tuple[int | str, ...] = prefix,
        ) -> int:
            where = ("defaults", *loc) if in_defaults else (*prefix, *loc)
            return _line_of(tree, where)

        _validate(path, item, defaults, locate, loaded)


def _load_jsonl(path: Path, text: str, loaded: LoadedCases) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            loaded.errors.append(CaseError(path, number, f"not valid JSON: {error.msg}"))
            continue
        _validate(path, item, {}, lambda loc, in_defaults=False, n=number: n, loaded)


def _csv_assertions(cell: str) -> list[dict[str, Any]]:
    """``one_question; max_chars=300; not_contains=you should`` as assertion specs."""
    specs: list[dict[str, Any]] = []
    for part in (piece.strip() for piece in cell.split(";")):
        if not part:
            continue
        kind, equals, value = part.partition("=")
        spec: dict[str, Any] = {"type": kind.strip()}
        if equals:
            spec["value"] = yaml.safe_load(value.strip()) if value.strip() else None
        specs.append(spec)
    return specs


def _load_csv(path: Path, text: str, loaded: LoadedCases) -> None:
    """Interviewer turns, one a row: ``id`` and ``message``, and optionally ``language``,
    ``phase``, ``tags`` (separated by spaces or ``;``), ``assertions`` (``type`` or
    ``type=value``, separated by ``;``) and ``scripted`` (the fixture's reply)."""
    reader = csv.DictReader(io.StringIO(text))
    for row in reader:
        item: dict[str, Any] = {}
        for column, cell in row.items():
            if column is None or cell is None or not cell.strip():
                continue
            column = column.strip()
            if column == "tags":
                item["tags"] = [tag for tag in re.split(r"[;\s]+", cell) if tag]
            elif column == "assertions":
                item["assertions"] = _csv_assertions(cell)
            elif column == "scripted":
                item["scripted"] = [cell]
            else:
                item[column] = cell.strip() if column != "message" else cell
        number = reader.line_num
        _validate(path, item, {}, lambda loc, in_defaults=False, n=number: n, loaded)


def read_case_file(path: Path) -> LoadedCases:
    """The cases of one file, and the errors of those that cannot run. In YAML, under
    ``cases:``, a file's ``defaults`` apply to each case (its ``assertions`` come before the
    case's own); JSONL gives a case a line, CSV an interviewer turn a row."""
    loaded = LoadedCases()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        loaded.errors.append(CaseError(path, 1, f"cannot be read: {error}"))
        return loaded
    if path.suffix == ".jsonl":
        _load_jsonl(path, text, loaded)
    elif path.suffix == ".csv":
        _load_csv(path, text, loaded)
    else:
        _load_yaml(path, text, loaded)
    return loaded


def collect_cases(root: Path, pattern: str = DEFAULT_PATTERN) -> LoadedCases:
    """Every case of the files under ``root`` (or the file ``root``) matching ``pattern``, in a
    stable order, and every case that cannot run; ids are unique across files."""
    collected = LoadedCases()
    seen: dict[str, Path] = {}
    files = [root] if root.is_file() else sorted(_case_files(root, pattern))
    for path in files:
        loaded = read_case_file(path)
        collected.errors += loaded.errors
        for case in loaded.cases:
            if case.id in seen:
                collected.errors.append(
                    CaseError(path, 1, f"the id {case.id!r} is also used in {seen[case.id]}", None)
                )
                continue
            seen[case.id] = path
            collected.cases.append(case)
    return collected


def load_case_file(path: Path) -> list[Case]:
    """The cases of one file; the first that cannot run stops, with its line."""
    return load_cases(path)


def load_cases(root: Path, pattern: str = DEFAULT_PATTERN) -> list[Case]:
    """Every case under ``root`` matching ``pattern``; the first case that cannot run stops."""
    loaded = collect_cases(root, pattern)
    if loaded.errors:
        first = loaded.errors[0]
        raise CaseFileError(first.path, f"line {first.line}: {first.problem}")
    return loaded.cases


def _case_files(root: Path, pattern: str) -> Iterable[Path]:
    # Baselines, the reply cache and the judge's labels are not cases.
    for path in root.glob(pattern):
        relative = path.relative_to(root).parts
        if (
            path.is_file()
            and path.suffix in CASE_SUFFIXES
            and relative[0] not in {"baselines", "cache", "judge"}
        ):
            yield path


@dataclass(frozen=True)
class CaseFilter:
    """Cases by id (shell patterns such as ``rules.*``) and by tag: any of ``tags`` when given,
    none of ``exclude_tags``."""

    ids: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    exclude_tags: tuple[str, ...] = ()

    def keeps(self, case_id: str | None, tags: Iterable[str]) -> bool:
        tags = set(tags)
        if self.ids and not (
            case_id and any(fnmatch.fnmatchcase(case_id, pattern) for pattern in self.ids)
        ):
            return False
        if self.tags and not tags & set(self.tags):
            return False
        return not tags & set(self.exclude_tags)

    def apply(self, loaded: LoadedCases) -> LoadedCases:
        return LoadedCases(
            cases=[case for case in loaded.cases if self.keeps(case.id, case.tags)],
            errors=[error for error in loaded.errors if self.keeps(error.case_id, error.tags)],
        )


def case_file_schema() -> dict[str, Any]:
    """The JSON Schema of a YAML case file: one case, or ``cases`` with ``defaults``."""
    case = Case.model_json_schema()
    definitions = case.pop("$defs", {})
    definitions["Case"] = case
    defaults = {**case, "required": []}
    definitions["Defaults"] = defaults
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Terrain evaluation case file",
        "$defs": definitions,
        "oneOf": [
            {"$ref": "#/$defs/Case"},
            {
                "type": "object",
                "properties": {
                    "defaults": {"$ref": "#/$defs/Defaults"},
                    "cases": {"type": "array", "items": {"$ref": "#/$defs/Case"}},
                },
                "required": ["cases"],
                "additionalProperties": False,
            },
        ],
    }
