"""The measures that score translations: their definitions on known inputs, and their validity on generated samples."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torchvision.transforms.functional import gaussian_blur

from synth.datasets import measures as M
from synth.datasets import paired, unpaired
from synth.datasets.base import grid, stream, to_tensor
from synth.datasets.coats import draw_animals, paint_scene

SIZE = 64


@pytest.fixture(scope="module")
def coats() -> dict[str, list]:
    """60 generated samples per domain at the training size."""
    dataset = unpaired("coats")
    return {domain: [dataset.sample(domain, i, seed=11, size=SIZE) for i in range(60)] for domain in "AB"}


# ------------------------------------------------------------------ sharpness
def test_radial_spectrum_puts_a_sinusoid_in_its_bin() -> None:
    def wave(cycles: int) -> torch.Tensor:
        # sampled symmetrically, so that it has no jump across the border and Moisan's smooth part is 0
        x = torch.arange(64, dtype=torch.float64) + 0.5
        return (0.5 + 0.4 * torch.cos(2 * math.pi * cycles * x / 64)).expand(1, 3, 64, 64)

    spectrum = M.radial_power_spectrum(wave(20))
    assert spectrum.shape == (1, 33) and int(spectrum[0].argmax()) == 20
    assert spectrum[0, 20] > 1e6 * spectrum[0, :20].sum()
    # above half Nyquist (bins 17..32) counts as high frequency, below does not
    assert M.high_frequency_energy(wave(20)) > 1e6 * M.high_frequency_energy(wave(16))


@pytest.mark.parametrize("name", ["maps", "colour"])
def test_high_frequency_ratio_separates_sharp_and_blurred(name: str) -> None:
    _, target = paired(name).batch(range(16), seed=3, size=SIZE)
    assert M.high_frequency_ratio(target, target) == pytest.approx(1.0, abs=1e-12)
    assert M.high_frequency_ratio(gaussian_blur(target, 9, 1.0), target) < 0.1
    assert M.high_frequency_ratio(target.mean(0, keepdim=True).expand_as(target), target) < 0.5  # the average of the targets
    noisy = (target + 0.05 * torch.randn(target.shape, generator=torch.Generator().manual_seed(0))).clamp(0, 1)
    assert M.high_frequency_ratio(noisy, target) > 1


def test_high_frequency_ratio_refuses_what_it_cannot_score() -> None:
    with pytest.raises(ValueError, match="same shape"):
        M.high_frequency_ratio(torch.rand(2, 3, 32, 32), torch.rand(2, 3, 64, 64))
    with pytest.raises(ValueError, match="no high-frequency energy"):
        M.high_frequency_ratio(torch.rand(1, 3, 32, 32), torch.full((1, 3, 32, 32), 0.5))
    with pytest.raises(ValueError, match=r"\(B, 3, H, W\)"):
        M.high_frequency_ratio(torch.rand(1, 1, 32, 32), torch.rand(1, 1, 32, 32))


# ------------------------------------------------------------------ colour
def test_colourfulness_is_hasler_and_suesstrunks_formula() -> None:
    image = torch.zeros(1, 3, 4, 4)
    image[0, 0, :, :2] = 1  # left half red, right half blue
    image[0, 2, :, 2:] = 1
    rg, yb = np.array([255.0, 0.0]), np.array([127.5, -255.0])  # per half, equal areas
    expected = math.hypot(rg.std(), yb.std()) + 0.3 * math.hypot(rg.mean(), yb.mean())
    assert M.colourfulness(image) == pytest.approx(expected)
    assert M.colourfulness(torch.rand(2, 1, 8, 8).expand(2, 3, 8, 8)) == pytest.approx(0, abs=1e-9)


def test_colour_targets_are_colourful_and_their_inputs_are_not() -> None:
    grey, colour = paired("colour").batch(range(16), seed=2, size=SIZE)
    assert M.colourfulness(colour) > 50
    assert M.colourfulness_ratio(grey, colour) < 0.01
    with pytest.raises(ValueError, match="no colour"):
        M.colourfulness_ratio(colour, grey)


# ------------------------------------------------------------------ silhouettes and attributes
def test_iou_on_known_masks() -> None:
    a, b = torch.zeros(1, 1, 8, 8), torch.zeros(1, 1, 8, 8)
    assert M.iou(a, b) == 1.0  # both empty
    a[..., :4, :] = 1
    b[..., 2:6, :] = 1
    assert M.iou(a, b) == pytest.approx(1 / 3)
    assert M.iou(a, 1 - a) == 0.0


@pytest.mark.parametrize("size, bound", [(SIZE, 0.88), (128, 0.9)])
def test_silhouette_recovers_the_true_masks(size: int, bound: float) -> None:
    dataset = unpaired("coats")
    for domain in "AB":
        images, masks = dataset.batch(domain, range(30), seed=11, size=size)
        assert M.iou(M.silhouette(images), masks) >= bound


def test_silhouette_of_grey_and_black_animals_is_not_grass(coats: dict[str, list]) -> None:
    sample = coats["A"][0]
    inside = sample.mask.bool().expand(3, -1, -1)
    for colour in (0.05, 0.5, 0.95):  # black, a grey-ish generator output, white
        image = torch.where(inside, torch.full_like(sample.image, colour), sample.image)
        assert M.iou(M.silhouette(image), sample.mask[None]) > 0.85


def test_attributes_read_from_the_silhouette_match_the_ground_truth(coats: dict[str, list]) -> None:
    agree = {"animals": 0, "head_side": 0, "pose": 0}
    samples = coats["A"] + coats["B"]
    for sample in samples:
        measured = M.attributes_from_silhouette(M.silhouette(sample.image)[0])
        for name in agree:
            agree[name] += measured[name] == sample.attributes[name]
    assert all(count / len(samples) >= 0.95 for count in agree.values()), agree


def test_attributes_of_an_empty_or_misshaped_mask() -> None:
    assert M.attributes_from_silhouette(torch.zeros(1, 16, 16)) == {"animals": 0, "head_side": "none", "pose": "none"}
    with pytest.raises(ValueError, match="silhouette"):
        M.attributes_from_silhouette(torch.zeros(2, 16, 16))


def test_flipping_an_animal_flips_its_head_side(coats: dict[str, list]) -> None:
    for sample in coats["A"][:10]:
        side = M.attributes_from_silhouette(sample.mask)["head_side"]
        flipped = M.attributes_from_silhouette(sample.mask.flip(-1))["head_side"]
        assert {side, flipped} == {"left", "right"}


# ------------------------------------------------------------------ stripes and correspondence
def test_stripe_score_separates_the_domains(coats: dict[str, list]) -> None:
    brown = [M.stripe_score(s.image, s.mask) for s in coats["A"]]
    striped = [M.stripe_score(s.image, s.mask) for s in coats["B"]]
    assert max(brown) < 0.15 and min(striped) > M.STRIPED
    correct = sum(not M.is_striped(s.image, s.mask) for s in coats["A"]) + sum(M.is_striped(s.image, s.mask) for s in coats["B"])
    assert correct / 120 >= 0.98
    white = torch.where(coats["A"][0].mask.bool(), torch.full_like(coats["A"][0].image, 0.9), coats["A"][0].image)
    assert M.stripe_score(white, coats["A"][0].mask) < 0.1  # white but no alternation


def _translated(index: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(x, the ideal G(x)): domain-A animals, and the same animals in striped coats on the same meadow's kind."""
    animals = draw_animals(stream("coats", 11, index, "A/animals"))
    x, _ = paint_scene(animals, "A", SIZE, stream("coats", 11, index, "A/paint"))
    gx, _ = paint_scene(animals, "B", SIZE, stream("coats", 11, index, "A/paint"))
    return to_tensor(x), to_tensor(gx)


