"""Every tab in a real browser: headless Chromium drives the offline app like a student.

Per tab (one row of :data:`TABS`): click an example, press the tab's main button, wait
for the output, check its pixels are not flat (or, where the tab's checkpoints are not
downloaded here, that the page names the command that fetches them); upload a text file
named ``.png`` and check our readable error reaches the page; the tab's own extra checks;
no JavaScript errors. A screenshot of every tab after its run is saved as
``artifacts/tab_<name>.png``. One Chromium serves the whole file; each test opens its own
page in it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from synth.weights import default_store

from .browser import block, browser_page, chromium, error_toasts, image_arrays, set_number, wait_for_output

NOT_AN_IMAGE = "'not-an-image.png' is not an image"


@dataclass(frozen=True)
class Tab:
    """How to drive one tab; adding a tab to the app is adding one of these."""

    label: str  # the tab's label in app.TABS
    run: str  # text of the tab's main button
    output: str  # label of the output image (or gallery) to wait for
    example: str | None  # example image to click (name in synth.examples); None: the tab takes no image
    upload: str | None  # label of the image input that gets the bad file; None: no upload
    error: str = NOT_AN_IMAGE  # what the page must say about the bad file
    done: str | None = None  # text on the page once the run has finished
    settings: dict[str, float] = field(default_factory=dict)  # number fields set before Run (label -> value)
    weights: tuple[str, ...] = ()  # checkpoints the run needs; if missing here, the page must name the command
    extra: Callable[[Page, Path], None] | None = None  # the tab's own checks, last, on the same page
    timeout_s: float = 180  # generous: other work shares these cores

    @property
    def name(self) -> str:
        return re.sub(r"\W+", "_", self.label.lower()).strip("_")


def network_views(page: Page, artifacts: Path) -> None:
    """Neural textures: "What the network sees" shows filters and feature maps of the example."""
    page.locator(".gallery-item img[src$='/fur.png']").locator("visible=true").first.click()
    page.get_by_text("What the network sees").click()
    show = page.get_by_role("button", name="Show filters, feature maps and Gram matrix")
    assert wait_for_output(page, block(page, "Strongest feature maps for the example"), show.click, timeout_s=120) == "done"
    page.get_by_text("strongest channels").wait_for(timeout=30_000)
    for label in ("First-layer filters (conv1_1)", "Strongest feature maps for the example"):
        assert all(image.std() > 10 for image in image_arrays(page, block(page, label)))
    page.screenshot(path=str(artifacts / "tab_neural_textures_views.png"), full_page=True)


def pick_and_reroll(page: Page, artifacts: Path) -> None:
    """GAN: the samples are an output (no upload prompt); a clicked cell is picked and re-rolled."""
    samples = block(page, "Samples (click a cell)")
    assert samples.locator("input[type=file]").count() == 0, "the samples gallery offers an upload"
    samples.locator("img").nth(2).click()
    page.get_by_text("Cell 3 (seed 2) is now endpoint A").wait_for(timeout=30_000)
    page.get_by_role("button", name="Re-roll the selected cell").click()
    page.get_by_text("Cell 3 re-rolled").wait_for(timeout=60_000)


def paint_a_map(page: Page, artifacts: Path) -> None:
    """pix2pix: the map canvas has its brush, and a stroke lands on it (its Undo comes alive)."""
    page.get_by_role("tab", name="Draw a map").click()
    editor = block(page, "Paint a map (then choose “map → satellite”)")
    editor.get_by_role("button", name="Brush", exact=True).wait_for(timeout=30_000)
    undo = editor.get_by_role("button", name="Undo", exact=True)
    expect(undo).to_be_disabled()
    box = editor.locator(".pixi-target canvas").bounding_box()
    x, y = box["x"] + box["width"] / 2 - 60, box["y"] + box["height"] / 2 - 60
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 21):
        page.mouse.move(x + 6 * step, y + 6 * step)
    page.mouse.up()
    expect(undo).to_be_enabled(timeout=10_000)


def _translate_subtab(page: Page, example: str, output: str, done: str, artifacts: Path) -> None:
    """The Translate sub-tab of a translation tab: an example through the selected model, then a bad upload."""
    bad_png = artifacts / "bad" / "not-an-image.png"
    bad_png.parent.mkdir(exist_ok=True)
    bad_png.write_text("this is text, not a PNG\n")
    page.get_by_role("tab", name="Translate", exact=True).click()
    upload = block(page, "x: input image" if output == "G(x)" else "Input image")
    image = page.locator(f".gallery-item img[src$='/{example}.png']").locator("visible=true").first
    assert wait_for_output(page, upload, image.click, timeout_s=60) == "done", "the example did not load"
    run = page.get_by_role("button", name="Translate", exact=True).locator("visible=true")
    assert wait_for_output(page, block(page, output), run.click, timeout_s=180) == "done", error_toasts(page).all_inner_texts()
    page.get_by_text(done).locator("visible=true").first.wait_for(timeout=30_000)
    assert all(image.std() > 3 for image in image_arrays(page, block(page, output)))
    upload.locator("input[type=file]").set_input_files(bad_png)
    upload.locator("img[src*='not-an-image']").wait_for(state="attached", timeout=30_000)
    run.click()
    error_toasts(page).filter(has_text=NOT_AN_IMAGE).first.wait_for(timeout=60_000)


def pix2pix_extras(page: Page, artifacts: Path) -> None:
    """pix2pix: D's patch map and the spread are drawn; the lab's own model translates the map example; the map canvas paints."""
    for label in ("Which patches D calls fake (red) or real (green)", "Spread over 8 dropout seeds (bright: the output varies)"):
        assert all(image.std() > 3 for image in image_arrays(page, block(page, label)))
    page.get_by_text("Train live: the three models again").click()
    page.get_by_role("button", name="Train live", exact=True).wait_for(timeout=10_000)
    _translate_subtab(page, "map", "Output", "lab/maps-cgan+l1", artifacts)
    paint_a_map(page, artifacts)


def cyclegan_extras(page: Page, artifacts: Path) -> None:
    """CycleGAN: the lecture's slide (two horses), then the Translate sub-tab with the cycle of the lab's own pair."""
    slide = page.get_by_role("button", name="Two horses, GAN loss alone vs with the cycle")
    pair = block(page, "Two horses: G trained with the GAN loss alone (top) and with the cycle (bottom)")
    assert wait_for_output(page, pair, slide.click, timeout_s=120) == "done", error_toasts(page).all_inner_texts()
    assert all(image.std() > 3 for image in image_arrays(page, pair))
    page.screenshot(path=str(artifacts / "tab_cyclegan_why.png"), full_page=True)
    _translate_subtab(page, "horses", "G(x)", "Mean |x − F(G(x))|", artifacts)


def fast_mode(page: Page, artifacts: Path) -> None:
    """Style transfer: the fast mode (one forward pass of Ghiasi et al. 2017) renders the default pair."""
    page.get_by_text("Fast: one forward pass", exact=False).locator("visible=true").first.click()
    example = page.locator(".gallery-item img[src$='/astronaut.png']").locator("visible=true").first
    assert wait_for_output(page, block(page, "Content"), example.click, timeout_s=60) == "done"
    page.get_by_role("button", name="Run", exact=True).locator("visible=true").click()
    page.get_by_text("done: fast mode").locator("visible=true").first.wait_for(timeout=120_000)
    assert all(image.std() > 3 for image in image_arrays(page, block(page, "Result")))
    page.screenshot(path=str(artifacts / "tab_style_transfer_fast.png"), full_page=True)


TABS = [
    Tab("Pyramid textures", run="Synthesise", output="Synthesised texture", example="gravel", upload="Example texture", done="iteration 5"),
    Tab("Neural textures", run="Run", output="Synthesised texture (shown enlarged)", example="fur", upload="Example texture",
        done="done: 100 steps", extra=network_views, timeout_s=400),  # the default run (100 L-BFGS steps, 128 px): ~20 s on a quiet CPU
    Tab("Style transfer", run="Run", output="Result", example="chelsea", upload="Content", done="done: ",
        settings={"Output size (longer side, px; optimisation: at most 512 on a CPU)": 128, "Steps (over all scales)": 20}, extra=fast_mode),
    Tab("GAN latent space", run="Sample", output="Samples (click a cell)", example=None, upload=None, done="16 samples",
        extra=pick_and_reroll),
    # The translation tabs open on their experiments, which work offline on the lab's own models: the first click needs nothing.
    Tab("pix2pix", run="Compare the three losses", output="Input · L1 · cGAN · cGAN + L1 · ground truth", example=None, upload=None,
        done="the final models", extra=pix2pix_extras),
    Tab("CycleGAN", run="Through the three CycleGANs", output="x · G(x) · F(G(x)) · silhouettes, per objective", example=None, upload=None,
        done="the final models", extra=cyclegan_extras),
]  # fmt: skip


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as running:
        yield running


@pytest.fixture(scope="module")
def bad_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bad") / "not-an-image.png"
    path.write_text("this is text, not a PNG\n")
    return path


def test_every_tab_of_the_app_has_a_row() -> None:
    from app import TABS as APP_TABS

    assert [label for label, _ in APP_TABS] == [tab.label for tab in TABS], "every tab of app.TABS needs a Tab row here, in the app's order"


@pytest.mark.parametrize("tab", TABS, ids=lambda tab: tab.name)
def test_tab_in_chromium(tab: Tab, browser: Browser, app_server, artifacts: Path, bad_png: Path) -> None:
    errors: list[str] = []
    missing = [name for name in tab.weights if default_store().cached_path(name) is None]
    with browser_page(app_server.url, browser=browser, errors=errors) as page:
        page.get_by_role("tab", name=tab.label, exact=True).click()
        run = page.get_by_role("button", name=tab.run, exact=True).locator("visible=true")
        output = block(page, tab.output)

        # An example and Run give an image that is not flat.
        if tab.example:
            example = page.locator(f".gallery-item img[src$='/{tab.example}.png']").locator("visible=true").first
            assert wait_for_output(page, block(page, tab.upload), example.click, timeout_s=60) == "done", "the example did not load"
        for label, value in tab.settings.items():
            set_number(page, label, value)
        settled = wait_for_output(page, output, run.click, timeout_s=tab.timeout_s)
        if missing:  # offline without the checkpoint: the page says which command fetches it
            assert settled == "error"
            error_toasts(page).filter(has_text=f"python -m synth weights download {missing[0]}").first.wait_for(timeout=10_000)
        else:
            assert settled == "done", f"error instead of an output: {error_toasts(page).all_inner_texts()}"
            if tab.done:
                page.get_by_text(tab.done).locator("visible=true").first.wait_for(timeout=30_000)
            images = image_arrays(page, output)
            assert images and all(min(image.shape[:2]) >= 32 and image.std() > 3 for image in images), [(im.shape, im.std()) for im in images]
        page.wait_for_timeout(500)  # let the last images paint
        page.screenshot(path=str(artifacts / f"tab_{tab.name}.png"), full_page=True)

        # A bad upload: our message, not a generic one, reaches the page.
        if tab.upload:
            upload = block(page, tab.upload)
            upload.locator("input[type=file]").set_input_files(bad_png)
            upload.locator("img[src*='not-an-image']").wait_for(state="attached", timeout=30_000)
            run.click()
            error_toasts(page).filter(has_text=tab.error).first.wait_for(timeout=60_000)

        if tab.extra:
            tab.extra(page, artifacts)
    assert errors == []

