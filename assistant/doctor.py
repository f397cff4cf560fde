"""Health checks: can Terrain work on this machine, and if not, what to do about it.

Checking changes nothing: the data folder, the database and the vector store are looked at
where they exist, never created (the first command that needs them creates them).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import replace

from pydantic import BaseModel, Field

from assistant.config import Settings
from assistant.errors import TerrainError
from assistant.llm.ollama import OllamaProvider
from assistant.llm.retry import RetryPolicy
from assistant.wording import counted


class CheckResult(BaseModel):
    name: str
    ok: bool
    detail: str
    fix: str | None = None
    warning: bool = Field(
        default=False,
        description="Works, but something is missing that the user should know (an empty "
        "index, no account yet): shown apart from a pass, without failing the command.",
    )


Check = Callable[[], Awaitable[CheckResult]]


async def run_checks(settings: Settings) -> list[CheckResult]:
    """Every check, in a fixed order; a check never raises, it reports."""
    # A health check should answer at once, not after the retry policy's backoff.
    provider = replace(
        OllamaProvider.from_settings(settings), retry=RetryPolicy(retries=0), request_timeout=10
    )
    models = await _pulled_models(provider)

    async def ollama_reachable() -> CheckResult:
        name = "Ollama reachable"
        if isinstance(models, TerrainError):
            return CheckResult(name=name, ok=False, detail=models.message, fix=models.fix)
        version = await provider.version()
        return CheckResult(name=name, ok=True, detail=f"Ollama {version} at {provider.host}")

    def model_present(kind: str, model: str) -> Check:
        async def check() -> CheckResult:
            name = f"{kind} model {model}"
            if isinstance(models, TerrainError):
                return CheckResult(
                    name=name,
                    ok=False,
                    detail="cannot tell: Ollama is not reachable",
                    fix=models.fix,
                )
            if model in models:
                return CheckResult(name=name, ok=True, detail="pulled")
            return CheckResult(
                name=name,
                ok=False,
                detail=f"not pulled on {provider.host}",
                fix=f"run `ollama pull {model}`",
            )

        return check

    checks: list[Check] = [
        ollama_reachable,
        model_present("Chat", settings.chat_model),
        model_present("Embedding", settings.embed_model),
        lambda: _data_dir_writable(settings),
        lambda: _tokenizer_offline(settings),
        lambda: _vector_store_opens(settings),
        lambda: _knowledge_index(settings),
        lambda: _accounts(settings),
    ]
    return [await _never_raises(check) for check in checks]


async def _pulled_models(provider: OllamaProvider) -> set[str] | TerrainError:
    try:
        return await provider.available_models()
    except TerrainError as error:
        return error


async def _never_raises(check: Check) -> CheckResult:
    try:
        return await check()
    except Exception as error:  # a broken check must not hide the others
        name = getattr(check, "__name__", "check").replace("_", " ")
        return CheckResult(name=name, ok=False, detail=str(error))


async def _data_dir_writable(settings: Settings) -> CheckResult:
    name = "Data directory writable"
    folder = settings.data_dir.expanduser()
    unwritable = CheckResult(
        name=name,
        ok=False,
        detail=f"{folder}: not a folder this user can write to",
        fix="set TERRAIN_DATA_DIR to a folder this user can write to",
    )
    if not folder.exists():
        # Not created here: the first command that stores something creates it.
        parent = next((p for p in folder.parents if p.exists()), None)
        if parent is None or not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
            return unwritable
        return CheckResult(
            name=name, ok=True, detail=f"{folder} (not created yet: made at first use)"
        )
    try:
        with tempfile.NamedTemporaryFile(dir=folder):
            pass
    except OSError as error:
        return unwritable.model_copy(update={"detail": f"{folder}: {error.strerror or error}"})
    return CheckResult(name=name, ok=True, detail=str(folder))


async def _tokenizer_offline(settings: Settings) -> CheckResult:
    from assistant.tokens import TokenCounter

    name = "Tokenizer available offline"
    try:
        counter = await asyncio.to_thread(TokenCounter, settings.tokenizer)
    except TerrainError as error:
        return CheckResult(name=name, ok=False, detail=error.message, fix=error.fix)
    sample = counter.count("Où se créent les biens relationnels ?")
    return CheckResult(
        name=name, ok=True, detail=f"{settings.tokenizer} ({sample} tokens in a test)"
    )


async def _vector_store_opens(settings: Settings) -> CheckResult:
    from assistant.retrieval.chroma import open_chroma

    name = "Vector store opens"
    where = settings.chroma_url or str(settings.chroma_dir)
    if not settings.chroma_url and not settings.chroma_dir.exists():
        return CheckResult(
            name=name, ok=True, detail=f"{where} (not created yet: `terrain ingest` makes it)"
        )
    try:
        client = await asyncio.to_thread(open_chroma, settings)
        await asyncio.to_thread(client.heartbeat)
    except Exception as error:
        fix = (
            "check that the Chroma server is running at TERRAIN_CHROMA_URL"
            if settings.chroma_url
            else "check that the data directory is writable and not used by another version"
        )
        return CheckResult(name=name, ok=False, detail=f"{where}: {error}", fix=fix)
    return CheckResult(name=name, ok=True, detail=where)


async def _knowledge_index(settings: Settings) -> CheckResult:
    from assistant.retrieval.knowledge_base import KnowledgeBase
    from assistant.retrieval.vector_store import (
        EmbeddingSpace,
        EmbeddingSpaceMismatchError,
        same_model,
    )

    name = "Knowledge index"
    empty = CheckResult(
        name=name,
        ok=True,
        warning=True,
        detail="empty: interviews and findings get no grounding in the company's documents",
        fix="run `terrain ingest` to index documents",
    )
    if not settings.chroma_url and not settings.chroma_dir.exists():
        return empty
    try:
        status = await asyncio.to_thread(KnowledgeBase(settings, None).status)
    except Exception as error:  # the vector store check above says why and what to do
        return CheckResult(name=name, ok=False, detail=f"cannot tell: {error}")
    if not status.passages:
        return empty
    detail = counted(status.passages, "passage")
    if status.dimensions is not None:
        made_by = status.embedding_model or "an unrecorded model"
        detail += f", vectors of {made_by} ({status.dimensions} dimensions)"
        if status.embedding_model and not same_model(status.embedding_model, settings.embed_model):
            space = EmbeddingSpace(status.embedding_model, status.dimensions)
            mismatch = EmbeddingSpaceMismatchError(space, settings.embed_model)
            return CheckResult(name=name, ok=False, detail=mismatch.message, fix=mismatch.fix)
    if status.without_vectors:
        return CheckResult(
            name=name,
            ok=False,
            detail=f"{detail}; {status.without_vectors} without a vector, found by lexical "
            "search only",
            fix=f"start Ollama, run `ollama pull {settings.embed_model}`, then `terrain ingest`",
        )
    return CheckResult(name=name, ok=True, detail=detail)


async def _accounts(settings: Settings) -> CheckResult:
    """Whether anyone can sign in to the web app: there is no account until one is added."""
    from assistant.schemas import UserRole
    from assistant.store import Store
    from assistant.store.store import DATABASE_FILE

    name = "Accounts"
    none_yet = CheckResult(
        name=name,
        ok=True,
        warning=True,
        detail="none yet: nobody can sign in to the web app",
        fix="run `terrain users add NAME --role admin` (and one per person, with their role)",
    )
    url = settings.database_url
    if url is None:
        database = settings.data_dir.expanduser() / DATABASE_FILE
        if not database.exists():
            return none_yet
        url = f"sqlite:///{database.resolve()}"
    store = Store(url)
    try:
        users = await asyncio.to_thread(store.accounts.all)
    except TerrainError as error:
        return CheckResult(
            name=name, ok=False, detail=f"cannot tell: {error.message}", fix=error.fix
        )
    finally:
        store.close()
    active = [user for user in users if not user.disabled]
    if not active:
        return none_yet
    admins = sum(user.role == UserRole.ADMIN for user in active)
    detail = f"{counted(len(active), 'active account')}, {counted(admins, 'administrator')}"
    return CheckResult(name=name, ok=True, detail=detail)
