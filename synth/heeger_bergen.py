"""Heeger & Bergen (1995) pyramid-based texture synthesis, as Briand et al. (2014) specify it.

Starting from white noise, the algorithm alternates between matching the histogram
of every steerable-pyramid subband (residuals included) of the synthesis to the
corresponding subband of the example, reconstructing, and matching the pixel
histogram. Colour images are decorrelated by PCA and each component is synthesised
on its own; the example's boundary is made periodic first (Moisan's periodic plus
smooth decomposition) or mirrored, because the pyramid's boundaries are circular.

References
----------
.. [1] D. J. Heeger and J. R. Bergen, "Pyramid-based texture analysis/synthesis",
   SIGGRAPH 1995.
.. [2] T. Briand, J. Vacher, B. Galerne and J. Rabin, "The Heeger & Bergen Pyramid
   Based Texture Synthesis Algorithm", Image Processing On Line 4 (2014), 276-299,
   https://doi.org/10.5201/ipol.2014.79.
.. [3] L. Moisan, "Periodic plus smooth image decomposition", J. Math. Imaging
   Vision 39 (2011), 161-179.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from torch import Tensor

from . import limits
from .histograms import assign_ranked, match_histogram, quantiles, sort_rows
from .options import OptionError, Options, option
from .progress import Callback, Progress, StopEarly, report
from .pyramid import PyramidCoeffs, SteerablePyramid
from .subbands import SubbandMatcher, SubbandMatching

__all__ = [
    "ColourPCA", "HBResult", "HeegerBergenOptions", "periodic_smooth_decomposition", "synthesize",
    "synthesize_with_details",
]


@dataclass(frozen=True)
class HeegerBergenOptions(Options):
    """Settings of :func:`synthesize` (Briand et al.'s parameters, [2] sec. 3).

    The example is centre-cropped to multiples of ``2^scales``, which must leave at
    least ``2^(scales + 2)`` pixels on each side; the texture is synthesised at the
    next multiple of ``2^scales`` of its size and cropped.
    """

    scales: int = option(4, low=1, high=8, help="steerable-pyramid levels")
    orientations: int = option(4, low=2, high=8, help="orientations per level")
    iterations: int = option(5, low=0, cap="steps", help="analysis/synthesis iterations ([2]: 5 are enough)")
    size: tuple[int, ...] | None = option(None, low=1, min_items=2, max_items=2, help="output width,height (default: the cropped example's)")
    ratio: float = option(1.0, above=0, high=64, help="output size as a multiple of the cropped example's")
    edges: Literal["periodic", "mirror"] = option("periodic", help="analyse the example's periodic component ([3]) or its mirrored 2H x 2W extension")
    seed: int = option(0, low=0, high=2**63 - 1, help="seed of the white-noise start (drawn on the CPU: the same on any device)")
    subband_matching: SubbandMatching = option("binned", help="subband histogram matching: O(N) binned (as [1]) or exact sorting")

    def check(self) -> None:
        if self.size is not None and self.ratio != 1:
            raise OptionError(f"give an output size or a ratio, not both (got size {list(self.size)} and ratio {self.ratio})")
        if self.size is not None:
            limits.check_output(*self.size, "the texture")


@dataclass
class HBResult:
    """Everything :func:`synthesize_with_details` computes, for teaching views.

    ``texture`` is the returned texture, ``noise`` the histogram-matched noise start
    and ``iterations`` the image after each iteration, all (C, H_out, W_out) in
    [0, 1]. The pyramids are those of the (1, C, h, w) decorrelated channels the
    algorithm matches: the analysed example (periodic component, or mirrored
    example), the noise start and the last iterate.
    """

    texture: Tensor
    noise: Tensor
    iterations: list[Tensor]
    input_pyramid: PyramidCoeffs
    noise_pyramid: PyramidCoeffs
    output_pyramid: PyramidCoeffs


def periodic_smooth_decomposition(image: Tensor) -> tuple[Tensor, Tensor]:
    """Split images into a periodic and a smooth component, ``image = p + s`` ([3]).

    ``s`` solves the periodic Poisson equation whose source is the jump across the
    image's opposite borders: ``v[0, :] = u[-1, :] - u[0, :]``,
    ``v[-1, :] = u[0, :] - u[-1, :]`` (and the same for columns),
    ``s_hat(q, r) = v_hat(q, r) / (2 cos(2 pi q / H) + 2 cos(2 pi r / W) - 4)``,
    ``s_hat(0, 0) = 0`` [3]. ``p`` has nearly no jump at its periodic
    boundary, so its spectrum shows no cross artefact.

    Parameters
    ----------
    image : Tensor
        Shape (..., H, W), float.

    Returns
    -------
    tuple of Tensor
        ``(p, s)``, each of ``image``'s shape; ``s`` has zero mean.
    """
    u = image
    v = torch.zeros_like(u)
    v[..., 0, :] = u[..., -1, :] - u[..., 0, :]
    v[..., -1, :] += u[..., 0, :] - u[..., -1, :]
    v[..., :, 0] += u[..., :, -1] - u[..., :, 0]
    v[..., :, -1] += u[..., :, 0] - u[..., :, -1]
    h, w = u.shape[-2:]
    q = torch.arange(h, dtype=torch.float64, device=u.device)[:, None]
    r = torch.arange(w // 2 + 1, dtype=torch.float64, device=u.device)
    denominator = 2 * torch.cos(2 * math.pi * q / h) + 2 * torch.cos(2 * math.pi * r / w) - 4
    denominator[0, 0] = 1.0
    s_hat = torch.fft.rfft2(v) / denominator.to(u.dtype)
    s_hat[..., 0, 0] = 0
    s = torch.fft.irfft2(s_hat, s=(h, w))
    return u - s, s


@dataclass(frozen=True)
class ColourPCA:
    """Principal axes of an image's colours, which decorrelate its channels [2].

    ``transform`` maps (C, H, W) colours to coordinates along the axes, by decreasing
    variance (orthonormal, so ``inverse`` is exact); the coordinates' covariance is
    diagonal for the image the axes were fitted on.
    """

    mean: Tensor  # (C,)
    axes: Tensor  # (C, C), one axis per column

    @classmethod
    def fit(cls, image: Tensor) -> ColourPCA:
        pixels = image.reshape(image.shape[0], -1).double()
        mean = pixels.mean(dim=1)
        centred = pixels - mean[:, None]
        _, vectors = torch.linalg.eigh(centred @ centred.T / pixels.shape[1])
        axes = vectors.flip(1)  # decreasing variance
        axes = axes * torch.where(axes.sum(0) < 0, -1.0, 1.0)  # a fixed sign per axis
        return cls(mean.to(image.dtype), axes.to(image.dtype))

    def transform(self, image: Tensor) -> Tensor:
        return torch.einsum("ck,chw->khw", self.axes, image - self.mean[:, None, None])

    def inverse(self, coords: Tensor) -> Tensor:
        return torch.einsum("ck,khw->chw", self.axes, coords) + self.mean[:, None, None]


# --- the algorithm -----------------------------------------------------------------


def _as_image(image: object) -> Tensor:
    """(C, H, W) tensor in [0, 1], C in {1, 3}, from a tensor, an array or a PIL image."""
    if not isinstance(image, Tensor):
        array = np.asarray(image)  # (H, W[, C]); PIL images convert too
        array = array / 255.0 if array.dtype == np.uint8 else array
        array = np.moveaxis(array, -1, 0) if array.ndim == 3 else array
        image = torch.from_numpy(np.ascontiguousarray(array))
    image = image / 255.0 if image.dtype == torch.uint8 else image
    image = image[0] if image.ndim == 4 and image.shape[0] == 1 else image
    image = image[None] if image.ndim == 2 else image
    if image.ndim != 3 or image.shape[0] not in (1, 3) or not image.is_floating_point():
        raise ValueError(
            "expected a float (C, H, W) or (1, C, H, W) tensor or an (H, W[, C]) array "
            f"with C in {{1, 3}}, got shape {tuple(image.shape)} and dtype {image.dtype}"
        )
    image = image.to(torch.float32)
    if not bool(((image >= 0) & (image <= 1)).all()):
        raise ValueError(
            f"expected values in [0, 1], got [{image.min().item():.3g}, {image.max().item():.3g}]"
        )
    return image


def synthesize(
    image: object, options: HeegerBergenOptions | None = None, /, *, callback: Callback | None = None, **changes: object
) -> Tensor:
    """Synthesise a texture like ``image`` (Heeger & Bergen [1], as specified in [2]).

    Parameters
    ----------
    image : Tensor, numpy array or PIL image
        The example texture, values in [0, 1]: a (C, H, W) or (1, C, H, W) tensor or
        an (H, W[, C]) array (uint8 is divided by 255), C = 1 (grey) or 3 (RGB).
    options, **changes
        :class:`HeegerBergenOptions`, or its fields as keywords, or both.
    callback : callable, optional
        Called with a :class:`synth.progress.Progress` after the noise initialisation
        (``step`` 0, ``stage`` "noise start") and after each iteration, whose
        ``image`` is the iterate (C, H, W) before the final colour histogram
        matching. Raising :class:`synth.progress.StopEarly` ends the synthesis with
        the current iterate (colour-matched as usual); anything else propagates.

    Returns
    -------
    Tensor
        The texture, (C, H_out, W_out), in [0, 1], on ``image``'s device. At the
        example's size each channel's histogram equals the analysed example's (the
        periodic component with ``edges="periodic"``) clipped to [0, 1].
    """
    return _run(image, HeegerBergenOptions.of(options, changes), callback, details=False)[0]


def synthesize_with_details(
    image: object, options: HeegerBergenOptions | None = None, /, *, callback: Callback | None = None, **changes: object
) -> HBResult:
    """:func:`synthesize`, also returning the noise start, the iterates and the
    pyramids (:class:`HBResult`); the arguments are :func:`synthesize`'s."""
    result = _run(image, HeegerBergenOptions.of(options, changes), callback, details=True)[1]
    assert result is not None
    return result


