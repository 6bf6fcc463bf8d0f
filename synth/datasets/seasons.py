"""``seasons``: summer <-> winter landscapes (unpaired), CycleGAN's Yosemite pair drawn procedurally.

A landscape: a sky, one or two ranges of mountains, a meadow in front (sometimes
with a lake), and trees standing on it in perspective (conifers: stacked tiers;
broadleaf trees: a trunk and a wobbly crown), nearer trees lower and larger.

* Domain A, summer: blue sky with clouds, green meadow (Heeger-Bergen "grass"),
  blue-green mountains, trees in leaf, a lake with glints.
* Domain B, winter: an overcast or pale sky, snow (white with blue shading and a
  fine Heeger-Bergen grain), snow-capped mountains, bare broadleaf trees (a haze of
  twigs: a thresholded texture), conifers with snow on their tiers, a frozen lake.

Both domains draw their scenes from independent streams: never a pair. The mask is
the trees' extents, crown and trunk, in leaf or bare (what a translation must keep
in place); the attributes count them.

References
----------
.. [1] J.-Y. Zhu, T. Park, P. Isola and A. A. Efros, "Unpaired Image-to-Image
   Translation using Cycle-Consistent Adversarial Networks", ICCV 2017 (summer <->
   winter Yosemite, sec. 5.2).
.. [2] D. J. Heeger and J. R. Bergen, "Pyramid-based texture analysis/synthesis",
   SIGGRAPH 1995.
"""

from __future__ import annotations

import numpy as np

from .base import Domain, UnpairedSet, capsule, coverage, grid, stream
from .textures import lowpass_noise, window

__all__ = ["SeasonsSet", "draw_landscape"]


def _profile(size: int, rng: np.random.Generator, scale: float) -> np.ndarray:
    """A smooth random curve over x: (size,) zero mean, unit deviation."""
    return lowpass_noise(size, rng, scale=scale, shape=(1, size))[0]


def draw_landscape(rng: np.random.Generator) -> dict:
    """The scene, independent of season: horizon, mountains, lake and trees (world units)."""
    horizon = rng.uniform(0.35, 0.55)
    trees = []
    for _ in range(rng.integers(2, 10)):
        base = rng.uniform(horizon + 0.06, 0.98)
        height = (base - horizon) * rng.uniform(0.9, 1.6)
        trees.append((rng.uniform(0.0, 1.0), base, height, bool(rng.random() < 0.5)))
    trees.sort(key=lambda t: t[1])  # far (higher) trees first
    lake = None
    if rng.random() < 0.4:
        lake = (rng.uniform(0.2, 0.8), horizon + rng.uniform(0.05, 0.15), rng.uniform(0.15, 0.35), rng.uniform(0.03, 0.07))
    return {
        "horizon": horizon,
        "ranges": [(rng.uniform(0.08, 0.3), rng.uniform(0.15, 0.4), rng.integers(2**31)) for _ in range(rng.integers(1, 3))],
        "lake": lake,
        "trees": trees,
    }


