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
from typing import Callable, Literal, Union

import numpy as np
import torch
from torch import Tensor

from . import limits, runtime
from .histograms import assign_ranked, match_histogram, quantiles, sort_rows
from .pyramid import PyramidCoeffs, SteerablePyramid

__all__ = [
    "ColourPCA", "HBProgress", "HBResult", "SubbandMatcher",
    "periodic_smooth_decomposition", "subband_distances", "synthesize",
    "synthesize_with_details",
]

Size = Union[None, tuple[int, int], float]


@dataclass(frozen=True)
class HBProgress:
    """Progress passed to ``callback``: ``image`` is (C, H, W) in [0, 1] after
    ``iteration`` of ``total`` iterations (0 = the histogram-matched noise)."""

    iteration: int
    total: int
    image: Tensor


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


# --- statistics ----------------------------------------------------------------------


Segments = list[tuple[int, int]]


def _segments(coeffs: PyramidCoeffs) -> Segments:
    """(rows, length) of each block of ``coeffs.flat()``: one row per subband."""
    parts = [coeffs.highpass, *coeffs.bands, coeffs.lowpass]
    return [(math.prod(p.shape[:-2]), p.shape[-2] * p.shape[-1]) for p in parts]


def _blocks(flat: Tensor, segments: Segments) -> list[Tensor]:
    """Views of ``flat`` as (rows, length) blocks."""
    sizes = [rows * n for rows, n in segments]
    return [b.view(rows, n) for b, (rows, n) in zip(flat.split(sizes), segments)]


def _lengths(segments: Segments) -> list[int]:
    """Length of every subband, in order."""
    return [n for rows, n in segments for _ in range(rows)]


def subband_distances(
    coeffs: PyramidCoeffs, reference: PyramidCoeffs, *, levels: int = 1001
) -> Tensor:
    """Distance between the histograms of corresponding subbands.

    Per subband, the mean absolute difference of ``levels`` evenly spaced quantiles
    (a 1-D Wasserstein-1 distance) over the reference subband's standard deviation:
    0 for equal histograms, about 1 or more for unrelated ones.

    Returns
    -------
    Tensor
        Shape (G,), one value per subband in ``flat()`` order (residual highpass,
        bands fine to coarse, residual lowpass; (b, c[, k]) within each).
    """
    p = torch.linspace(0, 1, levels, dtype=coeffs.highpass.dtype, device=coeffs.highpass.device)
    ours = _blocks(coeffs.flat(), _segments(coeffs))
    out = []
    for a, b in zip(ours, _blocks(reference.flat(), _segments(reference))):
        diff = torch.quantile(a, p, dim=1) - torch.quantile(b, p, dim=1)
        out.append(diff.abs().mean(dim=0) / b.std(dim=1).clamp_min(1e-12))
    return torch.cat(out)


