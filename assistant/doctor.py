"""Health checks: can Terrain work on this machine, and if not, what to do about it.

Checking changes nothing: the data folder, the database and the vector store are looked at
where they exist, never created (the first command that needs them creates them).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from assistant.config import Settings
from assistant.errors import TerrainError
from assistant.llm.ollama import OllamaProvider
from assistant.llm.retry import RetryPolicy
from assistant.wording import counted

if TYPE_CHECKING:
    from assistant.evaluation.fitness import FitnessReport


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
    server_checks = (
        await openai_server_checks(settings)
        if settings.model_provider == "openai"
        else await _ollama_checks(settings)
    )
    checks: list[Check] = [
        *server_checks,
        lambda: _data_dir_writable(settings),
        lambda: _free_space(settings),
        lambda: _tokenizer_offline(settings),
        lambda: _vector_store_opens(settings),
        lambda: _knowledge_index(settings),
        lambda: _accounts(settings),
    ]
    return [await _never_raises(check) for check in checks]


async def _ollama_checks(settings: Settings) -> list[Check]:
    """Ollama answers, and has the chat and embedding models pulled."""
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

    return [
        ollama_reachable,
        model_present("Chat", settings.chat_model),
        model_present("Embedding", settings.embed_model),
    ]


async def openai_server_checks(settings: Settings) -> list[Check]:
    """The OpenAI-compatible server answers ``GET /v1/models`` and serves the chat model under
    its configured name (``--served-model-name``); so does the embedding model's server, when
    it is another (``TERRAIN_OPENAI_EMBED_BASE_URL``)."""
    from assistant.llm.openai_compatible import OpenAIProvider

    def quick(provider: OpenAIProvider) -> OpenAIProvider:
        # A health check should answer at once, not after the retry policy's backoff.
        return replace(provider, retry=RetryPolicy(retries=0), request_timeout=10)

    chat = quick(OpenAIProvider.from_settings(settings))
    embedding = quick(OpenAIProvider.from_settings(settings, embeddings=True))
    servers = [("OpenAI-compatible server", chat)]
    if embedding.base_url != chat.base_url:
        servers.append(("OpenAI-compatible embedding server", embedding))
    listings: dict[str, set[str] | TerrainError] = {}
    for _, provider in servers:
        try:
            listings[provider.base_url] = await provider.available_models()
        except TerrainError as error:
            listings[provider.base_url] = error

    def reachable(label: str, provider: OpenAIProvider) -> Check:
        async def check() -> CheckResult:
            name = f"{label} reachable"
            served = listings[provider.base_url]
            if isinstance(served, TerrainError):
                return CheckResult(name=name, ok=False, detail=served.message, fix=served.fix)
            listed = ", ".join(sorted(served)) or "none"
            return CheckResult(name=name, ok=True, detail=f"{provider.base_url}, serving {listed}")

        return check

    def model_served(kind: str, model: str, provider: OpenAIProvider) -> Check:
        async def check() -> CheckResult:
            name = f"{kind} model {model}"
            served = listings[provider.base_url]
            if isinstance(served, TerrainError):
                return CheckResult(
                    name=name,
                    ok=False,
                    detail=f"cannot tell: {provider.base_url} did not list its models",
                    fix=served.fix,
                )
            if model in served:
                return CheckResult(name=name, ok=True, detail=f"served by {provider.base_url}")
            return CheckResult(
                name=name,
                ok=False,
                detail=f"not among the models {provider.base_url}/models lists",
                fix=f"serve it as {model!r} (`--served-model-name {model}`; `--alias {model}` "
                f"for llama-server), or set TERRAIN_{kind.upper()}_MODEL to a listed name",
            )

        return check

    return [
        *(reachable(label, provider) for label, provider in servers),
        model_served("Chat", settings.chat_model, chat),
        model_served("Embedding", settings.embed_model, embedding),
    ]


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


async def _free_space(settings: Settings) -> CheckResult:
    """Enough free space where the data folder is: a full disk stops interviews being saved."""
    name = "Free space in the data folder"
    folder = settings.data_dir.expanduser()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    free_mb = shutil.disk_usage(folder).free // (1024 * 1024)
    wanted = settings.doctor_min_free_mb
    detail = f"{free_mb} MB free on the disk of {settings.data_dir}"
    if free_mb < wanted:
        return CheckResult(
            name=name,
            ok=False,
            detail=f"{detail}, below {wanted} MB (TERRAIN_DOCTOR_MIN_FREE_MB)",
            fix="free space on that disk, or move TERRAIN_DATA_DIR to a larger one",
        )
    return CheckResult(name=name, ok=True, detail=detail)


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
            fix=(
                f"start Ollama, run `ollama pull {settings.embed_model}`, then `terrain ingest`"
                if settings.model_provider == "ollama"
                else f"serve {settings.embed_model} on the OpenAI-compatible server, then "
                "`terrain ingest`"
            ),
        )
    return CheckResult(name=name, ok=True, detail=detail)


def assess_model(settings: Settings, model: str) -> FitnessReport:
    """`terrain doctor --model` and `terrain eval fitness`: the fitness battery on ``model``
    (kept apart from the other checks: it asks the model some thirty questions)."""
    from assistant.evaluation.fitness import assess
    from assistant.llm import chat_model_for

    return asyncio.run(assess(settings, chat_model_for(settings, model)))


def fitness_check(report: FitnessReport) -> CheckResult:
    """The battery's verdict as one line of the doctor's."""
    failed = [measure for measure in report.measures if not measure.ok]
    detail = f"{report.verdict} Terrain" + (
        ": " + "; ".join(f"{m.name} {m.shown} (needs {m.threshold})" for m in failed)
        if failed
        else ""
    )
    return CheckResult(
        name=f"model {report.model} for interviews",
        ok=not failed,
        detail=detail,
        fix="; ".join(dict.fromkeys(m.to_try for m in failed)) or None,
    )


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