def _tree(x: np.ndarray, y: np.ndarray, tree: tuple, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coverage of a tree's crown and trunk, and the position within the crown's tiers (conifers)."""
    cx, base, height, conifer = tree
    trunk_top = base - height * (0.15 if conifer else 0.4)
    trunk = np.maximum(np.abs(x - cx) - height * 0.035, np.maximum(trunk_top - y, y - base))
    top = base - height
    if conifer:
        depth = np.clip((y - top) / (trunk_top - top), 0, 1)  # 0 at the tip, 1 at the lowest tier
        tier = (depth * 4) % 1
        half = height * 0.22 * (0.3 + 0.7 * depth) * (0.6 + 0.4 * tier)
        crown = np.maximum(np.abs(x - cx) - half, np.maximum(top - y, y - trunk_top - 0.02 * height))
    else:
        radius = height * 0.32
        crown = np.hypot(x - cx, (y - (top + radius)) * 1.15) - radius
        tier = np.zeros_like(x)
    return coverage(crown, size), coverage(trunk, size), tier


def _branches(x: np.ndarray, y: np.ndarray, tree: tuple, size: int, rng: np.random.Generator) -> np.ndarray:
    """Coverage of the bare branches of a broadleaf tree: boughs fanning up from the trunk, each forking in two."""
    cx, base, height, _ = tree
    start, reach, width = (cx, base - height * 0.4), height * 0.32, height * 0.02
    distance = np.full(x.shape, np.inf)
    for angle in rng.uniform(-2.6, -0.55, rng.integers(4, 7)):  # upwards (y is down), fanning out
        end = (start[0] + np.cos(angle) * reach * rng.uniform(0.7, 1.1), start[1] + np.sin(angle) * reach * rng.uniform(0.8, 1.3))
        segments = [(*start, *end, width, width * 0.7)]
        for fork in angle + rng.uniform(-0.7, 0.7, 2):
            segments.append((*end, end[0] + np.cos(fork) * reach * 0.45, end[1] + np.sin(fork) * reach * 0.45, width * 0.6, width * 0.4))
        for segment in segments:
            distance = np.minimum(distance, capsule(x, y, segment)[0])
    return coverage(distance, size)


def paint_landscape(scene: dict, domain: Domain, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The landscape in summer (A) or winter (B): image (H, W, 3) and tree coverage (H, W)."""
    y, x = grid(size)
    summer = domain == "A"
    horizon = scene["horizon"]
    # sky: a vertical gradient and clouds
    top, low = ([0.3, 0.5, 0.85], [0.72, 0.8, 0.92]) if summer else ([0.62, 0.65, 0.7], [0.83, 0.84, 0.86])
    t = np.clip(y / horizon, 0, 1)[..., None]
    image = (np.array(top) * (1 - t) + np.array(low) * t) * rng.uniform(0.9, 1.05)
    clouds = np.clip(lowpass_noise(size, rng, scale=0.15) - rng.uniform(0.3, 1.2), 0, 1)[..., None] * (0.8 if summer else 0.25)
    image = image * (1 - clouds) + np.array([0.97, 0.97, 0.98]) * clouds
    # mountain ranges, far (lighter, bluer) to near
    ranges = scene["ranges"]
    for k, (height, scale, key) in enumerate(ranges):
        ridge = horizon - height * (0.55 + 0.45 * np.abs(_profile(size, np.random.default_rng(key), scale)))
        inside = y >= ridge[None, :]
        near = (k + 1) / len(ranges)
        texture = window("grain", size, rng, magnify=0.7)
        if summer:
            colour = np.array([0.5, 0.58, 0.68]) * (1 - near) + np.array([0.3, 0.42, 0.32]) * near
            shade = 1 + 0.08 * texture
        else:
            snowline = ridge[None, :] + height * rng.uniform(0.3, 0.8)
            rock = (texture > 0.8) | (y > snowline)
            colour = np.where(rock[..., None], np.array([0.42, 0.43, 0.48]), np.array([0.9, 0.92, 0.96]))
            shade = 1 + 0.04 * texture
        image = np.where(inside[..., None], colour * shade[..., None], image)
    # the meadow (or snowfield) in front, with a slightly uneven edge
    edge = horizon + 0.015 * _profile(size, rng, 0.2)[None, :]
    ground = y >= edge
    if summer:
        green = np.array([0.3, 0.5, 0.18]) * rng.uniform(0.8, 1.15)
        shade = 1 + 0.2 * window("grass", size, rng, magnify=rng.uniform(1.0, 2.0)) + 0.1 * lowpass_noise(size, rng, scale=0.3)
        meadow = green * shade[..., None]
    else:
        blue = 0.06 * np.clip(lowpass_noise(size, rng, scale=0.2), -2, 2)  # drifts: blue in the hollows
        meadow = np.array([0.92, 0.93, 0.96]) * (1 + 0.03 * window("grain", size, rng, magnify=1.7))[..., None] - np.array([0.08, 0.04, 0.0]) * blue[..., None]
    image = np.where(ground[..., None], meadow, image)
    if scene["lake"] is not None:
        cx, cy, rx, ry = scene["lake"]
        water = coverage((np.hypot((x - cx) / rx, (y - cy) / ry) - 1) * ry, size)[..., None]
        if summer:
            glints = rng.uniform(0.05, 0.2) * np.maximum(window("ripples", size, rng, magnify=1.25), 0)
            lake = np.array([0.2, 0.38, 0.6]) * (1 + glints)[..., None]
        else:
            lake = np.array([0.74, 0.82, 0.88]) * (1 + 0.05 * window("grain", size, rng))[..., None]
        image = image * (1 - water) + lake * water
    # trees, far to near, each painted inside its bounding box only
    mask = np.zeros((size, size))
    leaves = window("foliage", size, rng, magnify=1.7)
    for tree in scene["trees"]:
        cx, base, height, conifer = tree
        rows = slice(max(0, int((base - 1.05 * height) * size)), min(size, int(base * size) + 2))
        cols = slice(max(0, int((cx - 0.6 * height) * size)), min(size, int((cx + 0.6 * height) * size) + 2))
        bx, by, texture = x[rows, cols], y[rows, cols], leaves[rows, cols]
        crown, trunk, tier = _tree(bx, by, tree, size)
        box = image[rows, cols] * (1 - trunk[..., None]) + np.array([0.3, 0.2, 0.12]) * trunk[..., None]
        if conifer:
            colour = np.array([0.08, 0.22, 0.1]) * (1 + 0.2 * texture)[..., None]
            if not summer:  # snow on the upper part of every tier
                colour = np.where((tier < 0.25)[..., None], np.array([0.9, 0.92, 0.95]), colour)
            alpha = crown
        elif summer:
            colour = np.array([0.2, 0.42, 0.12]) * rng.uniform(0.8, 1.2) * (1 + 0.3 * texture)[..., None]
            alpha = crown
        else:  # bare: branches from the top of the trunk, and a faint haze of twigs
            colour = np.array([0.3, 0.24, 0.2])
            alpha = np.maximum(_branches(bx, by, tree, size, rng), crown * np.clip(0.12 * texture, 0, 0.25))
        image[rows, cols] = box * (1 - alpha[..., None]) + colour * alpha[..., None]
        mask[rows, cols] = np.maximum(mask[rows, cols], np.maximum(crown, trunk))
    return np.clip(image, 0, 1).astype(np.float32), mask


class SeasonsSet(UnpairedSet):
    """Summer (A) and winter (B) landscapes, the lab's summer <-> winter of CycleGAN [1]."""

    name = "seasons"
    title = "Summer <-> winter landscape"
    a_label = "summer"
    b_label = "winter"
    description = (
        "Mountains, a meadow, sometimes a lake, and trees in perspective; summer in leaf under a blue sky, "
        "winter under snow with bare trees and a frozen lake. The two domains are drawn independently."
    )

    def _render(self, domain: Domain, seed: int, index: int, size: int) -> tuple[np.ndarray, np.ndarray, dict[str, int | str | float]]:
        scene = draw_landscape(stream(self.name, seed, index, f"{domain}/scene"))
        image, mask = paint_landscape(scene, domain, size, stream(self.name, seed, index, f"{domain}/paint"))
        attributes: dict[str, int | str | float] = {
            "trees": len(scene["trees"]),
            "conifers": sum(t[3] for t in scene["trees"]),
            "horizon": round(float(scene["horizon"]), 4),
            "lake": int(scene["lake"] is not None),
            "season": "summer" if domain == "A" else "winter",
        }
        return image, mask, attributes
