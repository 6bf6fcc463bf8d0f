"""What every procedural data set shares: validation, seeded random streams, pixel grids.

A set draws sample ``index`` of ``seed`` from its own random streams, one
:class:`numpy.random.Generator` per (set, seed, index, stream), made from a
:class:`numpy.random.SeedSequence` whose spawn key names the set, the index and the
stream. Streams never share state, so a sample does not depend on which samples
were drawn before it (a trainer and the command line see the same pair 17), and the
two parts of a sample that must be independent (a map's layout and its aerial
texture; domain A and domain B) come from different streams.

Scenes are drawn in world coordinates: the image is the unit square, ``y`` down,
pixel centres at ``(i + 0.5) / size``. The same (seed, index) at 64 and at 256
pixels is the same scene; only textures that live at the pixel scale differ.
"""

from __future__ import annotations

import functools
import zlib
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from torch import Tensor

from .. import runtime

__all__ = ["MAX_SIZE", "MIN_SIZE", "PairedSet", "Sample", "UnpairedSet", "capsule", "coverage", "grid", "stream", "to_tensor"]

MIN_SIZE, MAX_SIZE = 32, 512
Domain = Literal["A", "B"]


def check_size(size: object) -> int:
    """``size`` as an int in [:data:`MIN_SIZE`, :data:`MAX_SIZE`], else ``ValueError``."""
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not MIN_SIZE <= size <= MAX_SIZE:
        raise ValueError(f"size must be a whole number of pixels from {MIN_SIZE} to {MAX_SIZE}, got {str(size)[:40]}")
    return int(size)


def check_index(index: object) -> int:
    """``index`` as an int in [0, 2**63), else ``ValueError``."""
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < 2**63:
        raise ValueError(f"a sample index must be a whole number in [0, 2**63), got {str(index)[:40]}")
    return int(index)


def stream(name: str, seed: int, index: int, label: str) -> np.random.Generator:
    """The random stream ``label`` of sample ``index`` of set ``name`` under ``seed``.

    Independent of every other (name, index, label) and of the order of calls.
    """
    key = (zlib.crc32(name.encode()), index, zlib.crc32(label.encode()))
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


@functools.lru_cache(maxsize=16)
def grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """World coordinates ``(y, x)`` of the pixel centres, each (size, size) float32, read-only."""
    centres = (np.arange(size, dtype=np.float32) + 0.5) / size
    y, x = np.meshgrid(centres, centres, indexing="ij")
    y.flags.writeable = x.flags.writeable = False
    return y, x


def coverage(distance: np.ndarray, size: int) -> np.ndarray:
    """Anti-aliased coverage of a shape from its signed distance (world units, < 0 inside).

    A linear ramp one pixel wide across the boundary: 1 inside, 0 outside, 0.5 on it.
    """
    return np.clip(0.5 - distance * size, 0.0, 1.0)


