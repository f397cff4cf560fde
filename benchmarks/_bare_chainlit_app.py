"""Chainlit with nothing of Terrain: the floor under the web app's overhead.

``benchmarks/load.py --bare-chainlit`` runs its scenarios against this app, started with
``chainlit run``. It shows the same buttons and streams the same reply at the fake model's pace
(``TTFT_SECONDS``, then ``TOKENS_PER_SECOND``), sending pieces as often as Terrain does, but it
stores nothing, retrieves nothing and calls no model: whatever overhead it shows is
Chainlit's own (Starlette, Socket.IO, steps and messages) on this machine.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import chainlit as cl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.ollama_server import DEFAULT_QUESTION, split_tokens  # noqa: E402

TTFT_SECONDS = 0.3
TOKENS_PER_SECOND = 40.0
STREAM_INTERVAL = 0.1  # as assistant/web/employee.py


@cl.password_auth_callback
async def sign_in(username: str, password: str) -> cl.User | None:
    return cl.User(identifier=username, metadata={"role": "employee"})


async def show(actions: list[cl.Action], anchor: str) -> None:
    for shown in cl.user_session.get("shown") or []:
        await shown.remove()
    for action in actions:
        await action.send(for_id=anchor)
    cl.user_session.set("shown", actions)


@cl.on_chat_start
async def start() -> None:
    welcome = cl.Message(content="Bonjour. Acceptez-vous de participer ?")
    await welcome.send()
    await show(
        [
            cl.Action(name="agree", payload={}, label="J'accepte"),
            cl.Action(name="decline", payload={}, label="Je refuse"),
        ],
        welcome.id,
    )


async def reply() -> None:
    loop = asyncio.get_running_loop()
    message = cl.Message(content="")
    pending, sent_at = "", None
    await asyncio.sleep(TTFT_SECONDS)
    first_at = loop.time()
    for number, token in enumerate(split_tokens(DEFAULT_QUESTION)):
        if number:  # on fixed deadlines, as the fake model paces its tokens: no drift
            await asyncio.sleep(max(first_at + number / TOKENS_PER_SECOND - loop.time(), 0))
        pending += token
        if sent_at is None or loop.time() - sent_at >= STREAM_INTERVAL:
            await message.stream_token(pending)
            pending, sent_at = "", loop.time()
    if pending:
        await message.stream_token(pending)
    await message.send()
    await show(
        [
            cl.Action(name="stop", payload={}, label="Arrêter"),
            cl.Action(name="withdraw", payload={}, label="Retirer mon entretien"),
        ],
        message.id,
    )


@cl.action_callback("agree")
async def agree(action: cl.Action) -> None:
    await cl.Message(content="J'accepte", type="user_message").send()
    await reply()


@cl.on_message
async def answer(message: cl.Message) -> None:
    await reply()
