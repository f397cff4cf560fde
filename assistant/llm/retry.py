"""Retries with exponential backoff, for failures that a second attempt can fix."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict, TypeVar

from assistant.llm.errors import ModelResponseError

if TYPE_CHECKING:
    from assistant.config import Settings

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 2
    backoff: float = 0.5
    # How to wait between attempts; tests pass a recorder to check the pauses without waiting.
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    def delays(self) -> list[float]:
        return [self.backoff * 2**attempt for attempt in range(self.retries)]


async def with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy,
    retry_on: tuple[type[BaseException], ...],
) -> T:
    """Run ``call``; on one of ``retry_on``, wait and try again, up to ``policy.retries`` times."""
    for delay in policy.delays():
        try:
            return await call()
        except retry_on:
            await policy.sleep(delay)
    return await call()


class Patience(TypedDict):
    """How patiently a model server is talked to: the fields every provider shares."""

    connect_timeout: float
    request_timeout: float
    retry: RetryPolicy
    temperature: float
    embed_batch_size: int


def patience_from(settings: Settings) -> Patience:
    """The settings every model server's provider takes, read in one place for all of them."""
    return Patience(
        connect_timeout=settings.connect_timeout,
        request_timeout=settings.request_timeout,
        retry=RetryPolicy(retries=settings.max_retries, backoff=settings.retry_backoff),
        temperature=settings.temperature,
        embed_batch_size=settings.embed_batch_size,
    )


async def embed_in_batches(
    texts: Sequence[str],
    *,
    batch_size: int,
    embed_batch: Callable[[list[str]], Awaitable[Sequence[Sequence[float]]]],
    server: str,
) -> list[list[float]]:
    """Embed ``texts`` ``batch_size`` at a time, each batch one call of ``embed_batch``; a server
    that returns another number of vectors than it was given texts is an error, not a shift."""
    vectors: list[list[float]] = []
    for start in range(0, len(texts), batch_size):
        batch = list(texts[start : start + batch_size])
        received = await embed_batch(batch)
        if len(received) != len(batch):
            raise ModelResponseError(
                f"{server} returned {len(received)} embeddings for {len(batch)} texts."
            )
        vectors.extend(list(vector) for vector in received)
    return vectors