class SubbandMatcher:
    """Matches the histogram of every subband of a pyramid to a reference pyramid.

    Parameters
    ----------
    reference : PyramidCoeffs
        The example's pyramid; its subbands are sorted once, here.
    method : {"binned", "exact"}, default "binned"
        ``"exact"`` sorts every subband at every call. ``"binned"`` is O(N), the
        histogram method of [1]: each subband is counted in ``bins`` equal-width
        bins, its values are taken as evenly spread inside a bin, the reference's
        exact quantiles are taken at the bin edges' ranks, linear in between.
    bins : int, default 1024
        Bins per subband for ``"binned"``. From 256 bins on, a synthesis reaches the
        same subband-histogram distance to the example as with ``"exact"`` (see
        ``benchmarks/pyramid.py``); one matching step is within 0.002 of exact.

    Notes
    -----
    Keeps scratch tensors between calls: use one matcher per thread.
    """

    def __init__(
        self, reference: PyramidCoeffs, *, method: Literal["binned", "exact"] = "binned",
        bins: int = 1024,
    ) -> None:
        if method not in ("binned", "exact"):
            raise ValueError(f"method must be 'binned' or 'exact', got {method!r}")
        if bins < 2:
            raise ValueError(f"bins must be >= 2, got {bins}")
        self.method, self.bins = method, bins
        self._segments = _segments(reference)
        blocks = _blocks(reference.flat(), self._segments)
        self._sorted = torch.cat([sort_rows(b).view(-1) for b in blocks])
        self._length = torch.tensor(_lengths(self._segments), device=self._sorted.device)
        self._start = torch.cumsum(self._length, 0) - self._length
        self._values: dict[tuple[tuple[int, int], ...], list[Tensor]] = {}  # exact, per size
        # binned: scratch tensors reused from call to call (fresh large allocations
        # page-fault, which cost about as much as the arithmetic)
        self._scratch: dict[str, Tensor] = {}

    def __call__(self, coeffs: PyramidCoeffs) -> PyramidCoeffs:
        """New coefficients whose subbands have the reference's histograms.

        ``coeffs`` has the reference's scales, orientations and (B, C); its size may
        differ (quantiles are then interpolated, as in :func:`synth.histograms.match_histogram`).
        """
        segments = _segments(coeffs)
        if [r for r, _ in segments] != [r for r, _ in self._segments]:
            raise ValueError(
                f"expected subbands per level {[r for r, _ in self._segments]}, "
                f"got {[r for r, _ in segments]}"
            )
        flat = coeffs.flat()
        if self.method == "binned":
            return PyramidCoeffs.from_flat(self._binned(flat, segments), coeffs)
        key = tuple(segments)
        if key not in self._values:
            ref = _blocks(self._sorted, self._segments)
            self._values[key] = [quantiles(r, n) for r, (_, n) in zip(ref, segments)]
        parts = [assign_ranked(b, v) for b, v in zip(_blocks(flat, segments), self._values[key])]
        return PyramidCoeffs.from_flat(torch.cat([p.view(-1) for p in parts]), coeffs)

    def _buffer(self, name: str, numel: int, dtype: torch.dtype, device: torch.device) -> Tensor:
        buffer = self._scratch.get(name)
        if buffer is None or buffer.numel() != numel or buffer.dtype != dtype:
            buffer = self._scratch[name] = torch.empty(numel, dtype=dtype, device=device)
        return buffer

    def _binned(self, flat: Tensor, segments: Segments) -> Tensor:
        bins, device, n = self.bins, flat.device, flat.numel()
        pos = self._buffer("pos", n, flat.dtype, device)  # position in the subband's bins
        keys = self._buffer("keys", n, torch.int32, device)  # global bin
        first = 0
        for y, p, k in zip(*(_blocks(t, segments) for t in (flat, pos, keys))):
            lo, hi = y.amin(dim=1, keepdim=True), y.amax(dim=1, keepdim=True)
            # rounding is monotonic, and the factor keeps the maximum below ``bins``
            torch.sub(y, lo, out=p).mul_(bins * (1 - 2**-16) / (hi - lo).clamp_min(1e-30))
            k.copy_(p)  # truncates, i.e. floors: p >= 0
            rows = torch.arange(first, first + len(y), dtype=torch.int32, device=device)
            k += rows[:, None] * bins
            first += len(y)
        counts = torch.bincount(keys, minlength=first * bins).view(first, bins)
        total = torch.tensor(_lengths(segments), device=device)[:, None]
        # rank of a value at each bin edge (-0.5: a value alone in its bin gets its
        # own rank at the bin's centre), the reference's quantile at that rank
        below = torch.nn.functional.pad(counts.cumsum(1), (1, 0)).to(flat.dtype) - 0.5
        rank = below.clamp_(0).minimum(total - 1).mul_((self._length[:, None] - 1) / (total - 1))
        lower_rank = rank.long().minimum(self._length[:, None] - 2)  # rank >= 0: floor
        index = lower_rank + self._start[:, None]
        lower = self._sorted.take(index)
        edges = (self._sorted.take(index + 1) - lower).mul_(rank - lower_rank).add_(lower)
        slope = edges.diff(dim=1)
        offset = edges[:, :-1] - torch.arange(bins, device=device) * slope
        # value = offset + pos * slope; one gather for both, packed as a complex number
        table = torch.complex(offset, slope).view(-1)
        per_key = self._buffer("per_key", n, table.dtype, device)
        per_key = torch.view_as_real(torch.index_select(table, 0, keys, out=per_key))
        return torch.addcmul(per_key[:, 0], pos, per_key[:, 1])


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


