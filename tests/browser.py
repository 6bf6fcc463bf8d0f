"""Headless Chromium (Debian's package) driven by Playwright, for the browser tests,
and small helpers to find things on a Gradio page."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
from PIL import Image
from playwright.sync_api import Browser, Locator, Page, sync_playwright

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
def chromium() -> Iterator[Browser]:
    """One headless Chromium; open pages in it with ``browser_page(url, browser=...)``."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def browser_page(
    url: str, *, width: int = 1400, height: int = 1000, errors: list[str] | None = None, browser: Browser | None = None
) -> Iterator[Page]:
    """A page of headless Chromium showing ``url`` (waits for Gradio to render).

    JavaScript errors of the page are appended to ``errors`` if given: gradio_client
    cannot see a page that fails to render. With ``browser`` the page opens in that
    Chromium (and is closed afterwards); without, a Chromium is started for it.
    """
    if browser is None:
        with chromium() as own, browser_page(url, width=width, height=height, errors=errors, browser=own) as page:
            yield page
        return
    page = browser.new_page(viewport={"width": width, "height": height})
    try:
        if errors is not None:
            page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(url, wait_until="load", timeout=60_000)
        page.wait_for_selector("gradio-app .tab-wrapper, gradio-app [role=tablist]", timeout=60_000)
        yield page
    finally:
        page.close()


# ------------------------------------------------------------------ Gradio page helpers
# Hidden tabs keep their components in the page: every lookup keeps only visible elements.


def block(page: Page, label: str) -> Locator:
    """The component (Gradio "block") whose label reads exactly ``label``, on the visible tab."""
    text = page.get_by_test_id("block-label").or_(page.get_by_test_id("block-info"))
    label_element = text.filter(has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")).locator("visible=true").first
    return label_element.locator("xpath=ancestor::div[contains(concat(' ', normalize-space(@class), ' '), ' block ')][1]")


def set_number(page: Page, label: str, value: float) -> None:
    """Type ``value`` into the number box of the visible slider or number field ``label``."""
    box = page.locator(f"input[aria-label='number input for {label}']").locator("visible=true")
    if not box.count():
        box = block(page, label).locator("input[type=number]")
    box.first.fill(str(value))
    box.first.press("Enter")
    box.first.blur()


def error_toasts(page: Page) -> Locator:
    """The texts of the error toasts (Gradio shows a ``gr.Error`` as a toast)."""
    return page.locator("[data-testid='toast-body'].error [data-testid='toast-text']")


# Settled: the output's status tracker is hidden again and its images have loaded ("done"),
# or an error toast has appeared since the wait began ("error").
_MARK_TOASTS = "() => document.querySelectorAll(\"[data-testid='toast-body']\").forEach((t) => { t.dataset.seen = '1'; })"
_SETTLED = """([output]) => {
    if (document.querySelector("[data-testid='toast-body'].error:not([data-seen])")) return "error";
    const tracker = output.querySelector("[data-testid='status-tracker']");
    const images = [...output.querySelectorAll("img")];
    const loaded = images.length > 0 && images.every((img) => img.complete && img.naturalWidth > 0);
    return tracker && tracker.classList.contains("hide") && loaded ? "done" : false;
}"""


def wait_for_output(page: Page, output: Locator, action: Callable[[], object], *, timeout_s: float) -> str:
    """Do ``action`` (a click that starts the work) and wait until the empty ``output`` shows
    its final images ("done") or an error toast newer than the action appears ("error")."""
    page.evaluate(_MARK_TOASTS)
    handle = output.element_handle(timeout=30_000)
    action()
    return page.wait_for_function(_SETTLED, arg=[handle], timeout=timeout_s * 1000, polling=250).json_value()


def image_arrays(page: Page, where: Locator) -> list[np.ndarray]:
    """The pixels of every image shown in ``where``, fetched from the server as the page did."""
    arrays = []
    for img in where.locator("img").all():
        response = page.request.get(img.get_attribute("src"))
        assert response.ok, f"{img.get_attribute('src')}: HTTP {response.status}"
        arrays.append(np.asarray(Image.open(io.BytesIO(response.body())).convert("RGB")))
    return arrays
