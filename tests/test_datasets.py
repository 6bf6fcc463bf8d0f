"""The procedural data sets: registry, determinism, ranges, independence, what each set must show, the CLI."""

from __future__ import annotations

import colorsys
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from synth.cli import main
from synth.datasets import PAIRED_SETS, UNPAIRED_SETS, Sample, measures, paired, textures, unpaired
from synth.datasets.base import stream
from synth.datasets.coats import draw_animals
from synth.datasets.export import DatasetOptions, write_dataset
from synth.datasets.maps import PALETTE, draw_layout, paint_aerial, paint_map, rasterise


# ------------------------------------------------------------------ registry and validation
def test_registry_names_and_unknown_names() -> None:
    assert PAIRED_SETS == ("maps", "colour")
    assert UNPAIRED_SETS == ("coats", "seasons")
    for name in PAIRED_SETS:
        assert paired(name).name == name and paired(name).a_label and paired(name).b_label
    with pytest.raises(ValueError, match="known: maps, colour"):
        paired("horses")
    with pytest.raises(ValueError, match="an unpaired set"):
        paired("coats")
    with pytest.raises(ValueError, match="known: coats"):
        unpaired("maps")


@pytest.mark.parametrize("size", [16, 31, 513, 64.5, True, "64"])
def test_bad_sizes_are_refused(size: object) -> None:
    with pytest.raises(ValueError, match="size must be"):
        paired("maps").pair(0, seed=0, size=size)  # type: ignore[arg-type]


def test_bad_index_seed_domain_and_batch_are_refused() -> None:
    with pytest.raises(ValueError, match="index"):
        paired("colour").pair(-1, seed=0)
    with pytest.raises(ValueError, match="seed"):
        paired("colour").pair(0, seed=-3)
    with pytest.raises(ValueError, match="domain"):
        unpaired("coats").sample("C", 0, seed=0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="empty"):
        paired("maps").batch([], seed=0)


# ------------------------------------------------------------------ paired sets
@pytest.mark.parametrize("name", PAIRED_SETS)
def test_pairs_are_deterministic_in_range_and_independent(name: str) -> None:
    dataset = paired(name)
    a, b = dataset.pair(5, seed=7, size=64)
    for image in (a, b):
        assert image.shape == (3, 64, 64) and image.dtype == torch.float32
        assert 0 <= float(image.min()) and float(image.max()) <= 1
    a2, b2 = dataset.pair(5, seed=7, size=64)
    assert torch.equal(a, a2) and torch.equal(b, b2)
    other_seed, other_index = dataset.pair(5, seed=8, size=64), dataset.pair(6, seed=7, size=64)
    assert not torch.equal(b, other_seed[1]) and not torch.equal(b, other_index[1])
    # a batch is the stacked pairs, whatever else was drawn before
    batch_a, batch_b = dataset.batch([6, 5], seed=7, size=64)
    assert batch_a.shape == (2, 3, 64, 64) and torch.equal(batch_a[1], a) and torch.equal(batch_b[0], other_index[1])


@pytest.mark.parametrize("name", PAIRED_SETS)
@pytest.mark.parametrize("size", [32, 256])
def test_pairs_at_other_sizes(name: str, size: int) -> None:
    a, b = paired(name).pair(1, seed=0, size=size)
    assert a.shape == b.shape == (3, size, size)
    assert float(b.std()) > 0.05  # not blank


def test_map_uses_only_palette_colours() -> None:
    for index in range(6):
        a, _ = paired("maps").pair(index, seed=2, size=64)
        colours = torch.unique(a.permute(1, 2, 0).reshape(-1, 3), dim=0)
        palette = torch.from_numpy(PALETTE)
        assert torch.cdist(colours, palette).min(dim=1).values.max() < 1e-6


def test_aerial_is_stochastic_given_the_map() -> None:
    layout = draw_layout(stream("maps", 0, 3, "layout"))
    labels, ids = rasterise(layout, 64)
    aerials = np.stack([paint_aerial(layout, labels, ids, 64, np.random.default_rng(k)) for k in range(24)])
    # the map is the layout's alone; two aerials of it differ in texture ...
    assert np.array_equal(paint_map(labels), paint_map(rasterise(layout, 64)[0]))
    assert np.abs(aerials[0] - aerials[1]).mean() > 0.03
    # ... but both follow it: the class of a pixel explains much of each aerial's luminance
    for aerial in aerials[:2]:
        luma = aerial @ np.array([0.299, 0.587, 0.114])
        means = np.array([luma[labels == k].mean() if (labels == k).any() else 0 for k in range(6)])
        assert 1 - np.var(luma - means[labels]) / np.var(luma) > 0.3
    # so the L1-optimal answer, the average of the aerials that fit the map, has lost most of their detail
    singles = torch.from_numpy(np.ascontiguousarray(aerials.transpose(0, 3, 1, 2)))
    average = singles.mean(dim=0, keepdim=True)
    assert measures.high_frequency_energy(average) < 0.5 * measures.high_frequency_energy(singles) / len(singles)


