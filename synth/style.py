"""Neural style transfer by optimisation (Gatys, Ecker & Bethge, CVPR 2016).

An image is optimised so that its deep features match the *content* image's (a
"perceptual" loss at relu4_2) while the Gram matrices of several layers match the
*style* image's, the texture statistics of :mod:`synth.gatys`. This module adds the
content term, total variation, the start image, colour preservation (Gatys et al.
2017), style scale and style blends, and runs the pixel optimiser that neural
textures use, :func:`synth.optimize.optimize` (coarse to fine, L-BFGS or Adam,
streaming callback).

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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import torch
from torch import Tensor

from . import runtime
from .cache import get_model
from .colors import PreserveColors, luminance, match_colors, match_luminance, recombine
from .features import FeatureExtractor, layers_of
from .gatys import TextureLoss, gram_matrix
from .images import load_image, resize
from .models import model_spec
from .optimize import Norm, Objective, PixelOptions, optimize, resample, side_sizes
from .options import OptionError, option
from .progress import Callback, Progress

__all__ = [
    "CONTENT_LAYERS",
    "STYLE_LAYERS",
    "ContentLoss",
    "StyleOptions",
    "fit_side",
    "read_inputs",
    "size_cap",
    "total_variation",
    "transfer",
]

Init = Literal["content", "noise", "style"]
ImageLike = Tensor | str

#: Gatys et al. 2016: content at conv4_2, style at conv1_1 ... conv5_1 (Caffe's in-place
#: ReLU makes those blobs the rectified values, our relu* layers).
CONTENT_LAYERS: tuple[str, ...] = ("relu4_2",)
STYLE_LAYERS: tuple[str, ...] = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")

#: Output size caps (longer side, pixels): a step at 512 px costs about 2 s on 2 CPU cores.
CPU_CAP, GPU_CAP = 512, 1024


def _default_layers(backbone: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(content layers, style layers) of the paper where ``backbone`` has them, else its default layers."""
    spec = model_spec(backbone)
    if all(layer in spec.layers for layer in CONTENT_LAYERS + STYLE_LAYERS):
        return CONTENT_LAYERS, STYLE_LAYERS
    return spec.default_layers, spec.default_layers  # one-layer random network


