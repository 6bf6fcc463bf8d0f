"""GAN latent space: sample pretrained generators, walk between samples, and watch a
2-D GAN learn (the generator as a distribution transformer). UI only: :mod:`synth.gan` does the work."""

from __future__ import annotations

import time
from dataclasses import dataclass

import gradio as gr

from demos.components import Dropdown, Number, Sketchpad, Slider, Textbox
from demos.errors import handler
from demos.forms import Form
from demos.jobs import job, lane, queued
from demos.panels import availability_markdown, reset_button
from demos.serving import image_file, launch_alone, output_file, output_files
from synth import limits
from synth.gan import generate, latent, toy
from synth.gan.imagenet import class_names
from synth.gan.toy_view import render as render_toy
from synth.images import save_image
from synth.options import shorten
from synth.runtime import gpu

RANDOM_CLASS = "(random class per cell)"
MODEL_CHOICES = [
    ("DCGAN · faces 64×64 · works offline", "dcgan/faces-64"),
    ("BigGAN-deep 128×128 · ImageNet classes", "biggan/deep-128"),
    ("BigGAN-deep 256×256 · ImageNet classes", "biggan/deep-256"),
    ("BigGAN-deep 512×512 · ImageNet classes (slow on CPU)", "biggan/deep-512"),
]
MAX_TOY_STEPS = 20_000
SAMPLE = Form(generate.SampleOptions, seed="Seed of the first cell", n="Samples in the grid", truncation="Truncation (lower: more typical, less varied)")
INTERPOLATE = Form(generate.InterpolateOptions, truncation="Truncation (lower: more typical, less varied)", steps="Frames A → B",
                   method="Interpolation", loop="Loop A → B → A")  # fmt: skip
WALK = Form(generate.WalkOptions, truncation="Truncation (lower: more typical, less varied)", size="Grid side")
TOY = Form(toy.ToyOptions, target="Real data", noise="p(z)", loss="Generator loss", lr_g="Learning rate of G", lr_d="Learning rate of D", seed="Seed")
FRAME_SECONDS = 1 / 12

INTRO = """## GAN latent space
A generator G turns a random vector **z** into an image. Every cell below is one z, named by its **seed**,
so "seed 7" is the same image on every machine. **Truncation** samples z closer to the centre of the
distribution: less variety, more typical images (Brock et al. 2019).

* **DCGAN faces** (Radford et al. 2016, the PyTorch-tutorial network) works offline. Its weights come from the
  PyPI package `gan-face-generate` 1.1.1 (MIT licence, Chien Liu) and were trained on **DigiFace-1M**, Microsoft's
  one million *synthetic* rendered faces (Bae et al., WACV 2023; the dataset itself is licensed for non-commercial
  research only). 64×64 pixels: expect blurry faces.
* **BigGAN-deep** (Brock et al. 2019; weights MIT, converted by Hugging Face) draws any of the 1000 ImageNet
  classes; it needs its weights from the hub, or cached beforehand with the command shown below.
"""

TOY_INTRO = """### A GAN in two dimensions
z comes from a 2-D Gaussian (left). G moves every z to a point in the plane (middle, purple) and tries to land
on the real data (green). D colours the plane: green where it believes "real", purple where "fake". The
blue/orange lines are a regular grid of z values carried through G: the sheet G lays over the plane.
Press **Play**; switch the generator loss to *minimax* and restart to see training stall
(Goodfellow et al. 2014, sec. 3). Pick "drawn" and draw your own data on the canvas.
"""


@dataclass(frozen=True)
class Grid:
    """The samples a session sees, kept on the server (``gr.State``): re-rolls and picks use these seeds,
    never a gallery sent back by the client."""

    samples: generate.Samples
    class_name: str | None

    def gallery(self) -> list[tuple[str, str]]:
        upscale = _upscale_for(self.samples.images.shape[-1])
        files = [image_file(picture, "sample.png") for picture in self.samples.pil_images(upscale)]
        return list(zip(files, self.samples.captions()))


def _class_arg(model: str, choice: str | None) -> str | None:
    if not generate.is_conditional(model) or not choice or choice == RANDOM_CLASS:
        return None
    return choice


@handler
def on_model(model: str):
    conditional = generate.is_conditional(model)
    return gr.update(visible=conditional), generate.default_truncation(model), availability_markdown(generate.GAN_MODELS)


