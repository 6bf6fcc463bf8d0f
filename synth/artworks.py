"""Procedural "paintings" to use as style examples, drawn by our own code.

No painting ships with our dependencies, and reproductions of paintings are not ours
to ship, so the style-transfer examples are drawn here, deterministically from a
seed: swirling brush strokes in the manner of a night sky (line integral
convolution of noise along a field of vortices, Cabral & Leedom 1993), a stained-
glass window (a Voronoi diagram with lead lines) and a pointillist landscape.

References
----------
.. [1] B. Cabral and L. C. Leedom, "Imaging Vector Fields Using Line Integral
   Convolution", SIGGRAPH 1993.
"""

from __future__ import annotations

import numpy as np

__all__ = ["swirls", "stained_glass", "pointillism"]


def _palette(values: np.ndarray, colours: list[tuple[int, int, int]]) -> np.ndarray:
    """Map values in [0, 1] onto a piecewise-linear colour ramp -> (H, W, 3) uint8."""
    stops = np.linspace(0, 1, len(colours))
    table = np.array(colours, dtype=np.float64)
    out = np.stack([np.interp(values, stops, table[:, c]) for c in range(3)], axis=-1)
    return out.clip(0, 255).astype(np.uint8)


def _smooth_noise(rng: np.random.Generator, size: int, cells: int) -> np.ndarray:
    """Value noise: a coarse random grid, bilinearly upsampled to (size, size), in [0, 1]."""
    grid = rng.random((cells + 1, cells + 1))
    coords = np.linspace(0, cells, size, endpoint=False)
    i = coords.astype(int)
    f = coords - i
    rows = grid[i] * (1 - f)[:, None] + grid[i + 1] * f[:, None]
    return rows[:, i] * (1 - f)[None, :] + rows[:, i + 1] * f[None, :]


def swirls(size: int = 384, seed: int = 0) -> np.ndarray:
    """Swirling brush strokes in night-sky colours, (size, size, 3) uint8.

    Noise is averaged along the streamlines of a flow made of a few vortices plus
    a drift (line integral convolution), which draws long curved strokes; the
    strokes are coloured on a blue-to-yellow ramp, brighter near the vortex centres.
    """
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    vx, vy = np.full_like(x, 0.6), 0.15 * np.sin(x / size * 6.0)
    centres = rng.uniform(0.1, 0.9, (5, 2)) * size
    glow = np.zeros_like(x)
    for cx, cy in centres:
        dx, dy = x - cx, y - cy
        r2 = dx**2 + dy**2 + 1.0
        strength = rng.uniform(0.6, 1.2) * size / 6
        falloff = np.exp(-r2 / (2 * (size / 5) ** 2))
        vx += -dy / np.sqrt(r2) * falloff * strength / 20
        vy += dx / np.sqrt(r2) * falloff * strength / 20
        glow += np.exp(-r2 / (2 * (size / 18) ** 2))
    norm = np.hypot(vx, vy) + 1e-9
    vx, vy = vx / norm, vy / norm
    dots = (rng.random((size, size)) > 0.93).astype(np.float64)
    noise = sum(np.roll(dots, (dy, dx), axis=(0, 1)) for dy in (-1, 0, 1) for dx in (-1, 0, 1)).clip(0, 1)  # strokes 3 px wide
    total = np.zeros_like(x)
    for direction in (1.0, -1.0):
        px, py = x.copy(), y.copy()
        for _ in range(18):
            ix, iy = px.astype(int) % size, py.astype(int) % size
            total += noise[iy, ix]
            px += direction * vx[iy, ix]
            py += direction * vy[iy, ix]
    strokes = total / 36.0
    strokes = (strokes - strokes.min()) / (np.ptp(strokes) + 1e-9)
    tone = 0.55 * strokes + 0.25 * _smooth_noise(rng, size, 4) + 0.45 * glow.clip(0, 1)
    colours = [(10, 22, 60), (22, 58, 130), (48, 105, 180), (110, 160, 200), (230, 210, 110), (250, 240, 190)]
    return _palette(tone.clip(0, 1), colours)


def stained_glass(size: int = 384, seed: int = 1, cells: int = 90) -> np.ndarray:
    """A stained-glass window: Voronoi cells in saturated colours with dark lead lines, (size, size, 3) uint8."""
    rng = np.random.default_rng(seed)
    points = rng.uniform(0, size, (cells, 2))
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    d = (x[..., None] - points[:, 0]) ** 2 + (y[..., None] - points[:, 1]) ** 2
    order = np.argsort(d, axis=-1)[..., :2]
    nearest = np.take_along_axis(d, order, axis=-1)
    edge = np.sqrt(nearest[..., 1]) - np.sqrt(nearest[..., 0]) < 3.0
    colours = np.array([(180, 30, 40), (30, 70, 160), (240, 190, 40), (40, 130, 70), (120, 40, 130), (230, 120, 30), (60, 150, 190)], dtype=np.float64)
    cell_colour = colours[rng.integers(0, len(colours), cells)] * rng.uniform(0.75, 1.1, (cells, 1))
    image = cell_colour[order[..., 0]]
    image *= (0.85 + 0.3 * _smooth_noise(rng, size, 12))[..., None]  # uneven glass
    image[edge] = (25, 22, 20)
    return image.clip(0, 255).astype(np.uint8)


def pointillism(size: int = 384, seed: int = 2, dots: int = 5000) -> np.ndarray:
    """Dabs of colour on a pale ground that together paint sky, sun, trees and a field, (size, size, 3) uint8.

    Each dab takes the colour of a simple landscape at its place, jittered, so the
    scene reads from afar while every dab stays a separate spot of colour.
    """
    rng = np.random.default_rng(seed)
    image = np.full((size, size, 3), (238, 230, 210), dtype=np.float64)
    y, x = np.mgrid[0:size, 0:size]
    horizon = size * (0.55 + 0.05 * np.sin(np.arange(size) / size * 7.0))

    def scene(cx: float, cy: float) -> np.ndarray:
        if (cx - 0.7 * size) ** 2 + (cy - 0.22 * size) ** 2 < (0.09 * size) ** 2:
            return np.array((250, 200, 60.0))  # sun
        if cy < horizon[int(cx) % size]:
            t = cy / horizon[int(cx) % size]
            return np.array((90, 150, 225.0)) * (1 - t) + np.array((235, 170, 150.0)) * t  # sky
        if abs(cx - 0.25 * size) < 0.07 * size and cy < horizon[int(cx) % size] + 0.25 * size:
            return np.array((40, 90, 50.0))  # tree
        return np.array((120, 170, 60.0)) if (cy // (size / 9)) % 2 else np.array((215, 185, 70.0))  # field stripes

    for cx, cy, r in zip(rng.uniform(0, size, dots), rng.uniform(0, size, dots), rng.uniform(2.5, 5.0, dots)):
        colour = (scene(cx, cy) + rng.normal(0, 28, 3)).clip(0, 255)
        x0, x1, y0, y1 = int(max(cx - r, 0)), int(min(cx + r + 1, size)), int(max(cy - r, 0)), int(min(cy + r + 1, size))
        mask = ((x[y0:y1, x0:x1] - cx) * 1.3) ** 2 + (y[y0:y1, x0:x1] - cy) ** 2 <= r * r
        image[y0:y1, x0:x1][mask] = colour
    return image.astype(np.uint8)
