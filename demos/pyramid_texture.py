"""Tab 1: parametric pyramid textures (Heeger & Bergen 1995).

Start from noise; loop: match the pixel histogram, decompose input and output with a
steerable pyramid, match each subband's histogram, collapse. The tab streams every
iteration and shows the subbands, their histograms, the filter bank and a tiled
preview. All work is done by :mod:`synth.heeger_bergen`.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from synth import heeger_bergen as hb
from synth.examples import example_path, example_paths
from synth.images import load_image, squeeze_grey
from synth.pyramid import max_scales
from synth.streaming import Done
from synth.views import band_label, caption, filter_bank_image, histogram_figure, hstack, pyramid_mosaic, tile

from .components import Dropdown, ImageUpload, Slider
from .errors import handler, require_image
from .forms import Form
from .jobs import lane, queued, stream_job
from .panels import reset_button
from .serving import image_file, launch_alone

EXAMPLES = ("gravel", "grass", "wood", "fur", "stars", "cells", "brick")
MAX_INPUT_SIDE = 512  # a public Space's cap; the CLI can go further
MAX_OUTPUT_SIDE = 1024
#: The options the tab shows, with their labels; ranges and defaults come from the engine.
FORM = Form(hb.HeegerBergenOptions, scales="Scales", orientations="Orientations", iterations="Iterations",
            ratio="Output size (x example)", edges="Example edges", seed="Seed")  # fmt: skip

INTRO = """### Parametric pyramid textures · Heeger & Bergen (1995)
Start from white noise; repeat: decompose the output with a **steerable pyramid**, give every
subband the **histogram** of the example's subband, collapse the pyramid, match the **pixel
histogram**. Colour channels are decorrelated (PCA) and synthesised one by one; the example's
edges are made periodic first (Moisan's periodic + smooth decomposition), as in the
[IPOL article](https://doi.org/10.5201/ipol.2014.79) by Briand, Vacher, Galerne & Rabin (2014).
"""


def _band_menu(result: hb.HBResult) -> Dropdown:
    """The subbands of the synthesis, valued by their index in pyrtools' key order."""
    pyramid = result.output_pyramid
    choices = [(band_label(key, pyramid.orientations), index) for index, key in enumerate(pyramid.keys())]
    return Dropdown(choices=choices, value=0)


def _views(result: hb.HBResult, band: int) -> tuple[Any, Any]:
    """Side-by-side subband mosaics and the histograms of one subband."""
    key = result.output_pyramid.keys()[band]
    mosaics = hstack(
        [
            caption(pyramid_mosaic(result.input_pyramid), "example (1st colour PCA channel)"),
            caption(pyramid_mosaic(result.output_pyramid), "synthesis (1st colour PCA channel)"),
        ],
        pad=24,
    )
    figure = histogram_figure(
        {
            "example": result.input_pyramid[key][:, 0],
            "noise start": result.noise_pyramid[key][:, 0],
            "synthesis": result.output_pyramid[key][:, 0],
        },
        title=f"Histogram of {band_label(key, result.output_pyramid.orientations)}",
    )
    return image_file(mosaics, "subbands.png"), figure


@handler
def run(path: str | None, request: gr.Request, **values: Any):
    """Stream the synthesis: (texture, iterations strip, tiled preview, mosaics, band menu, histogram, state).

    ``values``: the :data:`FORM` options, and ``max_side``, the side the example is resized to first.
    """
    options = FORM.build(values)
    image = squeeze_grey(load_image(require_image(path, "a texture"), max_side=int(values["max_side"])))
    height, width = image.shape[-2:]
    if options.scales > max_scales(height, width):
        raise gr.Error(
            f"{options.scales} scales need an image of at least {2 ** (options.scales + 2)} pixels per side; "
            f"this one is {width}x{height} after resizing. Use fewer scales or a larger image.",
            print_exception=False,
        )
    if max(height, width) * options.ratio > MAX_OUTPUT_SIDE:
        raise gr.Error(f"The output would be larger than {MAX_OUTPUT_SIDE} pixels per side; lower the size ratio.", print_exception=False)
    frames: list[tuple[Any, str]] = []
    for item in stream_job(hb.synthesize_with_details, image, options, tab="pyramid", request=request):
        if isinstance(item, Done):
            result: hb.HBResult = item.result
            mosaics, figure = _views(result, 0)
            texture, tiled = image_file(result.texture, "texture.png"), image_file(tile(result.texture), "tiled.png")
            yield texture, frames, tiled, mosaics, _band_menu(result), figure, result
        else:
            label = "noise start" if item.step == 0 else f"iteration {item.step}"
            frame = image_file(item.image, "iteration.png")
            frames = [*frames, (frame, label)]
            yield frame, frames, gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()


@handler
def show_band(result: hb.HBResult | None, band: int | None):
    """Mosaics and histograms of subband ``band`` (an index into the synthesis' subbands) of this session's result."""
    if result is None or band is None:
        raise gr.Error("Run a synthesis first.", print_exception=False)
    keys = result.output_pyramid.keys()
    if isinstance(band, bool) or not isinstance(band, int) or not 0 <= band < len(keys):
        raise gr.Error(f"Subband: expected an index from 0 to {len(keys) - 1}.", print_exception=False)
    return _views(result, band)


@handler
def show_filters(scales: int, orientations: int):
    return image_file(filter_bank_image(int(scales), int(orientations)), "filters.png")


def create_demo() -> gr.Blocks:
    with gr.Blocks() as demo:
        gr.Markdown(INTRO)
        result_state = gr.State(None)
        with gr.Row():
            with gr.Column(scale=2, min_width=300):
                source = ImageUpload(label="Example texture", height=260, value=str(example_path(EXAMPLES[0])))
                gr.Examples(example_paths(*EXAMPLES), inputs=source, label="Examples (scikit-image, CC0 / public domain)")
                with gr.Row():
                    scales = FORM.slider("scales", maximum=6, info=None)
                    orientations = FORM.slider("orientations", info=None)
                with gr.Row():
                    iterations = FORM.slider("iterations", minimum=1, maximum=20, info=None)
                    ratio = FORM.slider("ratio", minimum=0.5, maximum=3.0, step=0.25, info=None)
                with gr.Accordion("More settings", open=False):
                    edges = FORM.radio("edges", info="periodic: Moisan's periodic component (IPOL default); mirror: symmetric extension")
                    seed = FORM.number("seed")
                    max_side = Slider(64, MAX_INPUT_SIDE, value=256, step=32, label="Resize example to at most (px)")
                with gr.Row():
                    run_button = gr.Button("Synthesise", variant="primary")
                    stop_button = gr.Button("Stop", variant="stop")
            with gr.Column(scale=3, min_width=360):
                texture = gr.Image(label="Synthesised texture", format="png", interactive=False, height=380)
                strip = gr.Gallery(label="Noise start and iterations", columns=6, height=150, allow_preview=True)
        with gr.Tabs():
            with gr.Tab("Subbands and histograms"):
                gr.Markdown(
                    "Steerable pyramid of the example and of the synthesis: residual highpass on top, then one row per "
                    "scale (fine to coarse) and one column per orientation, residual lowpass at the bottom."
                )
                with gr.Row():
                    mosaic = gr.Image(label="Subbands", show_label=False, format="png", interactive=False)
                    with gr.Column():
                        band = Dropdown(label="Subband", choices=[], interactive=True)
                        histogram = gr.Plot(label="Subband histograms: example vs noise start vs synthesis", show_label=False)
            with gr.Tab("Tiled 2x2"):
                gr.Markdown("Four copies side by side: with periodic edges the synthesis tiles without seams.")
                tiled = gr.Image(label="Synthesis tiled 2x2", format="png", interactive=False)
            with gr.Tab("Filter bank"):
                gr.Markdown("The steerable filters in space, one row per scale (fine to coarse), one column per orientation.")
                filters = gr.Image(label="Steerable filters", format="png", interactive=False)

        settings = dict(scales=scales, orientations=orientations, iterations=iterations, ratio=ratio, edges=edges, seed=seed, max_side=max_side)
        run_event = run_button.click(
            run,
            inputs=[source],
            inputs_kwargs=settings,
            outputs=[texture, strip, tiled, mosaic, band, histogram, result_state],
            **queued("pyramid_texture", tab="pyramid", lane_name="pyramid"),
        )
        stop_button.click(None, cancels=[run_event], api_name=False)
        band.select(show_band, inputs=[result_state, band], outputs=[mosaic, histogram], api_name="pyramid_band", **lane("interactive"))
        for name, control in (("scales", scales), ("orientations", orientations)):
            control.release(show_filters, inputs=[scales, orientations], outputs=filters, api_name=f"pyramid_filters_{name}", **lane("interactive"))
        demo.load(show_filters, inputs=[scales, orientations], outputs=filters, api_name="pyramid_filters_on_load", **lane("interactive"))
        reset_button(demo, "pyramid")
    return demo


if __name__ == "__main__":
    launch_alone(create_demo())