def _as_image(image: object, dtype: torch.dtype) -> Tensor:
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
    image = image.to(dtype)
    if not bool(((image >= 0) & (image <= 1)).all()):
        raise ValueError(
            f"expected values in [0, 1], got [{image.min().item():.3g}, {image.max().item():.3g}]"
        )
    return image


def _output_size(size: Size, height: int, width: int) -> tuple[int, int]:
    """(height, width) of the texture for ``size`` = None, (width, height) or a ratio."""
    if size is None:
        return height, width
    if isinstance(size, (int, float)) and not isinstance(size, bool):
        if not size > 0:
            raise ValueError(f"expected a positive size ratio, got {size}")
        return max(1, round(height * size)), max(1, round(width * size))
    integral = (int, np.integer)
    if isinstance(size, (tuple, list)) and len(size) == 2:
        if all(isinstance(s, integral) and not isinstance(s, bool) and s > 0 for s in size):
            return int(size[1]), int(size[0])
    raise ValueError(f"expected size None, (width, height) positive ints or a ratio, got {size!r}")


def synthesize(
    image: object, *, scales: int = 4, orientations: int = 4, iterations: int = 5,
    size: Size = None, edges: Literal["periodic", "mirror"] = "periodic", seed: int = 0,
    callback: Callable[[HBProgress], None] | None = None,
    subband_matching: Literal["binned", "exact"] = "binned", dtype: torch.dtype = torch.float32,
) -> Tensor:
    """Synthesise a texture like ``image`` (Heeger & Bergen [1], as specified in [2]).

    Parameters
    ----------
    image : Tensor, numpy array or PIL image
        The example texture, values in [0, 1]: a (C, H, W) or (1, C, H, W) tensor or
        an (H, W[, C]) array (uint8 is divided by 255), C = 1 (grey) or 3 (RGB).
        It is centre-cropped to multiples of ``2^scales``, which must leave at least
        ``2^(scales + 2)`` pixels on each side.
    scales : int, default 4
        Pyramid levels.
    orientations : int, default 4
        Orientations per level, 2..8.
    iterations : int, default 5
        Analysis/synthesis iterations; [2] finds that 5 are enough.
    size : None, (width, height) or float, default None
        Texture size: the cropped example's, exactly (width, height) pixels, or the
        cropped example's scaled by a ratio. The synthesis runs at the next multiple
        of ``2^scales`` and is cropped.
    edges : {"periodic", "mirror"}, default "periodic"
        How the example's non-periodic boundary is handled: its periodic component
        ([3]) or its mirror-symmetric extension (2H x 2W) is analysed.
    seed : int, default 0
        Seed of the initial white noise (drawn on the CPU: the same on any device).
    callback : callable, optional
        Called with :class:`HBProgress` after the noise initialisation and after
        each iteration (images before the final colour histogram matching); it may
        raise to stop the synthesis.
    subband_matching : {"binned", "exact"}, default "binned"
        Subband histogram matching, see :class:`SubbandMatcher`. The pixel histogram
        is always matched exactly.
    dtype : torch.dtype, default torch.float32
        Working precision.

    Returns
    -------
    Tensor
        The texture, (C, H_out, W_out), in [0, 1], on ``image``'s device. With
        ``size=None`` each channel's histogram equals the analysed example's (the
        periodic component with ``edges="periodic"``) clipped to [0, 1].
    """
    return _run(image, scales, orientations, iterations, size, edges, seed, callback,
                subband_matching, dtype, details=False)[0]


