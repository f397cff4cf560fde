"""The judge: a rubric scored 1–5 with a reason, through structured output on a local model.

The criteria follow published interview-quality guidance for qualitative research interviews
(non-directive, concrete, following up, one question, empathy without over-praise, no long
paraphrase, no advice in any form). A reply that is not valid JSON of the rubric is repaired
once, then the verdict is an error, never a pass. Its agreement with the hand-labelled examples
in ``evals/judge/labels.yaml`` is reported with every run that names a judge model.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from enum import StrEnum
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from assistant.errors import describe_validation_error
from assistant.evaluation.cache import CacheMissError
from assistant.evaluation.cases import CaseFileError, PriorTurn
from assistant.evaluation.results import JudgeAgreement
from assistant.llm.errors import ModelError
from assistant.llm.port import ChatMessage, ChatModel
from assistant.llm.structured import request_structured
from assistant.llm.testing import ScriptExhaustedError
from assistant.prompts import load_prompt

JUDGE_PROMPT_ID = "evaluation.judge"
# What stops a run's model from answering at all: an error of the run, never a model's verdict.
UNANSWERED = (CacheMissError, ScriptExhaustedError)

log = logging.getLogger(__name__)


class Criterion(StrEnum):
    NON_DIRECTIVE = "non_directive"
    CONCRETE = "concrete"
    FOLLOWS_UP = "follows_up"
    ONE_QUESTION = "one_question"
    EMPATHY_WITHOUT_PRAISE = "empathy_without_praise"
    NO_LONG_PARAPHRASE = "no_long_paraphrase"
    NO_ADVICE = "no_advice"


class CriterionScore(BaseModel):
    criterion: Criterion
    score: int = Field(ge=1, le=5)
    reason: str = Field(min_length=1)


class Rubric(BaseModel):
    scores: list[CriterionScore] = Field(min_length=len(Criterion), max_length=len(Criterion))

    @model_validator(mode="after")
    def _each_criterion_once(self) -> Rubric:
        if {score.criterion for score in self.scores} != set(Criterion):
            raise ValueError("score each criterion exactly once")
        return self

    def by_criterion(self) -> dict[Criterion, int]:
        return {score.criterion: score.score for score in self.scores}


class JudgeError(Exception):
    """The judge gave no usable verdict: counted as an error in the results."""


def render_conversation(turns: Sequence[PriorTurn], latest: str) -> str:
    lines = [
        f"{'Employee' if speaker.value == 'employee' else 'Interviewer'}: {text}"
        for speaker, text in (turn.said for turn in turns)
    ]
    return "\n".join([*lines, f"Employee: {latest}"])


async def judge(model: ChatModel, conversation: str, message: str) -> Rubric:
    """The judge's rubric for ``message``; :class:`JudgeError` when it gives none."""
    prompt = load_prompt(JUDGE_PROMPT_ID, "en")
    messages = [ChatMessage.user(prompt.render(conversation=conversation, message=message))]
    try:
        return (await request_structured(model, messages, Rubric)).value
    except ModelError as error:
        raise JudgeError(f"the judge {model.name!r} gave no valid rubric: {error}") from None


class LabelledExample(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    conversation: list[PriorTurn] = Field(default_factory=list)
    message: str
    interviewer_message: str
    labels: dict[Criterion, int]
    scripted: list[str] = Field(default_factory=list)


def load_labels(path: Path) -> list[LabelledExample]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return [LabelledExample.model_validate(item) for item in data["examples"]]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as error:
        raise CaseFileError(path, str(error)) from None
    except ValidationError as error:
        raise CaseFileError(path, describe_validation_error(error)) from None


async def agreement(
    examples: Sequence[LabelledExample], judge_for: Callable[[Sequence[str]], ChatModel]
) -> JudgeAgreement:
    """How often the judge scores as the hand labels do; ``judge_for(scripted)`` gives the
    judge for an example (the scripted replies serve when no judge model is named)."""
    exact = within_one = compared = errors = 0
    for example in examples:
        conversation = render_conversation(example.conversation, example.message)
        try:
            rubric = await judge(
                judge_for(example.scripted), conversation, example.interviewer_message
            )
        except (JudgeError, *UNANSWERED) as error:
            log.info("judge agreement: %s: %s", example.id, error)
            errors += 1
            continue
        scores = rubric.by_criterion()
        for criterion, label in example.labels.items():
            compared += 1
            difference = abs(scores[criterion] - label)
            exact += difference == 0
            within_one += difference <= 1
    return JudgeAgreement(
        examples=len(examples),
        exact=round(exact / compared, 4) if compared else 0.0,
        within_one=round(within_one / compared, 4) if compared else 0.0,
        errors=errors,
    )
