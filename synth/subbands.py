"""Histograms of steerable-pyramid subbands: how far apart they are, and matching them.

Heeger & Bergen's synthesis matches the histogram of every subband of the synthesis
to the example's; :class:`SubbandMatcher` does it for all subbands at once, exactly
(sorting) or in O(N) with the binned method of [1], and :func:`subband_distances`
measures what is left (tests and ``benchmarks/pyramid.py``).

References
----------
.. [1] T. Briand, J. Vacher, B. Galerne and J. Rabin, "The Heeger & Bergen Pyramid
   Based Texture Synthesis Algorithm", Image Processing On Line 4 (2014), 276-299,
   https://doi.org/10.5201/ipol.2014.79.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import Tensor

from .histograms import assign_ranked, quantiles, sort_rows
from .pyramid import PyramidCoeffs

__all__ = ["SubbandMatcher", "SubbandMatching", "subband_distances"]

SubbandMatching = Literal["binned", "exact"]

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

    def __init__(self, reference: PyramidCoeffs, *, method: SubbandMatching = "binned", bins: int = 1024) -> None:
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
