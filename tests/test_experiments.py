"""synth.translate.experiments: the translation tabs' experiments on the lab's own models, and their CLI twin."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PIL import Image

from synth.cli import main as cli
from synth.datasets.measures import attributes_from_silhouette, silhouette
from synth.translate import experiments
from synth.translate.lab import lab_models


def test_held_out_samples_are_the_sets_own_and_never_the_training_seed() -> None:
    source, target = experiments.held_out("maps", 3)
    assert source.shape == target.shape == (1, 3, 64, 64)
    again, _ = experiments.held_out("maps", 3)
    assert torch.equal(source, again) and not torch.equal(source, experiments.held_out("maps", 4)[0])
    animal, none = experiments.held_out("coats", 0)
    assert animal.shape == (1, 3, 64, 64) and none is None
    assert experiments.HELD_OUT_SEED != 0  # the lab's models were trained on seed 0


def test_why_a_gan_loss_on_one_map() -> None:
    source, target = experiments.held_out("maps", 3)
    comparison = experiments.compare_losses(source, "maps", target=target, seeds=3)
    titles = [model.title for model in lab_models("maps")]
    assert list(comparison.outputs) == titles and all(out.shape == (1, 3, 64, 64) for out in comparison.outputs.values())
    with_d = [model.title for model in lab_models("maps") if model.discriminator]
    assert list(comparison.patch_maps) == with_d and len(with_d) == 2
    for patches in comparison.patch_maps.values():
        assert patches.shape == (1, 1, 64, 64) and 0 <= patches.min() and patches.max() <= 1
    for spread in comparison.spread.values():
        assert spread.shape == (1, 1, 64, 64) and spread.min() >= 0
    sharpness = {title: scores["high-frequency ratio"] for title, scores in comparison.scores.items()}
    assert sharpness[titles[0]] < sharpness[titles[-1]], sharpness  # L1 blurs, cGAN + L1 does not
    pictures = experiments.losses_pictures(comparison, cell=96)
    assert set(pictures) == {"outputs", "patch maps", "spread"}
    assert pictures["outputs"].shape[-1] > 5 * 96  # input, three models, the truth
    snapshot = experiments.compare_losses(source, "maps", target=target, step=lab_models("maps")[0].snapshots[0], seeds=0)
    assert not snapshot.patch_maps and not snapshot.spread  # a snapshot ships its generator only
    with pytest.raises(ValueError, match="choose maps or colour"):
        experiments.compare_losses(source, "coats")


def test_why_the_cycle_on_one_animal() -> None:
    animal, _ = experiments.held_out("coats", 0)
    comparison = experiments.compare_cycles(animal)
    assert list(comparison.rows) == [model.title for model in lab_models("coats")]
    for row in comparison.rows.values():
        assert row.translated.shape == row.reconstructed.shape == row.overlay.shape == (1, 3, 64, 64)
        assert set(row.scores) == {"iou", "attributes", "striped", "cycle error"}
    errors = [row.scores["cycle error"] for row in comparison.rows.values()]
    assert errors[1] < errors[0], errors  # with the cycle loss, F(G(x)) comes back closer to x
    picture = experiments.cycles_picture(comparison, cell=80)
    assert picture.shape[-2] > 3 * 80 and picture.shape[-1] > 4 * 80


def test_silhouette_overlay_marks_what_g_dropped_and_added() -> None:
    grass = torch.tensor([0.2, 0.6, 0.2])[:, None, None].expand(3, 16, 16).clone()
    x, gx = grass.clone()[None], grass.clone()[None]
    x[..., 2:8, 2:8] = torch.tensor([0.5, 0.3, 0.1])[:, None, None]  # an animal G dropped
    gx[..., 8:14, 8:14] = 0.9  # something G added
    overlay = experiments.silhouette_overlay(x, gx)[0]
    assert overlay[0, 4, 4] > 0.6 > overlay[2, 4, 4]  # red
    assert overlay[2, 10, 10] > overlay[0, 10, 10]  # blue
    assert torch.equal(overlay[:, 0, 15], gx[0, :, 0, 15])  # grass untouched


def test_the_two_horses_of_the_slide_differ() -> None:
    first, second = experiments.mismatched_pair()
    a, b = (attributes_from_silhouette(silhouette(experiments.held_out("coats", i)[0])[0]) for i in (first, second))
    assert a["head_side"] != b["head_side"] and a["pose"] != b["pose"]
    picture = experiments.two_animals_picture(first, second, cell=64)
    assert picture.shape[-1] > 4 * 64 and picture.shape[-2] > 2 * 64


def test_command_line_twin(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert cli(["lab", "losses", "--data", "colour", "--index", "2", "-o", str(tmp_path / "colour.png")]) == 0
    for name in ("colour.png", "colour-patch-maps.png", "colour-spread.png"):
        assert Image.open(tmp_path / name).size[0] > 200
    assert "cGAN + L1" in capsys.readouterr().out
    assert cli(["lab", "cycle", "--index", "1", "-o", str(tmp_path / "cycle.png")]) == 0
    assert "cycle error" in capsys.readouterr().out
    assert cli(["lab", "losses", "--index", "-1", "-o", str(tmp_path / "x.png")]) == 2
    assert "--index must be >= 0" in capsys.readouterr().err
