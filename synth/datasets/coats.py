"""``coats``: brown horses and zebras on grass, the horse <-> zebra of this lab (unpaired).

Each image shows one or two quadrupeds standing on a meadow. An animal is a union of
signed-distance shapes: a body ellipse, a tapered neck, a head with ears, four
two-segment legs (each at its own angle: walking, standing square, spread) and a
tail; pose "up" (head raised) or "grazing" (head down to the grass), head to the
left or right, of random size and proportions. The first animal is the largest.

* Domain A: plain brown coats (chestnut, bay, dark bay, dun, sorrel, with some
  shade variation, darker mane and tail, sometimes dark lower legs), with the fine
  texture of a cat's fur synthesised by Heeger & Bergen.
* Domain B: black-and-white stripes that follow the body: each part is striped
  across its own axis (across the body, bending towards the rump; across neck, head
  and legs, so legs get rings), as zebras are.

The grass (Heeger-Bergen "grass", green of random hue) is the only background, so
the animal is whatever is not grass (:func:`synth.datasets.measures.silhouette`),
and a generator's output can be checked against its input's silhouette and pose
(Zhu et al. 2017 ask G(x) to correspond to x; the cycle loss is what makes it).
Domains A and B are drawn from independent streams: never a pair.

References
----------
.. [1] J.-Y. Zhu, T. Park, P. Isola and A. A. Efros, "Unpaired Image-to-Image
   Translation using Cycle-Consistent Adversarial Networks", ICCV 2017,
   https://arxiv.org/abs/1703.10593.
.. [2] D. J. Heeger and J. R. Bergen, "Pyramid-based texture analysis/synthesis",
   SIGGRAPH 1995.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass

import numpy as np

from .base import Domain, UnpairedSet, capsule, coverage, grid, stream
from .textures import lowpass_noise, window

__all__ = ["Animal", "CoatsSet", "draw_animals", "paint_scene"]

_BROWNS = np.array([[0.55, 0.3, 0.14], [0.42, 0.24, 0.12], [0.3, 0.17, 0.09], [0.62, 0.45, 0.28], [0.66, 0.36, 0.18]], dtype=np.float32)
# Parts of an animal: a capsule each (the body is an ellipse), in this order.
BODY, NECK, HEAD, EAR, LEG, FAR_LEG, TAIL = range(7)


@dataclass(frozen=True)
class Animal:
    """One quadruped in world coordinates (the image is the unit square, y down).

    ``body`` is ``(cx, cy, a, b, tilt)`` (an ellipse); ``capsules`` an (N, 7) array of
    tapered capsules ``x0, y0, x1, y1, r0, r1, part`` (neck, head, ears, legs, tail);
    ``facing`` +1 when the head is on the right.
    """

    body: tuple[float, float, float, float, float]
    capsules: np.ndarray
    facing: int
    pose: str

    def bounds(self) -> tuple[float, float, float, float]:
        """(left, top, right, bottom) of the animal."""
        c = self.capsules
        cx, cy, a, b, _ = self.body
        xs = np.concatenate([c[:, 0] - c[:, 4], c[:, 2] - c[:, 5], c[:, 0] + c[:, 4], c[:, 2] + c[:, 5], [cx - a, cx + a]])
        ys = np.concatenate([c[:, 1] - c[:, 4], c[:, 3] - c[:, 5], c[:, 1] + c[:, 4], c[:, 3] + c[:, 5], [cy - b, cy + b]])
        return float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())

    def moved(self, dx: float, dy: float, scale: float = 1.0) -> Animal:
        """The animal scaled about the origin by ``scale``, then moved by (dx, dy)."""
        cx, cy, a, b, tilt = self.body
        c = self.capsules.copy()
        c[:, :6] *= scale
        c[:, [0, 2]] += dx
        c[:, [1, 3]] += dy
        return Animal((cx * scale + dx, cy * scale + dy, a * scale, b * scale, tilt), c, self.facing, self.pose)


def _animal(rng: np.random.Generator, length: float, facing: int, pose: str) -> Animal:
    """An animal of body ``length`` with its hooves on y = 0 (the body centre at x = 0)."""
    a = length / 2
    b = a * rng.uniform(0.38, 0.48)
    legs = 2 * b * rng.uniform(0.95, 1.3)
    cy = -legs - 0.85 * b
    f = float(facing)
    capsules = []
    # legs: front pair under the chest, hind pair under the rump; each hoof at its own angle
    spread = rng.uniform(0.0, 0.35)
    for x0, lean, part in ((0.6, spread, FAR_LEG), (0.52, -0.15, LEG), (-0.55, -spread, FAR_LEG), (-0.63, 0.15, LEG)):
        top = (f * (x0 * a + rng.uniform(-0.05, 0.05) * a), cy + 0.5 * b)
        drop = -top[1]
        hoof = (top[0] + f * np.tan(lean + rng.uniform(-0.2, 0.2)) * drop, 0.0)
        knee = ((top[0] + hoof[0]) / 2 + f * rng.uniform(-0.08, 0.08) * drop, top[1] + drop * rng.uniform(0.45, 0.55))
        capsules += [(*top, *knee, 0.26 * b, 0.17 * b, part), (*knee, *hoof, 0.15 * b, 0.13 * b, part)]
    # neck and head
    if pose == "up":
        base, head = (f * 0.72 * a, cy - 0.3 * b), a * rng.uniform(0.5, 0.62)
        alpha, beta = np.radians(rng.uniform(40, 70)), np.radians(rng.uniform(30, 70))
        neck = a * rng.uniform(0.75, 0.95)
    else:  # grazing: the neck leaves the chest lower, forward and down, and the muzzle reaches the grass
        base, head = (f * 0.75 * a, cy - 0.05 * b), a * rng.uniform(0.55, 0.65)
        alpha, beta = -np.radians(rng.uniform(35, 55)), np.radians(rng.uniform(70, 100))
        target = -b * rng.uniform(0.0, 0.2)
        neck = float(np.clip((target - base[1] - head * np.sin(beta)) / np.sin(-alpha), 0.6 * a, 1.35 * a))
    poll = (base[0] + f * neck * np.cos(alpha), base[1] - neck * np.sin(alpha))
    muzzle = (poll[0] + f * head * np.cos(beta), poll[1] + head * np.sin(beta))
    capsules += [(*base, *poll, 0.55 * b, 0.3 * b, NECK), (*poll, *muzzle, 0.28 * b, 0.17 * b, HEAD)]
    for side in (0.0, 0.12):
        ear_dx, ear_dy = np.cos(alpha + np.pi / 2 - side) * 0.45 * b, np.sin(alpha + np.pi / 2 - side) * 0.45 * b
        capsules.append((*poll, poll[0] - f * ear_dx * 0.5, poll[1] - ear_dy, 0.09 * b, 0.04 * b, EAR))
    # tail: out from the rump, then hanging
    root = (-f * 0.95 * a, cy - 0.35 * b)
    bend = (root[0] - f * 0.25 * b, root[1] + 0.25 * b)
    tip = (bend[0] - f * rng.uniform(0.0, 0.35) * b, bend[1] + legs * rng.uniform(0.55, 0.85))
    capsules += [(*root, *bend, 0.09 * b, 0.09 * b, TAIL), (*bend, *tip, 0.09 * b, 0.15 * b, TAIL)]
    return Animal((0.0, cy, a, b, rng.uniform(-0.06, 0.06)), np.array(capsules, dtype=np.float64), facing, pose)


def draw_animals(rng: np.random.Generator) -> list[Animal]:
    """One or two animals placed inside the image, disjoint, the first the largest."""
    count = 1 if rng.random() < 0.6 else 2
    if count == 1:
        lengths = [rng.uniform(0.42, 0.6)]
    else:
        first = rng.uniform(0.3, 0.4)
        lengths = [first, first * rng.uniform(0.65, 0.8)]
    animals = [_animal(rng, length, int(rng.choice([-1, 1])), "up" if rng.random() < 0.5 else "grazing") for length in lengths]
    widths = [x1 - x0 for x0, _, x1, _ in (a.bounds() for a in animals)]
    margin, gap = 0.03, 0.06 * (count - 1)
    scale = min(1.0, (1 - 2 * margin - gap) / sum(widths))
    order = list(range(count)) if rng.random() < 0.5 else list(range(count))[::-1]
    # horizontal room left, shared out at random (>= 0: when scaled to fit, rounding may leave -1e-17)
    free = max(0.0, 1 - 2 * margin - gap - scale * sum(widths))
    cuts = np.sort(rng.uniform(0, free, count))
    x, placed = margin, [None] * count
    for slot, k in enumerate(order):
        x0, y0, x1, y1 = animals[k].bounds()
        x += cuts[slot] - (cuts[slot - 1] if slot else 0.0)
        # hooves (y = 0) on a ground line low in the image, the whole animal inside it
        low, high = max(0.6, margin - scale * y0), 1 - margin - scale * y1
        ground = rng.uniform(low, high) if low < high else high
        placed[k] = animals[k].moved(x - scale * x0, ground, scale)
        x += scale * (x1 - x0) + gap
    return placed


def _body(x: np.ndarray, y: np.ndarray, body: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Approximate signed distance to the body ellipse (first order), and coordinates along and across it."""
    cx, cy, a, b, tilt = body
    u = (x - cx) * np.cos(tilt) + (y - cy) * np.sin(tilt)
    v = -(x - cx) * np.sin(tilt) + (y - cy) * np.cos(tilt)
    level = (u / a) ** 2 + (v / b) ** 2 - 1
    gradient = 2 * np.hypot(u / a**2, v / b**2)
    return level / np.maximum(gradient, 1e-6), u, v


