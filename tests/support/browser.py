"""Debian's Chromium for the browser tests: where it is, how it is launched, where
screenshots go."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.web.waiting import HANG_CAP_MS

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")


ARTIFACTS = ROOT / "test-artifacts"


LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


async def send_answer(page: Any, answer: str) -> None:
    """Type an answer and send it as a person does: once the page takes it.

    While the previous reply's task still runs (its message may already show), Chainlit puts a
    stop button where the send button was and ignores Enter; an answer sent then would stay in
    the box. So this waits for the send button, then checks the answer went out."""
    from playwright.async_api import expect

    await page.fill("#chat-input", answer)
    submit = page.locator("#chat-submit")
    await expect(submit).to_be_enabled(timeout=HANG_CAP_MS)
    await submit.click()
    await expect(page.get_by_text(answer, exact=True).last).to_be_visible(timeout=HANG_CAP_MS)
