"""What a session needs from the outside world, given by the one place that wires it
(:mod:`assistant.interview.factory`), by the evaluations and by the tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from assistant.config import Settings
from assistant.interview.classifier import SafetyClassifier
from assistant.llm import ChatModel
from assistant.retrieval.search import Retriever
from assistant.store import Store
from assistant.tokens import TokenCounter


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class SessionDeps:
    """What a session needs from the outside world."""

    settings: Settings
    store: Store
    model: ChatModel | None
    retriever: Retriever | None = None
    # Reads each employee message before the interviewer replies; None: the cue words alone.
    classifier: SafetyClassifier | None = None
    clock: Callable[[], datetime] = _now
    # None: a random canary per session. Evaluations fix one, so that their prompts (the keys
    # of the reply cache) are the same from one run to the next.
    canary: str | None = None
    counter: TokenCounter = field(init=False)

    def __post_init__(self) -> None:
        self.counter = TokenCounter(self.settings.tokenizer)