def synthesize_with_details(
    image: object, *, scales: int = 4, orientations: int = 4, iterations: int = 5,
    size: Size = None, edges: Literal["periodic", "mirror"] = "periodic", seed: int = 0,
    callback: Callable[[HBProgress], None] | None = None,
    subband_matching: Literal["binned", "exact"] = "binned", dtype: torch.dtype = torch.float32,
) -> HBResult:
    """:func:`synthesize`, also returning the noise start, the iterates and the
    pyramids (:class:`HBResult`); the arguments are :func:`synthesize`'s."""
    result = _run(image, scales, orientations, iterations, size, edges, seed, callback,
                  subband_matching, dtype, details=True)[1]
    assert result is not None
    return result


def _run(
    image: object, scales: int, orientations: int, iterations: int, size: Size,
    edges: str, seed: int, callback: Callable[[HBProgress], None] | None,
    subband_matching: str, dtype: torch.dtype, *, details: bool,
) -> tuple[Tensor, HBResult | None]:
    """The synthesis of [2]: the texture and, with ``details``, an :class:`HBResult`."""
    if edges not in ("periodic", "mirror"):
        raise ValueError(f"edges must be 'periodic' or 'mirror', got {edges!r}")
    if not isinstance(iterations, int) or iterations < 0:
        raise ValueError(f"iterations must be an int >= 0, got {iterations!r}")
    limits.check_steps(iterations, "the number of iterations")
    seed = runtime.check_seed(seed)
    pyramid = SteerablePyramid(scales, orientations)
    x = _as_image(image, dtype)
    step = 2**scales
    height, width = (x.shape[1] // step) * step, (x.shape[2] // step) * step
    if min(height, width) < 4 * step:
        raise ValueError(
            f"scales={scales} needs an image of at least {4 * step}x{4 * step} pixels, "
            f"got {x.shape[1]}x{x.shape[2]}"
        )
    out_h, out_w = _output_size(size, height, width)
    limits.check_output(out_w, out_h, "the texture")
    top, left = (x.shape[1] - height) // 2, (x.shape[2] - width) // 2
    x = x[:, top : top + height, left : left + width]
    example = periodic_smooth_decomposition(x)[0] if edges == "periodic" else x
    pca = ColourPCA.fit(example) if example.shape[0] == 3 else None
    target = pca.transform(example) if pca else example  # decorrelated channels
    analysed = target
    if edges == "mirror":
        analysed = torch.cat([target, target.flip(1)], 1)
        analysed = torch.cat([analysed, analysed.flip(2)], 2)
    input_pyramid = pyramid.decompose(analysed[None])
    matcher = SubbandMatcher(input_pyramid, method=subband_matching)

    synth_h = max(math.ceil(out_h / step) * step, 4 * step)
    synth_w = max(math.ceil(out_w / step) * step, 4 * step)
    channels = target.shape[0]
    pixels = quantiles(sort_rows(target.reshape(channels, -1)), synth_h * synth_w)

    def match_pixels(y: Tensor) -> Tensor:
        return assign_ranked(y.reshape(channels, -1), pixels).view(channels, synth_h, synth_w)

    def to_image(y: Tensor) -> Tensor:
        rgb = pca.inverse(y) if pca else y
        return rgb[:, :out_h, :out_w].clamp(0, 1)

    generator = torch.Generator().manual_seed(seed)
    noise = torch.randn(channels, synth_h, synth_w, generator=generator, dtype=dtype)
    y = start = match_pixels(noise.to(x.device))
    images = []
    for i in range(iterations + 1):
        if i:
            coeffs = matcher(pyramid.decompose(y[None]))
            y = match_pixels(pyramid.reconstruct(coeffs)[0])
        if callback is not None or (details and i):
            images.append(to_image(y))
        if callback is not None:
            callback(HBProgress(iteration=i, total=iterations, image=images[-1]))
    rgb = pca.inverse(y) if pca else y
    texture = match_histogram(rgb[:, :out_h, :out_w], example).clamp(0, 1)
    if not details:
        return texture, None
    return texture, HBResult(
        texture=texture,
        noise=to_image(start),
        iterations=images[len(images) - iterations :],
        input_pyramid=input_pyramid,
        noise_pyramid=pyramid.decompose(start[None]),
        output_pyramid=pyramid.decompose(y[None]),
    )
