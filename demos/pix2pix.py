"""pix2pix tab: paired image-to-image translation (Isola et al. 2017).

Upload an image or paint a map with the map palette; the U-Net generator turns it
into a satellite view (or a facade into a photo, edges into a shoe, day into night).
"Compare with CycleGAN" runs the unpaired CycleGAN map -> satellite generator on the
same input, the lecture's paired-vs-unpaired comparison. UI only; the work is done
by :mod:`synth.translate`.
"""

from __future__ import annotations

import time

import gradio as gr
import numpy as np

from demos.components import Dropdown, ImageEditor, ImageUpload, Number, Radio, Slider
from demos.errors import handler, require_image
from demos.forms import Form
from demos.jobs import job, queued
from demos.panels import availability_markdown, generators_header, missing_weights, reset_button, snapshot_radio, snapshot_step
from demos.serving import image_file, launch_alone
from synth import limits
from synth.colors import luminance
from synth.examples import example_path, example_paths
from synth.images import load_image
from synth.runtime import gpu
from synth.streaming import Done, stream
from synth.train import Pix2PixOptions, train_pix2pix
from synth.translate import translate, translators
from synth.translate.experiments import compare_losses, held_out, losses_pictures
from synth.translate.lab import lab_models, trained_side
from synth.translate.maps import MAP_PALETTE, sample_map

MODELS = translators("pix2pix")
CHOICES = [(f"{t.title}  ({t.name})", t.name) for t in MODELS]
COMPARE = ("pix2pix/map2sat", "cyclegan/map2sat")
OFFICIAL_MODEL = "pix2pix/map2sat"
LAB_MODEL = "lab/maps-cgan+l1"  # ships with the lab: the tab works anywhere
MODES = [("paper (dropout on, test-batch statistics)", "paper"), ("deterministic (eval)", "eval")]
DEFAULT_SIDE = 512
MAX_SIDE = 1024

INTRO = """## pix2pix: paired image-to-image translation
A U-Net generator trained with an adversarial + L1 loss on **aligned pairs** (map tile ↔ satellite photo of the
same place) learns to translate one into the other (Isola, Zhu, Zhou & Efros, CVPR 2017). Upload an image or
**paint a map** with the map palette, then translate it. Any size works: the image is padded to a multiple of
256 pixels and cropped back.
"""

MODE_INFO = (
    "The paper keeps dropout on and normalises with the test image's own statistics, so each seed gives a "
    "slightly different result; eval mode uses the training averages and no dropout (always the same)."
)


def status_line() -> str:
    """One line: which pix2pix models can run here, and the command that fetches the others."""
    official = [t.name for t in MODELS if not t.name.startswith("lab/")]
    missing, command = missing_weights(official)
    if not missing:
        return "✅ All pix2pix generators are available, the official ones and the lab's own."
    if len(missing) == len(official):
        return (
            "⚠️ The official pix2pix generators are not available here (offline, or efrosgans.eecs.berkeley.edu cannot be "
            f"reached); **the lab's own small models work** (`lab/...`). Fetch the official ones where there is internet: {command}"
        )
    return f"⚠️ Some official pix2pix generators are not downloaded yet: {command}"


def default_model() -> str:
    """The official map -> satellite where it is downloaded, else the lab's own (it ships with the lab)."""
    missing, _ = missing_weights([OFFICIAL_MODEL])
    return LAB_MODEL if missing else OFFICIAL_MODEL


def _status() -> tuple[str, str, str]:
    return status_line(), availability_markdown([t.name for t in MODELS] + [COMPARE[1]]), default_model()


def _side(model: str, side: float) -> int:
    """The size a model translates at: the lab's models work at the side they were trained at (64 px)."""
    return trained_side(model) or int(side)


def _palette_markdown() -> str:
    swatches = " ".join(
        f"<span style='background:{colour};border:1px solid #999;padding:0 0.8em;margin-right:0.2em'></span>"
        f"{name} `{colour}`&nbsp;&nbsp;"
        for name, colour in MAP_PALETTE.items()
    )
    return f"Map palette: {swatches}"