def test_the_grey_input_is_the_luminance_and_does_not_tell_the_hue() -> None:
    grey, colour = paired("colour").batch(range(16), seed=1, size=64)
    assert torch.equal(grey[:, 0], grey[:, 1]) and torch.equal(grey[:, 1], grey[:, 2])
    luma = torch.einsum("c,bchw->bhw", torch.tensor([0.299, 0.587, 0.114]), colour)
    assert torch.allclose(grey[:, 0], luma, atol=1e-5)
    # pixels of one grey level take every hue: the circular spread of their hues is wide
    pixels = colour.permute(0, 2, 3, 1).reshape(-1, 3)[(luma.flatten() > 0.4) & (luma.flatten() < 0.5)].numpy()
    hsv = np.array([colorsys.rgb_to_hsv(*p) for p in pixels[::7]])
    saturated = hsv[hsv[:, 1] > 0.3, 0] * 2 * np.pi
    assert len(saturated) > 200
    assert np.hypot(np.cos(saturated).mean(), np.sin(saturated).mean()) < 0.4  # 1 would be a single hue


# ------------------------------------------------------------------ unpaired sets
def test_coats_samples_are_deterministic_with_masks_and_attributes() -> None:
    dataset = unpaired("coats")
    sample = dataset.sample("A", 4, seed=3, size=64)
    assert isinstance(sample, Sample)
    assert sample.image.shape == (3, 64, 64) and sample.mask.shape == (1, 64, 64)
    assert set(torch.unique(sample.mask).tolist()) == {0.0, 1.0}
    again = dataset.sample("A", 4, seed=3, size=64)
    assert torch.equal(sample.image, again.image) and torch.equal(sample.mask, again.mask) and sample.attributes == again.attributes
    assert not torch.equal(sample.image, dataset.sample("A", 4, seed=4, size=64).image)
    images, masks = dataset.batch("B", [0, 1, 2], seed=3, size=32)
    assert images.shape == (3, 3, 32, 32) and masks.shape == (3, 1, 32, 32)
    big = dataset.sample("B", 0, seed=3, size=512)
    assert big.image.shape == (3, 512, 512)


def test_coats_domains_are_independent_draws() -> None:
    dataset = unpaired("coats")
    for index in range(8):
        a, b = dataset.sample("A", index, seed=0), dataset.sample("B", index, seed=0)
        assert measures.iou(a.mask, b.mask) < 0.8
        assert a.attributes["coat"] == "brown" and b.attributes["coat"] == "striped"


def test_coats_vary_in_what_a_generator_must_keep() -> None:
    seen: dict[str, set] = {"animals": set(), "head_side": set(), "pose": set()}
    sizes = []
    for index in range(40):
        attributes = unpaired("coats").sample("AB"[index % 2], index, seed=9, size=32).attributes
        for name in seen:
            seen[name].add(attributes[name])
        sizes.append(attributes["size"])
        assert attributes["legs"] == 4
    assert seen == {"animals": {1, 2}, "head_side": {"left", "right"}, "pose": {"up", "grazing"}}
    assert max(sizes) - min(sizes) > 0.15


def test_the_first_animal_is_the_largest_and_animals_are_apart() -> None:
    for index in range(30):
        animals = draw_animals(stream("coats", 5, index, "A/animals"))
        boxes = [a.bounds() for a in animals]
        for left, top, right, bottom in boxes:
            assert 0 <= left and right <= 1 and 0 <= top and bottom <= 1
        if len(animals) == 2:
            assert animals[0].body[2] > animals[1].body[2]
            (l0, _, r0, _), (l1, _, r1, _) = boxes
            assert r0 < l1 or r1 < l0  # side by side, never touching


def test_animals_that_fill_the_width_exactly_are_placed() -> None:
    """Seed 0, A/898: two animals scaled to fit leave -1e-17 of room; that is none, not an error."""
    animals = draw_animals(stream("coats", 0, 898, "A/animals"))
    assert len(animals) == 2 and all(0 <= a.bounds()[0] and a.bounds()[2] <= 1 for a in animals)