def capsule(x: np.ndarray, y: np.ndarray, segment: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Signed distance (world units) to a tapered capsule, and the position along its axis.

    ``segment`` is ``(x0, y0, x1, y1, r0, r1)``: the axis from (x0, y0) to (x1, y1),
    the radius going linearly from r0 to r1 along it. The position is the distance
    from (x0, y0) of the nearest point of the axis.
    """
    x0, y0, x1, y1, r0, r1 = segment[:6]
    dx, dy = x1 - x0, y1 - y0
    length2 = max(dx * dx + dy * dy, 1e-12)
    t = np.clip(((x - x0) * dx + (y - y0) * dy) / length2, 0, 1)
    return np.hypot(x - x0 - t * dx, y - y0 - t * dy) - (r0 + t * (r1 - r0)), t * np.sqrt(length2)


def to_tensor(image: np.ndarray) -> Tensor:
    """(H, W, C) float array -> (C, H, W) float32 tensor clipped to [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(np.clip(image, 0.0, 1.0).transpose(2, 0, 1), dtype=np.float32))


class _Set(ABC):
    """Name, labels and the description the tabs and the command line show."""

    name: str
    title: str
    a_label: str
    b_label: str
    description: str

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


class PairedSet(_Set):
    """Aligned pairs (A = input, B = target) for pix2pix (Isola et al. 2017)."""

    def pair(self, index: int, *, seed: int, size: int = 64) -> tuple[Tensor, Tensor]:
        """Pair ``index`` of ``seed``: ``(a, b)``, each (3, size, size) float32 in [0, 1].

        Deterministic in (seed, index, size); different indices are independent draws.
        """
        seed, index, size = runtime.check_seed(seed), check_index(index), check_size(size)
        a, b = self._render(seed, index, size)
        return to_tensor(a), to_tensor(b)

    def batch(self, indices: Sequence[int], *, seed: int, size: int = 64) -> tuple[Tensor, Tensor]:
        """The pairs of ``indices`` stacked: ``(a, b)``, each (B, 3, size, size)."""
        pairs = [self.pair(i, seed=seed, size=size) for i in _indices(indices)]
        return torch.stack([a for a, _ in pairs]), torch.stack([b for _, b in pairs])

    @abstractmethod
    def _render(self, seed: int, index: int, size: int) -> tuple[np.ndarray, np.ndarray]:
        """(A, B) as (size, size, 3) float arrays in [0, 1]."""


@dataclass(frozen=True)
class Sample:
    """One image of an unpaired domain with its generator's ground truth.

    Attributes
    ----------
    image : Tensor
        (3, size, size) float32 in [0, 1].
    mask : Tensor
        (1, size, size) float32 in {0, 1}: 1 = animal (foreground).
    attributes : Mapping
        What the generator drew, e.g. ``{"animals": 2, "head_side": "left", "pose": "grazing"}``.
    """

    image: Tensor
    mask: Tensor
    attributes: Mapping[str, int | str | float]


class UnpairedSet(_Set):
    """Two domains drawn independently, for CycleGAN (Zhu et al. 2017)."""

    def sample(self, domain: Domain, index: int, *, seed: int, size: int = 64) -> Sample:
        """Image ``index`` of ``domain`` under ``seed``.

        Domains use independent random streams: A's image ``i`` and B's image ``i``
        are not a pair.
        """
        if domain not in ("A", "B"):
            raise ValueError(f"domain must be 'A' or 'B', got {str(domain)[:40]!r}")
        seed, index, size = runtime.check_seed(seed), check_index(index), check_size(size)
        image, mask, attributes = self._render(domain, seed, index, size)
        mask_tensor = torch.from_numpy((mask >= 0.5).astype(np.float32))[None]
        return Sample(to_tensor(image), mask_tensor, attributes)

    def batch(self, domain: Domain, indices: Sequence[int], *, seed: int, size: int = 64) -> tuple[Tensor, Tensor]:
        """Images (B, 3, size, size) and masks (B, 1, size, size) of ``indices``."""
        samples = [self.sample(domain, i, seed=seed, size=size) for i in _indices(indices)]
        return torch.stack([s.image for s in samples]), torch.stack([s.mask for s in samples])

    @abstractmethod
    def _render(self, domain: Domain, seed: int, index: int, size: int) -> tuple[np.ndarray, np.ndarray, dict[str, int | str | float]]:
        """(image (size, size, 3) in [0, 1], coverage (size, size) in [0, 1], attributes)."""


def _indices(indices: Sequence[int]) -> list[int]:
    if isinstance(indices, (str, bytes)) or not isinstance(indices, (Sequence, range, np.ndarray, Tensor)):
        raise ValueError(f"indices must be a sequence of whole numbers, got {type(indices).__name__}")
    out = [check_index(int(i)) if isinstance(i, (np.integer, Tensor)) else check_index(i) for i in indices]
    if not out:
        raise ValueError("indices is empty: a batch needs at least one index")
    return out