@gpu(duration=30)
@handler
def do_sample(model: str, class_choice: str, **values):
    """A seeded grid; returns (gallery, grid file, the grid kept for this session, no cell selected, note)."""
    class_name = _class_arg(model, class_choice)
    grid = Grid(generate.sample(model, SAMPLE.build(values, class_name=class_name)), class_name)
    seeds = grid.samples.seeds
    note = f"{len(seeds)} samples, seeds {seeds[0]}…{seeds[-1]}. Click a cell to pick it for re-rolling and interpolation."
    return grid.gallery(), _grid_file(grid.samples.images, _upscale_for(grid.samples.images.shape[-1])), grid, None, note


def _upscale_for(side: int) -> int:
    """64-px DCGAN cells are shown at 128 px (nearest neighbour: crisp pixels)."""
    return max(1, 128 // side)


def _grid_file(images, upscale: int = 1) -> str:
    return output_file(lambda path: save_image(latent.grid_image(images, upscale=upscale), path), "gan_grid.png")


def _cell(grid: Grid | None, index: object) -> int:
    """A cell index of this session's grid, or a readable error (the index comes from the client)."""
    if grid is None:
        raise gr.Error("Sample a grid first, then click a cell.", print_exception=False)
    count = len(grid.samples.seeds)
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < count:
        raise gr.Error(f"No such cell: the grid has cells 0 to {count - 1}.", print_exception=False)
    return index


@handler
def on_select(grid: Grid | None, slot: str, evt: gr.SelectData):
    index = _cell(grid, evt.index)
    seed = grid.samples.seeds[index]  # type: ignore[union-attr]
    a_update = seed if slot == "A" else gr.update()
    b_update = seed if slot == "B" else gr.update()
    note = f"Cell {index + 1} (seed {seed}) is now endpoint {slot}; the next click sets {'B' if slot == 'A' else 'A'}."
    return index, a_update, b_update, "B" if slot == "A" else "A", note


@gpu(duration=30)
@handler
def do_reroll(grid: Grid | None, selected: int | None):
    """Give the selected cell of this session's grid a new seed; only that cell is rendered again."""
    if selected is None and grid is not None:
        raise gr.Error("Click a cell of the grid first: that cell gets a new seed.", print_exception=False)
    index = _cell(grid, selected)
    old = grid.samples  # type: ignore[union-attr]
    seeds = latent.reroll(old.seeds, index)
    cell = generate.sample(old.model, seeds=[seeds[index]], truncation=old.truncation, class_name=grid.class_name)  # type: ignore[union-attr]
    images = old.images.clone()
    images[index] = cell.images[0]
    classes = None if old.classes is None else tuple(cell.classes[0] if i == index else c for i, c in enumerate(old.classes))  # type: ignore[index]
    samples = generate.Samples(old.model, images, tuple(seeds), classes, old.truncation)
    grid = Grid(samples, grid.class_name)  # type: ignore[union-attr]
    note = f"Cell {index + 1} re-rolled: seed {seeds[index]}."
    return grid.gallery(), _grid_file(images, _upscale_for(images.shape[-1])), grid, note


@gpu(duration=120)
@handler
def do_interpolate(model: str, class_choice: str, progress=gr.Progress(), **values):
    """A walk from seed A to seed B (and back with ``loop``): GIF, strip, and the GIF and MP4 for download."""
    options = INTERPOLATE.build(values, seeds=(values["seed_a"], values["seed_b"]), class_name=_class_arg(model, class_choice))
    progress(0, desc="rendering frames")
    frames = generate.interpolate(model, options, callback=lambda p: progress(p.fraction, desc=f"frame {p.step} of {p.total}"))
    progress(1.0, desc="encoding GIF and MP4")
    gif, mp4, strip = output_files(lambda folder: latent.export_walk(frames, folder, fps=24, name="walk"))
    return gif, strip, [gif, mp4]


@gpu(duration=30)
@handler
def do_walk(model: str, class_choice: str, **values):
    """A grid mixing the latents of four corner seeds bilinearly."""
    corners = values["corners"]
    try:
        seeds = [int(part) for part in str(corners).replace(" ", "").split(",") if part]
    except ValueError:
        raise gr.Error(f"Corner seeds must be four whole numbers like 0,1,2,3; got {shorten(corners)}", print_exception=False) from None
    walk = generate.latent_walk(model, WALK.build(values, seeds=seeds, class_name=_class_arg(model, class_choice)))
    return _grid_file(walk.images, _upscale_for(walk.images.shape[-1]))


# ------------------------------------------------------------------ 2-D GAN
def _frame(gan: toy.ToyGAN) -> str:
    return image_file(render_toy(gan), "gan2d.png")


def _drawn_points(drawing):
    if drawing is None:
        raise gr.Error("Draw some points or strokes on the canvas first.")
    image = drawing.get("composite") if isinstance(drawing, dict) else drawing
    if image is None:
        raise gr.Error("Draw some points or strokes on the canvas first.")
    import numpy as np

    array = np.asarray(image)
    luminance = array[..., :3].mean(axis=-1)
    mask = luminance < 200
    if array.shape[-1] == 4:
        mask &= array[..., 3] > 128
    return toy.points_from_mask(mask)


def _new_toy(values: dict) -> toy.ToyGAN:
    options = TOY.build(values)
    points = _drawn_points(values["drawing"]) if options.target == "drawn" else None
    return toy.ToyGAN(options, points=points)


def _live(values: dict) -> dict:
    """The settings a running 2-D GAN takes without a restart (its loss and learning rates), validated."""
    options = TOY.build(values)
    return {"loss": options.loss, "lr_g": options.lr_g, "lr_d": options.lr_d}


@handler
def toy_reset(**values):
    gan = _new_toy(values)
    return _frame(gan), toy.summary(gan), gan


@handler
def toy_step(gan, **values):
    gan = gan or _new_toy(values)
    gan.set_options(**_live(values))
    gan.step(1)
    return _frame(gan), toy.summary(gan), gan


@handler
def toy_options(gan, **values):
    """A changed loss or learning rate: a running Play picks it up at its next frame."""
    live = _live(values)
    if gan is not None:
        gan.set_options(**live)
    return gan


@handler
def toy_play(gan, request: gr.Request, **values):
    """Train and stream a frame every ``per_frame`` steps until Pause, the step cap, the time budget
    (:attr:`synth.limits.Limits.seconds`) or a newer Play of this session (``frames_limit``: tests stop sooner)."""
    gan = gan or _new_toy(values)
    per_frame, frames_limit = int(values["per_frame"]), values.get("frames_limit")
    if not 1 <= per_frame <= 200:
        raise gr.Error(f"Steps per frame must be between 1 and 200, got {per_frame}.", print_exception=False)
    start = time.monotonic()
    frames = 0
    with job("gan2d", request) as stop:
        while gan.step_count < MAX_TOY_STEPS and time.monotonic() - start < limits.engine_seconds() and not stop.is_set():
            tick = time.monotonic()
            gan.step(per_frame)
            frames += 1
            yield _frame(gan), toy.summary(gan), gan
            if frames_limit and frames >= frames_limit:
                return
            time.sleep(max(0.0, FRAME_SECONDS - (time.monotonic() - tick)))
    yield _frame(gan), toy.summary(gan) + " · paused (step or time cap; press Play to go on)", gan


def create_demo() -> gr.Blocks:
    with gr.Blocks() as demo:
        gr.Markdown(INTRO)
        with gr.Tabs():
            with gr.Tab("Sample & interpolate"):
                _sampling_ui(demo)
            with gr.Tab("2-D GAN: G as a distribution transformer"):
                _toy_ui()
        reset_button(demo, "gan")
    return demo


def _sampling_ui(demo: gr.Blocks) -> None:
    grid = gr.State(None)
    selected = gr.State(None)
    slot = gr.State("A")
    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            model = Dropdown(MODEL_CHOICES, value="dcgan/faces-64", label="Generator")
            availability = gr.Markdown(availability_markdown(generate.GAN_MODELS))
            class_choice = Dropdown(
                [RANDOM_CLASS, *class_names()], value=RANDOM_CLASS, filterable=True, visible=False,
                label="ImageNet class (type to search)",
            )  # fmt: skip
            seed = SAMPLE.number("seed", maximum=2**31 - 1)
            truncation = SAMPLE.slider("truncation", minimum=0.02, maximum=1.0, step=0.02, value=1.0, info=None)
            count = SAMPLE.slider("n", info=None)
            sample_btn = gr.Button("Sample", variant="primary")
        with gr.Column(scale=2):
            gallery = gr.Gallery(label="Samples (click a cell)", columns=4, height=520, format="png", object_fit="contain", interactive=False)
            status = gr.Markdown()
            with gr.Row():
                reroll_btn = gr.Button("Re-roll the selected cell")
                grid_file = gr.File(label="Grid (PNG)")
    gr.Markdown("### Walk between two samples")
    with gr.Row():
        seed_a = Number(1, precision=0, minimum=0, maximum=2**31 - 1, label="Seed A")
        seed_b = Number(2, precision=0, minimum=0, maximum=2**31 - 1, label="Seed B")
        method = INTERPOLATE.radio("method", info=None)
        steps = INTERPOLATE.slider("steps", maximum=120, info=None)
        loop = INTERPOLATE.checkbox("loop")
    with gr.Row():
        walk_btn = gr.Button("Interpolate", variant="primary")
        stop_btn = gr.Button("Stop", variant="stop")
    with gr.Row():
        animation = gr.Image(label="Animation (GIF)", type="filepath", height=300)
        strip = gr.Image(label="Strip", type="filepath", format="png", height=300)
        downloads = gr.File(label="Download GIF and MP4", file_count="multiple")
    with gr.Accordion("Latent walk grid: bilinear mix of four corner samples", open=False):
        with gr.Row():
            corners = Textbox("0,1,2,3", max_length=80, label="Corner seeds (top-left, top-right, bottom-left, bottom-right)")
            walk_size = WALK.slider("size", info=None)
            walk_grid_btn = gr.Button("Make the grid")
        walk_grid = gr.Image(label="Latent walk grid", type="filepath", format="png")

    generator = [model, class_choice]
    model.change(on_model, model, [class_choice, truncation, availability], api_name="gan_model", queue=False)
    demo.load(lambda: availability_markdown(generate.GAN_MODELS), None, availability, api_name="gan_availability", queue=False)
    sample_btn.click(do_sample, generator, [gallery, grid_file, grid, selected, status], inputs_kwargs=dict(seed=seed, truncation=truncation, n=count),
                     **queued("gan_sample", tab="gan", lane_name="quick"))  # fmt: skip
    gallery.select(on_select, [grid, slot], [selected, seed_a, seed_b, slot, status], api_name="gan_select", queue=False)
    reroll_btn.click(do_reroll, [grid, selected], [gallery, grid_file, grid, status], **queued("gan_reroll", tab="gan", lane_name="quick"))
    walk = dict(truncation=truncation, seed_a=seed_a, seed_b=seed_b, method=method, steps=steps, loop=loop)
    run = walk_btn.click(do_interpolate, generator, [animation, strip, downloads], inputs_kwargs=walk,
                         **queued("gan_interpolate", tab="gan_walk", lane_name="translate"))  # fmt: skip
    stop_btn.click(None, cancels=[run], api_name="gan_stop")
    walk_grid_btn.click(do_walk, generator, walk_grid, inputs_kwargs=dict(truncation=truncation, corners=corners, size=walk_size),
                        **queued("gan_walk", tab="gan", lane_name="quick"))  # fmt: skip


def _toy_ui() -> None:
    gr.Markdown(TOY_INTRO)
    state = gr.State(None)
    with gr.Row():
        with gr.Column(scale=1, min_width=260):
            target = TOY.radio("target", info=None)
            noise = TOY.radio("noise", info=None)
            loss = TOY.radio("loss", info=None)
            lr_g = TOY.slider("lr_g", minimum=1e-4, maximum=1e-2, step=1e-4, info=None)
            lr_d = TOY.slider("lr_d", minimum=1e-4, maximum=1e-2, step=1e-4, info=None)
            per_frame = Slider(1, 200, value=20, step=1, label="Training steps per frame")
            seed = TOY.number("seed")
            with gr.Accordion("Draw your own data (target 'drawn')", open=False):
                drawing = Sketchpad(label="Draw points or strokes", canvas_size=(360, 360), type="numpy", image_mode="RGBA")
        with gr.Column(scale=3):
            view = gr.Image(label="Training", show_label=False, format="png", interactive=False)
            summary = gr.Markdown()
            with gr.Row():
                play = gr.Button("▶ Play", variant="primary")
                pause = gr.Button("⏸ Pause")
                step = gr.Button("Step")
                reset = gr.Button("Reset")
    setup = dict(target=target, drawing=drawing, noise=noise, loss=loss, lr_g=lr_g, lr_d=lr_d, seed=seed)
    running = play.click(toy_play, [state], [view, summary, state], inputs_kwargs={**setup, "per_frame": per_frame},
                         **queued("gan2d_play", tab="gan2d", lane_name="interactive"))  # fmt: skip
    pause.click(None, cancels=[running], api_name="gan2d_pause")
    step.click(toy_step, [state], [view, summary, state], inputs_kwargs=setup, api_name="gan2d_step", **lane("interactive"))
    reset.click(toy_reset, None, [view, summary, state], inputs_kwargs=setup, api_name="gan2d_reset", **lane("interactive"))
    for name, control in (("loss", loss), ("lr_g", lr_g), ("lr_d", lr_d)):
        control.change(toy_options, [state], state, inputs_kwargs=dict(loss=loss, lr_g=lr_g, lr_d=lr_d), api_name=f"gan2d_set_{name}", queue=False)
    for name, control in (("target", target), ("noise", noise), ("seed", seed)):
        control.change(toy_reset, None, [view, summary, state], inputs_kwargs=setup, api_name=f"gan2d_set_{name}", **lane("interactive"))

if __name__ == "__main__":
    launch_alone(create_demo())
