"""Measures that score translations on the procedural sets: sharpness, colour, correspondence.

The lecture's claims become numbers here (issues 13 and 14):

* an L1-trained pix2pix blurs, a conditional GAN does not:
  :func:`high_frequency_ratio` (Isola et al. 2017, Figs. 4 and 6);
* L1 colourises in greyish brown, a GAN in plausible colours:
  :func:`colourfulness_ratio` (Hasler & Suesstrunk 2003);
* with a GAN loss alone G(x) need not correspond to x, the cycle loss makes it:
  :func:`correspondence` compares the animal's silhouette (:func:`silhouette`), the
  attributes read from it (:func:`attributes_from_silhouette`) and whether G(x) is
  striped (:func:`stripe_score`) (Zhu et al. 2017, sec. 3 and Fig. 7).

Images are (B, 3, H, W) float tensors in [0, 1] (a (3, H, W) image is taken as a
batch of one); masks (B, 1, H, W) in {0, 1}.

References
----------
.. [1] P. Isola, J.-Y. Zhu, T. Zhou and A. A. Efros, "Image-to-Image Translation with
   Conditional Adversarial Networks", CVPR 2017.
.. [2] J.-Y. Zhu, T. Park, P. Isola and A. A. Efros, "Unpaired Image-to-Image
   Translation using Cycle-Consistent Adversarial Networks", ICCV 2017.
.. [3] D. Hasler and S. Suesstrunk, "Measuring colourfulness in natural images",
   Proc. SPIE 5007, Human Vision and Electronic Imaging VIII, 2003.
.. [4] L. Moisan, "Periodic plus smooth image decomposition", J. Math. Imaging
   Vision 39 (2011), 161-179.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy import ndimage
from torch import Tensor

from ..colors import RGB_TO_YIQ
from ..heeger_bergen import periodic_smooth_decomposition

__all__ = [
    "STRIPED", "attributes_from_silhouette", "colourfulness", "colourfulness_ratio", "correspondence",
    "high_frequency_energy", "high_frequency_ratio", "iou", "is_striped", "radial_power_spectrum",
    "silhouette", "stripe_score",
]  # fmt: skip

#: :func:`stripe_score` at or above which an animal counts as striped (domain B).
STRIPED = 0.25


def _batch(images: Tensor, channels: int = 3, what: str = "images") -> Tensor:
    if not isinstance(images, Tensor):
        raise ValueError(f"{what} must be a torch tensor, got {type(images).__name__}")
    if images.ndim == 3:
        images = images[None]
    if images.ndim != 4 or images.shape[1] != channels or images.shape[0] == 0:
        raise ValueError(f"{what} must have shape (B, {channels}, H, W) with B >= 1, got {tuple(images.shape)}")
    return images.detach().float().cpu()


def _luminance(images: Tensor) -> Tensor:
    """(B, 3, H, W) -> (B, H, W): Y of Rec. 601 (the Y row of :data:`synth.colors.RGB_TO_YIQ`)."""
    return torch.einsum("c,bchw->bhw", RGB_TO_YIQ[0].float(), images)


# ------------------------------------------------------------------ sharpness
def radial_power_spectrum(images: Tensor) -> Tensor:
    """Radially averaged power spectrum of the luminance, per image.

    The luminance minus its mean is made periodic first (Moisan's periodic component
    [4], so the image's borders add no cross of false high frequencies); bin ``k``
    averages ``|FFT|^2`` over the frequencies of radius ``k / N`` cycles per pixel
    (rounded), ``N = min(H, W)``, for ``k = 0 .. N / 2`` (Nyquist).

    Returns
    -------
    Tensor
        (B, N // 2 + 1) float64.
    """
    luma = _luminance(_batch(images)).double()
    luma = periodic_smooth_decomposition(luma - luma.mean(dim=(-2, -1), keepdim=True))[0]
    height, width = luma.shape[-2:]
    n = min(height, width)
    power = torch.fft.fft2(luma).abs().square() / (height * width)
    fy, fx = torch.fft.fftfreq(height, dtype=torch.float64), torch.fft.fftfreq(width, dtype=torch.float64)
    radius = torch.round(torch.sqrt(fy[:, None] ** 2 + fx[None, :] ** 2) * n).long().flatten()
    keep = radius <= n // 2
    bins = radius[keep]
    counts = torch.bincount(bins, minlength=n // 2 + 1).clamp_min(1)
    sums = torch.zeros(len(power), n // 2 + 1, dtype=torch.float64).index_add_(1, bins, power.flatten(1)[:, keep])
    return sums / counts


def high_frequency_energy(images: Tensor) -> float:
    """Sum over the batch of the radially averaged power in the top half of the frequencies.

    The bins of :func:`radial_power_spectrum` with radius above half the Nyquist
    frequency (``k > N / 4``, i.e. more than 0.25 cycles per pixel), summed.
    """
    spectrum = radial_power_spectrum(images)
    n = 2 * (spectrum.shape[1] - 1)
    return float(spectrum[:, n // 4 + 1 :].sum())


def high_frequency_ratio(output: Tensor, target: Tensor) -> float:
    """High-frequency energy of ``output`` over that of ``target`` (both batches, same size).

    ``high_frequency_energy(output) / high_frequency_energy(target)``: 1 when the
    outputs are as detailed as the targets, near 0 for a blurred prediction (the
    "unstructured" L1 output of [1]), above 1 for outputs noisier than the targets.
    The goal of issue 13: L1 <= 0.5, cGAN + L1 >= 0.8.
    """
    output, target = _batch(output, what="output"), _batch(target, what="target")
    if output.shape != target.shape:
        raise ValueError(f"output and target must have the same shape, got {tuple(output.shape)} and {tuple(target.shape)}")
    reference = high_frequency_energy(target)
    if reference <= 0:
        raise ValueError("the target has no high-frequency energy (a flat image): the ratio is undefined")
    return high_frequency_energy(output) / reference


# ------------------------------------------------------------------ colour
def colourfulness(images: Tensor) -> float:
    """Hasler & Suesstrunk's colourfulness [3], averaged over the batch.

    On 0-255 values: ``rg = R - G``, ``yb = (R + G) / 2 - B``,
    ``M = sqrt(sd(rg)^2 + sd(yb)^2) + 0.3 sqrt(mean(rg)^2 + mean(yb)^2)`` per image
    (population standard deviations). 0 for a grey image; about 33 is "moderately",
    59 "quite" and 82 "highly colourful" on their scale.
    """
    rgb = _batch(images).double() * 255
    rg = rgb[:, 0] - rgb[:, 1]
    yb = 0.5 * (rgb[:, 0] + rgb[:, 1]) - rgb[:, 2]
    spread = torch.sqrt(rg.var(dim=(1, 2), unbiased=False) + yb.var(dim=(1, 2), unbiased=False))
    mean = torch.sqrt(rg.mean(dim=(1, 2)) ** 2 + yb.mean(dim=(1, 2)) ** 2)
    return float((spread + 0.3 * mean).mean())


def colourfulness_ratio(output: Tensor, target: Tensor) -> float:
    """``colourfulness(output) / colourfulness(target)`` (issue 13's goal: L1 <= 0.6, cGAN + L1 >= 0.8)."""
    reference = colourfulness(target)
    if reference <= 0:
        raise ValueError("the target has no colour (colourfulness 0): the ratio is undefined")
    return colourfulness(output) / reference


# ------------------------------------------------------------------ silhouettes
def silhouette(images: Tensor) -> Tensor:
    """The animals of ``coats`` scenes: every pixel that is not grass.

    A pixel (r, g, b in [0, 1]) is grass when green dominates it both relatively and
    absolutely: ``g / (r + g + b) > 0.4`` and ``g - max(r, b) > 0.02``. Brown
    coats (r > g > b), black, white and grey (r = g = b: ratio 1/3) are not grass, nor
    are the grey-ish, desaturated colours of an undertrained generator. A pixel
    that mixes grass with black (the edge of a black stripe) keeps grass's
    chromaticity and only gets darker, so pixels next to the animal that are darker
    than 0.6 times the median luminance of the image's grass join it. Components below
    0.15 % of the image are dropped.

    Returns
    -------
    Tensor
        (B, 1, H, W) float32 in {0, 1}.
    """
    rgb = _batch(images)
    r, g, b = rgb[:, 0], rgb[:, 1], rgb[:, 2]
    grass = ((g > 0.4 * (r + g + b)) & (g - torch.maximum(r, b) > 0.02)).numpy()
    luma = _luminance(rgb).numpy()
    masks = []
    min_area = 0.0015 * grass.shape[1] * grass.shape[2]
    for meadow, y in zip(grass, luma):
        animal = ~meadow
        if meadow.any():
            animal |= (y < 0.6 * np.median(y[meadow])) & ndimage.binary_dilation(animal)
        labels, count = ndimage.label(animal)
        areas = np.bincount(labels.ravel(), minlength=count + 1)
        areas[0] = 0
        masks.append(areas[labels] >= min_area)
    return torch.from_numpy(np.stack(masks).astype(np.float32))[:, None]


def iou(mask_a: Tensor, mask_b: Tensor) -> float:
    """Intersection over union of two batches of masks (> 0.5 is inside), averaged over the batch.

    An image where both masks are empty counts as 1.
    """
    a, b = _batch(mask_a, 1, "mask_a") > 0.5, _batch(mask_b, 1, "mask_b") > 0.5
    if a.shape != b.shape:
        raise ValueError(f"masks must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    inter, union = (a & b).sum(dim=(1, 2, 3)).double(), (a | b).sum(dim=(1, 2, 3)).double()
    return float(torch.where(union > 0, inter / union.clamp_min(1), torch.ones_like(union)).mean())


def attributes_from_silhouette(mask: Tensor) -> dict[str, int | str]:
    """``animals``, ``head_side`` and ``pose`` read from one silhouette (1, H, W) or (H, W).

    * ``animals``: connected components of at least 0.15 % of the image and at least
      20 % of the largest one's area (0 on an empty mask);
    * the largest component is measured: its torso is its morphological opening by
      a disc of 0.7 times its largest inscribed radius (a disc that fits in the body
      but not in neck, legs, head or tail); ``head_side`` is the side on which more
      of the animal reaches beyond the torso's horizontal extent (neck and head
      outweigh the tail and the hooves of spread legs);
    * ``pose``: ``"up"`` when the part beyond the torso on the head side has its
      centroid above the torso's centroid, ``"grazing"`` when below.

    On 600 generated 64-px ``coats`` images (silhouettes from :func:`silhouette`)
    these agree with the ground truth 100 % (animals) and 99-100 % (head side, pose);
    the rare misses are a steep neck held up beside widely spread hind legs.

    On an empty mask: ``{"animals": 0, "head_side": "none", "pose": "none"}``.
    """
    m = mask.detach().cpu().numpy() if isinstance(mask, Tensor) else np.asarray(mask)
    if m.ndim == 3 and m.shape[0] == 1:
        m = m[0]
    if m.ndim != 2:
        raise ValueError(f"a silhouette must have shape (1, H, W) or (H, W), got {tuple(m.shape)}")
    m = m > 0.5
    labels, count = ndimage.label(m)
    areas = np.bincount(labels.ravel(), minlength=count + 1)[1:]
    keep = (areas >= 0.0015 * m.size) & (areas >= 0.2 * areas.max()) if count else np.zeros(0, dtype=bool)
    if not keep.any():
        return {"animals": 0, "head_side": "none", "pose": "none"}
    animal = labels == 1 + int(np.argmax(areas))
    depth = ndimage.distance_transform_edt(animal)
    radius = 0.7 * depth.max()
    torso = (ndimage.distance_transform_edt(depth < radius) <= radius) & animal
    parts, _ = ndimage.label(torso)
    torso = parts == 1 + int(np.argmax(np.bincount(parts.ravel())[1:]))
    rows, cols = np.nonzero(torso)
    left, right = cols.min(), cols.max()
    beyond_left, beyond_right = animal.copy(), animal.copy()
    beyond_left[:, left:] = False
    beyond_right[:, : right + 1] = False
    side = "right" if beyond_right.sum() > beyond_left.sum() else "left"
    head = np.nonzero(beyond_right if side == "right" else beyond_left)[0]
    pose = "up" if head.size and head.mean() < rows.mean() else "grazing"
    return {"animals": int(keep.sum()), "head_side": side, "pose": pose}


# ------------------------------------------------------------------ stripes
def stripe_score(image: Tensor, mask: Tensor) -> float:
    """How striped (black and white) the animal of ``image`` (3, H, W) inside ``mask`` is, in [0, 1].

    Inside the mask (eroded by one pixel where that leaves at least 20 pixels, so
    edges blended with grass do not count): the share of pixels that are near-black
    or near-white (``max - min`` of r, g, b below 0.15, and luminance below 0.3 or
    above 0.65), times the strength of the alternation, ``min(1, sd(luminance) /
    0.3)``. On generated samples a zebra scores 0.27-0.9 at 64 px (0.75-0.9 at
    128 px), a brown horse (saturated) at most 0.13, a white or black animal without
    stripes near 0 (no alternation). 0 on an empty mask.
    """
    rgb = _batch(image)[0]
    inside = _batch(mask, 1, "mask")[0, 0].numpy() > 0.5
    eroded = ndimage.binary_erosion(inside)
    inside = eroded if eroded.sum() >= 20 else inside
    if not inside.any():
        return 0.0
    pixels = rgb.numpy()[:, inside]
    luma = RGB_TO_YIQ[0].numpy() @ pixels
    grey = (pixels.max(axis=0) - pixels.min(axis=0)) < 0.15
    black_or_white = grey & ((luma < 0.3) | (luma > 0.65))
    return float(black_or_white.mean() * min(1.0, luma.std() / 0.3))


def is_striped(image: Tensor, mask: Tensor, *, threshold: float = STRIPED) -> bool:
    """Whether :func:`stripe_score` classifies the animal as striped (domain B of ``coats``)."""
    return stripe_score(image, mask) >= threshold


def correspondence(x_images: Tensor, gx_images: Tensor) -> dict[str, float]:
    """How well translations ``gx_images`` = G(x) correspond to their inputs ``x_images``.

    Returns
    -------
    dict
        ``iou``: mean silhouette IoU between x and G(x); ``animals``, ``head_side``,
        ``pose``: the share of images where that attribute, read from both
        silhouettes by :func:`attributes_from_silhouette`, agrees; ``attributes``:
        the share where all three agree; ``domain_b_share``: the share of G(x)
        classified striped by :func:`is_striped` on G(x)'s own silhouette; ``n``: the
        number of images. Issue 14's goal with the cycle loss: IoU >= 0.8, attribute
        agreement >= 0.9, domain-B share >= 0.8.
    """
    x, gx = _batch(x_images, what="x_images"), _batch(gx_images, what="gx_images")
    if x.shape != gx.shape:
        raise ValueError(f"x_images and gx_images must have the same shape, got {tuple(x.shape)} and {tuple(gx.shape)}")
    mx, mg = silhouette(x), silhouette(gx)
    names = ("animals", "head_side", "pose")
    agree = {name: 0 for name in (*names, "attributes")}
    striped = 0
    for k in range(len(x)):
        ax, ag = attributes_from_silhouette(mx[k]), attributes_from_silhouette(mg[k])
        for name in names:
            agree[name] += ax[name] == ag[name]
        agree["attributes"] += all(ax[name] == ag[name] for name in names)
        striped += is_striped(gx[k], mg[k])
    n = len(x)
    return {"iou": iou(mx, mg), **{name: count / n for name, count in agree.items()}, "domain_b_share": striped / n, "n": float(n)}
