"""What a run found, as ``results.json`` holds it, and the comparison of two runs.

A case is run K times (``--repeat``); an assertion's pass^k is a pass on every one of the K
runs (τ-bench's measure of reliability). A case passes when all its assertions pass on the
delivered message; the verdicts on the raw one are kept beside, and compared as well.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from assistant.errors import TerrainError, describe_validation_error
from assistant.evaluation.assertions import Status
from assistant.vocabulary import GuardRule


class AssertionResult(BaseModel):
    name: str
    raw: Status
    delivered: Status
    detail: str = Field(default="", description="What was wrong, on each text that failed.")
    reason: str = Field(
        default="",
        description="Why, as the check explains it (the judge's reasons, criterion by criterion).",
    )


class Exchange(BaseModel):
    """One message of the conversation the interviewer answered."""

    speaker: str
    text: str


class Attempt(BaseModel):
    """One run of a case."""

    raw: str | None = Field(description="What the model wrote first (None: it was not asked).")
    delivered: str | None = Field(description="What reached the employee.")
    assertions: list[AssertionResult] = Field(default_factory=list)
    metrics: dict[str, float] = Field(default_factory=dict)
    model_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    error: str | None = None
    guard_rules: list[GuardRule] = Field(
        default_factory=list,
        description="The output guard's rules that replaced a model's message in this run.",
    )
    conversation: list[Exchange] = Field(
        default_factory=list, description="The conversation's last turns, the employee's last."
    )

    @property
    def passed(self) -> bool:
        """Every check passed (or was skipped) on what reached the employee."""
        return self.error is None and all(
            result.delivered in (Status.PASS, Status.NOT_APPLICABLE, Status.SKIPPED)
            for result in self.assertions
        )


class CaseResult(BaseModel):
    id: str
    kind: str
    tags: list[str]
    prompts: dict[str, str]
    attempts: list[Attempt]
    pinned: list[str] = Field(
        default_factory=list,
        description="Prompts whose version the case pins differs from the one the run used.",
    )
    strict_versions: bool = Field(default=False, description="A pinned difference is an error.")

    def pass_rate(self) -> tuple[int, int]:
        """k of n: the runs of the case that passed, of all its runs."""
        return sum(attempt.passed for attempt in self.attempts), len(self.attempts)

    def last_delivered(self) -> str | None:
        return self.attempts[-1].delivered if self.attempts else None

    def pass_k(self) -> dict[str, Status]:
        """Each assertion's verdict over all attempts, by ``name/raw`` and ``name/delivered``:
        an error anywhere is an error, else a failure anywhere a failure, else a pass."""
        verdicts: dict[str, list[Status]] = {}
        for attempt in self.attempts:
            if attempt.error is not None:
                verdicts.setdefault("run", []).append(Status.ERROR)
                continue
            verdicts.setdefault("run", []).append(Status.PASS)
            for result in attempt.assertions:
                verdicts.setdefault(f"{result.name}/raw", []).append(result.raw)
                verdicts.setdefault(f"{result.name}/delivered", []).append(result.delivered)
        if self.pinned and self.strict_versions:
            verdicts["versions"] = [Status.ERROR]
        return {key: _worst(values) for key, values in verdicts.items()}

    @property
    def status(self) -> Status:
        """The case's verdict on what reached the employee (raw verdicts are shown beside)."""
        return _worst([v for key, v in self.pass_k().items() if not key.endswith("/raw")])

    @property
    def raw_status(self) -> Status:
        """The verdict on what the model wrote, before Terrain's checks."""
        return _worst([v for key, v in self.pass_k().items() if key.endswith("/raw")])


def _worst(statuses: Sequence[Status]) -> Status:
    # A skipped check (no judge model) counts neither way, as one that does not apply.
    for status in (Status.ERROR, Status.FAIL, Status.PASS):
        if status in statuses:
            return status
    return Status.NOT_APPLICABLE


class JudgeAgreement(BaseModel):
    examples: int
    exact: float = Field(description="Share of criteria scored exactly as the hand label.")
    within_one: float
    errors: int


class RunResults(BaseModel):
    started_at: str
    models: dict[str, str]
    prompts: dict[str, str] = Field(description="Prompt id → version the run used.")
    prompt_digests: dict[str, str] = Field(
        default_factory=dict,
        description="Prompt id → SHA-256 of its file: an edit without a new version shows.",
    )
    notes: list[str] = Field(
        default_factory=list, description="What the run left out, and why (judge, cases)."
    )
    settings: dict[str, object]
    repeat: int
    cases: list[CaseResult]
    judge_agreement: JudgeAgreement | None = None

    def guard_counts(self) -> dict[str, int]:
        """How many model messages each rule of the output guard replaced, over every run of
        every case (every rule named, 0 included)."""
        counts = {rule.value: 0 for rule in GuardRule}
        for case in self.cases:
            for attempt in case.attempts:
                for rule in attempt.guard_rules:
                    counts[rule.value] += 1
        return counts

    def totals(self) -> dict[str, int]:
        counts = {status.value: 0 for status in (Status.PASS, Status.FAIL, Status.ERROR)}
        for case in self.cases:
            counts[case.status.value] = counts.get(case.status.value, 0) + 1
        return counts


