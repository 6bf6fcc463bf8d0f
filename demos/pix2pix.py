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
from demos.panels import availability_markdown, generators_header, missing_weights, reset_button
from demos.serving import image_file, launch_alone, queued
from synth.examples import example_paths
from synth.images import load_image
from synth.runtime import gpu
from synth.translate import translate, translators
from synth.translate.maps import MAP_PALETTE, sample_map

MODELS = translators("pix2pix")
CHOICES = [(f"{t.title}  ({t.name})", t.name) for t in MODELS]
COMPARE = ("pix2pix/map2sat", "cyclegan/map2sat")
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
    missing, command = missing_weights(t.name for t in MODELS)
    if not missing:
        return "✅ All pix2pix generators are available."
    if len(missing) == len(MODELS):
        return (
            "⚠️ **No pix2pix generator is available here** (offline, or efrosgans.eecs.berkeley.edu cannot be "
            f"reached). Fetch them where there is internet: {command}"
        )
    return f"⚠️ Some pix2pix generators are not downloaded yet: {command}"


def _status() -> tuple[str, str]:
    return status_line(), availability_markdown([t.name for t in MODELS] + [COMPARE[1]])


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
        size=int(side),
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


def create_demo() -> gr.Blocks:
    with gr.Blocks() as demo:
        status, availability = generators_header(INTRO)
        last_input = gr.State(None)
        with gr.Row():
            with gr.Column():
                model = Dropdown(CHOICES, value=MODELS[0].name, label="Model")
                with gr.Tabs():
                    with gr.Tab("Upload"):
                        upload = ImageUpload(label="Input image")
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

        demo.load(_status, outputs=[status, availability], api_name="pix2pix_status", queue=False)
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
