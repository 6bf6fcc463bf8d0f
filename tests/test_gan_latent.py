"""Latent-space operations: truncation, seeds, lerp/slerp, loops, latent-walk grids, export."""

from __future__ import annotations

from pathlib import Path

import imageio.v2 as imageio
import pytest
import torch

from synth.gan import generate, latent
from synth.gan.imagenet import class_names, find_class, search_classes


def test_truncated_sampling_stays_within_the_bounds() -> None:
    gen = torch.Generator().manual_seed(0)
    for truncation in (1.0, 0.4, 0.02):
        z = latent.truncated_normal((4000, 128), generator=gen, truncation=truncation)
        assert z.abs().max() <= 2 * truncation + 1e-6
        assert z.std() == pytest.approx(0.88 * truncation, rel=0.05)  # std of N(0,1) cut at +-2
    with pytest.raises(ValueError, match="truncation"):
        latent.truncated_normal((3,), generator=gen, truncation=1.5)


def test_a_seed_names_one_latent_and_rerolling_changes_one_cell() -> None:
    a = latent.latents_for_seeds([3, 4, 5], 100, truncation=0.7)
    b = latent.latents_for_seeds([5, 3], 100, truncation=0.7)
    assert torch.equal(a[0], b[1]) and torch.equal(a[2], b[0])
    seeds = latent.reroll([3, 4, 5], 1)
    assert seeds[0] == 3 and seeds[2] == 5 and seeds[1] not in (3, 4, 5)
    with pytest.raises(ValueError, match="seed"):
        latent.latents_for_seeds([-1], 10)
    with pytest.raises(ValueError, match="cell"):
        latent.reroll([1, 2], 5)


def test_slerp_and_lerp() -> None:
    gen = torch.Generator().manual_seed(1)
    a, b = torch.randn(128, generator=gen), 1.5 * torch.randn(128, generator=gen)
    for method in ("slerp", "lerp"):
        path = latent.interpolate(a, b, 9, method=method)
        assert path.shape == (9, 128)
        assert torch.equal(path[0], a) and torch.equal(path[-1], b)  # exact endpoints
    slerped, lerped = latent.interpolate(a, b, 9, method="slerp"), latent.interpolate(a, b, 9, method="lerp")
    t = torch.linspace(0, 1, 9)
    assert torch.allclose(slerped.norm(dim=1), (1 - t) * a.norm() + t * b.norm(), rtol=1e-5)  # norms interpolate linearly
    assert lerped[4].norm() < 0.85 * slerped[4].norm()  # lerp cuts through the low-norm middle
    assert (slerped - lerped).abs().max() > 0.1
    # equal norms: the classic formula, constant norm along the arc
    c = b / b.norm() * a.norm()
    assert torch.allclose(latent.interpolate(a, c, 7).norm(dim=1), a.norm().expand(7), rtol=1e-5)
    # the direction moves at constant angular speed
    unit = slerped / slerped.norm(dim=1, keepdim=True)
    steps = torch.arccos((unit[1:] * unit[:-1]).sum(1).clamp(-1, 1))
    assert torch.allclose(steps, steps.mean().expand_as(steps), rtol=1e-3)
    with pytest.raises(ValueError, match="steps"):
        latent.interpolate(a, b, 0)
    with pytest.raises(ValueError, match="method"):
        latent.interpolate(a, b, 3, method="cubic")


def test_paths_loops_and_latent_walk_grids() -> None:
    points = torch.randn(3, 16, generator=torch.Generator().manual_seed(2))
    path = latent.interpolation_path(points, 5)
    assert path.shape[0] == 9 and torch.equal(path[4], points[1]) and torch.equal(path[-1], points[2])
    loop = latent.interpolation_path(points[:2], 5, loop=True)  # A -> B -> A, last frame dropped
    assert loop.shape[0] == 8 and torch.equal(loop[0], points[0]) and torch.equal(loop[4], points[1])
    frames = torch.arange(5.0)[:, None]
    assert latent.ping_pong(frames)[:, 0].tolist() == [0, 1, 2, 3, 4, 3, 2, 1]
    corners = torch.randn(4, 8, generator=torch.Generator().manual_seed(3))
    grid = latent.bilinear_grid(corners, 4)
    assert grid.shape == (16, 8)
    assert torch.allclose(grid[[0, 3, 12, 15]], corners)
    assert torch.allclose(grid[1], corners[0] * 2 / 3 + corners[1] / 3)


def test_same_seed_same_grid_with_the_dcgan() -> None:
    first = generate.sample("dcgan/faces-64", seed=11, n=4, device="cpu")
    again = generate.sample("dcgan/faces-64", seeds=[11, 12, 13, 14], device="cpu")
    other = generate.sample("dcgan/faces-64", seed=12, n=4, device="cpu")
    assert torch.equal(first.images, again.images)
    assert torch.equal(first.images[1:], other.images[:3])  # a cell depends only on its seed
    assert first.images.min() >= 0 and first.images.max() <= 1
    assert first.classes is None and first.captions()[0] == "seed 11"
    with pytest.raises(ValueError, match="n must be at least 1"):
        generate.sample("dcgan/faces-64", n=0)


def test_interpolation_renders_and_exports(tmp_path: Path) -> None:
    frames = generate.interpolate("dcgan/faces-64", seeds=(1, 2), steps=6, loop=True, device="cpu")
    assert frames.shape == (10, 3, 64, 64)
    ends = generate.sample("dcgan/faces-64", seeds=[1, 2], device="cpu").images
    assert torch.allclose(frames[0], ends[0], atol=1e-5) and torch.allclose(frames[5], ends[1], atol=1e-5)
    files = latent.export_walk(frames, tmp_path)
    gif = imageio.mimread(files.gif)
    assert len(gif) == 10 and gif[0].shape[:2] == (256, 256)
    with imageio.get_reader(files.mp4) as reader:
        assert sum(1 for _ in reader) == 10
    strip = imageio.imread(files.strip)
    assert strip.shape[1] > 4 * strip.shape[0]
    with pytest.raises(ValueError, match="two seeds"):
        generate.interpolate("dcgan/faces-64", seeds=(1,))
    with pytest.raises(ValueError, match="gif or .mp4"):
        latent.save_animation(frames, tmp_path / "walk.avi")


def test_imagenet_class_search() -> None:
    assert len(class_names()) == 1000
    assert find_class("golden retriever") == 207 == find_class("207") == find_class("goldn retriever")
    assert (207, "golden retriever") in search_classes("retriever")
    with pytest.raises(ValueError, match="several"):
        find_class("dog")
    with pytest.raises(ValueError, match="no ImageNet class"):
        find_class("xyzzy")
    with pytest.raises(ValueError, match="index"):
        find_class(1000)
