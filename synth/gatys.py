"""Neural texture synthesis by matching Gram matrices of CNN features (Gatys et al. 2015).

A texture is described by the correlations between feature maps of a few layers of
a CNN (the Gram matrices); a new texture is an image, started from noise, whose
Gram matrices are optimised to match the example's. The optimisation itself is
:func:`synth.optimize.optimize`, shared with style transfer; this module holds the
texture statistics (:func:`gram_matrix`, :class:`TextureLoss`), the texture engine
:func:`synthesize` and the lecture's "High -> Low" series.

References
----------
.. [1] L. A. Gatys, A. S. Ecker and M. Bethge, "Texture Synthesis Using Convolutional
   Neural Networks", NeurIPS 2015, arXiv:1505.07376 (Eqs. 1-5, Fig. 2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import torch
from torch import Tensor

from . import limits, runtime
from .cache import get_model
from .features import FeatureExtractor, layers_of
from .histograms import match_histogram
from .images import load_image
from .optimize import Norm, Objective, PixelOptions, halving_sizes, optimize, resample
from .options import OptionError, option
from .progress import Callback, Progress, StopEarly, report

__all__ = [
    "HIGH_TO_LOW",
    "HighToLowOptions",
    "TextureLoss",
    "TextureOptions",
    "gram_matrix",
    "gram_loss",
    "high_to_low",
    "synthesize",
]

#: Layer sets of the lecture's "High -> Low" figure (Gatys et al. 2015, Fig. 2).
HIGH_TO_LOW: tuple[tuple[str, ...], ...] = (
    ("conv1_1",),
    ("conv1_1", "pool1"),
    ("conv1_1", "pool1", "pool2"),
    ("conv1_1", "pool1", "pool2", "pool3"),
    ("conv1_1", "pool1", "pool2", "pool3", "pool4"),
)

#: Smallest side of the example, of the output and of a coarse scale's example.
MIN_SIDE = 16


@dataclass(frozen=True)
class TextureOptions(PixelOptions):
    """Settings of :func:`synthesize` (and the optimiser's, :class:`synth.optimize.PixelOptions`).

    ``halvings`` is the coarse-to-fine schedule: the output side halved that many
    times gives the first scale (scales with a side under 32 px are skipped), each
    later scale doubles it, and each starts from the previous result.
    """

    size: tuple[int, ...] | None = option(None, low=MIN_SIDE, min_items=2, max_items=2, help="output width,height (default: the example's)")
    layers: tuple[str, ...] | None = option(None, min_items=1, max_items=32, max_length=16, help="layers whose Grams are matched (default: the backbone's; conv1_1,pool1..pool4 for VGG)")
    layer_weights: tuple[float, ...] | None = option(None, low=0, max_items=32, help="w_l, one per layer (default 1 each)")
    # Two halvings (three scales): benchmarks/gatys.py reaches the single-scale
    # baseline's loss in 2.9x less time with them (README, Benchmarks); 0 is the paper's.
    halvings: int = option(2, low=0, high=6, help="coarse-to-fine: times the output side is halved for the first scale (0 = one scale, as Gatys et al.)")
    tileable: bool = option(False, help="periodic output that tiles seamlessly (circular padding)")
    histogram: bool = option(False, help="finally match each colour channel's histogram to the example's")
    # Differs from the paper (uniform noise): sparse textures (stars on black) otherwise
    # keep grey patches of the start that the Gram loss cannot remove in a few hundred steps.
    init: Literal["matched-noise", "noise"] = option("matched-noise", help="start: uniform noise with the example's colour histograms, or plain uniform noise")

    def check(self) -> None:
        super().check()
        layers = layers_of(self.backbone, self.layers)
        if self.layer_weights is not None and len(self.layer_weights) != len(layers):
            raise OptionError(f"expected {len(layers)} layer weights (one per layer {list(layers)}), got {len(self.layer_weights)}")
        if self.size is not None:
            limits.check_output(*self.size)


@dataclass(frozen=True)
class HighToLowOptions(TextureOptions):
    """Settings of :func:`high_to_low`: :class:`TextureOptions` with the series' defaults.

    ``steps`` are per layer set. One scale, as in the paper: coarse-to-fine would match
    the statistics of the downsampled example too, which gives even {conv1_1} large
    blobs and hides what the figure shows (how far each layer set sees).
    """

    steps: int = option(50, low=1, cap="steps", help="loss evaluations per layer set")
    halvings: int = option(0, low=0, high=6, help="coarse-to-fine halvings (0: one scale, as the paper's figure)")
    # Uniform noise, the paper's start. From TextureOptions' histogram-matched noise the shallow
    # sets stall: brick at 128 px, 50 steps, conv1_1 0.25 and conv1_1 + pool1 0.56, coloured
    # noise, so the figure read backwards; from plain noise 1e-4 and 8e-4, matched
    # (benchmarks/high_to_low.py; the deep sets end 1.3-1.7x higher from it at 50 steps).
    init: Literal["matched-noise", "noise"] = option("noise", help="start: uniform noise (the paper's), or uniform noise with the example's colour histograms")
    # Continuation over the nested layer sets. Differs from the paper, whose panels each start
    # from noise: brick at 128 px, 50 steps per set, the deep panels end 5-7x lower in their own
    # loss (conv1_1..pool3 0.0064 against 0.031, ..pool4 0.020 against 0.147) in the same time,
    # and the figure still reads noise -> edges -> bricks (benchmarks/high_to_low.py).
    chain: bool = option(True, help="start each layer set from the previous set's result (continuation); off: every set from the same noise, as the paper's figure")

    def check(self) -> None:
        if self.layers is not None or self.layer_weights is not None:
            raise OptionError("High -> Low uses its own layer sets; leave out layers and layer_weights")
        super().check()


# ---------------------------------------------------------------- statistics
class _Gram(torch.autograd.Function):
    """G = F F^T / M at float32 (or wider) precision, with one product in the backward pass.

    For a loss L of G, dL/dF = (S + S^T) F / M with S = dL/dG: one batched product
    instead of autograd's two (one per factor of F F^T). It is computed in the
    activations' own dtype, as every other step of a bfloat16 autocast backward is
    (the float32 path is unchanged in precision); the Gram matrix itself, and so the
    loss, is accumulated in float32 from a float32 copy of F.
    """

    @staticmethod
    def forward(ctx, features: Tensor) -> Tensor:  # type: ignore[override]
        batch, channels, height, width = features.shape
        flat = features.reshape(batch, channels, height * width)
        ctx.save_for_backward(flat)
        ctx.shape, ctx.positions = features.shape, height * width
        wide = flat.to(torch.promote_types(flat.dtype, torch.float32))
        return torch.bmm(wide, wide.transpose(1, 2)) / ctx.positions

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:  # type: ignore[override]
        (flat,) = ctx.saved_tensors
        symmetric = ((grad + grad.transpose(1, 2)) / ctx.positions).to(flat.dtype)
        return torch.bmm(symmetric, flat).reshape(ctx.shape)


def gram_matrix(features: Tensor) -> Tensor:
    """Gram matrix of feature maps, averaged over positions.

    G_ij = (1 / M) sum_x sum_y c_i(x, y) c_j(x, y)   (Gatys et al. 2015, Eq. 1, divided by M)

    Dividing by the number of positions M = H * W makes Grams of images of different
    sizes comparable (an output larger than the input has the same target). The sum
    is accumulated in float32 whatever the activations' dtype (bfloat16 under the
    precision policy); the gradient comes back in the activations' dtype, computed
    with one product (dL/dF = (S + S^T) F / M, S = dL/dG).

    Parameters
    ----------
    features
        (B, C, H, W) activations, any floating dtype.

    Returns
    -------
    Tensor
        (B, C, C), float32 (float64 for float64 features).
    """
    if features.ndim != 4:
        raise ValueError(f"expected feature maps (B, C, H, W), got shape {tuple(features.shape)}")
    return _Gram.apply(features)


def gram_loss(gram: Tensor, target: Tensor, *, norm: Norm = "relative") -> Tensor:
    """Squared distance between Gram matrices of one layer, summed over the batch.

    ``"relative"``: sum_ij (G_ij - T_ij)^2 / sum_ij T_ij^2, scale-free, so every
    layer starts with a comparable share and the same layer weights suit every
    backbone (differs from Gatys et al., whose constant leaves the balance between
    layers to the activation scale: 65,000x larger for the 0..255 Caffe VGG than for
    torchvision's). ``"gatys"``: Eq. 4, 1 / (4 N^2 M^2) sum_ij (G^_ij - A^_ij)^2 with
    unnormalised Grams, which is 1 / (4 N^2) sum_ij (G_ij - T_ij)^2 with ours.
    """
    diff = (gram - target).pow(2).sum()
    if norm == "relative":
        return diff / target.pow(2).sum().clamp_min(1e-30)
    if norm == "gatys":
        return diff / (4 * gram.shape[-1] ** 2)
    raise ValueError(f"norm must be 'relative' or 'gatys', got {norm!r}")


class TextureLoss:
    """Texture loss L = sum_l w_l E_l over layers (Gatys et al. 2015, Eq. 5), targets computed once.

    Parameters
    ----------
    targets
        {layer: target Gram (1, C, C)}.
    weights
        {layer: w_l}; missing layers weigh 1.
    norm
        See :func:`gram_loss`.
    """

    def __init__(self, targets: Mapping[str, Tensor], weights: Mapping[str, float] | None = None, *, norm: Norm = "relative") -> None:
        self.targets = dict(targets)
        self.weights = {layer: float((weights or {}).get(layer, 1.0)) for layer in self.targets}
        self.norm = norm
        self.layers = tuple(self.targets)

    @classmethod
    def of(cls, extractor: FeatureExtractor, image: Tensor, weights: Mapping[str, float] | None = None, *, norm: Norm = "relative") -> TextureLoss:
        """Targets from the example ``image`` (1, 3, H, W) in [0, 1]."""
        with torch.no_grad():
            features = extractor(image)
        return cls({layer: gram_matrix(features[layer]) for layer in extractor.layers}, weights, norm=norm)

    def __call__(self, features: Mapping[str, Tensor]) -> dict[str, Tensor]:
        return {
            layer: self.weights[layer] * gram_loss(gram_matrix(features[layer]), target, norm=self.norm)
            for layer, target in self.targets.items()
        }


# ---------------------------------------------------------------- texture synthesis
def synthesize(
    texture: Tensor | str,
    options: TextureOptions | None = None,
    /,
    *,
    callback: Callback | None = None,
    start: Tensor | None = None,
    **changes: object,
) -> Tensor:
    """Synthesise a texture like ``texture`` by matching Gram matrices (Gatys et al. 2015).

    Minimises L = sum_l w_l E_l (Eq. 5) over the pixels, from noise, coarse to fine
    (:func:`synth.optimize.optimize`); at each scale the example is resized by the
    scale's ratio, so the statistics match at every resolution.

    Parameters
    ----------
    texture
        The example, (1, 3, H, W) in [0, 1] with sides of at least 16 pixels (or
        anything :func:`synth.images.load_image` takes).
    options, **changes
        :class:`TextureOptions`, or its fields as keywords (``steps=50``), or both.
    callback
        Receives a :class:`synth.progress.Progress` every ``every`` steps, with one
        loss term per layer; may raise :class:`synth.progress.StopEarly` to get the
        current image back (histogram-matched if ``histogram``).
    start
        (1, 3, h, w) in [0, 1] to start from instead of noise (``init`` is then unused),
        resized to the first scale; :func:`high_to_low` passes each set's result on.

    Returns
    -------
    Tensor
        (1, 3, height, width) in [0, 1], on the CPU.
    """
    opts = TextureOptions.of(options, changes)
    example = load_image(texture) if not isinstance(texture, Tensor) else texture
    if example.ndim != 4 or example.shape[:2] != (1, 3) or min(example.shape[-2:]) < MIN_SIDE:
        raise ValueError(f"expected the example as (1, 3, H, W) with sides of at least {MIN_SIDE} pixels, got {tuple(example.shape)}")
    width, height = opts.size or (example.shape[-1], example.shape[-2])
    limits.check_output(width, height)  # the example's size: before the backbone is loaded
    dev = runtime.device(opts.device)
    model = get_model(opts.backbone, device=dev)
    layers = layers_of(opts.backbone, opts.layers)
    weights = dict(zip(layers, opts.layer_weights or ()))
    example = example.to(dev, torch.float32)
    sizes = halving_sizes((width, height), opts.halvings)

    def objective_at(index: int, working: tuple[int, int]) -> Objective:
        ratio = working[0] / width
        target_size = (max(MIN_SIDE, round(example.shape[-1] * ratio)), max(MIN_SIDE, round(example.shape[-2] * ratio)))
        target = resample(example, target_size).clamp(0, 1)
        extractor = FeatureExtractor(model, layers, pooling=opts.pooling)  # the example is not periodic
        return Objective(layers, TextureLoss.of(extractor, target, weights, norm=opts.norm))

    if start is not None:
        if start.ndim != 4 or start.shape[:2] != (1, 3):
            raise ValueError(f"expected the start as (1, 3, H, W), got {tuple(start.shape)}")
        initial = start.detach().to(torch.float32)
    else:
        initial = torch.rand((1, 3, sizes[0][1], sizes[0][0]), generator=runtime.generator(opts.seed))
        if opts.init == "matched-noise":
            initial = match_histogram(initial, example.cpu())
    out = optimize(initial, objective_at, model, sizes, opts, periodic=opts.tileable, callback=callback)
    if opts.histogram:
        out = match_histogram(out, example.to(out.device))
    return out.cpu()


def high_to_low(
    texture: Tensor | str,
    options: HighToLowOptions | None = None,
    /,
    *,
    layer_sets: Sequence[Sequence[str]] = HIGH_TO_LOW,
    callback: Callback | None = None,
    **changes: object,
) -> list[tuple[str, Tensor]]:
    """The lecture's "High -> Low" series (Gatys et al. 2015, Fig. 2).

    Synthesises with Grams of ever deeper layer sets: {conv1_1}, {conv1_1, pool1},
    ... {conv1_1, ..., pool4}. Shallow sets reproduce only local colour and edge
    statistics; deeper ones add larger structures. The first set starts from noise;
    with ``chain`` (the default) each later set continues from the previous result, a
    continuation over the nested objectives that leaves the deep sets far closer to
    their optimum in the same steps; without it every set starts from the same noise,
    as in the paper.

    Parameters
    ----------
    texture
        The example.
    options, **changes
        :class:`HighToLowOptions`: :class:`TextureOptions` with ``steps`` per layer set
        (default 50) and one scale by default.
    layer_sets
        The layer sets, in order.
    callback
        Receives each synthesis' :class:`synth.progress.Progress`, with ``step`` and
        ``total`` counted over the whole series, ``stage`` "conv1_1 + pool1 · scale
        1/1 · 128×128" and ``views`` the finished images by label. Raising
        :class:`synth.progress.StopEarly` ends the series: the finished images and
        the current one come back.

    Returns
    -------
    list of (label, image)
        One (1, 3, H, W) image per layer set, with a label such as "conv1_1 + pool1".
    """
    opts = HighToLowOptions.of(options, changes)
    total = opts.steps * len(layer_sets)
    results: list[tuple[str, Tensor]] = []
    stopped = False

    def relay(progress: Progress, label: str, offset: int) -> None:
        nonlocal stopped
        views = {name: image for name, image in results}
        try:
            report(callback, replace(progress, step=offset + progress.step, total=total, stage=f"{label} · {progress.stage}", views=views))
        except StopEarly:
            stopped = True
            raise

    settings = {name: value for name, value in opts.to_dict().items() if name in TextureOptions.info()}  # without the series' own (chain)
    for index, layers in enumerate(layer_sets):
        label = " + ".join(layers)
        each = TextureOptions.build({**settings, "layers": tuple(layers)})
        previous = results[-1][1] if opts.chain and results else None
        image = synthesize(texture, each, start=previous, callback=lambda p, label=label, offset=index * opts.steps: relay(p, label, offset))
        results.append((label, image))
        if stopped:
            break
    return results
