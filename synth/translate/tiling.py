"""Overlapping tiles with blended seams, for images too large to translate in one pass.

A fully convolutional generator whose normalisation statistics are fixed (see
:mod:`synth.translate.layers`) computes each output pixel from a window of input
pixels around it (its receptive field). Cutting the image into tiles that overlap,
translating each, and blending the overlaps gives the same image as one pass, up to
the tiles' borders, where the network sees padding instead of the neighbouring
pixels. Each tile therefore ignores a margin of ``overlap / 4`` pixels at every edge
that lies inside the image and cross-fades linearly with its neighbour over the
middle ``overlap / 2`` pixels; the weights of two neighbours sum to one, so a
constant image stays constant and no seam can appear from the blending itself.

Peak memory is that of one tile's forward pass plus two image-sized accumulators
(3 + 1 float32 channels), whatever the size of the image.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import torch

from ..progress import Callback, Progress, report

__all__ = ["tile_starts", "tile_weights", "tiles", "blend_total", "run_tiled"]


def tile_starts(length: int, tile: int, overlap: int) -> list[int]:
    """Start offsets of tiles of size ``tile`` covering ``length`` with at least ``overlap`` in common.

    The stride is ``tile - overlap``; the last tile ends at ``length`` (it may overlap
    its neighbour by more). When ``length``, ``tile`` and ``overlap`` are multiples of
    a network's stride product, so are all starts.
    """
    if not 0 <= overlap < tile:
        raise ValueError(f"overlap must be in [0, tile); got overlap {overlap}, tile {tile}")
    if length <= tile:
        return [0]
    stride = tile - overlap
    count = math.ceil((length - tile) / stride) + 1
    return [min(i * stride, length - tile) for i in range(count)]


def _ramp(size: int, start: int, length: int, overlap: int) -> torch.Tensor:
    """1-D weights of a tile at ``start`` of ``size`` pixels inside an axis of ``length``."""
    weights = torch.ones(size)
    if overlap == 0:
        return weights
    margin, ramp = overlap / 4, overlap / 2
    centres = torch.arange(size, dtype=torch.float32) + 0.5
    if start > 0:  # an edge inside the image: fade in
        weights = torch.minimum(weights, ((centres - margin) / ramp).clamp(0, 1))
    if start + size < length:  # fade out
        weights = torch.minimum(weights, ((size - centres - margin) / ramp).clamp(0, 1))
    return weights


def tile_weights(box: tuple[int, int, int, int], shape: tuple[int, int], overlap: int) -> torch.Tensor:
    """(h, w) blending weights of the tile ``box`` = (top, left, h, w) in an image of ``shape`` = (H, W)."""
    top, left, height, width = box
    return _ramp(height, top, shape[0], overlap)[:, None] * _ramp(width, left, shape[1], overlap)[None, :]


def tiles(shape: tuple[int, int], tile: int, overlap: int) -> Iterator[tuple[int, int, int, int]]:
    """Tile boxes (top, left, height, width) covering ``shape`` = (H, W), row by row."""
    height, width = shape
    for top in tile_starts(height, tile, overlap):
        for left in tile_starts(width, tile, overlap):
            yield top, left, min(tile, height), min(tile, width)


def blend_total(shape: tuple[int, int], tile: int, overlap: int) -> torch.Tensor:
    """(H, W) sum of all tiles' blending weights (1 where exactly two neighbours cross-fade)."""
    total = torch.zeros(shape)
    for top, left, h, w in tiles(shape, tile, overlap):
        total[top : top + h, left : left + w] += tile_weights((top, left, h, w), shape, overlap)
    return total


def run_tiled(
    fn: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    *,
    tile: int,
    overlap: int,
    callback: Callback | None = None,
) -> torch.Tensor:
    """``fn`` applied to overlapping tiles of ``x`` (B, C, H, W), blended into one image.

    ``fn`` maps (B, C, h, w) to (B, C', h, w). The result is accumulated on the CPU
    in float32; ``callback`` receives a :class:`synth.progress.Progress` (``stage``
    "tiles") after each tile.
    """
    height, width = x.shape[-2:]
    boxes = list(tiles((height, width), tile, overlap))
    out: torch.Tensor | None = None
    for index, (top, left, h, w) in enumerate(boxes, 1):
        y = fn(x[..., top : top + h, left : left + w]).float().cpu()
        if out is None:
            out = torch.zeros(y.shape[0], y.shape[1], height, width)
        weight = tile_weights((top, left, h, w), (height, width), overlap)
        out[..., top : top + h, left : left + w].addcmul_(y, weight)
        report(callback, Progress(index, len(boxes), "tiles"))
    assert out is not None
    return out / blend_total((height, width), tile, overlap)
