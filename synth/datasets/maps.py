"""``maps``: street maps in pix2pix's map palette paired with stochastic aerial views.

The map (A) is a random city layout drawn with the colours of
:data:`synth.translate.maps.MAP_PALETTE`, hard-edged, palette colours only: a street
grid (sometimes rotated) with some major roads, blocks of buildings, parks and open
land, sometimes a river or a lake, sometimes an avenue across everything (a bridge
over water). The aerial view (B) paints that layout from a second, independent
random stream, so many aerials fit one map, as in the data of Isola et al. (2017,
sec. 4.1), where L1 can only predict their average:

* parks: a lawn (Heeger-Bergen "grass") under tree canopy (Heeger-Bergen "foliage",
  i.e. gravel) in random clumps of random density and hue;
* buildings: each its own roof colour, flat (fine grain, roof units) or gabled
  (two lit slopes, tile rows), casting a shadow away from a random sun;
* water: a random tint with Heeger-Bergen "ripples" glinting at random strength;
* roads: asphalt with lane marks and cars of random colours in random slots,
  street trees along the kerbs at random;
* open land: pavement and yards of random tone with lawn patches.

Shapes of canopy, lawns and water shading are smooth random fields
(:func:`synth.datasets.textures.lowpass_noise`); everything with a texture uses a
random window of the Heeger-Bergen bank (:mod:`synth.datasets.textures`).

References
----------
.. [1] P. Isola, J.-Y. Zhu, T. Zhou and A. A. Efros, "Image-to-Image Translation with
   Conditional Adversarial Networks", CVPR 2017, https://arxiv.org/abs/1611.07004.
.. [2] D. J. Heeger and J. R. Bergen, "Pyramid-based texture analysis/synthesis",
   SIGGRAPH 1995.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..translate.maps import MAP_PALETTE
from .base import PairedSet, grid, stream
from .textures import lowpass_noise, window

__all__ = ["CLASSES", "Layout", "MapsSet", "Road", "draw_layout", "paint_aerial", "paint_map", "rasterise"]

#: Label of each pixel of a layout: an index into this tuple (the palette's names).
CLASSES: tuple[str, ...] = ("background", "road", "major road", "water", "park", "building")
BACKGROUND, ROAD, MAJOR, WATER, PARK, BUILDING = range(6)
PALETTE = np.array([[int(MAP_PALETTE[c][i : i + 2], 16) for i in (1, 3, 5)] for c in CLASSES], dtype=np.float32) / 255.0

_CARS = np.array(
    [[0.92, 0.92, 0.9], [0.7, 0.71, 0.73], [0.08, 0.08, 0.09], [0.3, 0.31, 0.33], [0.65, 0.1, 0.1],
     [0.12, 0.2, 0.5], [0.12, 0.3, 0.18], [0.95, 0.75, 0.1]], dtype=np.float32)  # fmt: skip
_ROOFS = np.array(
    [[0.72, 0.72, 0.7], [0.55, 0.55, 0.56], [0.36, 0.36, 0.38], [0.62, 0.36, 0.27], [0.48, 0.33, 0.26],
     [0.78, 0.74, 0.66], [0.45, 0.5, 0.55], [0.4, 0.52, 0.45], [0.85, 0.85, 0.84]], dtype=np.float32)  # fmt: skip


@dataclass(frozen=True)
class Road:
    """A straight road: points with ``|nx (x - .5) + ny (y - .5) - offset| < half`` (world units)."""

    nx: float
    ny: float
    offset: float
    half: float
    major: bool


@dataclass(frozen=True)
class Layout:
    """A city drawn in the unit square: what a map shows, independent of any aerial.

    ``angle`` rotates the street grid (grid coordinates u, v are the image's rotated
    about its centre); ``roads`` are all roads, the grid's and the avenue;
    ``blocks`` (N, 5) rows ``u0, u1, v0, v1, kind`` (kind: a label of :data:`CLASSES`);
    ``buildings`` (M, 4) rows ``u0, u1, v0, v1``; ``river``
    ``(nx, ny, offset, amplitude, wavelength, phase, half, bank)`` or ``None``;
    ``lake`` ``(cx, cy, rx, ry, angle, ring)`` or ``None``; ``avenue`` a :class:`Road` or ``None``.
    """

    angle: float
    roads: tuple[Road, ...]
    blocks: np.ndarray
    buildings: np.ndarray
    river: tuple[float, ...] | None
    lake: tuple[float, ...] | None
    avenue: Road | None


def _grid_roads(rng: np.random.Generator) -> tuple[list[float], list[float], list[bool]]:
    """Centres, half widths and major flags of the roads of one grid direction."""
    pitch = rng.uniform(0.16, 0.3)
    centres, halves, majors = [], [], []
    position = -0.4 + rng.uniform(0, pitch)
    while position < 1.4:
        major = bool(rng.random() < 0.15)
        centres.append(position)
        halves.append(rng.uniform(0.009, 0.013) * (1.6 if major else 1.0))
        majors.append(major)
        position += pitch * rng.uniform(0.7, 1.3)
    return centres, halves, majors


def draw_layout(rng: np.random.Generator) -> Layout:
    """A random city layout (the map's content), drawn from ``rng`` alone."""
    angle = 0.0 if rng.random() < 0.5 else float(rng.uniform(-0.5, 0.5))
    cos, sin = np.cos(angle), np.sin(angle)
    us, hus, mus = _grid_roads(rng)
    vs, hvs, mvs = _grid_roads(rng)
    roads = [Road(cos, sin, u - 0.5, h, m) for u, h, m in zip(us, hus, mus)]
    roads += [Road(-sin, cos, v - 0.5, h, m) for v, h, m in zip(vs, hvs, mvs)]
    blocks, buildings = [], []
    for i in range(len(us) - 1):
        for j in range(len(vs) - 1):
            u0, u1 = us[i] + hus[i], us[i + 1] - hus[i + 1]
            v0, v1 = vs[j] + hvs[j], vs[j + 1] - hvs[j + 1]
            if np.hypot((u0 + u1) / 2 - 0.5, (v0 + v1) / 2 - 0.5) > 0.72 + np.hypot(u1 - u0, v1 - v0) / 2:
                continue  # outside the image at any rotation
            r = rng.random()
            kind = PARK if r < 0.12 else BACKGROUND if r < 0.2 else BUILDING
            blocks.append((u0, u1, v0, v1, kind))
            if kind == BUILDING:
                buildings += _lots(rng, u0, u1, v0, v1)
    river = lake = avenue = None
    if rng.random() < 0.35:
        phi = rng.uniform(0, np.pi)
        river = (np.cos(phi), np.sin(phi), rng.uniform(-0.25, 0.25), rng.uniform(0.02, 0.08), rng.uniform(0.5, 1.2),
                 rng.uniform(0, 2 * np.pi), rng.uniform(0.04, 0.09), rng.uniform(0.01, 0.03))  # fmt: skip
    elif rng.random() < 0.3:
        lake = (*rng.uniform(0.25, 0.75, 2), *rng.uniform(0.08, 0.2, 2), rng.uniform(0, np.pi), rng.uniform(0.02, 0.05))
    if rng.random() < 0.55:
        psi = rng.uniform(0, np.pi)
        point = rng.uniform(-0.3, 0.3, 2)
        nx, ny = np.cos(psi), np.sin(psi)
        avenue = Road(nx, ny, nx * point[0] + ny * point[1], rng.uniform(0.013, 0.018), True)
        roads.append(avenue)
    return Layout(angle, tuple(roads), np.array(blocks, dtype=np.float64).reshape(-1, 5),
                  np.array(buildings, dtype=np.float64).reshape(-1, 4), river, lake, avenue)  # fmt: skip


def _lots(rng: np.random.Generator, u0: float, u1: float, v0: float, v1: float) -> list[tuple[float, float, float, float]]:
    """Buildings of one block: the block less a sidewalk, cut into lots, each built up or not."""
    margin = rng.uniform(0.004, 0.012)
    u0, u1, v0, v1 = u0 + margin, u1 - margin, v0 + margin, v1 - margin
    if u1 - u0 < 0.02 or v1 - v0 < 0.02:
        return []
    nu, nv = (min(4, max(1, round(extent / rng.uniform(0.05, 0.12)))) for extent in (u1 - u0, v1 - v0))
    gap = 0.0 if rng.random() < 0.3 else rng.uniform(0.003, 0.008)
    du, dv = (u1 - u0) / nu, (v1 - v0) / nv
    out = []
    for i in range(nu):
        for j in range(nv):
            if rng.random() < 0.1:
                continue  # an empty lot
            # detached buildings (gap > 0) take a random part of their lot; terraces fill it
            shrink = rng.uniform(0, 0.15, 4) * (du, du, dv, dv) if gap else (0.0, 0.0, 0.0, 0.0)
            a, c = u0 + i * du + gap / 2, v0 + j * dv + gap / 2
            out.append((a + shrink[0], a + du - gap - shrink[1], c + shrink[2], c + dv - gap - shrink[3]))
    return out


def _grid_coords(layout: Layout, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Grid coordinates (u, v) of every pixel centre."""
    y, x = grid(size)
    cos, sin = np.cos(layout.angle), np.sin(layout.angle)
    return (x - 0.5) * cos + (y - 0.5) * sin + 0.5, -(x - 0.5) * sin + (y - 0.5) * cos + 0.5


def _across(road: Road, size: int) -> np.ndarray:
    y, x = grid(size)
    return road.nx * (x - 0.5) + road.ny * (y - 0.5) - road.offset


def rasterise(layout: Layout, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels (size, size) int8 (indices into :data:`CLASSES`) and building ids (int32, -1: none).

    Tested at pixel centres, no anti-aliasing: the map uses palette colours only.
    """
    u, v = _grid_coords(layout, size)
    labels = np.full((size, size), BACKGROUND, dtype=np.int8)
    ids = np.full((size, size), -1, dtype=np.int32)
    for u0, u1, v0, v1, kind in layout.blocks:
        if kind == PARK:
            labels[(u > u0) & (u < u1) & (v > v0) & (v < v1)] = PARK
    # test only the pixels of each building's bounding box (in image coordinates)
    cos, sin = np.cos(layout.angle), np.sin(layout.angle)
    cu, cv = layout.buildings[:, [0, 1, 0, 1]] - 0.5, layout.buildings[:, [2, 2, 3, 3]] - 0.5
    xs, ys = (0.5 + cu * cos - cv * sin) * size, (0.5 + cu * sin + cv * cos) * size
    boxes = np.stack([ys.min(1), ys.max(1) + 1, xs.min(1), xs.max(1) + 1], 1).clip(0, size).astype(int).tolist()
    for k, ((u0, u1, v0, v1), (top, bottom, left, right)) in enumerate(zip(layout.buildings.tolist(), boxes)):
        bu, bv = u[top:bottom, left:right], v[top:bottom, left:right]
        ids[top:bottom, left:right][(bu > u0) & (bu < u1) & (bv > v0) & (bv < v1)] = k
    labels[ids >= 0] = BUILDING
    for road in layout.roads:
        if road is not layout.avenue:
            labels[np.abs(_across(road, size)) < road.half] = MAJOR if road.major else ROAD
    y, x = grid(size)
    if layout.river is not None:
        nx, ny, offset, amplitude, wavelength, phase, half, bank = layout.river
        along, across = -ny * (x - 0.5) + nx * (y - 0.5), nx * (x - 0.5) + ny * (y - 0.5)
        distance = np.abs(across - offset - amplitude * np.sin(2 * np.pi * along / wavelength + phase))
        labels[distance < half + bank] = BACKGROUND
        labels[distance < half] = WATER
    if layout.lake is not None:
        cx, cy, rx, ry, theta, ring = layout.lake
        a = ((x - cx) * np.cos(theta) + (y - cy) * np.sin(theta)) / rx
        b = (-(x - cx) * np.sin(theta) + (y - cy) * np.cos(theta)) / ry
        radius = np.sqrt(a * a + b * b)
        labels[radius < 1 + ring / min(rx, ry)] = PARK
        labels[radius < 1] = WATER
    if layout.avenue is not None:
        labels[np.abs(_across(layout.avenue, size)) < layout.avenue.half] = MAJOR
    ids[labels != BUILDING] = -1
    return labels, ids


def paint_map(labels: np.ndarray) -> np.ndarray:
    """The map: (H, W, 3) float32 in [0, 1], one palette colour per label."""
    return PALETTE[labels]


def _tinted(base: np.ndarray, rng: np.random.Generator, spread: float) -> np.ndarray:
    return np.clip(base * rng.uniform(1 - spread, 1 + spread, 3), 0, 1).astype(np.float32)


def paint_aerial(layout: Layout, labels: np.ndarray, ids: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """An aerial view of ``layout``: (H, W, 3) float32 in [0, 1]; every texture drawn from ``rng``."""
    image = np.empty((size, size, 3), dtype=np.float32)

    def paint(where: np.ndarray, colour: np.ndarray, shade: np.ndarray) -> None:
        image[where] = colour * (1 + shade[where, None])

    # open land: pavement with lawn patches
    pavement = _tinted(np.array([0.6, 0.58, 0.55]) * rng.uniform(0.75, 1.1), rng, 0.03)
    paint(labels == BACKGROUND, pavement, 0.08 * window("grain", size, rng, magnify=2.0) + 0.05 * lowpass_noise(size, rng, scale=0.2))
    lawn = _tinted(np.array([0.3, 0.42, 0.2]) * rng.uniform(0.8, 1.15), rng, 0.12)
    grass = 0.12 * window("grass", size, rng, magnify=1.4) + 0.08 * lowpass_noise(size, rng, scale=0.15)
    yards = (labels == BACKGROUND) & (lowpass_noise(size, rng, scale=0.08) > rng.uniform(0.3, 1.5))
    paint(yards | (labels == PARK), lawn, grass)
    # tree canopy in parks, in clumps
    trees = (labels == PARK) & (lowpass_noise(size, rng, scale=0.05) > rng.uniform(-1.0, 0.6))
    canopy = _tinted(np.array([0.14, 0.24, 0.11]) * rng.uniform(0.75, 1.25), rng, 0.15)
    paint(trees, canopy, 0.35 * window("foliage", size, rng, magnify=rng.uniform(0.7, 1.25)))
    # water
    water = _tinted(np.array([[0.1, 0.2, 0.3], [0.1, 0.24, 0.27], [0.15, 0.22, 0.18], [0.22, 0.22, 0.17]])[rng.integers(4)], rng, 0.15)
    glints = rng.uniform(0.05, 0.25) * np.maximum(window("ripples", size, rng, magnify=rng.uniform(0.8, 1.7)), 0)
    paint(labels == WATER, water, 0.08 * lowpass_noise(size, rng, scale=0.3) + glints)
    # roads: asphalt, lane marks, cars
    asphalt = _tinted(np.array([0.27, 0.27, 0.29]) * rng.uniform(0.8, 1.2), rng, 0.04)
    paint((labels == ROAD) | (labels == MAJOR), asphalt, 0.1 * window("foliage", size, rng, magnify=2.9))
    _cars_and_marks(image, layout, labels, size, rng)
    # buildings: a roof each
    u, v = _grid_coords(layout, size)
    if len(layout.buildings):
        _roofs(image, layout, ids, u, v, size, rng)
    # street trees: crowns along the kerbs, over the sidewalk and the edge of the road
    kerb = np.min([np.abs(np.abs(_across(road, size)) - road.half) for road in layout.roads], axis=0)
    street = (kerb < 0.012) & (ids < 0) & (labels != WATER) & (labels != PARK)
    street &= lowpass_noise(size, rng, scale=0.025) > rng.uniform(0.4, 2.0)
    paint(street, canopy, 0.35 * window("foliage", size, rng, magnify=rng.uniform(0.7, 1.25)))
    _shadows(image, labels, ids, trees | street, size, rng)
    image *= (rng.uniform(0.9, 1.1) * rng.uniform(0.96, 1.04, 3)).astype(np.float32)  # exposure and white balance of the photo
    return np.clip(image, 0, 1)


def _cars_and_marks(image: np.ndarray, layout: Layout, labels: np.ndarray, size: int, rng: np.random.Generator) -> None:
    """Dashed centre lines on major roads and cars in two lanes on every road (vectorised by slots)."""
    y, x = grid(size)
    slot, length, width = 0.034, rng.uniform(0.018, 0.024), 0.009
    for road in layout.roads:
        across = _across(road, size)
        on = np.nonzero((np.abs(across) < road.half) & ((labels == ROAD) | (labels == MAJOR)))
        if not on[0].size:
            continue
        c = across[on]
        a = (-road.ny * (x[on] - 0.5) + road.nx * (y[on] - 0.5)) / slot + 30  # along the road, in slots
        if road.major:  # a dashed line 0.003 wide: blended by the share of the centre pixel it covers
            dash = (np.abs(c) < 0.5 / size) & ((a * 2 + rng.random()) % 1 < 0.5)
            alpha = min(1.0, 0.003 * size)
            image[on[0][dash], on[1][dash]] = (1 - alpha) * image[on[0][dash], on[1][dash]] + alpha * np.array([0.85, 0.8, 0.55], dtype=np.float32)
        density = rng.uniform(0.1, 0.6)
        k = a.astype(np.int64) % 64
        for side in (-1.0, 1.0):
            present, shift, colour = rng.random(64) < density, rng.uniform(0, 1 - length / slot, 64), rng.integers(len(_CARS), size=64)
            inside = (a % 1) - shift[k]
            car = present[k] & (inside > 0) & (inside < length / slot) & (np.abs(c - side * road.half / 2) < width / 2)
            glass = car & (np.abs(inside * slot / length - (0.3 if side > 0 else 0.7)) < 0.1)
            image[on[0][car], on[1][car]] = _CARS[colour[k[car]]]
            image[on[0][glass], on[1][glass]] *= 0.45


def _roofs(image: np.ndarray, layout: Layout, ids: np.ndarray, u: np.ndarray, v: np.ndarray, size: int, rng: np.random.Generator) -> None:
    """One roof per building: its own colour, flat (grain, roof units) or gabled (two slopes, tile rows)."""
    count = len(layout.buildings)
    colours = _ROOFS[rng.integers(len(_ROOFS), size=count)] * rng.uniform(0.85, 1.15, (count, 1)) * rng.uniform(0.95, 1.05, (count, 3))
    gabled = rng.random(count) < 0.45
    lit = rng.uniform(1.05, 1.25, count)
    grain = 0.06 * window("grain", size, rng, magnify=2.0) + 0.04 * window("foliage", size, rng, magnify=3.3)
    where = np.nonzero(ids >= 0)
    k = ids[where]
    b = layout.buildings[k]
    du = (u[where] - (b[:, 0] + b[:, 1]) / 2) / ((b[:, 1] - b[:, 0]) / 2)  # -1..1 across the building
    dv = (v[where] - (b[:, 2] + b[:, 3]) / 2) / ((b[:, 3] - b[:, 2]) / 2)
    long_u = (b[:, 1] - b[:, 0]) > (b[:, 3] - b[:, 2])
    slope = np.where(long_u, dv, du)  # the ridge runs along the longer side
    along = np.where(long_u, u[where], v[where])
    shade = 1 + grain[where]
    sunny = np.where(slope > 0, lit[k], 2 - lit[k])
    tiles = 0.04 * np.sin(2 * np.pi * np.abs(slope) * 6)
    shade = np.where(gabled[k], shade * sunny + tiles, shade)
    units = ~gabled[k] & (np.abs(np.sin(np.pi * along / 0.02 + k)) > 0.93) & (np.abs(np.where(long_u, dv, du)) < 0.35)
    shade = np.where(units, shade * 1.25, shade)
    edge = np.maximum(np.abs(du), np.abs(dv)) > 1 - 1.5 / (size * np.minimum(b[:, 1] - b[:, 0], b[:, 3] - b[:, 2]) / 2)
    shade = np.where(edge & ~gabled[k], shade * 0.85, shade)  # the parapet of a flat roof
    image[where] = colours[k] * shade[:, None]


def _shadows(image: np.ndarray, labels: np.ndarray, ids: np.ndarray, trees: np.ndarray, size: int, rng: np.random.Generator) -> None:
    """Shadows of buildings (random heights) and trees, cast away from a random sun."""
    heights = np.where(ids >= 0, rng.uniform(0.004, 0.016, max(1, int(ids.max()) + 1))[np.maximum(ids, 0)], 0.0)
    heights = np.maximum(heights, np.where(trees, 0.006, 0.0))
    sun = rng.uniform(0, 2 * np.pi)
    steps = max(1, int(np.ceil(0.016 * size)))
    shadow = np.zeros_like(trees)
    for step in range(1, steps + 1):
        dy, dx = (int(round(step * np.sin(sun))), int(round(step * np.cos(sun))))
        shifted = np.zeros_like(heights)
        shifted[max(dy, 0) : size + min(dy, 0), max(dx, 0) : size + min(dx, 0)] = heights[max(-dy, 0) : size - max(dy, 0), max(-dx, 0) : size - max(dx, 0)]
        shadow |= shifted * size >= step
    shadow &= (ids < 0) & ~trees & (labels != WATER)
    image[shadow] *= rng.uniform(0.45, 0.65)


class MapsSet(PairedSet):
    """Map (A) -> aerial photo (B), the pix2pix ``maps`` task [1] drawn procedurally."""

    name = "maps"
    title = "Street map -> aerial photo"
    a_label = "map"
    b_label = "aerial photo"
    description = (
        "Random street maps in the pix2pix map palette, each with an aerial view whose textures "
        "(Heeger-Bergen tree canopy and lawns, roofs, water, asphalt with cars) are drawn independently "
        "of the layout: many aerials fit one map."
    )

    def _render(self, seed: int, index: int, size: int) -> tuple[np.ndarray, np.ndarray]:
        layout = draw_layout(stream(self.name, seed, index, "layout"))
        labels, ids = rasterise(layout, size)
        return paint_map(labels), paint_aerial(layout, labels, ids, size, stream(self.name, seed, index, "aerial"))
