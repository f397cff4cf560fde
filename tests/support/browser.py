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


# Whether the composer takes an answer now: "ready" (the send button is enabled), "emptied"
# (the page was drawn again and lost what was typed: Chainlit moves to the thread's address
# after the first interaction, once it has fetched the thread list), else not yet (a reply's
# task still runs: the stop button stands where the send button was).
_COMPOSER_STATE = """() => {
  const box = document.querySelector("#chat-input");
  const send = document.querySelector("#chat-submit");
  if (box && !box.value.trim()) return "emptied";
  if (send && !send.disabled) return "ready";
  return false;
}"""
# Clicks only a send button that is enabled, in the same turn of the page's script as the check.
_SEND_IF_READY = """() => {
  const send = document.querySelector("#chat-submit");
  if (!send || send.disabled) return false;
  send.click();
  return true;
}"""


async def send_answer(page: Any, answer: str) -> None:
    """Type an answer and send it as a person does: once the page takes it, typing it again if
    the page was drawn again meanwhile; then wait until it shows in the conversation."""
    from playwright.async_api import expect

    while True:
        await page.fill("#chat-input", answer)
        state = await page.wait_for_function(_COMPOSER_STATE, timeout=HANG_CAP_MS)
        if await state.json_value() == "ready" and await page.evaluate(_SEND_IF_READY):
            break
    await expect(page.get_by_text(answer, exact=True).last).to_be_visible(timeout=HANG_CAP_MS)
