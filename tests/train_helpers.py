"""Small training data for the trainer tests: folders of smooth images and a stand-in for
the procedural sets of ``synth.datasets`` (its own tests live with it)."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

import synth
from synth.images import save_image


def smooth(count: int, side: int, seed: int) -> torch.Tensor:
    """``count`` smooth random colour fields (count, 3, side, side) in [0, 1]."""
    coarse = torch.rand(count, 3, 4, 4, generator=torch.Generator().manual_seed(seed))
    return F.interpolate(coarse, size=(side, side), mode="bilinear", align_corners=False)


def target_of(images: torch.Tensor) -> torch.Tensor:
    """The paired "translation" of the test data: a permutation of the colour channels."""
    return images[:, [2, 0, 1]]


def write_pair_folders(root: Path, count: int = 8, side: int = 40, seed: int = 0) -> Path:
    """root/A/i.png and root/B/i.png, B the channel-permuted A."""
    a = smooth(count, side, seed)
    for index, (x, y) in enumerate(zip(a, target_of(a))):
        save_image(x, root / "A" / f"{index:02d}.png")
        save_image(y, root / "B" / f"{index:02d}.png")
    return root


def write_aligned(root: Path, count: int = 8, side: int = 40, seed: int = 0) -> Path:
    """root/i.png: A | B side by side (the official aligned format)."""
    a = smooth(count, side, seed)
    for index, (x, y) in enumerate(zip(a, target_of(a))):
        save_image(torch.cat([x, y], dim=-1), root / f"{index:02d}.png")
    return root


def same_gradients(mine: torch.nn.Module, theirs: torch.nn.Module) -> list[str]:
    """Parameters whose gradients differ beyond rounding: |a - b| > 1e-4 |b| + 1e-5 |all of theirs| (norms).

    The floor, relative to the whole network's gradient, is for gradients that are 0 in
    exact arithmetic, such as a convolution bias followed by InstanceNorm (which cancels
    it), where a batched and an unbatched computation leave different rounding noise.
    """
    total = float(torch.cat([p.grad.flatten() for p in theirs.parameters()]).norm())
    return [
        name
        for (name, a), b in zip(mine.named_parameters(), theirs.parameters())
        if float((a.grad - b.grad).norm()) > 1e-4 * float(b.grad.norm()) + 1e-5 * total
    ]


class FakePaired:
    """Stands in for a procedural paired set: ``batch(indices, *, seed, size)`` -> (A, B)."""

    def batch(self, indices, *, seed: int, size: int) -> tuple[torch.Tensor, torch.Tensor]:
        a = torch.cat([smooth(1, size, seed * 1000 + i) for i in indices])
        return a, target_of(a)


class FakeUnpaired:
    """Stands in for a procedural unpaired set: ``batch(domain, indices, *, seed, size)`` -> (images, masks)."""

    def batch(self, domain: str, indices, *, seed: int, size: int) -> tuple[torch.Tensor, torch.Tensor]:
        images = torch.cat([smooth(1, size, seed * 1000 + i + (500 if domain == "B" else 0)) for i in indices])
        images = target_of(images) if domain == "B" else images
        return images, torch.ones(len(indices), 1, size, size, dtype=torch.bool)


@pytest.fixture
def fake_datasets(monkeypatch) -> types.ModuleType:
    """``synth.datasets`` with the API the trainers use: PAIRED_SETS, paired(), UNPAIRED_SETS, unpaired()."""
    module = types.ModuleType("synth.datasets")
    module.PAIRED_SETS = ("maps", "colour")
    module.UNPAIRED_SETS = ("coats",)
    module.paired = lambda name: FakePaired()
    module.unpaired = lambda name: FakeUnpaired()
    monkeypatch.setitem(sys.modules, "synth.datasets", module)
    monkeypatch.setattr(synth, "datasets", module, raising=False)
    return module
