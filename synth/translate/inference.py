"""Translate images of any size with the pix2pix and CycleGAN generators.

What users asked the official repository for, done once here:

* **any size and aspect ratio**: the image is normalised to [-1, 1], reflect-padded
  to the network's multiple (256 for U-Net-256, 4 for the ResNet), translated and
  cropped back; nothing is squashed to 256x256;
* **large images** (2048x2048 on a CPU) in overlapping, blended tiles
  (:mod:`synth.translate.tiling`) whose normalisation statistics are taken once for
  the whole image from a downscaled pass, so every tile is normalised alike and no
  seam appears (:mod:`synth.translate.layers`);
* **pix2pix's test-time mode**: Isola et al. (2017, section 3.3) keep dropout on and
  normalise with the test batch's statistics at test time; that is ``mode="paper"``
  (stochastic, reproducible from ``seed``). ``mode="eval"`` uses the running averages
  and no dropout (deterministic). CycleGAN generators have neither, so the mode does
  not change them.
* the cycle of CycleGAN (Zhu et al. 2017, eq. 2): x, G(x), F(G(x)) and |x - F(G(x))|.

Images at this boundary are float tensors in [0, 1] of shape (1, 3, H, W); the
generators' own convention, [-1, 1], stays inside.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from .. import limits, runtime
from ..images import fit_max_side
from ..options import Options, option
from ..progress import Callback, Progress, report
from .layers import BatchNorm2d, InstanceNorm2d, Statistics, TestTimeState, test_time
from .resnet import ResnetGenerator
from .staged import translate_staged
from .tiling import run_tiled

__all__ = [
    "Mode",
    "TranslateOptions",
    "CycleResult",
    "translate",
    "cycle",
    "error_image",
    "record_statistics",
    "reflect_pad",
    "multiple_of",
    "AUTO_TILE_SIDE",
    "NormStats",
]

Mode = Literal["paper", "eval"]
NormStats = Literal["exact", "downscaled"]

#: Images whose padded longer side exceeds this are tiled when ``tile=None``.
AUTO_TILE_SIDE = 1024
#: Halo of the exact tiles (full-resolution pixels; stage A's receptive field is 6).
STAGED_HALO = 16


@dataclass(frozen=True)
class TranslateOptions(Options):
    """Settings of :func:`translate` and :func:`cycle`.

    ``mode="paper"`` keeps dropout on and normalises with the test batch's statistics,
    as pix2pix at test time (Isola et al. 2017, sec. 3.3), reproducible from ``seed``;
    ``"eval"`` uses the running averages and no dropout. Only generators with
    BatchNorm (pix2pix) are affected. ``norm_stats`` chooses how tiles of a CycleGAN
    (ResNet) generator get the whole image's InstanceNorm statistics: ``"exact"``
    gathers them tile by tile, layer by layer (:mod:`synth.translate.staged`; equals
    the untiled result, about 1.4x its time, holds one quarter-resolution activation
    of the whole image); ``"downscaled"`` takes them from one pass over the image
    downscaled to ``stats_side`` and blends overlapping tiles (least memory; the tone
    shifts: mean |difference| 0.044 at 1024x768 with the vintage weights). U-Net-256
    tiles always use ``"downscaled"``.
    """

    size: int | None = option(None, low=2, help="downscale first so that the longer side is at most this (none: keep)")
    mode: Mode = option("paper", help="pix2pix: 'paper' (dropout and batch statistics, seeded) or 'eval' (running statistics)")
    seed: int = option(0, low=0, high=2**63 - 1, help="seed of the dropout masks in paper mode")
    tile: int | None = option(None, low=0, help="tile side in pixels (0: never tile; default: 512-px tiles, 1024 for U-Net-256, above 1024 px)")
    norm_stats: NormStats = option("exact", help="CycleGAN tiles: exact whole-image InstanceNorm statistics, or from a downscaled pass (less memory)")
    # A quarter of the tile, at most 128 (ResNet) or 256 (U-Net) pixels, when not given.
    overlap: int | None = option(None, low=0, help="overlap of blended tiles in pixels (default: a quarter of the tile, at most 128 or 256)")
    stats_side: int = option(512, low=16, help="longer side of the downscaled statistics pass")
    device: str | None = option(None, max_length=32, help="where a named model runs (default: SYNTH_DEVICE or the best available)")

    def check(self) -> None:
        if self.device is not None:
            runtime.device(self.device)


@dataclass(frozen=True)
class CycleResult:
    """One turn of the cycle x -> G(x) -> F(G(x)), images (1, 3, H, W) in [0, 1].

    ``error`` is |x - F(G(x))| averaged over colour channels, (1, 1, H, W) in [0, 1];
    ``mean_error`` its mean, the L1 cycle-consistency loss of Zhu et al. (2017, eq. 2)
    measured on [0, 1] images (half its value on the generators' [-1, 1] scale).
    """

    image: torch.Tensor
    translated: torch.Tensor
    reconstructed: torch.Tensor
    error: torch.Tensor
    mean_error: float


def multiple_of(model: nn.Module) -> int:
    """The side multiple a generator needs (256 for U-Net-256, 4 for the ResNet)."""
    return int(getattr(model, "multiple", 1))


def reflect_pad(x: torch.Tensor, multiple: int, minimum: int = 0) -> tuple[torch.Tensor, tuple[int, int, int, int]]:
    """Reflect-pad (B, C, H, W) symmetrically to sides that are multiples of ``multiple``
    and at least ``minimum``.

    Returns the padded tensor and the pads (left, right, top, bottom). Images smaller
    than the padding are mirrored repeatedly (reflection needs pad < side).
    """
    height, width = x.shape[-2:]
    pad_h = max(height + -height % multiple, math.ceil(minimum / multiple) * multiple) - height
    pad_w = max(width + -width % multiple, math.ceil(minimum / multiple) * multiple) - width
    pads = (pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2)
    remaining = list(pads)
    while any(remaining):
        h, w = x.shape[-2:]
        step = [min(remaining[0], w - 1), min(remaining[1], w - 1), min(remaining[2], h - 1), min(remaining[3], h - 1)]
        x = F.pad(x, step, mode="reflect")
        remaining = [r - s for r, s in zip(remaining, step)]
    return x, pads


def _crop(x: torch.Tensor, pads: tuple[int, int, int, int]) -> torch.Tensor:
    left, right, top, bottom = pads
    height, width = x.shape[-2:]
    return x[..., top : height - bottom, left : width - right]


def _state(model: nn.Module, mode: Mode, seed: int) -> TestTimeState:
    has_bn = any(isinstance(m, BatchNorm2d) for m in model.modules())
    if mode == "eval" or not has_bn:
        return TestTimeState()
    generator = torch.Generator().manual_seed(int(seed))
    return TestTimeState(batch_stats=True, dropout=generator)


def _needs_statistics(model: nn.Module, state: TestTimeState) -> bool:
    """Whether the output depends on per-image normalisation statistics."""
    return any(isinstance(m, InstanceNorm2d) for m in model.modules()) or state.batch_stats


def record_statistics(model: nn.Module, x: torch.Tensor, state: TestTimeState | None = None) -> Statistics:
    """Normalisation statistics of every per-image norm layer for input ``x`` (model range, padded).

    One forward pass over ``x``; the returned mapping can be frozen into later passes.
    """
    recorded: Statistics = {}
    with torch.inference_mode(), test_time(replace(state or TestTimeState(), record=recorded)):
        model(x)
    return recorded


def _downscaled(x: torch.Tensor, side: int, multiple: int) -> torch.Tensor:
    """``x`` (model range) resized so that its longer side is about ``side``, padded to ``multiple``."""
    height, width = x.shape[-2:]
    scale = min(1.0, side / max(height, width))
    size = (max(multiple, round(height * scale)), max(multiple, round(width * scale)))
    small = F.interpolate(x, size=size, mode="bicubic", align_corners=False, antialias=True).clamp(-1, 1)
    return reflect_pad(small, multiple)[0]


def _as_model(model: nn.Module | str, device: str | torch.device | None) -> nn.Module:
    if isinstance(model, str):
        from ..cache import get_model

        return get_model(model, device=device)
    return model


@torch.inference_mode()
def translate(
    image: torch.Tensor,
    model: nn.Module | str,
    options: TranslateOptions | None = None,
    /,
    *,
    statistics: Statistics | None = None,
    callback: Callback | None = None,
    **changes: object,
) -> torch.Tensor:
    """Translate one image with a pix2pix or CycleGAN generator, at its own size.

    Parameters
    ----------
    image
        (1, 3, H, W) float in [0, 1], any H and W (at least 2).
    model
        A registered name (loaded through the model cache, on ``device``) or a generator module.
    options, **changes
        :class:`TranslateOptions`, or its fields as keywords, or both.
    statistics
        Use these normalisation statistics (see :func:`record_statistics`) instead,
        tiled or not.
    callback
        Receives a :class:`synth.progress.Progress` after the statistics pass
        (``stage`` "statistics"), each tile ("tiles"), each stage of exact tiling
        ("stage A" ...) or the one pass ("translate"). A translation has no partial
        result: :class:`synth.progress.StopEarly` propagates like any exception.

    Returns
    -------
    torch.Tensor
        (1, 3, H', W') float32 on the CPU in [0, 1]; H', W' are the input's (after
        ``size``).
    """
    opts = TranslateOptions.of(options, changes)
    if image.ndim != 4 or image.shape[:2] != (1, 3):
        raise ValueError(f"expected an image tensor of shape (1, 3, H, W), got {tuple(image.shape)}")
    if opts.size is not None:
        image = fit_max_side(image, opts.size)
    limits.check_output(image.shape[-1], image.shape[-2], "the translated image")  # before the model is loaded
    net = _as_model(model, opts.device)
    parameter = next(net.parameters())
    multiple = multiple_of(net)
    x, pads = reflect_pad(image.to(device=parameter.device, dtype=parameter.dtype) * 2 - 1, multiple, getattr(net, "min_side", 0))
    policy = runtime.policy(net, parameter.device)
    with policy.autocast():
        y = _translate(net, policy.layout(x), opts, statistics, callback)
    return ((_crop(y, pads) + 1) / 2).clamp_(0, 1)


def _translate(net: nn.Module, x: torch.Tensor, opts: TranslateOptions, statistics: Statistics | None, callback: Callback | None) -> torch.Tensor:
    """The generator's float32 CPU output for the padded input ``x``: one pass, tiles or exact stages."""
    multiple = multiple_of(net)
    state = _state(net, opts.mode, opts.seed)
    height, width = x.shape[-2:]
    tile = opts.tile
    if tile is None:
        tile = (1024 if multiple > 4 else 512) if max(height, width) > AUTO_TILE_SIDE else 0
    tile = math.ceil(tile / multiple) * multiple
    tiled = bool(tile) and max(height, width) > tile

    if tiled and statistics is None and opts.norm_stats == "exact" and isinstance(net, ResnetGenerator):
        y = translate_staged(net, x, tile=tile, halo=STAGED_HALO, callback=callback).float().cpu()
    elif tiled:
        overlap = min(tile // 4, 256 if multiple > 4 else 128) if opts.overlap is None else opts.overlap
        overlap = math.ceil(overlap / multiple) * multiple
        if not overlap < tile:
            raise ValueError(f"overlap must be in [0, tile); got {overlap} with tiles of {tile} pixels")
        if statistics is None and _needs_statistics(net, state):
            statistics = record_statistics(net, _downscaled(x, opts.stats_side, multiple), state)
            report(callback, Progress(1, 1, "statistics"))
        frozen = replace(state, frozen=statistics)

        def run(part: torch.Tensor) -> torch.Tensor:
            with test_time(frozen):
                return net(part)

        y = run_tiled(run, x, tile=tile, overlap=overlap, callback=callback)
    else:
        with test_time(replace(state, frozen=statistics)):
            y = net(x).float().cpu()
        report(callback, Progress(1, 1, "translate"))
    return y


def cycle(
    image: torch.Tensor,
    forward: nn.Module | str,
    backward: nn.Module | str,
    options: TranslateOptions | None = None,
    /,
    *,
    translated: torch.Tensor | None = None,
    callback: Callback | None = None,
    **changes: object,
) -> CycleResult:
    """x, G(x), F(G(x)) and the error map |x - F(G(x))| (Zhu et al. 2017, eq. 2).

    ``forward`` is G (e.g. ``cyclegan/horse2zebra``), ``backward`` is F (e.g.
    ``cyclegan/zebra2horse``); the options are :func:`translate`'s for both passes
    (``size`` applies to the input, so the three images share one size), and so is
    ``callback``. Pass ``translated`` = G(x) when it is already computed.
    """
    opts = TranslateOptions.of(options, changes)
    if opts.size is not None:
        image = fit_max_side(image, opts.size)
    limits.check_output(image.shape[-1], image.shape[-2], "the translated image")
    each = opts.replace(size=None)
    if translated is None:
        translated = translate(image, forward, each, callback=callback)
    elif translated.shape != image.shape:
        raise ValueError(f"translated must have the image's shape {tuple(image.shape)}, got {tuple(translated.shape)}")
    reconstructed = translate(translated, backward, each, callback=callback)
    error = (image - reconstructed).abs().mean(dim=1, keepdim=True)
    return CycleResult(image, translated, reconstructed, error, float(error.mean()))


def error_image(error: torch.Tensor, *, vmax: float = 0.25) -> torch.Tensor:
    """Colour an error map (1, 1, H, W) in [0, 1] with the *inferno* colour map.

    Errors of ``vmax`` and above are the brightest colour; a fixed ``vmax`` keeps
    maps of different images and models comparable. Returns (1, 3, H, W) in [0, 1].
    """
    from matplotlib import colormaps

    levels = (error[0, 0].float().clamp(0, vmax) / vmax).cpu().numpy()
    rgb = colormaps["inferno"](levels)[..., :3]
    return torch.from_numpy(rgb).float().permute(2, 0, 1)[None].contiguous()
