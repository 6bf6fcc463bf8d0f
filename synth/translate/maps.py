"""The map palette of pix2pix's maps <-> aerial photos data, and a sample map to paint on.

pix2pix's ``map2sat`` was trained on Google Maps tiles of New York paired with
satellite photos (Isola et al. 2017, section 4; data scraped from Google Maps). A
hand-painted map translates well when it uses the colours of those tiles; the values
below approximate that style (they are our reading of the tiles, not published
numbers).
"""

from __future__ import annotations

import numpy as np

__all__ = ["MAP_PALETTE", "sample_map"]

#: Colour names (for the UI) -> hex colours close to the maps data set's tiles.
MAP_PALETTE: dict[str, str] = {
    "background": "#EAE6DF",
    "road": "#FFFFFF",
    "major road": "#FAD98C",
    "water": "#AAD0F7",
    "park": "#C8E5B1",
    "building": "#DCD6CE",
}


def _rgb(name: str) -> np.ndarray:
    value = MAP_PALETTE[name].lstrip("#")
    return np.array([int(value[i : i + 2], 16) for i in (0, 2, 4)], dtype=np.uint8)


def sample_map(size: int = 256) -> np.ndarray:
    """A small street map in :data:`MAP_PALETTE`: blocks, streets, a park, a river, an avenue.

    Returns
    -------
    numpy.ndarray
        (size, size, 3) uint8 RGB.
    """
    if size < 32:
        raise ValueError(f"size must be at least 32, got {size}")
    s = size / 256
    image = np.empty((size, size, 3), dtype=np.uint8)
    image[:] = _rgb("background")
    rows, cols = np.mgrid[0:size, 0:size]
    # city blocks: buildings inside a street grid
    step = max(4, round(32 * s))
    image[((rows % step) > 5 * s) & ((cols % step) > 5 * s)] = _rgb("building")
    image[((rows % step) <= 3 * s) | ((cols % step) <= 3 * s)] = _rgb("road")
    # a park over a few blocks
    image[(rows > 36 * s) & (rows < 100 * s) & (cols > 132 * s) & (cols < 228 * s)] = _rgb("park")
    # a river across the lower part, with a strip of open land along its banks
    centre = 204 * s + 14 * s * np.sin(cols / (38 * s))
    image[np.abs(rows - centre) < 28 * s] = _rgb("background")
    image[np.abs(rows - centre) < 20 * s] = _rgb("water")
    # an avenue crossing the grid and the river
    image[np.abs(cols - 0.55 * rows - 100 * s) < 5 * s] = _rgb("major road")
    return image
