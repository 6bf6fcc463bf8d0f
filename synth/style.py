"""Neural style transfer by optimisation (Gatys, Ecker & Bethge, CVPR 2016).

An image is optimised so that its deep features match the *content* image's (a
"perceptual" loss at relu4_2) while the Gram matrices of several layers match the
*style* image's, the texture statistics of :mod:`synth.gatys`. This module adds the
content term, total variation, the start image, colour preservation (Gatys et al.
2017), style scale and style blends, and runs the one engine
:func:`synth.gatys.optimize` (coarse to fine, L-BFGS or Adam, streaming callback).

References
----------
.. [1] L. A. Gatys, A. S. Ecker and M. Bethge, "Image Style Transfer Using
   Convolutional Neural Networks", CVPR 2016 (Eqs. 1, 3-7).
.. [2] L. A. Gatys, A. S. Ecker, M. Bethge, A. Hertzmann and E. Shechtman,
   "Controlling Perceptual Factors in Neural Style Transfer", CVPR 2017 (colour, scale).
.. [3] J. Johnson, neural-style (2015), github.com/jcjohnson/neural-style: style
   scale, style blend weights, total-variation regularisation, multi-resolution runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Literal

import torch
from torch import Tensor

from . import runtime
from .cache import get_model
from .colors import luminance, match_colors, match_luminance, recombine
from .features import FeatureExtractor, Pooling
from .gatys import Norm, Objective, Optimizer, Progress, TextureLoss, _layer_weights, _upsample, gram_matrix, optimize
from .images import load_image, resize

__all__ = [
    "CONTENT_LAYERS",
    "STYLE_LAYERS",
    "ContentLoss",
    "Progress",
    "fit_side",
    "read_inputs",
    "size_cap",
    "scale_sizes",
    "total_variation",
    "transfer",
]

Init = Literal["content", "noise", "style"]
PreserveColors = Literal["none", "luminance", "histogram"]
ImageLike = Tensor | str

#: Gatys et al. 2016: content at conv4_2, style at conv1_1 ... conv5_1 (Caffe's in-place
#: ReLU makes those blobs the rectified values, our relu* layers).
CONTENT_LAYERS: tuple[str, ...] = ("relu4_2",)
STYLE_LAYERS: tuple[str, ...] = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")

#: Output size caps (longer side, pixels): a step at 512 px costs about 2 s on 2 CPU cores.
CPU_CAP, GPU_CAP = 512, 1024


class ContentLoss:
    """Content ("perceptual") loss over layers, targets computed once.

    ``"relative"``: sum_xy (F - P)^2 / sum_xy P^2 per layer, scale-free like
    :func:`synth.gatys.gram_loss`'s default; ``"gatys"``: Eq. 1,
    1/2 sum_ij (F_ij - P_ij)^2.
    """

    def __init__(self, targets: Mapping[str, Tensor], *, norm: Norm = "relative") -> None:
        if norm not in ("relative", "gatys"):
            raise ValueError(f"norm must be 'relative' or 'gatys', got {norm!r}")
        self.targets = dict(targets)
        self.norm = norm

    def __call__(self, features: Mapping[str, Tensor]) -> Tensor:
        total = torch.zeros((), device=next(iter(self.targets.values())).device)
        for layer, target in self.targets.items():
            diff = (features[layer].float() - target).pow(2).sum()
            total = total + (diff / target.pow(2).sum().clamp_min(1e-30) if self.norm == "relative" else diff / 2)
        return total


def total_variation(image: Tensor) -> Tensor:
    """Mean squared difference of neighbouring pixels, (B, C, H, W) -> scalar.

    The smoothness prior of Mahendran & Vedaldi (2015) with beta = 2, as neural-style
    uses against high-frequency noise; 0 for a flat image.
    """
    dx = (image[..., :, 1:] - image[..., :, :-1]).pow(2).mean()
    dy = (image[..., 1:, :] - image[..., :-1, :]).pow(2).mean()
    return dx + dy


def size_cap(device: str | torch.device | None = None) -> int:
    """The largest output side allowed by default: 512 px on a CPU, 1024 px on a GPU."""
    return CPU_CAP if runtime.device(device).type == "cpu" else GPU_CAP


def scale_sizes(size: tuple[int, int], scales: Sequence[int]) -> list[tuple[int, int]]:
    """(width, height) of every scale: the longer side of ``size`` becomes each of ``scales``.

    >>> scale_sizes((640, 480), (256, 512))
    [(256, 192), (512, 384)]
    """
    width, height = size
    out = []
    for side in scales:
        factor = side / max(width, height)
        out.append((max(16, round(width * factor)), max(16, round(height * factor))))
    return out


def fit_side(image: Tensor, side: int) -> Tensor:
    """Resize so that the longer side is ``side`` (up or down), keeping the aspect ratio; not clamped."""
    (size,) = scale_sizes((image.shape[-1], image.shape[-2]), (side,))
    return _upsample(image, size)


def _as_image(source: ImageLike, what: str) -> Tensor:
    image = source if isinstance(source, Tensor) else load_image(source)
    if image.ndim != 4 or image.shape[:2] != (1, 3) or min(image.shape[-2:]) < 16:
        raise ValueError(f"expected the {what} image as (1, 3, H, W) with sides of at least 16 pixels, got {tuple(image.shape)}")
    return image.float()


def read_inputs(
    content: ImageLike, styles: ImageLike | Sequence[ImageLike], blend: Sequence[float] | None
) -> tuple[Tensor, list[Tensor], list[float]]:
    """The content, the styles whose blend weight is positive, and those weights normalised to sum 1.

    Images as (1, 3, H, W) float tensors (anything :func:`synth.images.load_image` takes, or
    tensors), each side at least 16 pixels; default blend: equal weights. Shared by
    :func:`transfer` and :func:`synth.ghiasi.fast_transfer`.
    """
    style_list = list(styles) if isinstance(styles, (list, tuple)) else [styles]
    if not style_list:
        raise ValueError("give at least one style image")
    weights = [1.0] * len(style_list) if blend is None else [float(w) for w in blend]
    if len(weights) != len(style_list) or any(w < 0 or not math.isfinite(w) for w in weights) or sum(weights) <= 0:
        raise ValueError(f"expected {len(style_list)} non-negative blend weights with a positive sum (one per style), got {list(blend or [])}")
    used = [(index, style, weight / sum(weights)) for index, (style, weight) in enumerate(zip(style_list, weights)) if weight > 0]
    images = [_as_image(style, f"style {index + 1}") for index, style, _ in used]
    return _as_image(content, "content"), images, [weight for _, _, weight in used]


def _default_layers(model: torch.nn.Module) -> tuple[tuple[str, ...], tuple[str, ...]]:
    names = tuple(model.layer_names)
    if all(layer in names for layer in CONTENT_LAYERS + STYLE_LAYERS):
        return CONTENT_LAYERS, STYLE_LAYERS
    return tuple(model.default_layers), tuple(model.default_layers)  # one-layer random network


def transfer(
    content: ImageLike,
    styles: ImageLike | Sequence[ImageLike],
    *,
    blend: Sequence[float] | None = None,
    backbone: str = "vgg16-caffe",
    content_layers: Sequence[str] | None = None,
    style_layers: Sequence[str] | None = None,
    style_layer_weights: Mapping[str, float] | Sequence[float] | None = None,
    content_weight: float = 1.0,
    style_weight: float = 2.0,
    tv_weight: float = 0.0,
    init: Init = "content",
    preserve_colors: PreserveColors = "none",
    scales: Sequence[int] = (128, 256),
    style_scale: float = 1.0,
    steps: int = 100,
    fine_share: float = 0.3,
    optimizer: Optimizer = "lbfgs",
    lr: float | None = None,
    pooling: Pooling = "avg",
    norm: Norm = "relative",
    seed: int = 0,
    max_side: int | None = None,
    every: int = 10,
    device: str | torch.device | None = None,
    callback: Callable[[Progress], object] | None = None,
) -> Tensor:
    """Render ``content`` in the style of ``styles`` (Gatys et al. 2016).

    Minimises  content_weight * L_content + style_weight * L_style + tv_weight * TV
    over the pixels (Eq. 7 of [1] with alpha = content_weight, beta = style_weight),
    where L_style = sum_l w_l E_l is the Gram loss of :class:`synth.gatys.TextureLoss`
    against the blend of the styles' Gram matrices.

    Parameters
    ----------
    content
        (1, 3, H, W) in [0, 1], or anything :func:`synth.images.load_image` takes. Its
        aspect ratio is kept.
    styles
        One style image or several (same forms as ``content``).
    blend
        One weight per style (normalised to sum 1; default equal): the target Gram
        matrices are the weighted mean of the styles' (as neural-style does).
    backbone
        ``"vgg16-caffe"`` (works wherever PyPI does), ``"vgg19"`` or ``"random-multiscale"``.
    content_layers, style_layers
        Default relu4_2 and relu1_1, relu2_1, relu3_1, relu4_1, relu5_1 (the paper's).
    style_layer_weights
        w_l per style layer (mapping or sequence aligned with ``style_layers``); default 1.
    content_weight, style_weight, tv_weight
        alpha, beta and the total-variation weight. With ``norm="relative"`` both loss
        terms are about 1 where the images differ completely, so the ratio
        style_weight / content_weight alone sets the balance (the UI's log slider).
    init
        Start from the content (default), uniform noise (seeded) or the style image
        (resized to the content's shape).
    preserve_colors
        ``"luminance"``: transfer on luminance only, style luminance matched to the
        content's mean and spread, then the content's YIQ chroma put back;
        ``"histogram"``: recolour the style(s) to the content's colour mean and
        covariance first (Gatys et al. 2017, sec. 5).
    scales
        Longer side of each scale, coarse to fine; the last is the output size. Each
        scale starts from the previous result upsampled.
    style_scale
        The style image is resized to ``style_scale`` x the working image's longer side
        (larger: bigger brush strokes).
    steps, fine_share
        Loss evaluations in total, and the share spent at the finest scale (the rest
        is shared by the coarser ones, where steps are cheap).
    optimizer, lr, pooling, every
        See :func:`synth.gatys.optimize`.
    norm
        ``"relative"`` or ``"gatys"`` (the paper's constants), for both terms.
    seed
        Seed of the noise start.
    max_side
        Largest output side accepted; default :func:`size_cap` (512 on a CPU).
    device
        Default :func:`synth.runtime.device`.
    callback
        Receives a :class:`synth.gatys.Progress` every ``every`` steps whose
        ``losses`` hold the unweighted ``"content"``, ``"style"`` (and ``"tv"``) terms.

    Returns
    -------
    Tensor
        (1, 3, h, w) in [0, 1] on the CPU, (w, h) = the content's aspect at ``scales[-1]``.
    """
    seed = runtime.check_seed(seed)
    if init not in ("content", "noise", "style"):
        raise ValueError(f"init must be 'content', 'noise' or 'style', got {init!r}")
    if preserve_colors not in ("none", "luminance", "histogram"):
        raise ValueError(f"preserve_colors must be 'none', 'luminance' or 'histogram', got {preserve_colors!r}")
    if min(content_weight, style_weight, tv_weight) < 0:
        raise ValueError(f"loss weights must be >= 0, got content {content_weight}, style {style_weight}, tv {tv_weight}")
    if not 0.1 <= style_scale <= 4:
        raise ValueError(f"style_scale must be between 0.1 and 4, got {style_scale}")
    scales = [int(s) for s in scales]
    cap = max_side or size_cap(device)
    if not scales or min(scales) < 32 or any(b < a for a, b in zip(scales, scales[1:])):
        raise ValueError(f"scales must be increasing sides of at least 32 pixels, like 256,512; got {scales}")
    if scales[-1] > cap:
        raise ValueError(f"an output of {scales[-1]} px is larger than the cap of {cap} px on this device (a step at 512 px takes about 2 s on a 2-core CPU); choose a smaller size (or fast mode; the command line's --max-side raises the cap)")
    if style_scale * scales[-1] > 2 * cap:
        raise ValueError(f"style scale {style_scale} would make the style image {round(style_scale * scales[-1])} px, more than {2 * cap} px; choose a smaller style scale")

    original, style_images, weights = read_inputs(content, styles, blend)
    if preserve_colors == "histogram":
        style_images = [match_colors(s, original) for s in style_images]
    elif preserve_colors == "luminance":
        style_images = [match_luminance(s, original) for s in style_images]
    source = luminance(original) if preserve_colors == "luminance" else original

    dev = runtime.device(device)
    model = get_model(backbone, device=dev)
    default_content, default_style = _default_layers(model)
    content_layers = tuple(content_layers or default_content)
    style_layers = tuple(style_layers or default_style)
    layer_w = _layer_weights(style_layers, style_layer_weights)
    extractor = FeatureExtractor(model, content_layers + style_layers, pooling=pooling)
    sizes = scale_sizes((original.shape[-1], original.shape[-2]), scales)
    source, style_images = source.to(dev), [s.to(dev) for s in style_images]

    def objective_at(index: int, working: tuple[int, int]) -> Objective:
        side = max(working)
        with torch.no_grad():
            content_features = extractor(resize(source, working))
            grams = [extractor(fit_side(s, max(16, round(style_scale * side)))) for s in style_images]
        targets = {layer: sum(w * gram_matrix(g[layer].float()) for w, g in zip(weights, grams)) for layer in style_layers}
        style_loss = TextureLoss(targets, layer_w, norm=norm)  # type: ignore[arg-type]
        content_loss = ContentLoss({layer: content_features[layer].float() for layer in content_layers}, norm=norm)

        def loss(features: dict[str, Tensor]) -> dict[str, Tensor]:
            return {"content": content_loss(features), "style": sum(style_loss(features).values())}  # type: ignore[dict-item]

        tv = (lambda image: {"tv": total_variation(image)}) if tv_weight > 0 else None
        start = None
        if init == "content" and index > 0:
            # Content start at every scale: the coarse result plus the content's detail
            # that the coarser scale could not hold (so style weight 0 keeps the content).
            detail = _upsample(source, working) - _upsample(_upsample(source, sizes[index - 1]), working)
            start = lambda image: image + detail  # noqa: E731
        return Objective(extractor.layers, loss, {"content": content_weight, "style": style_weight, "tv": tv_weight}, tv, start)

    first = sizes[0]
    if init == "content":
        start = _upsample(source, first)
    elif init == "style":
        start = _upsample(style_images[0], first)
    else:
        start = torch.rand((1, 3, first[1], first[0]), generator=runtime.generator(seed)).to(dev)
    relay = callback
    if preserve_colors == "luminance" and callback is not None:
        coloured = {size: resize(original, size).cpu() for size in sizes}

        def relay(progress: Progress) -> object:  # show the content's colours while streaming
            size = (progress.image.shape[-1], progress.image.shape[-2])
            return callback(replace(progress, image=recombine(progress.image, coloured[size])))

    out = optimize(
        start.clamp(0, 1), objective_at, model, size=sizes[-1], sizes=sizes, steps=steps, fine_share=fine_share,
        optimizer=optimizer, lr=lr, pooling=pooling, every=every, callback=relay,
    )  # fmt: skip
    if preserve_colors == "luminance":
        out = recombine(out, resize(original.to(out.device), sizes[-1]))
    return out.clamp(0, 1).cpu()
