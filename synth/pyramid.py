"""Steerable pyramid in the Fourier domain (Simoncelli & Freeman 1995), in torch.

The transform splits an image into a residual highpass, ``scales`` levels of
``orientations`` oriented bandpass subbands (fine to coarse, each level half the
size of the one before) and a residual lowpass. Filters are those of Portilla &
Simoncelli (2000) and pyrtools' ``SteerablePyramidFreq``: raised-cosine radial
masks in log-frequency and ``cos(theta)^(K-1)`` angular masks. Coefficients equal
pyrtools' (same grid, same spectrum cropping, no amplitude rescaling: coefficients at
scale ``s`` carry a factor ``4^s``), but the masks are the exact functions rather
than pyrtools' lookup tables, and the frequency grid is symmetric for odd sides too,
so that reconstruction is exact for every size.

Every band is real, so two bands share one complex inverse FFT and the ``K`` bands
of a level are one batched call; reconstruction works on half spectra (``rfft2``).
Masks are built once per (size, scales, orientations, dtype, device) and cached.

References
----------
.. [1] E. P. Simoncelli and W. T. Freeman, "The steerable pyramid: a flexible
   architecture for multi-scale derivative computation", ICIP 1995.
.. [2] J. Portilla and E. P. Simoncelli, "A parametric texture model based on joint
   statistics of complex wavelet coefficients", IJCV 40(1), 2000 (the filters).
.. [3] A. Karasaridis and E. P. Simoncelli, "A filter design technique for steerable
   pyramid image transforms", ICASSP 1996 (the angular filters' constant).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["PyramidCoeffs", "SteerablePyramid", "filter_bank", "max_scales"]

Key = str | tuple[int, int]


def max_scales(height: int, width: int) -> int:
    """Most pyramid levels an image of ``height x width`` pixels allows.

    ``floor(log2(min(height, width))) - 2``, as in pyrtools: the coarsest bandpass
    level is then at least 8 pixels on its short side.
    """
    return int(math.floor(math.log2(min(height, width)))) - 2


@dataclass
class PyramidCoeffs:
    """Coefficients of a steerable pyramid.

    Attributes
    ----------
    highpass : Tensor
        Residual highpass, shape (B, C, H, W).
    bands : list of Tensor
        One tensor per scale, fine to coarse, shape (B, C, K, h_s, w_s) with
        ``h_s = ceil(h_{s-1} / 2)`` (``H / 2^s`` for sides divisible by ``2^s``).
    lowpass : Tensor
        Residual lowpass, shape (B, C, h_S, w_S) with ``S = len(bands)``.

    Indexing uses pyrtools' keys, ``coeffs["residual_highpass"]``,
    ``coeffs[(scale, band)]`` and ``coeffs["residual_lowpass"]``, each giving a
    (B, C, h, w) tensor; ``keys()`` and ``items()`` follow pyrtools' order.
    """

    highpass: Tensor
    bands: list[Tensor]
    lowpass: Tensor

    @property
    def scales(self) -> int:
        return len(self.bands)

    @property
    def orientations(self) -> int:
        return self.bands[0].shape[2]

    def keys(self) -> list[Key]:
        """Keys in pyrtools' order: highpass, (0, 0), (0, 1), ..., lowpass."""
        bands = [(s, b) for s in range(self.scales) for b in range(self.orientations)]
        return ["residual_highpass", *bands, "residual_lowpass"]

    def items(self) -> Iterator[tuple[Key, Tensor]]:
        return ((key, self[key]) for key in self.keys())

    def __getitem__(self, key: Key) -> Tensor:
        if key == "residual_highpass":
            return self.highpass
        if key == "residual_lowpass":
            return self.lowpass
        if isinstance(key, tuple) and len(key) == 2:
            scale, band = key
            if 0 <= scale < self.scales and 0 <= band < self.orientations:
                return self.bands[scale][:, :, band]
        raise KeyError(
            f"expected 'residual_highpass', 'residual_lowpass' or (scale, band) with "
            f"scale < {self.scales} and band < {self.orientations}, got {key!r}"
        )

    def flat(self) -> Tensor:
        """All coefficients as one 1-D tensor.

        Order: highpass, bands[0], ..., bands[S-1], lowpass, each flattened in its
        (B, C, [K,] h, w) order, so every (b, c[, k]) subband is a contiguous run.
        A view when the coefficients are consecutive views of one buffer, as
        :meth:`SteerablePyramid.decompose` returns them (treat it as read-only),
        else a copy.
        """
        parts = [self.highpass, *self.bands, self.lowpass]
        first, address = parts[0], parts[0].data_ptr()
        for part in parts:
            if not part.is_contiguous() or part.data_ptr() != address or part.dtype != first.dtype:
                return torch.cat([p.reshape(-1) for p in parts])
            address += part.numel() * part.element_size()
        return first.as_strided((sum(p.numel() for p in parts),), (1,))

    @classmethod
    def from_flat(cls, flat: Tensor, like: PyramidCoeffs) -> PyramidCoeffs:
        """Views of ``flat`` (laid out as :meth:`flat` does) shaped like ``like``."""
        return _from_flat(flat, [p.shape for p in (like.highpass, *like.bands, like.lowpass)])


