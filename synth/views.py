"""Pictures for teaching: image grids with captions, tiled previews, pyramid subband
mosaics, histograms. Pure functions of tensors; the tabs display what they return.

Images are float tensors in [0, 1] of shape (1, C, H, W) (or (C, H, W)), as
everywhere in :mod:`synth`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")  # headless: figures are rendered to files or to the browser
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from PIL import Image, ImageDraw, ImageFont

from .images import to_pil
from .pyramid import PyramidCoeffs, filter_bank

__all__ = [
    "as_rgb",
    "band_label",
    "caption",
    "enlarge",
    "filter_bank_image",
    "grid",
    "histogram_figure",
    "hstack",
    "pyramid_mosaic",
    "signed_to_unit",
    "tile",
]


def as_rgb(image: torch.Tensor) -> torch.Tensor:
    """(C, H, W) or (1, C, H, W) with C in {1, 3} -> (1, 3, H, W)."""
    if image.ndim == 3:
        image = image[None]
    return image.expand(-1, 3, -1, -1) if image.shape[1] == 1 else image


def grid(images: Sequence[torch.Tensor | None], *, columns: int | None = None, cell: int | None = None, pad: int = 4, background: float = 1.0) -> torch.Tensor:
    """Lay images out in rows of ``columns`` (default: one row), each fitted into a square cell.

    Cells are ``cell`` pixels (default: the largest side among the images); smaller
    images are centred, larger ones downscaled keeping their aspect ratio; ``None``
    leaves a cell empty.
    """
    if not any(im is not None for im in images):
        raise ValueError("grid needs at least one image")
    images = [None if im is None else as_rgb(im.float()) for im in images]
    cell = cell or max(max(im.shape[-2:]) for im in images if im is not None)
    columns = columns or len(images)
    rows = -(-len(images) // columns)
    canvas = torch.full((1, 3, rows * (cell + pad) + pad, columns * (cell + pad) + pad), background)
    for index, image in enumerate(images):
        if image is None:
            continue
        height, width = image.shape[-2:]
        if max(height, width) > cell:
            scale = cell / max(height, width)
            height, width = max(1, round(height * scale)), max(1, round(width * scale))
            image = F.interpolate(image, size=(height, width), mode="bilinear", antialias=True, align_corners=False)
        top = pad + (index // columns) * (cell + pad) + (cell - height) // 2
        left = pad + (index % columns) * (cell + pad) + (cell - width) // 2
        canvas[..., top : top + height, left : left + width] = image.clamp(0, 1)
    return canvas


def hstack(images: Sequence[torch.Tensor], *, pad: int = 8, background: float = 1.0) -> torch.Tensor:
    """Images side by side, top-aligned, ``pad`` pixels apart (no rescaling)."""
    images = [as_rgb(im.float()) for im in images]
    height = max(im.shape[-2] for im in images)
    width = sum(im.shape[-1] for im in images) + pad * (len(images) - 1)
    canvas = torch.full((1, 3, height, width), background)
    left = 0
    for image in images:
        canvas[..., : image.shape[-2], left : left + image.shape[-1]] = image.clamp(0, 1)
        left += image.shape[-1] + pad
    return canvas


def vstack(images: Sequence[torch.Tensor], *, pad: int = 10, background: float = 1.0) -> torch.Tensor:
    """Images one above the other, left-aligned, ``pad`` pixels apart (no rescaling): :func:`hstack` of the transposes."""
    return hstack([image.transpose(-1, -2) for image in images], pad=pad, background=background).transpose(-1, -2).contiguous()


def tile(image: torch.Tensor, repeats: int = 2) -> torch.Tensor:
    """``repeats x repeats`` copies side by side: seams show whether a texture is periodic."""
    return as_rgb(image).repeat(1, 1, repeats, repeats)


def signed_to_unit(band: torch.Tensor, *, scale: float | None = None) -> torch.Tensor:
    """Map signed coefficients to [0, 1] with 0 -> 0.5 grey (``scale`` = value shown as white)."""
    scale = scale or float(band.abs().amax().clamp_min(1e-12))
    return (band / (2 * scale) + 0.5).clamp(0, 1)


def band_label(key: str | tuple[int, int], orientations: int) -> str:
    """Human name of a pyramid key: "scale 2, 45°" (orientation angle in the frequency plane)."""
    if key == "residual_highpass":
        return "residual highpass"
    if key == "residual_lowpass":
        return "residual lowpass"
    scale, band = key
    return f"scale {scale}, {180 * band / orientations:g}°"


def enlarge(image: torch.Tensor, cell: int) -> torch.Tensor:
    """(H, W) or (C, H, W) -> (C, h, w) with max(h, w) = ``cell``, nearest neighbour (pixels stay visible)."""
    image = image[None] if image.ndim == 2 else image
    height, width = image.shape[-2:]
    scale = cell / max(height, width)
    size = (max(1, round(height * scale)), max(1, round(width * scale)))
    return F.interpolate(image[None].float(), size=size, mode="nearest")[0]


def pyramid_mosaic(coeffs: PyramidCoeffs, *, channel: int = 0, cell: int = 96) -> torch.Tensor:
    """All subbands of one channel as a picture: one row per scale, one column per orientation.

    The first row holds the residual highpass, the last the residual lowpass. Each
    bandpass is scaled to its own maximum (grey = 0), the lowpass to its range, and
    every band is enlarged (nearest neighbour) to a ``cell`` square so that coarse
    scales stay visible.
    """
    blanks: list[torch.Tensor | None] = [None] * (coeffs.orientations - 1)
    cells: list[torch.Tensor | None] = [enlarge(signed_to_unit(coeffs.highpass[0, channel].float()), cell), *blanks]
    for scale in range(coeffs.scales):
        cells += [enlarge(signed_to_unit(coeffs[(scale, band)][0, channel].float()), cell) for band in range(coeffs.orientations)]
    lowpass = coeffs.lowpass[0, channel].float()
    cells += [enlarge((lowpass - lowpass.min()) / (lowpass.max() - lowpass.min()).clamp_min(1e-12), cell), *blanks]
    return grid(cells, columns=coeffs.orientations, cell=cell, pad=3)


def filter_bank_image(scales: int, orientations: int, *, cell: int = 72) -> torch.Tensor:
    """The steerable filters in space: one row per scale (fine to coarse), one column per orientation.

    Each filter is cropped to a window that grows with its scale and shown with its
    own contrast (grey = 0), so that coarse filters are as visible as fine ones.
    """
    size = max(64, 2 ** (scales + 3))
    bank = filter_bank(scales, orientations, size=size)
    centre = size // 2
    cells: list[torch.Tensor | None] = []
    for scale in range(scales):
        half = min(centre, 8 * 2**scale)
        window = bank[scale, :, centre - half : centre + half, centre - half : centre + half]
        cells += [enlarge(signed_to_unit(window[band]), cell) for band in range(orientations)]
    return grid(cells, columns=orientations, cell=cell, pad=3)


def caption(image: torch.Tensor, text: str, *, size: int = 15) -> torch.Tensor:
    """Image with a one-line caption strip above it (``size``: font size in pixels)."""
    picture = to_pil(as_rgb(image))
    font = ImageFont.load_default(size=size)
    height = size + 8
    width = max(picture.width, int(font.getlength(text)) + 8)
    canvas = Image.new("RGB", (width, picture.height + height), "white")
    canvas.paste(picture, ((width - picture.width) // 2, height))
    ImageDraw.Draw(canvas).text((4, 3), text, fill=(20, 20, 20), font=font)
    array = np.asarray(canvas, dtype=np.float32) / 255.0
    return torch.from_numpy(array).permute(2, 0, 1)[None]


def histogram_figure(series: Mapping[str, torch.Tensor], *, title: str = "", bins: int = 128) -> Figure:
    """Overlaid normalised histograms (shared bins) of several tensors, e.g. input / noise / output."""
    values = {label: tensor.detach().flatten().float().cpu().numpy() for label, tensor in series.items()}
    everything = np.concatenate(list(values.values()))
    low, high = np.percentile(everything, [0.1, 99.9])
    edges = np.linspace(low, high if high > low else low + 1, bins + 1)
    figure, axes = plt.subplots(figsize=(5.5, 3.2), dpi=100)
    for label, data in values.items():
        axes.hist(data, bins=edges, density=True, histtype="step", linewidth=1.6, label=label)
    axes.set_title(title)
    axes.set_xlabel("coefficient value")
    axes.set_ylabel("density")
    axes.legend(frameon=False)
    figure.tight_layout()
    plt.close(figure)
    return figure
