"""Assemble a session's dependencies from the settings: the one place that wires them."""

from __future__ import annotations

import asyncio
import logging

from assistant.config import Settings
from assistant.interview.classifier import SafetyClassifier
from assistant.interview.deps import SessionDeps
from assistant.interview.rules import load_language_detector
from assistant.llm import chat_model_for, embedder_for
from assistant.retrieval.knowledge_base import KnowledgeBase
from assistant.store import Store

log = logging.getLogger(__name__)


async def session_deps(settings: Settings, store: Store | None = None) -> SessionDeps:
    """Dependencies for interviews: the store, the chat model (which also classifies each
    employee message for the safety routes) and company-document retrieval.

    Retrieval is optional: an empty or unreadable index only means ungrounded questions.
    """
    if store is None:
        store = await asyncio.to_thread(Store.open, settings)
    try:
        base = KnowledgeBase(settings, embedder_for(settings), store)
        retriever = await asyncio.to_thread(base.retriever)
    except Exception as error:
        log.warning("Retrieval unavailable, questions will not cite documents: %s", error)
        retriever = None
    # The output guard checks each reply on the event loop: its language detector is loaded
    # here, off the loop, once per process.
    await asyncio.to_thread(load_language_detector)
    model = chat_model_for(settings)
    return SessionDeps(
        settings=settings,
        store=store,
        model=model,
        retriever=retriever,
        classifier=SafetyClassifier(model),
    )
