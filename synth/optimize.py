"""The pixel optimiser of neural textures and style transfer: objectives, schedules, engine.

Gatys et al. synthesise an image by minimising a loss on the features of a CNN over
its *pixels*: a texture matches the Gram matrices of an example (2015), a stylised
image also matches the features of a content photo (2016). Both run on
:func:`optimize`: an :class:`Objective` per scale, a coarse-to-fine schedule of sizes
(:func:`halving_sizes`, :func:`side_sizes`), L-BFGS [3] or Adam, pixels kept in
[0, 1], periodic padding for tileable textures, and a progress callback that may stop
the run early (:class:`synth.progress.StopEarly`).

:class:`PixelOptions` holds what the two share; :class:`synth.gatys.TextureOptions`
and :class:`synth.style.StyleOptions` add their own.

Precision: the pixels, the optimiser's state, Gram matrices and losses are float32;
only the backbone's forward and backward passes run in the precision of
:func:`synth.runtime.policy` (bfloat16 autocast for VGG on a CPU with bfloat16 units),
inside :class:`synth.features.FeatureExtractor`, whose activations the losses read
as ``.float()`` copies. No option of any engine chooses a dtype.

References
----------
.. [1] L. A. Gatys, A. S. Ecker and M. Bethge, "Texture Synthesis Using Convolutional
   Neural Networks", NeurIPS 2015, arXiv:1505.07376.
.. [2] L. A. Gatys, A. S. Ecker and M. Bethge, "Image Style Transfer Using
   Convolutional Neural Networks", CVPR 2016.
.. [3] D. C. Liu and J. Nocedal, "On the limited memory BFGS method for large scale
   optimization", Mathematical Programming 45 (1989), 503-528.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import limits, runtime
from .features import Backbone, FeatureExtractor, Pooling
from .options import Options, option
from .progress import Callback, Progress, StopEarly, report

__all__ = [
    "PROJECT_EVERY",
    "REPORT_SECONDS",
    "Norm",
    "Objective",
    "Optimizer",
    "PixelOptions",
    "halving_sizes",
    "optimize",
    "resample",
    "side_sizes",
    "split_steps",
]

Norm = Literal["relative", "gatys"]
Optimizer = Literal["lbfgs", "adam"]
Size = tuple[int, int]  # (width, height)

#: L-BFGS pixels are projected onto [0, 1] every this many evaluations (fixed, so that
#: results do not depend on how often a callback asks for progress).
PROJECT_EVERY = 10
#: When evaluations are slow (large images, L-BFGS), progress is reported at least this
#: often, seconds, whatever ``every`` says: a Stop or a time budget acts within about
#: one report. Chunking never changes the result (see :func:`_evaluations`).
REPORT_SECONDS = 2.0


@dataclass(frozen=True)
class PixelOptions(Options):
    """What an optimisation over pixels in a CNN's feature space is run with.

    Shared by :class:`synth.gatys.TextureOptions` and :class:`synth.style.StyleOptions`;
    :func:`optimize` reads ``steps``, ``fine_share``, ``optimizer``, ``lr``, ``pooling``
    and ``every``, the engines the rest.
    """

    backbone: Backbone = option("vgg16-caffe", help="feature network (vgg16-caffe works wherever PyPI does)")
    steps: int = option(100, low=1, cap="steps", help="loss evaluations (forward + backward passes) over all scales")
    # Half the budget at the finest scale: the schedule benchmarks/gatys.py measured
    # (the tutorial's loss after 200 steps reached in 2.9x less time; README, Benchmarks).
    fine_share: float = option(0.5, above=0, high=1, help="share of the steps spent at the finest scale")
    optimizer: Optimizer = option("lbfgs", help="L-BFGS as Gatys et al., or Adam")
    lr: float | None = option(None, above=0, high=1000, help="learning rate (default 1 for L-BFGS, 0.02 for Adam on [0, 1] pixels)")
    pooling: Pooling = option("avg", help="VGG's pooling: average, as Gatys et al. (cleaner gradients), or max as trained")
    norm: Norm = option("relative", help="loss normalisation per layer: scale-free 'relative', or the paper's constants")
    seed: int = option(0, low=0, high=2**63 - 1, help="seed of the noise start (drawn on the CPU: the same on every device)")
    every: int = option(10, low=1, high=10_000, help="report progress every this many steps")
    device: str | None = option(None, max_length=32, help="cpu, cuda, ... (default: SYNTH_DEVICE or the best available)")

    def check(self) -> None:
        if self.device is not None:
            runtime.device(self.device)  # an unknown name fails here, before any work


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


# ---------------------------------------------------------------- schedules
def halving_sizes(size: Size, halvings: int, min_side: int = 32) -> list[Size]:
    """(width, height) per scale, coarsest first: ``size`` halved ``halvings`` times.

    Scales with a side below ``min_side`` are dropped (at least ``size`` itself stays).

    >>> halving_sizes((128, 96), 2)
    [(64, 48), (128, 96)]
    """
    width, height = size
    sizes = [(max(1, round(width / 2**k)), max(1, round(height / 2**k))) for k in range(halvings + 1)]
    kept = [s for s in sizes if min(s) >= min_side] or sizes[:1]
    return kept[::-1]


def side_sizes(size: Size, sides: Sequence[int]) -> list[Size]:
    """(width, height) per scale: the aspect of ``size`` with each of ``sides`` as the longer side.

    >>> side_sizes((640, 480), (256, 512))
    [(256, 192), (512, 384)]
    """
    width, height = size
    out = []
    for side in sides:
        factor = side / max(width, height)
        out.append((max(16, round(width * factor)), max(16, round(height * factor))))
    return out


def split_steps(steps: int, scales: int, fine_share: float) -> list[int]:
    """Evaluations per scale: ``fine_share`` of ``steps`` at the finest, the rest shared evenly.

    >>> split_steps(100, 3, 0.5)
    [25, 25, 50]
    """
    if scales == 1:
        return [steps]
    fine = max(1, round(steps * fine_share))
    coarse = steps - fine
    per = [coarse // (scales - 1) + (1 if k < coarse % (scales - 1) else 0) for k in range(scales - 1)]
    return [*per, fine]


def resample(image: Tensor, size: Size, *, periodic: bool = False) -> Tensor:
    """Antialiased bicubic resize to (width, height), not clamped; ``periodic`` treats the image as a torus."""
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


# ---------------------------------------------------------------- the engine
def optimize(
    start: Tensor,
    objective_at: Callable[[int, Size], Objective],
    backbone: nn.Module,
    sizes: Sequence[Size],
    options: PixelOptions | None = None,
    /,
    *,
    periodic: bool = False,
    callback: Callback | None = None,
    **changes: object,
) -> Tensor:
    """Minimise an objective over the pixels of an image, coarse to fine.

    The image is optimised at each of ``sizes`` in turn (coarsest first); each scale
    starts from the previous result upsampled (``start`` resized at the coarsest) and
    gets its objective from ``objective_at(scale_index, (width, height))``, so targets
    can be computed at the matching resolution. Differs from Gatys et al. (one scale,
    L-BFGS-B): starting the fine scale from a coarse solution reaches the same loss
    about twice as fast (``benchmarks/gatys.py``).

    Parameters
    ----------
    start
        (1, 3, h, w) in [0, 1].
    objective_at
        Builds the :class:`Objective` of a scale.
    backbone
        From :func:`synth.create_model`; its device is used.
    sizes
        (width, height) of every scale, coarsest first; the last is the result's.
    options, **changes
        :class:`PixelOptions` (or a subclass); this reads ``steps`` (over all scales),
        ``fine_share`` (:func:`split_steps`), ``optimizer`` and ``lr`` (L-BFGS: lr 1,
        no line search, history 100, as Gatys et al.; Adam: lr 0.02), ``pooling`` and
        ``every``.
    periodic
        Circular padding in every convolution and periodic upsampling between scales:
        the image tiles seamlessly.
    callback
        Receives a :class:`synth.progress.Progress` every ``every`` evaluations and at
        the end of each scale: ``stage`` "scale k/n · W×H", the unweighted ``losses``
        and the current ``image`` (1, 3, h, w) on the CPU. Raising
        :class:`synth.progress.StopEarly` ends the run with the current image
        (resized to the last of ``sizes``); any other exception propagates.

    Returns
    -------
    Tensor
        (1, 3, H, W) in [0, 1], on the backbone's device.

    Notes
    -----
    Pixel values are kept in [0, 1] by projection: clamped every
    :data:`PROJECT_EVERY` L-BFGS evaluations (Gatys et al. use L-BFGS-B's bounds)
    and after every Adam step.
    """
    opts = PixelOptions.of(options, changes)
    sizes = [(int(w), int(h)) for w, h in sizes]
    if not sizes or min(min(s) for s in sizes) < 1:
        raise ValueError(f"expected sizes of at least one (width, height) with positive sides, got {sizes}")
    limits.check_output(*sizes[-1])
    budget = split_steps(opts.steps, len(sizes), opts.fine_share)
    param = next(backbone.parameters(), None)
    image = start.to(device=param.device if param is not None else start.device, dtype=torch.float32)
    done = 0
    for index, (working, count) in enumerate(zip(sizes, budget)):
        objective = objective_at(index, working)
        x = resample(image, working, periodic=periodic)
        if objective.start is not None:
            x = objective.start(x)
        x = x.detach().clamp(0, 1).requires_grad_(True)
        extractor = FeatureExtractor(backbone, objective.layers, pooling=opts.pooling, padding="circular" if periodic else "zeros")
        stage = f"scale {index + 1}/{len(sizes)} · {working[0]}×{working[1]}"
        for k, losses, due in _evaluations(x, objective, extractor, count, opts):
            if callback is not None and (k % opts.every == 0 or k == count or due):
                values = {name: float(value.detach()) for name, value in losses.items()}
                try:
                    report(callback, Progress(done + k, opts.steps, stage, x.detach().cpu().clone(), values))
                except StopEarly:
                    return resample(x.detach(), sizes[-1], periodic=periodic).clamp(0, 1)
        done += count
        image = x.detach()
    return image.clamp(0, 1)


def _evaluations(x: Tensor, objective: Objective, extractor: FeatureExtractor, count: int, opts: PixelOptions) -> Iterator[tuple[int, dict[str, Tensor], bool]]:
    """Optimise ``x`` in place for ``count`` loss evaluations; yield (evaluations so far, last terms, due),
    ``due`` when a report is owed for the time (the chunk was cut to fit :data:`REPORT_SECONDS`, or lasted that long).

    Yields after every chunk of evaluations that ends at a multiple of ``every`` or
    of :data:`PROJECT_EVERY`, or at ``count``, and, when evaluations are slow, after
    chunks short enough to take about :data:`REPORT_SECONDS`; chunks of one L-BFGS
    run evaluate the same points however they are split, so reporting never changes
    the result.
    """
    losses: dict[str, Tensor] = {}
    unit: list[Tensor] = []  # the first loss: the optimiser sees loss / unit

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

    if opts.optimizer == "lbfgs":
        opt: torch.optim.Optimizer = torch.optim.LBFGS([x], lr=opts.lr or 1.0, max_iter=opts.every, history_size=100, tolerance_grad=0.0, tolerance_change=0.0)
    else:
        opt = torch.optim.Adam([x], lr=opts.lr or 0.02)
    k, started = 0, time.monotonic()
    while k < count:
        natural = min(count - k, opts.every - k % opts.every, PROJECT_EVERY - k % PROJECT_EVERY)
        # the first evaluation alone times one; then as many as fit in REPORT_SECONDS
        fit = int(REPORT_SECONDS * k / max(time.monotonic() - started, 1e-9)) if k else 1
        chunk, cut, began = max(1, min(natural, fit)), k > 0 and fit <= natural, time.monotonic()
        if opts.optimizer == "lbfgs":
            opt.param_groups[0]["max_iter"], opt.param_groups[0]["max_eval"] = chunk, chunk + 1
            opt.step(closure)
        else:
            for _ in range(chunk):
                opt.step(closure)
                with torch.no_grad():
                    x.clamp_(0, 1)
        k += chunk
        with torch.no_grad():
            if k % PROJECT_EVERY == 0 or k == count:
                x.clamp_(0, 1)
            if not torch.isfinite(x).all():
                raise FloatingPointError("the optimisation diverged (non-finite pixels); try Adam or a smaller learning rate")
        yield k, losses, cut or time.monotonic() - began >= REPORT_SECONDS