def _run(image, model: str, mode: str, seed: float, side: float, progress: gr.Progress):
    start = time.perf_counter()
    progress(0, desc=f"loading {model}")
    output = translate(
        image,
        model,
        size=_side(model, side),
        mode=mode,
        seed=int(seed),
        callback=lambda p: progress(p.fraction, desc=p.stage),
    )
    seconds = time.perf_counter() - start
    height, width = output.shape[-2:]
    note = f"`{model}` · {width}×{height} px · {'seed ' + str(int(seed)) if mode == 'paper' else 'eval mode'} · {seconds:.1f} s"
    return image_file(output, "translated.png"), note


@gpu(duration=60)
@handler
def translate_upload(path, model, mode, seed, side, progress=gr.Progress()):
    """Translate an uploaded image; returns (output, note, the input for "compare")."""
    image = load_image(require_image(path), max_side=int(side))
    output, note = _run(image, model, mode, seed, side, progress)
    return output, note, path


@gpu(duration=60)
@handler
def translate_drawing(editor, model, mode, seed, side, progress=gr.Progress()):
    """Translate the painted map; returns (output, note, the drawing for "compare")."""
    composite = None if editor is None else editor.get("composite")
    if composite is None:
        raise gr.Error("Paint a map on the canvas first (or press Reset to get the sample map).", print_exception=False)
    image = load_image(np.asarray(composite)[..., :3].copy(), max_side=int(side))
    output, note = _run(image, model, mode, seed, side, progress)
    return output, note, np.asarray(composite)[..., :3].copy()


@gpu(duration=60)
@handler
def compare_cyclegan(last_input, mode, seed, side, progress=gr.Progress()):
    """pix2pix map2sat (paired) next to CycleGAN map2sat (unpaired) on the last input."""
    if last_input is None:
        raise gr.Error("Translate an upload or a drawing first; the comparison uses the same input.", print_exception=False)
    source = last_input if isinstance(last_input, str) else np.asarray(last_input)
    image = load_image(source, max_side=int(side))
    gallery = [(image_file(image, "input.png"), "input")]
    for name, label in zip(COMPARE, ("pix2pix (paired training)", "CycleGAN (unpaired training)")):
        progress(len(gallery) / 3, desc=name)
        gallery.append((image_file(translate(image, name, mode=mode, seed=int(seed)), "translated.png"), f"{label}: {name}"))
    return gallery


# ------------------------------------------------------------------ why a GAN loss
EXPERIMENTS = [("map → aerial photo (maps)", "maps"), ("grey → colour (colour)", "colour")]
SOURCES = [("a held-out sample (data seed 1000, never trained on)", "sample"), ("my upload", "upload"), ("my drawing (Draw a map)", "drawing")]
#: Live training: the shipped models' recipe, fewer steps (its own lane, capped by synth.limits).
LIVE = Form(Pix2PixOptions, steps="Training steps per model")
LIVE_RECIPE = dict(ngf=16, ndf=16, batch_size=4, n_train=256, preview_every=25)

WHY_GAN = """### Why a GAN loss? (Isola et al. 2017, Figs. 4 and 6)
One input through three generators that differ only in their loss. **L1 alone** must predict the average of every
output that fits the input, so it blurs (the "unstructured prediction": grey roofs, brownish colours). The **conditional
GAN** loss asks a discriminator whether each 70×70 patch looks real next to its input, so the output commits to one sharp,
plausible answer; **cGAN + L1** (the paper's choice) keeps it close to the truth as well. Our own small models, trained by
`synth.train` on the lab's procedural data at 64×64 pixels (weights ship with the lab). *Sharpness* is the output's
high-frequency energy over the ground truth's (1 = as sharp as the truth)."""


def _experiment_input(data: str, source: str, index: int, path: str | None, drawing: dict | None):
    """(input, ground truth or None) of the experiment: a held-out pair, an upload (a colour photo becomes
    its grey version, with the photo as the truth), or the map drawn on the canvas."""
    if source == "sample":
        return held_out(data, index)
    if source == "upload":
        image = load_image(require_image(path, "an image"))
        return (luminance(image), image) if data == "colour" else (image, None)
    if data != "maps":
        raise gr.Error("The drawing is a map: choose the maps experiment, or a held-out sample or an upload.", print_exception=False)
    composite = None if drawing is None else drawing.get("composite")
    if composite is None:
        raise gr.Error("Paint a map on the canvas of “Draw a map” first.", print_exception=False)
    return load_image(np.asarray(composite)[..., :3].copy()), None


