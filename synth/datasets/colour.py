"""``colour``: grey -> colour on scenes whose colours the grey does not tell.

The lecture's "BW image -> colour image" (Isola et al. 2017, sec. 4.6; Zhang et al.
2016): a scene of objects (discs, ellipses, wobbly blobs, rectangles, striped
panels) of uniformly random hue, saturation and brightness, each lit from one side
and lightly textured, with soft shadows, on a ground of one or two textured regions
of random hue (Heeger-Bergen textures of :mod:`synth.datasets.textures`). A is the
luminance (Rec. 601, as Y of :data:`synth.colors.RGB_TO_YIQ`) replicated to three
channels, B the colour image. Every hue occurs at every grey level, so the
L1-optimal prediction of a pixel's colour is the average over hues: a greyish
brown; a conditional GAN must commit to one plausible colour instead.

References
----------
.. [1] P. Isola, J.-Y. Zhu, T. Zhou and A. A. Efros, "Image-to-Image Translation with
   Conditional Adversarial Networks", CVPR 2017, https://arxiv.org/abs/1611.07004.
.. [2] R. Zhang, P. Isola and A. A. Efros, "Colorful Image Colorization", ECCV 2016.
"""

from __future__ import annotations

import colorsys

import numpy as np

from ..colors import RGB_TO_YIQ
from .base import PairedSet, coverage, grid, stream
from .textures import TEXTURES, lowpass_noise, window

__all__ = ["ColourSet", "draw_scene"]

_LUMA = RGB_TO_YIQ[0].numpy().astype(np.float32)
_SHAPES = ("disc", "ellipse", "blob", "rectangle", "stripes")


def _colour(rng: np.random.Generator, saturation: tuple[float, float], value: tuple[float, float]) -> np.ndarray:
    """A random colour: uniform hue, saturation and value in the given ranges (HSV)."""
    rgb = colorsys.hsv_to_rgb(rng.random(), rng.uniform(*saturation), rng.uniform(*value))
    return np.array(rgb, dtype=np.float32)


def _ground(size: int, rng: np.random.Generator) -> np.ndarray:
    """One or two regions of textured ground, each of random texture, scale and hue."""
    y, x = grid(size)
    image = np.empty((size, size, 3), dtype=np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    border = (x - 0.5) * np.cos(angle) + (y - 0.5) * np.sin(angle) - rng.uniform(-0.3, 0.3)
    border = border + 0.04 * lowpass_noise(size, rng, scale=0.2)
    regions = (border < 0, border >= 0) if rng.random() < 0.6 else (np.ones((size, size), dtype=bool),)
    names = list(TEXTURES)
    for where in regions:
        texture = window(names[rng.integers(len(names))], size, rng, magnify=rng.uniform(0.5, 2.0))
        shade = 1 + rng.uniform(0.08, 0.3) * texture + 0.08 * lowpass_noise(size, rng, scale=0.4)
        image[where] = _colour(rng, (0.25, 0.9), (0.3, 0.85)) * shade[where, None]
    return image


def _distance(shape: str, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Signed distance (world units, < 0 inside) of a random object, and a coordinate across it."""
    y, x = grid(size)
    cx, cy = rng.uniform(0.05, 0.95, 2)
    theta = rng.uniform(0, np.pi)
    u = (x - cx) * np.cos(theta) + (y - cy) * np.sin(theta)
    v = -(x - cx) * np.sin(theta) + (y - cy) * np.cos(theta)
    if shape == "disc":
        radius = rng.uniform(0.06, 0.2)
        return np.sqrt(u * u + v * v) - radius, u
    if shape == "ellipse":
        a, b = rng.uniform(0.08, 0.25), rng.uniform(0.04, 0.12)
        return (np.sqrt((u / a) ** 2 + (v / b) ** 2) - 1) * b, u
    if shape == "blob":
        radius, phi = np.sqrt(u * u + v * v), np.arctan2(v, u)
        wobble = sum(rng.uniform(0, 0.25 / k) * np.cos(k * phi + rng.uniform(0, 2 * np.pi)) for k in (2, 3, 4, 5))
        return radius - rng.uniform(0.07, 0.2) * (1 + wobble), u
    half_u, half_v = rng.uniform(0.05, 0.25), rng.uniform(0.03, 0.15)
    return np.maximum(np.abs(u) - half_u, np.abs(v) - half_v), u


def draw_scene(size: int, rng: np.random.Generator) -> np.ndarray:
    """A colour scene: (size, size, 3) float32 in [0, 1], everything drawn from ``rng``."""
    image = _ground(size, rng)
    light = rng.uniform(0, 2 * np.pi)
    y, x = grid(size)
    lit = (x - 0.5) * np.cos(light) + (y - 0.5) * np.sin(light)
    shadow_dy, shadow_dx = -0.02 * np.sin(light), -0.02 * np.cos(light)
    for _ in range(rng.integers(3, 9)):
        shape = _SHAPES[rng.integers(len(_SHAPES))]
        distance, across = _distance(shape, size, rng)
        # a soft shadow: the object's shape shifted away from the light, darkening what lies below
        shifted = np.roll(distance, (round(shadow_dy * size), round(shadow_dx * size)), axis=(0, 1))
        image *= 1 - 0.35 * np.clip(0.5 - shifted * size / 3, 0, 1)[..., None]
        colour = _colour(rng, (0.4, 1.0), (0.3, 1.0))
        shade = 1 + rng.uniform(0.3, 0.9) * lit + rng.uniform(0.03, 0.12) * window("foliage", size, rng, magnify=rng.uniform(1.0, 3.3))
        paint = colour * shade[..., None]
        if shape == "stripes":  # a panel of stripes of two colours
            second = _colour(rng, (0.4, 1.0), (0.3, 1.0))
            period = rng.uniform(0.03, 0.08)
            mix = np.clip(0.5 + np.sin(2 * np.pi * across / period) * period * size / 4, 0, 1)[..., None]
            paint = paint * mix + second * shade[..., None] * (1 - mix)
        alpha = coverage(distance, size)[..., None]
        image = image * (1 - alpha) + paint * alpha
    return np.clip(image, 0, 1)


class ColourSet(PairedSet):
    """Grey (A) -> colour (B) on scenes of ambiguous colour, the lecture's colourisation task [1]."""

    name = "colour"
    title = "Grey image -> colour image"
    a_label = "grey image"
    b_label = "colour image"
    description = (
        "Scenes of discs, blobs, rectangles and striped panels of random hue on textured grounds of "
        "random hue; the input is their luminance. The grey does not tell the colour: L1 averages "
        "the hues to a greyish brown, a GAN picks plausible ones."
    )

    def _render(self, seed: int, index: int, size: int) -> tuple[np.ndarray, np.ndarray]:
        colour = draw_scene(size, stream(self.name, seed, index, "scene"))
        grey = np.repeat((colour @ _LUMA)[..., None], 3, axis=2)
        return grey, colour