@dataclass(frozen=True)
class StyleOptions(PixelOptions):
    """Settings of :func:`transfer` (and the optimiser's, :class:`synth.optimize.PixelOptions`).

    With ``norm="relative"`` the content and style terms are both about 1 where the
    images differ completely, so ``style_weight / content_weight`` alone sets the
    balance (the tab's log slider).
    """

    blend: tuple[float, ...] | None = option(None, low=0, max_items=16, help="one weight per style image (normalised to sum 1; default equal)")
    content_layers: tuple[str, ...] | None = option(None, min_items=1, max_items=32, max_length=16, help="content layers (default relu4_2, the paper's)")
    style_layers: tuple[str, ...] | None = option(None, min_items=1, max_items=32, max_length=16, help="style layers (default relu1_1,relu2_1,relu3_1,relu4_1,relu5_1)")
    style_layer_weights: tuple[float, ...] | None = option(None, low=0, max_items=32, help="w_l, one per style layer (default 1 each)")
    content_weight: float = option(1.0, low=0, help="alpha, the content loss' weight")
    # 2, not 5: at 5 the lecture's cat dissolves into strokes, at 2 it is the cat, painted (commit c9360e0).
    style_weight: float = option(2.0, low=0, help="beta, the style loss' weight")
    tv_weight: float = option(0.0, low=0, help="total-variation weight (neural-style's smoothness prior; e.g. 10)")
    init: Init = option("content", help="start from the content, uniform noise (seeded) or the style image")
    preserve_colors: PreserveColors = option("none", help="keep the content's colours: luminance-only transfer, or the style recoloured first (Gatys et al. 2017)")
    # 128 then 256: a default click within a minute on a 2-core CPU Space (384 px took 84 s).
    sizes: tuple[int, ...] = option((128, 256), low=32, min_items=1, max_items=8, help="longer side of each scale, coarse to fine; the last is the output's")
    style_scale: float = option(1.0, low=0.1, high=4, help="style image size relative to the working image (larger: bigger brush strokes)")
    # 30 % at the finest scale: with sides doubling, a step there costs about 4x one at
    # the scale below (4x the pixels), so most evaluations are spent where they are cheap.
    fine_share: float = option(0.3, above=0, high=1, help="share of the steps spent at the finest scale")
    max_side: int | None = option(None, low=16, help="largest output side accepted (default 512 px on a CPU, 1024 on a GPU)")

    def check(self) -> None:
        super().check()
        if list(self.sizes) != sorted(self.sizes):
            raise OptionError(f"sizes must be increasing sides of at least 32 pixels, like 256,512; got {list(self.sizes)}")
        self._check_sides()
        content, style = _default_layers(self.backbone)
        layers_of(self.backbone, self.content_layers or content, what="content layers")
        style = layers_of(self.backbone, self.style_layers or style, what="style layers")
        if self.style_layer_weights is not None and len(self.style_layer_weights) != len(style):
            raise OptionError(f"expected {len(style)} style layer weights (one per layer {list(style)}), got {len(self.style_layer_weights)}")

    def _check_sides(self) -> None:
        """The output side (and the style image's, at most twice it) within the device's cap.

        Sides within :data:`CPU_CAP` fit every device, so the device is only asked for
        above it: making options (the tabs' defaults at import) never touches CUDA,
        which a ZeroGPU Space allows only inside its GPU-decorated handlers.
        """
        style_side = self.style_scale * self.sizes[-1]
        if self.max_side is None and max(self.sizes[-1], style_side / 2) <= CPU_CAP:
            return
        cap = self.max_side or size_cap(self.device)
        if self.sizes[-1] > cap:
            raise OptionError(
                f"an output of {self.sizes[-1]} px is larger than the cap of {cap} px on this device (a step at 512 px takes about 2 s "
                "on a 2-core CPU); choose a smaller size (or fast mode; the command line's --max-side raises the cap)"
            )
        if style_side > 2 * cap:
            raise OptionError(f"style scale {self.style_scale} would make the style image {round(style_side)} px, more than {2 * cap} px; choose a smaller style scale")


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


def fit_side(image: Tensor, side: int) -> Tensor:
    """Resize so that the longer side is ``side`` (up or down), keeping the aspect ratio; not clamped."""
    (size,) = side_sizes((image.shape[-1], image.shape[-2]), (side,))
    return resample(image, size)


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


