"""Retries with exponential backoff, for failures that a second attempt can fix."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

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
