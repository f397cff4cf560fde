"""The interview's own costs: prompt size as the interview grows, and time per turn.

1. Prompt tokens at exchanges 10, 30 and 60, with the budgeted memory (recent turns verbatim,
   older ones as notes, three retrieved passages) and with the full history verbatim. Employee
   answers are drawn between 80 and 220 tokens, as answers about a concrete episode run.
2. The app's own time per turn — persistence, retrieval over a 10,000-chunk index, prompt
   building, rule checks — measured as the wall time of a turn minus the time spent waiting
   on the models (the chat model, and the embedding model for the query), against a fake
   Ollama with 300 ms to first token and 40 tokens/s. The fake runs in this process, so its own
   work still competes with ours for the interpreter: the figure errs on the high side.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from _common import bench_settings, emit, latency_summary, next_turn, paragraph, quiet
from retrieval import build_index, build_records

from assistant.interview.guide import load_guide
from assistant.interview.prompt_builder import PromptContext, build_messages
from assistant.interview.session import SYSTEM_PROMPT_ID, InterviewSession, SessionDeps
from assistant.interview.state import SessionState
from assistant.llm import (
    ChatMessage,
    ChatModel,
    Embedder,
    ModelResponse,
    chat_model_for,
    embedder_for,
)
from assistant.llm.port import JsonSchema
from assistant.prompts import load_prompt
from assistant.retrieval.knowledge_base import KnowledgeBase
from assistant.retrieval.records import Collection
from assistant.schemas import Phase, Speaker, Turn
from assistant.store import Store
from assistant.tokens import TokenCounter
from tests.ollama_server import OllamaTestServer

CHECKPOINTS = (10, 30, 60)
INTERVIEWS = 5
TURNS_PER_INTERVIEW = 20


class Stopwatch:
    """Time spent waiting on models, added up across calls."""

    def __init__(self) -> None:
        self.waiting = 0.0


class TimedEmbedder(Embedder):
    def __init__(self, inner: Embedder, watch: Stopwatch) -> None:
        self.inner = inner
        self.watch = watch

    @property
    def name(self) -> str:
        return self.inner.name

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        started = time.perf_counter()
        try:
            return await self.inner.embed(texts)
        finally:
            self.watch.waiting += time.perf_counter() - started


class TimedModel(ChatModel):
    """The real chat model, with the time spent waiting on it added up."""

    def __init__(self, inner: ChatModel, watch: Stopwatch) -> None:
        self.inner = inner
        self.watch = watch

    @property
    def name(self) -> str:
        return self.inner.name

    async def request(
        self,
        messages: Sequence[ChatMessage],
        *,
        json_schema: JsonSchema | None = None,
        brief: bool = False,
    ) -> ModelResponse:
        started = time.perf_counter()
        try:
            return await self.inner.request(messages, json_schema=json_schema, brief=brief)
        finally:
            self.watch.waiting += time.perf_counter() - started

    async def stream(self, messages: Sequence[ChatMessage]) -> AsyncIterator[str]:
        pieces = self.inner.stream(messages)
        while True:
            started = time.perf_counter()
            try:
                piece = await anext(pieces)
            except StopAsyncIteration:
                self.watch.waiting += time.perf_counter() - started
                return
            self.watch.waiting += time.perf_counter() - started
            yield piece


def answer(rng: random.Random, counter: TokenCounter) -> str:
    wanted = rng.randint(80, 220)
    text = ""
    while counter.count(text) < wanted:
        text += paragraph(rng, "fr", (2, 3)) + " "
    return counter.truncate(text, wanted).strip()


def synthetic_turns(exchanges: int, rng: random.Random, counter: TokenCounter) -> list[Turn]:
    turns: list[Turn] = []
    for _ in range(exchanges):
        for speaker, text in (
            (Speaker.INTERVIEWER, "Comment vous y êtes-vous prise, à ce moment-là ?"),
            (Speaker.EMPLOYEE, answer(rng, counter)),
        ):
            turns.append(next_turn(turns, speaker, text))
    return turns


async def prompt_sizes(base: KnowledgeBase, budget: int, counter: TokenCounter) -> dict[str, Any]:
    rng = random.Random(5)
    guide = load_guide("fr")
    spec = guide.phase(Phase.EPISODE)
    assert spec is not None
    template = load_prompt(SYSTEM_PROMPT_ID, "fr")
    retriever = base.retriever()
    turns = synthetic_turns(max(CHECKPOINTS), rng, counter)
    sizes: dict[str, Any] = {}
    for exchanges in CHECKPOINTS:
        history = turns[: 2 * exchanges]
        documents = (
            await retriever.search(history[-1].text, k=3, collection=Collection.COMPANY)
        ).hits
        context = PromptContext(template, spec, SessionState(), 20, 25)
        budgeted = build_messages(context, history, documents, counter, budget)
        full = build_messages(context, history, documents, counter, 10**9)
        budgeted_tokens = counter.count_messages(m.content for m in budgeted)
        full_tokens = counter.count_messages(m.content for m in full)
        sizes[f"exchange_{exchanges}"] = {
            "budgeted_tokens": budgeted_tokens,
            "full_history_tokens": full_tokens,
            "ratio": round(budgeted_tokens / full_tokens, 3),
        }
        print(f"exchange {exchanges}: {sizes[f'exchange_{exchanges}']}")
    return sizes


async def turn_times(settings: Any, counter: TokenCounter) -> dict[str, Any]:
    rng = random.Random(9)
    store = Store.open(settings)
    watch = Stopwatch()
    timed = KnowledgeBase(settings, TimedEmbedder(embedder_for(settings), watch))
    retriever = timed.retriever()
    own: list[float] = []
    waited: list[float] = []
    for _ in range(INTERVIEWS):
        model = TimedModel(chat_model_for(settings), watch)
        deps = SessionDeps(settings=settings, store=store, model=model, retriever=retriever)
        session = await InterviewSession.begin(deps, language="fr")
        messages = ["oui"] + [answer(rng, counter) for _ in range(TURNS_PER_INTERVIEW)]
        for text in messages:
            if session.is_over:
                break
            watch.waiting = 0.0
            started = time.perf_counter()
            async for _ in session.respond(text):
                pass
            total = time.perf_counter() - started
            own.append(total - watch.waiting)
            waited.append(watch.waiting)
    store.close()
    return {
        "turns_measured": len(own),
        "app_own": latency_summary(own),
        "model_wait": latency_summary(waited),
    }


async def main() -> dict[str, Any]:
    quiet()
    with tempfile.TemporaryDirectory() as folder, OllamaTestServer() as server:
        settings = bench_settings(
            Path(folder), server.url, interview_max_questions=100, interview_minutes=120
        )
        counter = TokenCounter(settings.tokenizer)
        records, _ = build_records(random.Random(3))
        print(f"building a {len(records)}-chunk index…")
        build = await build_index(settings, records)
        base = KnowledgeBase(settings, embedder_for(settings))

        sizes = await prompt_sizes(base, settings.prompt_token_budget, counter)

        server.time_to_first_token = 0.3
        server.tokens_per_second = 40
        server.respond_with(lambda body: "Comment vous y êtes-vous prise, à ce moment-là ?")
        times = await turn_times(settings, counter)
        print(f"app's own time per turn: {times['app_own']}")
        print(f"waiting on the model:    {times['model_wait']}")

    at_60 = sizes["exchange_60"]
    return {
        "benchmark": "interview",
        "prompt_token_budget": settings.prompt_token_budget,
        "index_chunks": len(records),
        "index_build_seconds": build["build_seconds"],
        "prompt_tokens": sizes,
        "fake_model": {"time_to_first_token_s": 0.3, "tokens_per_second": 40},
        **times,
        "goal_budget_at_60": at_60["budgeted_tokens"] <= settings.prompt_token_budget,
        "goal_ratio_at_60_max": 0.3,
        "goal_ratio_met": at_60["ratio"] <= 0.3,
        "goal_app_p95_ms_max": 30.0,
        "goal_app_p95_met": times["app_own"]["p95_ms"] <= 30.0,
    }


if __name__ == "__main__":
    emit(asyncio.run(main()))
