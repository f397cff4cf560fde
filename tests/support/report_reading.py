"""The report's pages in Chromium at a phone's and a desktop's width, measured and screenshot."""

from __future__ import annotations

from pathlib import Path

from tests.support.browser import CHROMIUM

ROOT = Path(__file__).resolve().parents[2]


ARTIFACTS = ROOT / "test-artifacts" / "report-reading"


LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND"]  # fmt: skip


def screenshots(pages: dict[str, str], tmp_path: Path) -> dict[str, dict[str, int]]:
    """Each HTML page at 390 px and 1280 px wide in Chromium: its widths (the document's,
    the viewport's, the widest header's letters per line) and a full-page screenshot."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    measures: dict[str, dict[str, int]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True
        )
        try:
            for name, content in pages.items():
                path = tmp_path / f"{name}.html"
                path.write_text(content, encoding="utf-8")
                for width in (390, 1280):
                    page = browser.new_page(viewport={"width": width, "height": 844})
                    page.goto(path.as_uri())
                    measures[f"{name}@{width}"] = page.evaluate(
                        """() => ({
                          scroll: document.documentElement.scrollWidth,
                          viewport: window.innerWidth,
                          narrowestHeader: Math.min(...[...document.querySelectorAll('th')]
                            .map(th => th.getBoundingClientRect().width), 9999),
                          overflowingCells: [...document.querySelectorAll('th, td')]
                            .filter(c => c.scrollWidth > c.clientWidth + 1).length,
                        })"""
                    )
                    page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
                    page.close()
        finally:
            browser.close()
    return measures
