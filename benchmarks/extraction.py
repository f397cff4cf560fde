"""Extraction at three transcript sizes: model calls and the largest prompt sent; and the cost
of finding what needs extracting again.

A synthetic interview of about 2k, 10k and 30k tokens goes through the real extractor against
the fake Ollama server, which codes one quote per window. Figures: windows, model calls
(extraction and repairs), the largest prompt in tokens (it must stay within the context the
model is given), and the extractor's own time.

Then `terrain extract --all-pending`'s check: a SQLite store of closed interviews, all extracted
and unchanged but one, is asked what to queue (each closed transcript is read and digested).
Figures: the interviews and turns checked, the time the check took, and what it queued.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _common import bench_settings, emit, next_turn, paragraph, quiet

from assistant.config import Settings
from assistant.findings.codebook import load_codebook
from assistant.findings.extraction import Extractor, transcript_digest
from assistant.findings.jobs import EXTRACTION, ExtractionJobs
from assistant.llm import chat_model_for
from assistant.schemas import Interview, Phase, Speaker, Turn
from assistant.store import Store
from assistant.tokens import TokenCounter
from tests.ollama_server import OllamaTestServer

SIZES = (2_000, 10_000, 30_000)
CHECKED_INTERVIEWS = 200
TURNS_PER_INTERVIEW = 40
NOW = datetime.now(UTC)
_LINE = re.compile(r"^\[(\d+)\] (?:Personne|Person) : (.*)$", re.M)


def transcript(tokens: int, counter: TokenCounter, rng: random.Random) -> list[Turn]:
    turns: list[Turn] = []
    used = 0
    while used < tokens:
        speaker = Speaker.INTERVIEWER if len(turns) % 2 == 0 else Speaker.EMPLOYEE
        text = (
            "Comment cela s'est-il passé ?"
            if speaker == Speaker.INTERVIEWER
            else paragraph(rng, "fr", (3, 8))
        )
        turns.append(next_turn(turns, speaker, text))
        used += counter.count(text)
    return turns


def coder(body: dict[str, Any]) -> str:
    """One finding per window, quoting the first employee sentence it sees."""
    lines = _LINE.findall(body["messages"][-1]["content"])
    if not lines:
        return json.dumps({"findings": []})
    number, text = lines[0]
    quote = text.split(". ")[0].rstrip(".")
    return json.dumps(
        {
            "findings": [
                {
                    "code": "care",
                    "activity": "visite",
                    "counterpart": "bénéficiaire",
                    "value_chain_stage": "service_delivery",
                    "quotes": [{"turn": int(number), "text": quote}],
                    "prescribed_gap": None,
                    "gap_passage": None,
                    "automation_exposure": "augmented",
                    "automation_reasons": "",
                    "confidence": 0.7,
                }
            ]
        }
    )


def catch_up_check(settings: Settings, rng: random.Random) -> dict[str, Any]:
    """Time queue_pending() over closed interviews extracted and unchanged, but for one."""
    with Store.open(settings) as store:
        jobs = ExtractionJobs.from_settings(settings, store)
        for _ in range(CHECKED_INTERVIEWS):
            said = [
                (Speaker.INTERVIEWER, "Et ensuite ?")
                if number % 2 == 0
                else (Speaker.EMPLOYEE, paragraph(rng, "fr", (3, 8)))
                for number in range(TURNS_PER_INTERVIEW)
            ]
            # Stored whole and closed in one commit each, as `terrain import` does.
            interview = store.interviews.import_transcript(
                language="fr", source="bench", turns=said
            )
            job = store.jobs.enqueue(EXTRACTION, interview.id)
            store.jobs.claim_next(EXTRACTION)
            digest = transcript_digest(store.interviews.turns(interview.id))
            store.jobs.finish(job.id, result={"findings": 0}, input_digest=digest)
        store.interviews.add_turn(
            interview.id, speaker=Speaker.EMPLOYEE, text="Un dernier mot.", phase=Phase.EPISODE
        )
        started = time.perf_counter()
        outcome = jobs.queue_pending()
        seconds = time.perf_counter() - started
    return {
        "interviews": CHECKED_INTERVIEWS,
        "turns": CHECKED_INTERVIEWS * TURNS_PER_INTERVIEW + 1,
        "seconds": round(seconds, 3),
        "queued": len(outcome.queued),
        "up_to_date": len(outcome.not_queued),
    }


async def main() -> dict[str, Any]:
    quiet()
    rng = random.Random(11)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder, OllamaTestServer() as server:
        server.respond_with(coder)
        settings = bench_settings(Path(folder), server.url)
        counter = TokenCounter(settings.tokenizer)
        interview = Interview(
            id="bench", pseudonym="Participant-BNCH", language="fr", created_at=NOW, updated_at=NOW
        )
        extractor = Extractor(
            model=chat_model_for(settings),
            codebook=load_codebook(),
            counter=counter,
            window_tokens=settings.extraction_window_tokens,
            overlap_tokens=settings.extraction_overlap_tokens,
        )
        for size in SIZES:
            turns = transcript(size, counter, rng)
            total = sum(counter.count(turn.text) for turn in turns)
            before = len(server.chat_requests())
            started = time.perf_counter()
            report = await extractor.extract(interview, turns)
            seconds = time.perf_counter() - started
            figures = {
                "transcript_tokens": total,
                "turns": len(turns),
                "windows": report.windows,
                "model_calls": report.model_calls,
                "requests_seen_by_server": len(server.chat_requests()) - before,
                "largest_prompt_tokens": report.largest_prompt_tokens,
                "findings": len(report.findings),
                "dropped_findings": report.dropped_findings,
                "seconds": round(seconds, 3),
            }
            print(f"{size:>6} tokens: {json.dumps(figures)}")
            results[f"{size // 1000}k"] = figures
        results["catch_up_check"] = catch_up_check(settings, rng)
        print(f"catch-up check: {json.dumps(results['catch_up_check'])}")
    results["context_window"] = settings.context_window
    results["goal_largest_prompt_within_context"] = all(
        results[f"{size // 1000}k"]["largest_prompt_tokens"] <= settings.context_window
        for size in SIZES
    )
    return results


if __name__ == "__main__":
    emit(asyncio.run(main()))