def transfer(
    content: ImageLike,
    styles: ImageLike | Sequence[ImageLike],
    options: StyleOptions | None = None,
    /,
    *,
    callback: Callback | None = None,
    **changes: object,
) -> Tensor:
    """Render ``content`` in the style of ``styles`` (Gatys et al. 2016).

    Minimises  content_weight * L_content + style_weight * L_style + tv_weight * TV
    over the pixels (Eq. 7 of [1] with alpha = content_weight, beta = style_weight),
    where L_style = sum_l w_l E_l is the Gram loss of :class:`synth.gatys.TextureLoss`
    against the blend of the styles' Gram matrices (neural-style's blend [3]), coarse
    to fine through ``sizes`` (:func:`synth.optimize.optimize`).

    Parameters
    ----------
    content
        (1, 3, H, W) in [0, 1], or anything :func:`synth.images.load_image` takes. Its
        aspect ratio is kept.
    styles
        One style image or several (same forms as ``content``).
    options, **changes
        :class:`StyleOptions`, or its fields as keywords, or both. ``init="content"``
        starts every scale from the content (the coarse result plus the content's
        detail the coarser scale could not hold); ``preserve_colors="luminance"``
        transfers on luminance only, style luminance matched to the content's mean
        and spread, then puts the content's YIQ chroma back; ``"histogram"`` recolours
        the style(s) to the content's colour mean and covariance first ([2], sec. 5).
    callback
        Receives a :class:`synth.progress.Progress` every ``every`` steps whose
        ``losses`` hold the unweighted ``"content"``, ``"style"`` (and ``"tv"``) terms
        (in colour with ``preserve_colors="luminance"``); may raise
        :class:`synth.progress.StopEarly` to get the current image back.

    Returns
    -------
    Tensor
        (1, 3, h, w) in [0, 1] on the CPU, (w, h) = the content's aspect at ``sizes[-1]``.
    """
    opts = StyleOptions.of(options, changes)
    original, style_images, weights = read_inputs(content, styles, opts.blend)
    if opts.preserve_colors == "histogram":
        style_images = [match_colors(s, original) for s in style_images]
    elif opts.preserve_colors == "luminance":
        style_images = [match_luminance(s, original) for s in style_images]
    source = luminance(original) if opts.preserve_colors == "luminance" else original

    dev = runtime.device(opts.device)
    model = get_model(opts.backbone, device=dev)
    default_content, default_style = _default_layers(opts.backbone)
    content_layers = opts.content_layers or default_content
    style_layers = opts.style_layers or default_style
    layer_weights = dict(zip(style_layers, opts.style_layer_weights or ()))
    extractor = FeatureExtractor(model, content_layers + style_layers, pooling=opts.pooling)
    sizes = side_sizes((original.shape[-1], original.shape[-2]), opts.sizes)
    source, style_images = source.to(dev), [s.to(dev) for s in style_images]

    def objective_at(index: int, working: tuple[int, int]) -> Objective:
        side = max(working)
        with torch.no_grad():
            content_features = extractor(resize(source, working))
            grams = [extractor(fit_side(s, max(16, round(opts.style_scale * side)))) for s in style_images]
        targets = {layer: sum(w * gram_matrix(g[layer]) for w, g in zip(weights, grams)) for layer in style_layers}
        style_loss = TextureLoss(targets, layer_weights, norm=opts.norm)  # type: ignore[arg-type]
        content_loss = ContentLoss({layer: content_features[layer].float() for layer in content_layers}, norm=opts.norm)

        def loss(features: dict[str, Tensor]) -> dict[str, Tensor]:
            return {"content": content_loss(features), "style": sum(style_loss(features).values())}  # type: ignore[dict-item]

        tv = (lambda image: {"tv": total_variation(image)}) if opts.tv_weight > 0 else None
        start = None
        if opts.init == "content" and index > 0:
            # Content start at every scale: the coarse result plus the content's detail
            # that the coarser scale could not hold (so style weight 0 keeps the content).
            detail = resample(source, working) - resample(resample(source, sizes[index - 1]), working)
            start = lambda image: image + detail  # noqa: E731
        weights_by_term = {"content": opts.content_weight, "style": opts.style_weight, "tv": opts.tv_weight}
        return Objective(extractor.layers, loss, weights_by_term, tv, start)

    first = sizes[0]
    if opts.init == "content":
        start = resample(source, first)
    elif opts.init == "style":
        start = resample(style_images[0], first)
    else:
        start = torch.rand((1, 3, first[1], first[0]), generator=runtime.generator(opts.seed)).to(dev)
    relay = callback
    if opts.preserve_colors == "luminance" and callback is not None:
        coloured = {size: resize(original, size).cpu() for size in sizes}

        def relay(progress: Progress) -> object:  # show the content's colours while streaming
            assert progress.image is not None
            size = (progress.image.shape[-1], progress.image.shape[-2])
            return callback(replace(progress, image=recombine(progress.image, coloured[size])))

    out = optimize(start.clamp(0, 1), objective_at, model, sizes, opts, callback=relay)
    if opts.preserve_colors == "luminance":
        out = recombine(out, resize(original.to(out.device), sizes[-1]))
    return out.clamp(0, 1).cpu()