def test_seasons_are_deterministic_independent_and_look_like_their_season() -> None:
    dataset = unpaired("seasons")
    summer, winter = dataset.batch("A", range(8), seed=2), dataset.batch("B", range(8), seed=2)
    assert torch.equal(summer[0], dataset.batch("A", range(8), seed=2)[0])
    for k in range(8):
        assert measures.iou(summer[1][k], winter[1][k]) < 0.8  # different trees: not a pair
        assert 0 < float(summer[1][k].mean()) < 0.9  # some trees, not all trees
    # summer: blue sky and green meadows; winter: snow and grey skies, brighter and much less colourful
    assert measures.colourfulness(summer[0]) > 2 * measures.colourfulness(winter[0])
    assert float(winter[0].mean()) > float(summer[0].mean()) + 0.15
    attributes = dataset.sample("B", 3, seed=2).attributes
    assert attributes["season"] == "winter" and 2 <= attributes["trees"] <= 9


def test_texture_bank_cached_on_disk_gives_identical_samples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNTH_EXAMPLES_DIR", str(tmp_path))
    monkeypatch.setattr(textures, "BANK_SIZE", 128)  # a small bank: the round trip is what is tested
    try:
        textures.bank.cache_clear()
        textures._shrunk.cache_clear()
        fresh = unpaired("coats").sample("A", 0, seed=0).image  # synthesises the bank and writes it
        assert len(list((tmp_path / "texture-bank").glob("*.png"))) >= 2
        textures.bank.cache_clear()
        textures._shrunk.cache_clear()
        assert torch.equal(fresh, unpaired("coats").sample("A", 0, seed=0).image)  # read back from disk
    finally:
        textures.bank.cache_clear()
        textures._shrunk.cache_clear()


# ------------------------------------------------------------------ writing and the command line
def test_write_dataset_paired(tmp_path: Path) -> None:
    seen = []
    folder = write_dataset("maps", tmp_path / "maps", n=3, seed=1, size=32, callback=lambda p: seen.append(p.step))
    assert seen == [1, 2, 3]
    names = sorted(p.name for p in (folder / "A").iterdir())
    assert names == ["00000.png", "00001.png", "00002.png"] == sorted(p.name for p in (folder / "B").iterdir())
    a, b = paired("maps").pair(2, seed=1, size=32)
    stored = np.asarray(Image.open(folder / "B" / "00002.png"), dtype=np.float32) / 255
    assert stored.shape == (32, 32, 3) and np.abs(stored - b.permute(1, 2, 0).numpy()).max() <= 0.5 / 255 + 1e-6
    assert json.loads((folder / "dataset.json").read_text())["seed"] == 1


def test_cli_writes_unpaired_folders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dataset", "coats", "--n", "2", "--seed", "4", "--size", "32", "-o", str(tmp_path)]) == 0
    for folder in ("A", "B", "A_mask", "B_mask"):
        assert sorted(p.name for p in (tmp_path / folder).iterdir()) == ["00000.png", "00001.png"]
    mask = np.asarray(Image.open(tmp_path / "B_mask" / "00001.png"))
    assert mask.shape == (32, 32) and set(np.unique(mask)) == {0, 255}
    truth = unpaired("coats").sample("B", 1, seed=4, size=32)
    assert np.array_equal(mask > 0, truth.mask[0].numpy() > 0.5)
    attributes = json.loads((tmp_path / "B_attributes.json").read_text())
    assert attributes["00001.png"] == dict(truth.attributes)


@pytest.mark.parametrize(
    "argv",
    [["maps", "--n", "0"], ["maps", "--size", "16"], ["colour", "--seed", "-1"], ["coats", "--n", "100001"]],
)
def test_cli_bad_input_exits_2(argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dataset", *argv, "-o", str(tmp_path / "out")]) == 2
    assert "error:" in capsys.readouterr().err
    assert not (tmp_path / "out" / "A").exists()


def test_cli_unknown_set_and_output_that_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:  # argparse's own usage error
        main(["dataset", "horses", "-o", str(tmp_path)])
    assert exit_info.value.code == 2
    file = tmp_path / "file.png"
    file.write_bytes(b"")
    assert main(["dataset", "maps", "--n", "1", "-o", str(file)]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_dataset_options_follow_the_options_pattern() -> None:
    options = DatasetOptions.build({"n": 5.0})
    assert options.n == 5 and options.size == 64
    with pytest.raises(ValueError, match="size must be at most 512"):
        DatasetOptions(size=1024)