RESULTS_FILE = "results.json"


class ResultsFileError(TerrainError):
    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(
            f"{path} is not a results file of `terrain eval run`: {problem}",
            fix="Give the folder `terrain eval run --out` wrote, or its results.json.",
        )


def load_results(path: Path) -> RunResults:
    file = path / RESULTS_FILE if path.is_dir() else path
    try:
        return RunResults.model_validate_json(file.read_bytes())
    except OSError as error:
        raise ResultsFileError(file, error.strerror or str(error)) from None
    except ValidationError as error:
        raise ResultsFileError(file, describe_validation_error(error)) from None


class Change(BaseModel):
    case: str
    check: str
    before: str
    after: str
    before_message: str | None = None
    after_message: str | None = None


class Comparison(BaseModel):
    regressions: list[Change]
    improvements: list[Change]
    missing: list[str] = Field(description="Cases of the baseline that the new run lacks.")
    added: list[str]
    mismatches: list[str] = Field(
        default_factory=list, description="Models, settings or repeats the two runs differ in."
    )
    pass_rates: dict[str, tuple[str, str]] = Field(
        default_factory=dict, description="Case → its k/n before and after, where they differ."
    )


# Where a run's answers came from, not how the model was asked: a replay compares with a record.
_SETTINGS_NOT_COMPARED = {"cache"}


def mismatches(baseline: RunResults, current: RunResults) -> list[str]:
    """What makes the two runs' verdicts not comparable: models, settings, repeats."""
    found = []
    for role in sorted(baseline.models.keys() | current.models.keys()):
        was, now = baseline.models.get(role), current.models.get(role)
        if was != now:
            found.append(f"{role} model: {was} → {now}")
    for name in sorted(
        (baseline.settings.keys() | current.settings.keys()) - _SETTINGS_NOT_COMPARED
    ):
        was_setting, now_setting = baseline.settings.get(name), current.settings.get(name)
        if was_setting != now_setting:
            found.append(f"setting {name}: {was_setting} → {now_setting}")
    if baseline.repeat != current.repeat:
        found.append(f"repeats: {baseline.repeat} → {current.repeat}")
    return found


def _rate(case: CaseResult) -> str:
    passed, runs = case.pass_rate()
    return f"{passed}/{runs}"


def compare(
    baseline: RunResults, current: RunResults, *, allow_missing: bool = False
) -> Comparison:
    """What got worse (a pass that no longer passes) and what got better, check by check; a
    case of the baseline the new run lacks is a regression unless ``allow_missing``."""
    old_cases = {case.id: case for case in baseline.cases}
    new_cases = {case.id: case for case in current.cases}
    regressions: list[Change] = []
    improvements: list[Change] = []
    rates: dict[str, tuple[str, str]] = {}
    for case_id in sorted(old_cases.keys() & new_cases.keys()):
        old_case, new_case = old_cases[case_id], new_cases[case_id]
        old, new = old_case.pass_k(), new_case.pass_k()
        messages = {
            "before_message": old_case.last_delivered(),
            "after_message": new_case.last_delivered(),
        }
        for check in sorted(old.keys() | new.keys()):
            was = old.get(check, Status.NOT_APPLICABLE)
            now = new.get(check, Status.NOT_APPLICABLE)
            change = Change(case=case_id, check=check, before=was, after=now, **messages)
            if was == Status.PASS and now in (Status.FAIL, Status.ERROR):
                regressions.append(change)
            elif now == Status.PASS and was in (Status.FAIL, Status.ERROR):
                improvements.append(change)
        if _rate(old_case) != _rate(new_case):
            rates[case_id] = (_rate(old_case), _rate(new_case))
    missing = sorted(old_cases.keys() - new_cases.keys())
    if not allow_missing:
        regressions += [
            Change(case=case_id, check="case", before=old_cases[case_id].status, after="missing")
            for case_id in missing
        ]
    return Comparison(
        regressions=regressions,
        improvements=improvements,
        missing=missing,
        added=sorted(new_cases.keys() - old_cases.keys()),
        mismatches=mismatches(baseline, current),
        pass_rates=rates,
    )
