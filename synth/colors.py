"""Colour spaces and colour statistics for colour-preserving style transfer.

Gatys et al. (2017) keep the content's colours in two ways: transfer the style on the
luminance channel only and put the content's chroma back (YIQ), or first give the
style image the content's colour distribution (a linear map that matches the mean
and covariance of the RGB values) and transfer as usual.

References
----------
.. [1] L. A. Gatys, M. Bethge, A. Hertzmann and E. Shechtman, "Preserving Color in
   Neural Artistic Style Transfer", arXiv:1606.05897, 2016; and L. A. Gatys, A. S.
   Ecker, M. Bethge, A. Hertzmann and E. Shechtman, "Controlling Perceptual Factors
   in Neural Style Transfer", CVPR 2017, section 5.
.. [2] A. Hertzmann, C. E. Jacobs, N. Oliver, B. Curless and D. H. Salesin, "Image
   Analogies", SIGGRAPH 2001 (the colour match A = Sigma_C^1/2 Sigma_S^-1/2).
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor

__all__ = ["PreserveColors", "RGB_TO_YIQ", "rgb_to_yiq", "yiq_to_rgb", "luminance", "recombine", "match_luminance", "color_statistics", "match_colors"]

#: How a style transfer keeps the content's colours: not at all, by transferring the
#: luminance only, or by first matching the style's colour histogram to the content's.
PreserveColors = Literal["none", "luminance", "histogram"]

#: NTSC RGB -> YIQ (FCC 1953 primaries, as in Gatys et al. 2017); rows give Y, I, Q.
RGB_TO_YIQ = torch.tensor(
    [
        [0.299, 0.587, 0.114],
        [0.595716, -0.274453, -0.321263],
        [0.211456, -0.522591, 0.311135],
    ],
    dtype=torch.float64,
)


def _apply(matrix: Tensor, image: Tensor) -> Tensor:
    _check(image)
    return torch.einsum("ij,bjhw->bihw", matrix.to(image.device, image.dtype), image)


def _check(image: Tensor) -> None:
    if image.ndim != 4 or image.shape[1] != 3:
        raise ValueError(f"expected an RGB batch (B, 3, H, W), got shape {tuple(image.shape)}")


def rgb_to_yiq(image: Tensor) -> Tensor:
    """(B, 3, H, W) RGB in [0, 1] -> YIQ: Y in [0, 1], I in about [-0.6, 0.6], Q in about [-0.52, 0.52]."""
    return _apply(RGB_TO_YIQ, image)


def yiq_to_rgb(image: Tensor) -> Tensor:
    """Inverse of :func:`rgb_to_yiq` (not clamped: out-of-gamut YIQ gives RGB outside [0, 1])."""
    return _apply(torch.linalg.inv(RGB_TO_YIQ), image)


def luminance(image: Tensor) -> Tensor:
    """Y of YIQ as a grey RGB image (B, 3, H, W): the network sees luminance only."""
    return rgb_to_yiq(image)[:, :1].expand(-1, 3, -1, -1).contiguous()


def recombine(result: Tensor, content: Tensor) -> Tensor:
    """The result's luminance (Y) with the content's chroma (I, Q), back in RGB, clamped:
    the last step of luminance-only transfer (Gatys et al. 2017)."""
    yiq = torch.cat([rgb_to_yiq(result)[:, :1], rgb_to_yiq(content)[:, 1:]], dim=1)
    return yiq_to_rgb(yiq).clamp(0, 1)


def match_luminance(style: Tensor, content: Tensor) -> Tensor:
    """Grey style luminance with the content luminance's mean and standard deviation.

    L_S' = sigma_C / sigma_S (L_S - mu_S) + mu_C   (Gatys et al. 2017, sec. 5.1),
    which keeps the style's luminance contrast *shape* but the content's level and
    spread, so the transfer does not brighten or darken the content. Returned as a
    grey RGB image (B, 3, H, W), clamped to [0, 1].
    """
    ls, lc = rgb_to_yiq(style)[:, :1], rgb_to_yiq(content)[:, :1]
    mu_s, sd_s = ls.mean(dim=(2, 3), keepdim=True), ls.std(dim=(2, 3), keepdim=True)
    mu_c, sd_c = lc.mean(dim=(2, 3), keepdim=True), lc.std(dim=(2, 3), keepdim=True)
    matched = (ls - mu_s) * (sd_c / sd_s.clamp_min(1e-6)) + mu_c
    return matched.clamp(0, 1).expand(-1, 3, -1, -1).contiguous()


def color_statistics(image: Tensor) -> tuple[Tensor, Tensor]:
    """Mean (3,) and covariance (3, 3) of the RGB values of a (1, 3, H, W) image, in float64."""
    _check(image)
    pixels = image[0].reshape(3, -1).double()
    mean = pixels.mean(dim=1)
    centred = pixels - mean[:, None]
    return mean, centred @ centred.T / centred.shape[1]


def _sqrtm(cov: Tensor, power: float) -> Tensor:
    values, vectors = torch.linalg.eigh(cov)
    return vectors @ torch.diag(values.clamp_min(1e-8) ** power) @ vectors.T


def match_colors(source: Tensor, target: Tensor) -> Tensor:
    """Give ``source`` the RGB mean and covariance of ``target`` by a linear map.

    x' = A (x - mu_S) + mu_C with A = Sigma_C^1/2 Sigma_S^-1/2 (symmetric square
    roots; the "Image Analogies" colour transfer that Gatys et al. 2017, sec. 5.2,
    use to match the style image's colours to the content's before the transfer).

    Parameters
    ----------
    source
        (1, 3, H, W) RGB, the image to recolour (the style).
    target
        (1, 3, H', W') RGB, whose colour statistics are wanted (the content).

    Returns
    -------
    Tensor
        (1, 3, H, W), **not clamped**: the statistics match exactly, and values may
        leave [0, 1] slightly (the network does not mind; clamp to show it).
    """
    mu_s, cov_s = color_statistics(source)
    mu_c, cov_c = color_statistics(target)
    # A tiny ridge keeps a flat (grey or single-colour) image invertible.
    eye = torch.eye(3, dtype=torch.float64) * 1e-6
    a = _sqrtm(cov_c + eye, 0.5) @ _sqrtm(cov_s + eye, -0.5)
    pixels = source[0].reshape(3, -1).double()
    out = a @ (pixels - mu_s[:, None]) + mu_c[:, None]
    return out.reshape(source.shape).to(source.dtype)