def test_correspondence_rewards_a_faithful_translation_and_catches_one_that_ignores_its_input(coats: dict[str, list]) -> None:
    pairs = [_translated(i) for i in range(30)]
    x, gx = torch.stack([p[0] for p in pairs]), torch.stack([p[1] for p in pairs])
    faithful = M.correspondence(x, gx)
    assert faithful["iou"] >= 0.8 and faithful["attributes"] >= 0.9 and faithful["domain_b_share"] >= 0.95, faithful
    # a generator that draws some zebra whatever the horse: striped, but not this animal
    unrelated = torch.stack([s.image for s in coats["B"][:30]])
    ignoring = M.correspondence(x, unrelated)
    assert ignoring["domain_b_share"] >= 0.95 and ignoring["iou"] < 0.4 and ignoring["attributes"] < 0.5, ignoring
    # the identity corresponds perfectly and is never striped
    identity = M.correspondence(x, x)
    assert identity["iou"] == 1.0 and identity["attributes"] == 1.0 and identity["domain_b_share"] == 0.0


def test_correspondence_catches_the_issues_gan_only_prototype() -> None:
    """Issue 14: a GAN loss alone made every brown animal a striped blob at the right place, without head or legs."""
    y, x = grid(SIZE)
    images, blobs = [], []
    for index in range(30):
        animals = draw_animals(stream("coats", 12, index, "A/animals"))
        image, alpha = paint_scene(animals, "A", SIZE, stream("coats", 12, index, "A/paint"))
        body = np.zeros((SIZE, SIZE), dtype=bool)
        for animal in animals:  # the body ellipse alone
            cx, cy, a, b, tilt = animal.body
            u, v = (x - cx) * np.cos(tilt) + (y - cy) * np.sin(tilt), -(x - cx) * np.sin(tilt) + (y - cy) * np.cos(tilt)
            body |= (u / a) ** 2 + (v / b) ** 2 <= 1
        blob = np.where(alpha[..., None] > 0, np.median(image[alpha == 0], axis=0), image)
        blob[body] = np.where((np.sin(2 * np.pi * 16 * x) > 0)[body][:, None], 0.9, 0.08)
        images.append(to_tensor(image))
        blobs.append(to_tensor(blob))
    scores = M.correspondence(torch.stack(images), torch.stack(blobs))
    assert scores["domain_b_share"] >= 0.95  # it does look striped ...
    assert scores["iou"] < 0.7 and scores["attributes"] < 0.5, scores  # ... but it is not this animal