def _from_flat(flat: Tensor, shapes: list[tuple[int, ...]]) -> PyramidCoeffs:
    sizes = [math.prod(s) for s in shapes]
    if flat.ndim != 1 or flat.numel() != sum(sizes):
        raise ValueError(
            f"expected a 1-D tensor of {sum(sizes)} coefficients, got shape {tuple(flat.shape)}"
        )
    parts = [p.view(s) for p, s in zip(flat.split(sizes), shapes)]
    return PyramidCoeffs(highpass=parts[0], bands=parts[1:-1], lowpass=parts[-1])


# --- masks -------------------------------------------------------------------------


def _grid(height: int, width: int) -> tuple[Tensor, Tensor]:
    """Centred frequency grid: (log2 radius, angle), each (H, W), float64.

    Frequencies ``(k - n // 2) * 2 / n`` (1 = Nyquist), DC at index ``n // 2``; the
    DC log-radius takes its left neighbour's value. For even sides this is
    pyrtools' ``linspace(-1, 1, n + 1)[:-1]``; for odd sides pyrtools' analysis grid
    is offset by half a step (its reconstruction grid is ours), which is why its
    reconstruction is inexact there and ours is not.
    """
    x = (torch.arange(width, dtype=torch.float64) - width // 2) * (2 / width)
    y = (torch.arange(height, dtype=torch.float64) - height // 2) * (2 / height)
    yy, xx = torch.meshgrid(y, x, indexing="ij")
    rad = torch.sqrt(xx**2 + yy**2)
    rad[height // 2, width // 2] = rad[height // 2, width // 2 - 1]
    return torch.log2(rad), torch.atan2(yy, xx)


def _hi(log_rad: Tensor) -> Tensor:
    """Radial highpass ``cos(pi/2 * clamp(log_rad, -1, 0))``, raised cosine in log radius [2]."""
    return torch.cos(math.pi / 2 * log_rad.clamp(-1, 0))


def _lo(log_rad: Tensor) -> Tensor:
    """Radial lowpass, ``sqrt(1 - hi^2)``, so that ``hi^2 + lo^2 == 1``."""
    return torch.sin(-math.pi / 2 * log_rad.clamp(-1, 0))


def _angular(angle: Tensor, orientations: int) -> Tensor:
    """Angular masks ``sqrt(c) cos(theta - pi b / K)^n``, n = K - 1, shape (K, H, W).

    ``c = 2^(2n) (n!)^2 / (K (2n)!)`` makes the squared masks sum to one [3].
    """
    n = orientations - 1
    c = 2 ** (2 * n) * math.factorial(n) ** 2 / (orientations * math.factorial(2 * n))
    shifts = torch.arange(orientations, dtype=torch.float64) * math.pi / orientations
    return math.sqrt(c) * torch.cos(angle - shifts[:, None, None]) ** n


def _crop_size(n: int) -> int:
    """Side of the next level, pyrtools' ``ceil((n - 0.5) / 2)``."""
    return math.ceil((n - 0.5) / 2)


def _unshift(mask: Tensor) -> Tensor:
    """A centred mask (..., H, W) -> the unshifted layout of ``torch.fft.fft2``."""
    return torch.fft.ifftshift(mask, dim=(-2, -1))


@dataclass(frozen=True)
class _Masks:
    """Unshifted spectral masks for one image size, full (H, W) spectra."""

    hi0: Tensor  # radial highpass
    lo0: Tensor  # radial lowpass
    bands: tuple[Tensor, ...]  # per scale (K, h, w, 1): angular * radial highpass
    pairs: tuple[Tensor, ...]  # per scale (ceil(K/2), h, w) complex: see _masks
    lows: tuple[Tensor, ...]  # per scale (h', w'): radial lowpass after cropping


@lru_cache(maxsize=32)
def _masks(
    height: int, width: int, scales: int, orientations: int,
    dtype: torch.dtype, device: torch.device,
) -> _Masks:
    """Masks for one image size, built once in float64, then cast and moved."""
    log_rad, angle = _grid(height, width)
    hi0, lo0 = _unshift(_hi(log_rad)), _unshift(_lo(log_rad))
    bands, lows = [], []
    h, w = height, width
    for s in range(scales):
        # pyrtools shifts its radial lookup table one octave down per level
        bands.append(_unshift(_angular(angle, orientations) * _hi(log_rad + s + 1)))
        lh, lw = _crop_size(h), _crop_size(w)
        top, left = h // 2 - lh // 2, w // 2 - lw // 2
        log_rad = log_rad[top : top + lh, left : left + lw]
        angle = angle[top : top + lh, left : left + lw]
        lows.append(_unshift(_lo(log_rad + s + 1)))
        h, w = lh, lw
    # Two real bands share one complex inverse FFT, ifft(F1 + i F2) = f1 + i f2, and
    # the bands' factor (-i)^n, n = K - 1, is folded in: ifft is linear.
    phase = (-1j) ** (orientations - 1)
    odd = (0, 0, 0, 0, 0, orientations % 2)
    pairs = [phase * torch.complex(m[0::2], F.pad(m[1::2], odd)) for m in bands]
    complex_dtype = torch.complex64 if dtype == torch.float32 else torch.complex128

    def cast(t: Tensor, to: torch.dtype = dtype) -> Tensor:
        return t.to(device=device, dtype=to).contiguous()

    return _Masks(
        hi0=cast(hi0),
        lo0=cast(lo0),
        bands=tuple(cast(b[..., None]) for b in bands),
        pairs=tuple(cast(p, complex_dtype) for p in pairs),
        lows=tuple(map(cast, lows)),
    )


def _keep_low(spec: Tensor, size: int, dim: int) -> Tensor:
    """Keep the ``size`` lowest frequencies of an unshifted spectrum along ``dim``.

    Frequencies ``-(size // 2) .. size - size // 2 - 1``, as pyrtools' centred crop.
    """
    neg = size // 2
    pos = spec.narrow(dim, 0, size - neg)
    if not neg:
        return pos
    return torch.cat([pos, spec.narrow(dim, spec.shape[dim] - neg, neg)], dim=dim)


def _pad(spec: Tensor, height: int, half_width: int) -> Tensor:
    """Adjoint of the crop on half spectra: zero-pad (h, w') to (height, half_width)."""
    out = spec.new_zeros(*spec.shape[:-2], height, half_width)
    h, w = spec.shape[-2:]
    neg = h // 2
    out[..., : h - neg, :w] = spec[..., : h - neg, :]
    if neg:
        out[..., height - neg :, :w] = spec[..., h - neg :, :]
    return out


def _check_options(scales: int, orientations: int) -> None:
    if not isinstance(scales, int) or scales < 1:
        raise ValueError(f"scales must be an int >= 1, got {scales!r}")
    if not isinstance(orientations, int) or not 2 <= orientations <= 8:
        raise ValueError(f"orientations must be an int in 2..8, got {orientations!r}")


class SteerablePyramid:
    """Real steerable pyramid computed in the Fourier domain.

    Parameters
    ----------
    scales : int, default 4
        Number of bandpass levels, >= 1, at most ``max_scales(H, W)`` for an image.
    orientations : int, default 4
        Number of oriented bands per level ``K``, 2..8; the angular filters are
        derivatives of order ``K - 1``.

    Notes
    -----
    Construction does no work; masks are built on the first image of a given size,
    dtype and device and then reused. Inputs are (B, C, H, W) float32 or float64 on
    any device. Reconstruction is exact (to rounding) for every size, sides divisible
    by ``2^scales`` or not (pyrtools' is approximate for odd sides); coefficients
    equal pyrtools' when H and W are even. Boundaries are circular.

    References
    ----------
    Simoncelli & Freeman (1995), Portilla & Simoncelli (2000); see the module
    docstring.
    """

    def __init__(self, scales: int = 4, orientations: int = 4) -> None:
        _check_options(scales, orientations)
        self.scales = scales
        self.orientations = orientations

    def __repr__(self) -> str:
        return f"SteerablePyramid(scales={self.scales}, orientations={self.orientations})"

    def _check(self, x: Tensor, what: str) -> _Masks:
        if x.ndim != 4 or x.dtype not in (torch.float32, torch.float64):
            raise ValueError(
                f"expected {what} as a (B, C, H, W) float32 or float64 tensor, "
                f"got shape {tuple(x.shape)} and dtype {x.dtype}"
            )
        height, width = x.shape[-2:]
        if self.scales > max_scales(height, width):
            raise ValueError(
                f"scales={self.scales} is too many for a {height}x{width} image: at most "
                f"{max_scales(height, width)} (floor(log2(min(H, W))) - 2)"
            )
        return _masks(height, width, self.scales, self.orientations, x.dtype, x.device)

    def decompose(self, x: Tensor) -> PyramidCoeffs:
        """Analyse images into pyramid coefficients.

        Parameters
        ----------
        x : Tensor
            Images, shape (B, C, H, W), float32 or float64, any range.

        Returns
        -------
        PyramidCoeffs
            Real coefficients of ``x``'s dtype and device; band ``(s, b)`` is the
            response to the filter oriented at ``pi * b / K`` (b = 0: horizontal
            frequencies, i.e. vertical structures).
        """
        masks = self._check(x, "images")
        sizes = [tuple(x.shape[-2:])]
        for _ in range(self.scales):
            sizes.append((_crop_size(sizes[-1][0]), _crop_size(sizes[-1][1])))
        lead, k = tuple(x.shape[:2]), self.orientations
        shapes = [lead + sizes[0], *(lead + (k,) + size for size in sizes[:-1]), lead + sizes[-1]]
        coeffs = _from_flat(x.new_empty(sum(math.prod(s) for s in shapes)), shapes)
        spec = torch.fft.fft2(x)
        coeffs.highpass.copy_(torch.fft.ifft2(spec * masks.hi0).real)
        low = spec.mul_(masks.lo0)
        for band, pair_mask, low_mask in zip(coeffs.bands, masks.pairs, masks.lows):
            pairs = torch.fft.ifft2(low.unsqueeze(2) * pair_mask)  # (B, C, ceil(K/2), h, w)
            band[:, :, 0::2] = pairs.real
            band[:, :, 1::2] = pairs.imag[:, :, : k // 2]
            h, w = band.shape[-2:]
            low = _keep_low(_keep_low(low, _crop_size(h), -2), _crop_size(w), -1) * low_mask
        coeffs.lowpass.copy_(torch.fft.ifft2(low).real)
        return coeffs

    def reconstruct(self, coeffs: PyramidCoeffs) -> Tensor:
        """Synthesise images from (possibly modified) pyramid coefficients.

        Parameters
        ----------
        coeffs : PyramidCoeffs
            As returned by :meth:`decompose` for this pyramid's scales and
            orientations (values may be changed, shapes not).

        Returns
        -------
        Tensor
            Images, shape (B, C, H, W) of the highpass.
        """
        if coeffs.scales != self.scales or coeffs.orientations != self.orientations:
            raise ValueError(
                f"expected coefficients with {self.scales} scales and "
                f"{self.orientations} orientations, got {coeffs.scales} and "
                f"{coeffs.orientations}"
            )
        masks = self._check(coeffs.highpass, "coefficients['residual_highpass']")

        def half(mask: Tensor, *, dim: int = -1) -> Tensor:  # rfft2's columns of a mask
            return mask.narrow(dim, 0, mask.shape[dim] // 2 + 1)

        low = torch.fft.rfft2(coeffs.lowpass)
        for s in reversed(range(self.scales)):
            spec = torch.fft.rfft2(coeffs.bands[s])  # (B, C, K, h, w//2+1)
            summed = (torch.view_as_real(spec) * half(masks.bands[s], dim=-2)).sum(dim=-4)
            low = _pad(low * half(masks.lows[s]), *spec.shape[-2:])
            # adjoint of the bands' (-i)^n, n = K - 1
            low = low + torch.view_as_complex(summed) * 1j ** (self.orientations - 1)
        spec = torch.fft.rfft2(coeffs.highpass) * half(masks.hi0) + low * half(masks.lo0)
        return torch.fft.irfft2(spec, s=coeffs.highpass.shape[-2:])


def filter_bank(scales: int, orientations: int, *, size: int = 64) -> Tensor:
    """Spatial impulse responses of the pyramid's band filters, for display.

    Each filter is rendered at full resolution: its spectrum is the product of the
    masks along the path to the band, ``(-i)^n a_b(theta) hi_s(r) lo0(r)
    prod_{j<s} lo_j(r)``, taken back to space and centred.

    Parameters
    ----------
    scales : int
        Number of levels, at most ``max_scales(size, size)``.
    orientations : int
        Number of orientations ``K``, 2..8.
    size : int, default 64
        Side of the square on which the filters are rendered.

    Returns
    -------
    Tensor
        Shape (scales, K, size, size), float32, the filter's centre at
        (size // 2, size // 2); coarser filters are wider and weaker (unnormalised).
    """
    _check_options(scales, orientations)
    if size < 8 or scales > max_scales(size, size):
        raise ValueError(
            f"expected size >= 8 with scales <= floor(log2(size)) - 2, got size={size} "
            f"and scales={scales}"
        )
    phase = (-1j) ** (orientations - 1)
    log_rad, angle = _grid(size, size)
    angular = _angular(angle, orientations)
    path = _lo(log_rad)
    filters = []
    for s in range(scales):
        filters.append(angular * _hi(log_rad + s + 1) * path * phase)
        path = path * _lo(log_rad + s + 1)
    spectra = torch.fft.ifftshift(torch.stack(filters), dim=(-2, -1))
    spatial = torch.fft.ifft2(spectra).real
    return torch.fft.fftshift(spatial, dim=(-2, -1)).to(torch.float32)