def paint_scene(animals: list[Animal], domain: Domain, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The meadow with ``animals`` in coats of ``domain``: image (H, W, 3) and animal coverage (H, W)."""
    y, x = grid(size)
    hue, saturation, value = rng.uniform(0.22, 0.36), rng.uniform(0.55, 0.85), rng.uniform(0.35, 0.6)
    green = np.array(colorsys.hsv_to_rgb(hue, saturation, value), dtype=np.float32)
    shade = 1 + 0.22 * window("grass", size, rng, magnify=rng.uniform(1.0, 2.0)) + 0.1 * lowpass_noise(size, rng, scale=0.3)
    image = green * np.clip(shade, 0.3, 1.6)[..., None]  # never clipped at 1: the grass keeps its chromaticity
    total = np.zeros((size, size), dtype=np.float32)
    for animal in sorted(animals, key=lambda a: a.bounds()[3]):  # nearer (lower) animals drawn last
        cx, cy, a, b, _ = animal.body
        ground = animal.bounds()[3]
        shadow = np.hypot((x - cx) / (1.3 * a), (y - ground + 0.01) / (0.2 * b)) - 1
        image *= (1 - 0.25 * np.clip(0.5 - shadow * 4, 0, 1))[..., None]
        coat, alpha = _coat(animal, domain, x, y, size, rng)
        image = image * (1 - alpha[..., None]) + coat * alpha[..., None]
        total = np.maximum(total, alpha)
    return np.clip(image, 0, 1), total


def _coat(animal: Animal, domain: Domain, x: np.ndarray, y: np.ndarray, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The animal's colours (H, W, 3) and coverage (H, W)."""
    cx, cy, a, b, _ = animal.body
    body, along, across = _body(x, y, animal.body)
    pieces = [capsule(x, y, c) for c in animal.capsules]
    distances = np.stack([body] + [d for d, _ in pieces])
    nearest = np.argmin(distances, axis=0)
    parts = np.concatenate([[BODY], animal.capsules[:, 6]]).astype(np.int64)[nearest]
    position = np.choose(nearest, [along] + [t for _, t in pieces])
    alpha = coverage(distances.min(axis=0), size)
    # the mane: the upper edge of the neck; the muzzle: the end of the head
    x0, y0, x1, y1, r0, r1, _ = animal.capsules[animal.capsules[:, 6] == NECK][0]
    length = np.hypot(x1 - x0, y1 - y0)
    crest = ((x - x0) * (y1 - y0) - (y - y0) * (x1 - x0)) * animal.facing / length
    mane = (parts == NECK) & (crest > 0.5 * (r0 + position / length * (r1 - r0)))
    muzzle = (parts == HEAD) & (position > 0.72 * _head_length(animal))
    if domain == "A":
        colour = _BROWNS[rng.integers(len(_BROWNS))] * rng.uniform(0.85, 1.15) * rng.uniform(0.95, 1.05, 3)
        dark = np.array([0.1, 0.07, 0.05], dtype=np.float32) * rng.uniform(0.8, 1.5)
        fur = 1 + 0.1 * window("fur", size, rng, magnify=rng.uniform(1.4, 3.3))
        light = 1 - 0.25 * np.clip((y - cy) / b, -1, 1.5)  # lit from above: the back lighter than the belly
        coat = colour * (fur * light)[..., None]
        points = rng.random() < 0.5  # dark lower legs ("points" of a bay)
        lower = np.isin(parts, (LEG, FAR_LEG)) & (y > cy + b + 0.5 * (animal.bounds()[3] - cy - b))
        coat[mane | (parts == TAIL) | (lower & points)] = dark
        coat[muzzle] *= 0.6
    else:
        white = np.array([0.92, 0.91, 0.88], dtype=np.float32) * rng.uniform(0.9, 1.05)
        black = np.array([0.07, 0.07, 0.08], dtype=np.float32) * rng.uniform(0.7, 1.3)
        period = np.select([parts == BODY, parts == NECK, parts == HEAD], [0.28 * a, 0.55 * b, 0.42 * b], 0.45 * b)
        # across the body, bending towards the rump; across every other part's own axis
        phase = position / period + np.where(parts == BODY, 0.9 * animal.facing * np.minimum(along / a, 0) * (across / b) ** 2, 0)
        sharpness = period * size / (2 * np.pi)  # the edge of a stripe is about one pixel wide
        stripes = np.clip(0.5 + np.sin(2 * np.pi * phase + rng.uniform(0, 2 * np.pi)) * sharpness, 0, 1)
        coat = white + (black - white) * stripes[..., None]
        coat[muzzle | (parts == EAR)] = black
        coat *= (1 - 0.12 * np.clip((y - cy) / b, -1, 1.5))[..., None]
    coat[parts == FAR_LEG] *= 0.8  # the far legs are in the body's shade
    return coat.astype(np.float32), alpha


def _head_length(animal: Animal) -> float:
    head = animal.capsules[animal.capsules[:, 6] == HEAD][0]
    return float(np.hypot(head[2] - head[0], head[3] - head[1]))


class CoatsSet(UnpairedSet):
    """Brown coats (A) and striped coats (B) on grass: horse <-> zebra [1], drawn procedurally."""

    name = "coats"
    title = "Brown coat <-> striped coat"
    a_label = "brown coat"
    b_label = "striped coat"
    description = (
        "One or two quadrupeds on a meadow, head left or right, up or grazing, of random size and gait; "
        "domain A in plain brown coats, domain B in black-and-white stripes that follow the body. "
        "The two domains are drawn independently."
    )

    def _render(self, domain: Domain, seed: int, index: int, size: int) -> tuple[np.ndarray, np.ndarray, dict[str, int | str | float]]:
        animals = draw_animals(stream(self.name, seed, index, f"{domain}/animals"))
        image, alpha = paint_scene(animals, domain, size, stream(self.name, seed, index, f"{domain}/paint"))
        first = animals[0]
        attributes: dict[str, int | str | float] = {
            "animals": len(animals),
            "head_side": "right" if first.facing > 0 else "left",
            "pose": first.pose,
            "size": round(float(2 * first.body[2]), 4),
            "x": round(float(first.body[0]), 4),
            "legs": 4,
            "coat": "brown" if domain == "A" else "striped",
        }
        return image, alpha, attributes
