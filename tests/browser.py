"""Headless Chromium (Debian's package) driven by Playwright, for the browser tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
# Root needs --no-sandbox; the network flags stop Chromium calling out (closed network).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def browser_page(url: str, *, width: int = 1400, height: int = 1000, errors: list[str] | None = None) -> Iterator[Page]:
    """A page of headless Chromium showing ``url`` (waits for Gradio to render).

    JavaScript errors of the page are appended to ``errors`` if given: gradio_client
    cannot see a page that fails to render.
    """
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            if errors is not None:
                page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(url, wait_until="load", timeout=60_000)
            page.wait_for_selector("gradio-app .tab-wrapper, gradio-app [role=tablist]", timeout=60_000)
            yield page
        finally:
            browser.close()
