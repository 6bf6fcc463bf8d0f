"""The loss terms against their formulas, and the image pool on a fixed seed."""

from __future__ import annotations

import math

import pytest
import torch

from synth.train.losses import GANLoss, cycle_loss, identity_loss, l1_loss
from synth.train.pool import ImagePool

LOGITS = torch.tensor([[[[2.0, -1.0], [0.5, 0.0]]]])  # a 2x2 patch map


def test_vanilla_gan_loss_is_the_cross_entropy_of_eq_1():
    loss = GANLoss("vanilla")
    p = [2.0, -1.0, 0.5, 0.0]
    sigmoid = [1 / (1 + math.exp(-v)) for v in p]
    real = -sum(math.log(s) for s in sigmoid) / 4  # -E[log D(x, y)]
    fake = -sum(math.log(1 - s) for s in sigmoid) / 4  # -E[log(1 - D(x, G(x)))]
    assert float(loss(LOGITS, True)) == pytest.approx(real, rel=1e-6)
    assert float(loss(LOGITS, False)) == pytest.approx(fake, rel=1e-6)


def test_lsgan_loss_is_least_squares():
    loss = GANLoss("lsgan")
    p = [2.0, -1.0, 0.5, 0.0]
    assert float(loss(LOGITS, True)) == pytest.approx(sum((v - 1) ** 2 for v in p) / 4)
    assert float(loss(LOGITS, False)) == pytest.approx(sum(v**2 for v in p) / 4)


def test_gan_loss_targets_take_the_shape_of_the_patch_map():
    prediction = torch.zeros(3, 1, 5, 7, requires_grad=True)
    GANLoss("lsgan")(prediction, True).backward()
    assert prediction.grad.shape == (3, 1, 5, 7)
    assert torch.allclose(prediction.grad, torch.full((3, 1, 5, 7), -2.0 / 105))  # d/dp mean((p - 1)^2) at 0
    with pytest.raises(ValueError, match="'wgangp'"):
        GANLoss("wgangp")


def test_realness_is_what_d_believes():
    assert torch.allclose(GANLoss("vanilla").realness(LOGITS), torch.sigmoid(LOGITS))
    assert GANLoss("lsgan").realness(LOGITS).tolist() == [[[[1.0, 0.0], [0.5, 0.0]]]]


def test_l1_cycle_and_identity_terms_are_mean_absolute_differences():
    a = torch.tensor([[0.0, 1.0], [-1.0, 0.5]])
    b = torch.tensor([[0.5, 1.0], [1.0, -0.5]])
    expected = (0.5 + 0.0 + 2.0 + 1.0) / 4
    assert float(l1_loss(a, b)) == pytest.approx(expected)  # E||y - G(x)||_1, Isola et al. eq. 3
    assert float(cycle_loss(a, b)) == pytest.approx(expected)  # E||F(G(x)) - x||_1, Zhu et al. eq. 2
    assert float(identity_loss(a, b)) == pytest.approx(expected)  # E||G(y) - y||_1


def _image(value: float) -> torch.Tensor:
    return torch.full((1, 1, 2, 2), float(value))


def test_image_pool_fills_then_swaps_with_probability_one_half():
    pool = ImagePool(50, torch.Generator().manual_seed(0))
    for index in range(50):  # filling: every image comes back as it is
        assert torch.equal(pool.query(_image(index)), _image(index))
    assert len(pool) == 50
    stored = 0
    seen = set(range(50))
    for index in range(50, 1050):
        out = float(pool.query(_image(index))[0, 0, 0, 0])
        if out != index:
            stored += 1
            assert out in seen  # an image stored earlier ...
            seen.remove(out)
            seen.add(index)  # ... and the new one took its place
    assert {float(image[0, 0, 0, 0]) for image in pool.images} == seen
    assert 450 <= stored <= 550  # p = 0.5 over 1000 draws: mean 500, sd 16


def test_image_pool_is_reproducible_from_its_seed_and_works_per_image():
    def run(seed: int) -> list[float]:
        pool = ImagePool(4, torch.Generator().manual_seed(seed))
        return [v for step in range(20) for v in pool.query(torch.arange(3.0)[:, None, None, None] + 10 * step).flatten().tolist()]

    assert run(1) == run(1)
    assert run(1) != run(2)
    assert run(1)[:4] == [0.0, 1.0, 2.0, 10.0]  # fills image by image across a batch
    assert torch.equal(ImagePool(0).query(_image(7)), _image(7))
    fake = torch.ones(2, 3, 4, 4, requires_grad=True) * 2
    assert not ImagePool(2).query(fake).requires_grad
