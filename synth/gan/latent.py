"""Latent-space operations: seeded samples, the truncation trick, interpolation, export.

Every latent is named by an integer seed: ``latents_for_seeds([s])`` is the same vector
on every machine and device (drawn on the CPU), so a grid cell, an interpolation
endpoint or a command line can refer to a sample by its seed.

References
----------
Brock, Donahue & Simonyan (2019), BigGAN, sec. 3.1 (truncation trick), arXiv:1809.11096.
White (2016), *Sampling Generative Networks*, arXiv:1609.04468 (slerp in latent space).
Radford, Metz & Chintala (2016), DCGAN, sec. 6 (walking in the latent space), arXiv:1511.06434.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from torch import Tensor

__all__ = [
    "TRUNCATION_BOUND",
    "truncated_normal",
    "latents_for_seeds",
    "classes_for_seeds",
    "reroll",
    "lerp",
    "slerp",
    "interpolate",
    "interpolation_path",
    "ping_pong",
    "bilinear_grid",
    "grid_image",
    "strip_image",
    "to_uint8_frames",
    "save_animation",
    "WalkFiles",
    "export_walk",
]

#: z is drawn from a standard normal truncated to [-2, 2] (as BigGAN's published sampler).
TRUNCATION_BOUND = 2.0

Method = Literal["slerp", "lerp"]


def truncated_normal(shape: Sequence[int], *, generator: torch.Generator, truncation: float = 1.0) -> Tensor:
    """Standard normal truncated to [-2, 2], times ``truncation`` (the truncation trick).

    Values outside the bounds are redrawn (rejection sampling), so the result is an
    exact truncated normal; every value lies in ``[-2 * truncation, 2 * truncation]``.
    """
    truncation = check_truncation(truncation)
    values = torch.randn(tuple(shape), generator=generator)
    while True:
        outside = values.abs() > TRUNCATION_BOUND
        count = int(outside.sum())
        if count == 0:
            return values * truncation
        values[outside] = torch.randn(count, generator=generator)


def check_truncation(truncation: float) -> float:
    truncation = float(truncation)
    if not 0.0 < truncation <= 1.0 or math.isnan(truncation):
        raise ValueError(f"truncation must be in (0, 1], got {truncation}")
    return truncation


def check_seed(seed: int) -> int:
    if isinstance(seed, float) and not float(seed).is_integer():
        raise ValueError(f"a seed must be a whole number, got {seed}")
    seed = int(seed)
    if not 0 <= seed < 2**31:
        raise ValueError(f"a seed must be in [0, 2**31), got {seed}")
    return seed


def latents_for_seeds(seeds: Sequence[int], dim: int, *, truncation: float = 1.0) -> Tensor:
    """(N, dim) latents, row i drawn from a generator seeded with ``seeds[i]``.

    A row depends only on its seed, so re-rolling one cell of a grid changes only it.
    """
    rows = [truncated_normal((dim,), generator=_generator(check_seed(s)), truncation=truncation) for s in seeds]
    return torch.stack(rows) if rows else torch.empty(0, dim)


def classes_for_seeds(seeds: Sequence[int], num_classes: int = 1000) -> list[int]:
    """A class per seed for "random classes" (drawn from a stream separate from z's)."""
    return [int(torch.randint(num_classes, (1,), generator=_generator(check_seed(s) + 2**31))) for s in seeds]


def _generator(seed: int) -> torch.Generator:
    gen = torch.Generator(device="cpu")
    gen.manual_seed(seed)
    return gen


def reroll(seeds: Sequence[int], index: int) -> list[int]:
    """Replace ``seeds[index]`` by a seed not in the list (deterministic: one above the largest)."""
    seeds = [check_seed(s) for s in seeds]
    if not 0 <= index < len(seeds):
        raise ValueError(f"cell {index + 1} does not exist; the grid has {len(seeds)} cells")
    seeds[index] = max(seeds) + 1
    return seeds


def lerp(a: Tensor, b: Tensor, t: Tensor) -> Tensor:
    """Linear interpolation ``(1 - t) a + t b`` for each t; (T,) x (D,) -> (T, D)."""
    t = t.to(a.dtype)[:, None]
    return (1 - t) * a[None] + t * b[None]


def slerp(a: Tensor, b: Tensor, t: Tensor, *, eps: float = 1e-7) -> Tensor:
    """Spherical interpolation (White 2016): the direction moves along the great circle
    from a to b at constant angular speed, the norm goes linearly from |a| to |b|.

    For |a| = |b| this is the classic formula
    ``sin((1 - t) W) / sin W * a + sin(t W) / sin W * b`` with ``cos W = a.b / |a||b|``.
    Unlike :func:`lerp`, whose midpoint of two independent Gaussian latents has about
    0.7 times their norm (a region the generator rarely saw), every point keeps a
    typical norm. Falls back to lerp when a and b are (anti)parallel within ``eps``.
    """
    t = t.to(a.dtype)[:, None]
    norm_a, norm_b = a.norm(), b.norm()
    if norm_a < eps or norm_b < eps:
        return lerp(a, b, t[:, 0])
    unit_a, unit_b = a / norm_a, b / norm_b
    omega = torch.arccos(torch.clamp(unit_a @ unit_b, -1.0, 1.0))
    if torch.sin(omega).abs() < eps:
        return lerp(a, b, t[:, 0])
    direction = (torch.sin((1 - t) * omega) * unit_a + torch.sin(t * omega) * unit_b) / torch.sin(omega)
    return direction * ((1 - t) * norm_a + t * norm_b)


def interpolate(a: Tensor, b: Tensor, steps: int, *, method: Method = "slerp") -> Tensor:
    """``steps`` points from a to b, both endpoints included and exact: (steps, D)."""
    steps = check_steps(steps)
    if method not in ("slerp", "lerp"):
        raise ValueError(f"method must be 'slerp' or 'lerp', got {method!r}")
    t = torch.linspace(0, 1, steps, dtype=torch.float64)
    path = (slerp if method == "slerp" else lerp)(a.double(), b.double(), t).to(a.dtype)
    path[0], path[-1] = a, b  # exact endpoints, whatever the rounding
    return path


def check_steps(steps: int, *, maximum: int = 1000) -> int:
    if isinstance(steps, float) and not float(steps).is_integer():
        raise ValueError(f"steps must be a whole number, got {steps}")
    steps = int(steps)
    if not 2 <= steps <= maximum:
        raise ValueError(f"steps must be between 2 and {maximum} (both endpoints count), got {steps}")
    return steps


def interpolation_path(points: Tensor, steps: int, *, method: Method = "slerp", loop: bool = False) -> Tensor:
    """Walk through ``points`` (K, D) in order, ``steps`` frames per leg, endpoints shared.

    With ``loop`` the walk returns to the first point (A -> B -> A for two points),
    and the last frame is dropped so that a looping animation does not stall.
    """
    if points.ndim != 2 or points.shape[0] < 2:
        raise ValueError(f"need at least two latents to interpolate, got shape {tuple(points.shape)}")
    stops = torch.cat([points, points[:1]]) if loop else points
    legs = [interpolate(stops[i], stops[i + 1], steps, method=method) for i in range(len(stops) - 1)]
    path = torch.cat([legs[0]] + [leg[1:] for leg in legs[1:]])
    return path[:-1] if loop else path


def ping_pong(frames: Tensor) -> Tensor:
    """A -> B frames to an A -> B -> A loop without repeated frames at the turns."""
    if frames.shape[0] < 3:
        return frames
    return torch.cat([frames, frames.flip(0)[1:-1]])


def bilinear_grid(corners: Tensor, rows: int, cols: int | None = None) -> Tensor:
    """Latent walk: bilinear interpolation among four corner latents.

    ``corners`` (4, D) are top-left, top-right, bottom-left, bottom-right; returns
    (rows * cols, D) in row-major order, corners exact.
    """
    cols = cols or rows
    if corners.shape[0] != 4:
        raise ValueError(f"need 4 corner latents, got {corners.shape[0]}")
    if rows < 2 or cols < 2:
        raise ValueError(f"a latent-walk grid needs at least 2x2 cells, got {rows}x{cols}")
    v = torch.linspace(0, 1, rows, dtype=torch.float64)[:, None, None]
    u = torch.linspace(0, 1, cols, dtype=torch.float64)[None, :, None]
    tl, tr, bl, br = corners.double()
    grid = (1 - v) * ((1 - u) * tl + u * tr) + v * ((1 - u) * bl + u * br)
    return grid.reshape(rows * cols, -1).to(corners.dtype)


# ------------------------------------------------------------------ images and export
def grid_image(images: Tensor | Sequence[Tensor], *, nrow: int | None = None, padding: int = 2, upscale: int = 1) -> Tensor:
    """Tile (N, 3, H, W) images in [0, 1] (or a list of (1, 3, H, W)) into one (1, 3, H', W') grid, white padding."""
    from torchvision.utils import make_grid

    if not isinstance(images, Tensor):
        images = torch.cat(list(images)) if len(images) else torch.empty(0, 3, 1, 1)
    if images.shape[0] == 0:
        raise ValueError("no images to tile")
    nrow = nrow or max(1, math.ceil(math.sqrt(images.shape[0])))
    images = _upscale(images, upscale)
    return make_grid(images.float().cpu(), nrow=nrow, padding=padding, pad_value=1.0)[None]


def strip_image(frames: Tensor, *, count: int = 8, padding: int = 2, upscale: int = 1) -> Tensor:
    """``count`` evenly spaced frames (first and last included) side by side: (1, 3, H, W')."""
    index = torch.linspace(0, frames.shape[0] - 1, min(count, frames.shape[0])).round().long()
    return grid_image(frames[index], nrow=len(index), padding=padding, upscale=upscale)


def _upscale(images: Tensor, factor: int) -> Tensor:
    if factor <= 1:
        return images
    return torch.nn.functional.interpolate(images, scale_factor=factor, mode="nearest")


def to_uint8_frames(frames: Tensor, *, upscale: int = 1) -> np.ndarray:
    """(T, 3, H, W) in [0, 1] -> (T, H, W, 3) uint8 for encoders."""
    frames = _upscale(frames.float().cpu(), upscale)
    return (frames.clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()


def save_animation(frames: Tensor, path: str | os.PathLike, *, fps: float = 24.0, upscale: int = 1) -> Path:
    """Write frames (T, 3, H, W) in [0, 1] as an animated GIF (looping) or an H.264 MP4.

    GIF through imageio's Pillow plugin; MP4 through imageio-ffmpeg (the ffmpeg binary
    ships in its wheel), yuv420p so every browser plays it. The format follows the suffix.
    """
    import imageio.v2 as imageio

    path = Path(path)
    suffix = path.suffix.lower()
    if not 0 < fps <= 60:
        raise ValueError(f"fps must be in (0, 60], got {fps}")
    array = to_uint8_frames(frames, upscale=upscale)
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".gif":
        imageio.mimsave(path, list(array), format="GIF", duration=1000.0 / fps, loop=0)
    elif suffix == ".mp4":
        height, width = array.shape[1:3]
        if height % 2 or width % 2:  # yuv420p needs even sides
            array = np.pad(array, ((0, 0), (0, height % 2), (0, width % 2), (0, 0)), mode="edge")
        with imageio.get_writer(
            path, format="FFMPEG", mode="I", fps=fps, codec="libx264", pixelformat="yuv420p",
            quality=8, macro_block_size=1, ffmpeg_log_level="error",
        ) as writer:  # fmt: skip
            for frame in array:
                writer.append_data(frame)
    else:
        raise ValueError(f"expected an output ending in .gif or .mp4, got {path.name!r}")
    return path


@dataclass(frozen=True)
class WalkFiles:
    """The files of one exported latent walk."""

    gif: Path
    mp4: Path
    strip: Path


def export_walk(frames: Tensor, directory: str | os.PathLike, *, fps: float = 24.0, upscale: int | None = None, name: str = "walk") -> WalkFiles:
    """Write a walk as ``name.gif``, ``name.mp4`` and ``name_strip.png`` into ``directory``.

    ``upscale`` defaults to the smallest integer that makes frames at least 256 px wide
    (64 px DCGAN frames are tiny on a projector).
    """
    from ..images import save_image

    directory = Path(directory)
    upscale = upscale or max(1, -(-256 // frames.shape[-1]))
    return WalkFiles(
        gif=save_animation(frames, directory / f"{name}.gif", fps=fps, upscale=upscale),
        mp4=save_animation(frames, directory / f"{name}.mp4", fps=fps, upscale=upscale),
        strip=save_image(strip_image(frames, upscale=max(1, upscale // 2)), directory / f"{name}_strip.png"),
    )