def _run(image: object, opts: HeegerBergenOptions, callback: Callback | None, *, details: bool) -> tuple[Tensor, HBResult | None]:
    """The synthesis of [2]: the texture and, with ``details``, an :class:`HBResult`."""
    pyramid = SteerablePyramid(opts.scales, opts.orientations)
    x = _as_image(image)
    step = 2**opts.scales
    height, width = (x.shape[1] // step) * step, (x.shape[2] // step) * step
    if min(height, width) < 4 * step:
        raise ValueError(
            f"scales={opts.scales} needs an image of at least {4 * step}x{4 * step} pixels, "
            f"got {x.shape[1]}x{x.shape[2]}"
        )
    out_w, out_h = opts.size or (max(1, round(width * opts.ratio)), max(1, round(height * opts.ratio)))
    limits.check_output(out_w, out_h, "the texture")
    top, left = (x.shape[1] - height) // 2, (x.shape[2] - width) // 2
    x = x[:, top : top + height, left : left + width]
    example = periodic_smooth_decomposition(x)[0] if opts.edges == "periodic" else x
    pca = ColourPCA.fit(example) if example.shape[0] == 3 else None
    target = pca.transform(example) if pca else example  # decorrelated channels
    analysed = target
    if opts.edges == "mirror":
        analysed = torch.cat([target, target.flip(1)], 1)
        analysed = torch.cat([analysed, analysed.flip(2)], 2)
    input_pyramid = pyramid.decompose(analysed[None])
    matcher = SubbandMatcher(input_pyramid, method=opts.subband_matching)

    synth_h = max(math.ceil(out_h / step) * step, 4 * step)
    synth_w = max(math.ceil(out_w / step) * step, 4 * step)
    channels = target.shape[0]
    pixels = quantiles(sort_rows(target.reshape(channels, -1)), synth_h * synth_w)

    def match_pixels(y: Tensor) -> Tensor:
        return assign_ranked(y.reshape(channels, -1), pixels).view(channels, synth_h, synth_w)

    def to_image(y: Tensor) -> Tensor:
        rgb = pca.inverse(y) if pca else y
        return rgb[:, :out_h, :out_w].clamp(0, 1)

    generator = torch.Generator().manual_seed(opts.seed)
    noise = torch.randn(channels, synth_h, synth_w, generator=generator, dtype=torch.float32)
    y = start = match_pixels(noise.to(x.device))
    images = []
    for i in range(opts.iterations + 1):
        if i:
            coeffs = matcher(pyramid.decompose(y[None]))
            y = match_pixels(pyramid.reconstruct(coeffs)[0])
        if callback is not None or (details and i):
            images.append(to_image(y))
        if callback is not None:
            try:
                report(callback, Progress(i, opts.iterations, "iteration" if i else "noise start", images[-1]))
            except StopEarly:
                break
    rgb = pca.inverse(y) if pca else y
    texture = match_histogram(rgb[:, :out_h, :out_w], example).clamp(0, 1)
    if not details:
        return texture, None
    return texture, HBResult(
        texture=texture,
        noise=to_image(start),
        iterations=images[1:] if callback is not None else images,
        input_pyramid=input_pyramid,
        noise_pyramid=pyramid.decompose(start[None]),
        output_pyramid=pyramid.decompose(y[None]),
    )
