"""The model server stopped in the middle of an answer: the employee's turn and the part of the
answer shown are kept, the employee is told, the guide's questions carry the interview while
the model is away, and the model's questions come back with it."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from assistant.interview.guide import load_guide
from assistant.schemas import Speaker
from tests.faults.conftest import CAP_SECONDS, ServerFactory, poll, recovered
from tests.ollama_server import OllamaTestServer
from tests.support.employee_chat import ANSWERS, consented, interviewer
from tests.web.client import plain
from tests.web.server import CHAT_MODEL, EMBED_MODEL

pytestmark = pytest.mark.slow
LONG_QUESTION = "Pouvez-vous me décrire précisément ce que vous faisiez à ce moment-là ?"


async def test_a_model_server_stopped_mid_stream_keeps_the_turn_and_the_interview_goes_on(
    tmp_path: Path, make_server: ServerFactory, fake_ollama: OllamaTestServer
) -> None:
    fake_ollama.respond_with(interviewer)
    web = make_server(tmp_path / "data")
    client = await consented(web, "alice")
    guide = load_guide("fr")
    unavailable = guide.messages.model_unavailable

    # The next answer stops after three pieces, until the test has stopped the server.
    answering: dict[str, int] = {}
    midway, gone = threading.Event(), threading.Event()
    pieces = 0
    pace = fake_ollama.pause

    def pause(seconds: float) -> None:
        nonlocal pieces
        if threading.get_ident() == answering.get("thread"):
            pieces += 1
            if pieces == 4:  # the pause before the first piece, then one after each piece
                midway.set()
                gone.wait(CAP_SECONDS)
                return
        pace(seconds)

    def long_question(body: dict[str, Any]) -> str:
        answering["thread"] = threading.get_ident()
        return LONG_QUESTION

    fake_ollama.tokens_per_second = 1000.0
    fake_ollama.pause = pause
    fake_ollama.queue(long_question)
    mark = len(client.events)
    await client.send_nowait(ANSWERS[0])
    await poll(midway.is_set)
    port = fake_ollama.port
    fake_ollama.stop()
    stopped_at = time.monotonic()
    gone.set()
    await client.wait_for(lambda: client.ran("on_message", mark), timeout=CAP_SECONDS)
    told = time.monotonic() - stopped_at
    shown = [plain(text) for text in client.texts()]
    assert any(unavailable in text for text in shown)
    with web.store() as store:
        turns = store.interviews.turns(client.thread_id or "")
    employee, partial, question = turns[-3:]
    assert (employee.speaker, employee.text) == (Speaker.EMPLOYEE, ANSWERS[0])
    assert (partial.complete, partial.scripted) == (False, False)
    assert LONG_QUESTION.startswith(partial.text)
    assert question.scripted  # the guide's question: the interview goes on
    assert plain(client.last()) == question.text

    # Still away: the guide again, the employee's message kept.
    await client.send(ANSWERS[1])
    with web.store() as store:
        turns = store.interviews.turns(client.thread_id or "")
    assert (turns[-2].text, turns[-1].scripted) == (ANSWERS[1], True)

    # The model is back, on the same address: its questions again.
    with OllamaTestServer(port=port, models=(CHAT_MODEL, EMBED_MODEL)) as back:
        back.respond_with(interviewer)
        back_at = time.monotonic()
        await client.send(ANSWERS[2])
        seconds = time.monotonic() - back_at
        with web.store() as store:
            turns = store.interviews.turns(client.thread_id or "")
        assert turns[-2].text == ANSWERS[2]
        assert (turns[-1].scripted, turns[-1].model) == (False, CHAT_MODEL)
        assert plain(client.last()) == turns[-1].text
    said = [turn.text for turn in turns if turn.speaker == Speaker.EMPLOYEE]
    assert said[1:] == ANSWERS[:3]  # nothing the employee said is lost
    await client.disconnect()
    recovered(
        "model server stopped mid-stream",
        f"partial answer kept (incomplete), employee told in {told:.2f} s, guide's questions "
        "meanwhile; the model's question on the first message once it was back",
        seconds,
    )