def _scores(comparison) -> str:
    names = sorted({name for score in comparison.scores.values() for name in score})
    rows = [f"| {title} | " + " | ".join(f"{comparison.scores[title].get(name, float('nan')):.2f}" for name in names) + " |" for title in comparison.scores]
    return "| model | " + " | ".join(names) + " |\n|---|" + "---:|" * len(names) + "\n" + "\n".join(rows)


@gpu(duration=60)
@handler
def why_gan_loss(path, drawing, **values):
    """The three generators of one experiment on one input: outputs, D's patch maps, the spread over dropout seeds, scores."""
    data, (step, when) = values["data"], snapshot_step(values["step"])
    image, target = _experiment_input(data, values["source"], int(values["index"]), path, drawing)
    comparison = compare_losses(image, data, target=target, step=step, seed=int(values["seed"]))
    pictures = {name: image_file(picture, f"{name}.png") for name, picture in losses_pictures(comparison).items()}
    return pictures["outputs"], pictures.get("patch maps"), pictures.get("spread"), f"{_scores(comparison)}\n\n{when}; dropout seed {int(values['seed'])}"


def _previews(previews: dict[str, str]) -> list[tuple[str, str]]:
    return [(file, title) for title, file in previews.items()]


@gpu(duration=120)
@handler
def train_live(request: gr.Request, **values):
    """Retrain the three models of one experiment at 64 px on this CPU, one after the other, streaming previews."""
    data = values["data"]
    previews: dict[str, str] = {}
    with job("pix2pix_train", request) as stop:
        deadline = time.monotonic() + limits.engine_seconds()
        for done, (loss, title) in enumerate((("l1", "L1"), ("cgan", "cGAN"), ("cgan+l1", "cGAN + L1"))):
            options = LIVE.build(values, loss=loss, **LIVE_RECIPE)
            budget = max(0.0, (deadline - time.monotonic()) / (3 - done))  # an equal share of what is left
            for item in stream(train_pix2pix, data, options, stop=stop, budget=budget):
                if isinstance(item, Done):
                    note = " (stopped at its share of the time budget)" if item.early else ""
                    yield _previews(previews), f"{title}: trained {item.result.steps} steps{note}"
                elif item.image is not None:
                    previews[title] = image_file(item.image, "preview.png")
                    losses = " · ".join(f"{name} {value:.3f}" for name, value in item.losses.items())
                    yield _previews(previews), f"{title}: step {item.step}/{item.total} · {losses}"


def _why_gan_ui(canvas: ImageEditor) -> None:
    gr.Markdown(WHY_GAN)
    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            data = Radio(EXPERIMENTS, value="maps", label="Experiment")
            source = Radio(SOURCES, value="sample", label="Input")
            index = Slider(0, 63, value=3, step=1, label="Held-out sample")
            upload = ImageUpload(label="My upload (a map in the palette, or any photo for grey → colour)", height=160)
            step = snapshot_radio(lab_models("maps") + lab_models("colour"))
            seed = Number(0, precision=0, minimum=0, maximum=2**63 - 1, label="Dropout seed (the generator's noise)")
            go = gr.Button("Compare the three losses", variant="primary")
        with gr.Column(scale=3):
            outputs = gr.Image(label="Input · L1 · cGAN · cGAN + L1 · ground truth", format="png", type="filepath", interactive=False)
            scores = gr.Markdown()
            with gr.Row():
                patches = gr.Image(label="Which patches D calls fake (red) or real (green)", format="png", type="filepath", interactive=False)
                spread = gr.Image(label="Spread over 8 dropout seeds (bright: the output varies)", format="png", type="filepath", interactive=False)
    with gr.Accordion("Train live: the three models again, on this CPU", open=False):
        gr.Markdown("Trains L1, cGAN and cGAN + L1 one after the other at 64×64 pixels from scratch, with the shipped models' recipe "
                    "and far fewer steps, streaming the preview (inputs, outputs, truths). A public Space caps the steps and the time.")  # fmt: skip
        with gr.Row():
            train_steps = LIVE.slider("steps", minimum=50, maximum=600, step=50, value=300, info=None)
            train = gr.Button("Train live", variant="primary")
            stop = gr.Button("Stop", variant="stop")
        live_status = gr.Markdown()
        live = gr.Gallery(label="Previews: L1 · cGAN · cGAN + L1", columns=3, format="png", height="auto")
    compare_event = go.click(
        why_gan_loss, [upload, canvas], [outputs, patches, spread, scores], inputs_kwargs=dict(data=data, source=source, index=index, step=step, seed=seed),
        **queued("pix2pix_why_gan_loss", tab="pix2pix", lane_name="translate"),
    )  # fmt: skip
    train_event = train.click(train_live, None, [live, live_status], inputs_kwargs=dict(data=data, steps=train_steps),
                              **queued("pix2pix_train_live", tab="pix2pix_train", lane_name="train"))  # fmt: skip
    stop.click(None, cancels=[compare_event, train_event], api_name=False)


