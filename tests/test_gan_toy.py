"""The 2-D GAN: a real (small) training run covers the ring's modes; views and inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from synth.gan import toy
from synth.gan.toy_view import render
from synth.progress import Progress, StopEarly


def test_default_training_covers_the_ring_of_gaussians(artifacts: Path) -> None:
    gan = toy.train(target="ring", seed=0)  # default steps and settings
    points = gan.generate(gan.sample_z(2000, torch.Generator().manual_seed(123)))
    covered = toy.modes_covered(points, toy.ring_centres(), toy.RING_SIGMA)
    Image.fromarray(render(gan)).save(artifacts / "gan_2d_ring.png")
    assert covered >= 6, f"only {covered} of 8 modes covered"
    near = torch.cdist(points, toy.ring_centres()).min(dim=1).values < 3 * toy.RING_SIGMA
    assert near.float().mean() > 0.5  # most samples are good samples, not a smear
    untrained = toy.ToyGAN(target="ring", seed=0)
    assert toy.modes_covered(untrained.generate(untrained.sample_z(2000)), toy.ring_centres()) < covered


def test_same_seed_same_run_and_both_losses_train() -> None:
    a, b = toy.train(target="moons", steps=30, seed=4), toy.train(toy.ToyOptions(target="moons", steps=30, seed=4))
    assert a.history == b.history
    minimax = toy.train(target="line", steps=30, seed=4, loss="minimax", noise="uniform")
    assert len(minimax.history) == 30 and all(np.isfinite(minimax.history[-1]))
    minimax.set_options(loss="non-saturating", lr_g=1e-3)
    minimax.step(2)
    assert minimax.step_count == 32 and minimax.opt_g.param_groups[0]["lr"] == 1e-3
    assert minimax.options.loss == "non-saturating" and minimax.options.lr_d == 2e-3


def test_stop_early_returns_the_gan_as_it_is() -> None:
    seen: list[Progress] = []

    def stop_at_5(progress: Progress) -> None:
        seen.append(progress)
        if progress.step == 5:
            raise StopEarly

    gan = toy.train(target="moons", steps=30, seed=4, callback=stop_at_5)
    assert gan.step_count == 5 and len(seen) == 5 and seen[-1].total == 30
    assert set(seen[-1].losses) == {"D", "G"} and seen[-1].losses["D"] == gan.history[-1][1]
    assert gan.history == toy.train(target="moons", steps=5, seed=4).history


def test_drawn_points_and_views() -> None:
    mask = np.zeros((100, 100), dtype=bool)
    mask[10, 10:90] = True  # a horizontal stroke near the top
    points = toy.points_from_mask(mask)
    assert points.shape == (80, 2)
    assert torch.allclose(points[:, 1], torch.full((80,), 3.0 - 10.5 / 100 * 6), atol=1e-5)
    gan = toy.ToyGAN(target="drawn", points=points, seed=1)
    gan.step(3)
    image = render(gan)
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3 and image.shape[1] > 900
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 50
    with pytest.raises(ValueError, match="draw"):
        toy.points_from_mask(np.zeros((10, 10), dtype=bool))
    with pytest.raises(ValueError, match="target: 'square' is not one of 'ring'"):
        toy.ToyGAN(target="square")
    with pytest.raises(ValueError, match="lr_d must be at most 0.1"):
        gan.set_options(lr_d=5.0)
    with pytest.raises(ValueError, match="lr_g must be above 0"):
        gan.set_options(lr_g=0)
    assert gan.options.lr_d == 2e-3  # a refused change changes nothing