def create_demo() -> gr.Blocks:
    with gr.Blocks() as demo:
        status, availability = generators_header(INTRO)
        last_input = gr.State(None)
        with gr.Tabs(selected="why"):
            with gr.Tab("Translate", id="translate"), gr.Row():
                with gr.Column():
                    model = Dropdown(CHOICES, value=LAB_MODEL, label="Model")
                    with gr.Tabs():
                        with gr.Tab("Upload"):
                            upload = ImageUpload(label="Input image", value=str(example_path("map")))
                            gr.Examples(example_paths("map", "rocket", "coffee"), inputs=upload, label="Examples")
                            run_upload = gr.Button("Translate", variant="primary")
                        with gr.Tab("Draw a map"):
                            canvas = ImageEditor(
                                value={"background": sample_map(256), "layers": [], "composite": None},
                                type="numpy",
                                image_mode="RGB",
                                sources=(),
                                transforms=(),
                                layers=False,
                                canvas_size=(256, 256),
                                format="png",
                                fixed_canvas=True,
                                brush=gr.Brush(
                                    colors=list(MAP_PALETTE.values()),
                                    default_color=MAP_PALETTE["road"],
                                    color_mode="fixed",
                                    default_size=6,
                                ),
                                label="Paint a map (then choose “map → satellite”)",
                                # no eraser=False: in Gradio 6.31 it hides the whole toolbar (no brush) and raises a Svelte error
                            )
                            gr.Markdown(_palette_markdown())
                            run_draw = gr.Button("Translate drawing", variant="primary")
                    mode = Radio(MODES, value="paper", label="Test-time mode", info=MODE_INFO)
                    with gr.Row():
                        seed = Number(0, precision=0, minimum=0, maximum=2**63 - 1, label="Seed (paper mode)")
                        side = Slider(256, MAX_SIDE, value=DEFAULT_SIDE, step=256, label="Max side (pixels)")
                with gr.Column():
                    output = gr.Image(label="Output", format="png", type="filepath", interactive=False)
                    note = gr.Markdown()
                    compare = gr.Button("Compare with CycleGAN (map → satellite, paired vs unpaired)")
                    comparison = gr.Gallery(label="Input · pix2pix · CycleGAN", columns=3, format="png", height="auto")
            with gr.Tab("Why a GAN loss?", id="why"):
                _why_gan_ui(canvas)

        demo.load(_status, outputs=[status, availability, model], api_name="pix2pix_status", queue=False)
        settings = [model, mode, seed, side]
        run_upload.click(
            translate_upload, [upload, *settings], [output, note, last_input], **queued("pix2pix_translate", tab="pix2pix", lane_name="translate")
        )
        run_draw.click(
            translate_drawing, [canvas, *settings], [output, note, last_input], **queued("pix2pix_translate_drawing", tab="pix2pix", lane_name="translate")
        )
        compare.click(compare_cyclegan, [last_input, mode, seed, side], comparison, **queued("pix2pix_compare", tab="pix2pix", lane_name="translate"))
        reset_button(demo, "pix2pix")
    return demo


if __name__ == "__main__":
    launch_alone(create_demo())
