"""The pix2pix trainer: it learns, it is the official arithmetic, it is reproducible, it stops
early with a result, it round-trips through a checkpoint, and its options are checked."""

from __future__ import annotations

import importlib

import pytest
import torch

from synth.limits import LimitExceeded
from synth.options import OptionError
from synth.progress import StopEarly
from synth.train.checkpoint import load_checkpoint, save_checkpoint
from synth.train.networks import build_discriminator, build_generator
from synth.train.pix2pix import Pix2PixOptions, Pix2PixStep, train_pix2pix
from synth.translate import translate
from synth.translate.layers import training_noise

from .train_helpers import fake_datasets, same_gradients, smooth, write_pair_folders  # noqa: F401 (fixture)

TINY = dict(size=64, ngf=8, ndf=8)


@pytest.fixture(scope="module")
def pairs(tmp_path_factory):
    return write_pair_folders(tmp_path_factory.mktemp("pairs"), count=8, side=40)


def _equal_states(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def test_twenty_steps_lower_the_loss_and_round_trip_through_a_checkpoint(pairs, tmp_path):
    result = train_pix2pix(pairs, steps=20, lr=1e-3, snapshots=(0, 10, 20), **TINY)
    l1 = result.history["G_L1"]
    assert len(l1) == 20 and result.steps == 20 and not result.stopped
    assert sum(l1[-5:]) / 5 < 0.85 * sum(l1[:5]) / 5
    assert set(result.history) == {"G_GAN", "G_L1", "D_real", "D_fake"}
    assert sorted(result.snapshots) == [0, 10, 20] and set(result.snapshots[10]) == {"G"}
    assert all(torch.equal(v, result.generator.state_dict()[k]) for k, v in result.snapshots[20]["G"].items())

    path = save_checkpoint(tmp_path / "p2p.safetensors", result)
    loaded = load_checkpoint(path)
    assert set(loaded.networks) == {"G", "D"} and loaded.trainer == "pix2pix"
    assert loaded.options == result.options.to_dict() and loaded.steps == 20 and loaded.seed == 0
    assert loaded.data == str(pairs) and loaded.dtype == "float32" and loaded.version
    assert loaded.architectures["G"] == {"kind": "generator", "name": "unet_64", "ngf": 8, "norm": "batch", "dropout": True}
    assert _equal_states(loaded["G"], result.generator) and _equal_states(loaded["D"], result.discriminator)
    image = smooth(1, 64, 99)
    same = translate(image, loaded["G"], mode="paper", seed=3)
    assert torch.equal(same, translate(image, result.generator, mode="paper", seed=3))

    half = load_checkpoint(save_checkpoint(tmp_path / "half.safetensors", result, half=True))
    assert half.dtype == "float16" and half["G"].model.model[0].weight.dtype == torch.float32
    assert (tmp_path / "half.safetensors").stat().st_size < 0.6 * path.stat().st_size
    assert float((translate(image, half["G"], mode="paper", seed=3) - same).abs().max()) < 0.02

    early = load_checkpoint(save_checkpoint(tmp_path / "step10.safetensors", result, step=10))
    assert set(early.networks) == {"G"} and early.steps == 10
    assert not _equal_states(early["G"], result.generator)
    with pytest.raises(ValueError, match=r"no snapshot at step 5; the run kept \[0, 10, 20\]"):
        save_checkpoint(tmp_path / "x.safetensors", result, step=5)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["half.safetensors", "p2p.safetensors", "step10.safetensors"]


def test_same_seed_same_weights_bitwise_and_the_global_rng_untouched(pairs):
    before = torch.random.get_rng_state()
    a = train_pix2pix(pairs, steps=4, seed=5, **TINY)
    b = train_pix2pix(pairs, steps=4, seed=5, **TINY)
    c = train_pix2pix(pairs, steps=4, seed=6, **TINY)
    assert torch.equal(torch.random.get_rng_state(), before)
    assert _equal_states(a.generator, b.generator) and _equal_states(a.discriminator, b.discriminator)
    assert a.history == b.history
    assert not _equal_states(a.generator, c.generator)


def test_the_callback_sees_losses_previews_and_can_stop_early(pairs):
    seen = []

    def callback(progress):
        seen.append(progress)
        if progress.step == 7:
            raise StopEarly

    result = train_pix2pix(pairs, steps=20, preview_every=3, callback=callback, snapshots=(5, 20), **TINY)
    assert result.stopped and result.steps == 7 and len(result.history["G_L1"]) == 7
    assert sorted(result.snapshots) == [5]  # 20 was never reached
    assert [p.step for p in seen] == list(range(8)) and all(p.total == 20 for p in seen)
    assert [p.step for p in seen if p.image is not None] == [0, 3, 6]
    assert set(seen[1].losses) == {"G_GAN", "G_L1", "D_real", "D_fake"} and seen[0].losses == {}
    preview = seen[6]
    assert preview.image.shape == (1, 3, 4 * 64, 3 * 64) and 0 <= float(preview.image.min()) <= float(preview.image.max()) <= 1
    assert preview.views["patch_map"].shape == (1, 3, 4 * 64, 64)
    assert not result.generator.training and not any(p.requires_grad for p in result.generator.parameters())


def test_previews_do_not_change_the_training(pairs):
    quiet = train_pix2pix(pairs, steps=4, **TINY)
    watched = train_pix2pix(pairs, steps=4, preview_every=1, callback=lambda p: None, **TINY)
    assert _equal_states(quiet.generator, watched.generator) and _equal_states(quiet.discriminator, watched.discriminator)


def test_the_loss_setting_picks_the_terms(pairs):
    l1 = train_pix2pix(pairs, steps=3, loss="l1", **TINY)
    assert l1.discriminator is None and set(l1.history) == {"G_L1"}
    cgan = train_pix2pix(pairs, steps=3, loss="cgan", **TINY)
    cgan_other_lambda = train_pix2pix(pairs, steps=3, loss="cgan", lambda_l1=1.0, **TINY)
    assert _equal_states(cgan.generator, cgan_other_lambda.generator)  # no L1 term in the objective
    both = train_pix2pix(pairs, steps=3, **TINY)
    both_other_lambda = train_pix2pix(pairs, steps=3, lambda_l1=1.0, **TINY)
    assert not _equal_states(both.generator, both_other_lambda.generator)
    assert not _equal_states(both.generator, cgan.generator) and not _equal_states(both.generator, l1.generator)


@pytest.mark.parametrize("gan_mode", ["vanilla", "lsgan"])
def test_one_step_equals_the_official_sequence(gan_mode):
    """Same losses, gradients and BatchNorm statistics as optimize_parameters of pix2pix_model.py."""
    official_step = importlib.import_module("benchmarks.train").official_pix2pix_step
    o = Pix2PixOptions(gan_mode=gan_mode, lr=0.0, lambda_l1=100.0, **TINY)  # lr 0: the gradients stay to be compared
    x, y = smooth(2, 64, 1)[:1] * 2 - 1, smooth(2, 64, 1)[1:] * 2 - 1
    nets = {}
    for side in ("official", "ours"):
        nets[side] = (build_generator("unet_64", ngf=8, seed=1), build_discriminator("patch70", 6, ndf=8, seed=2))
    ours = Pix2PixStep(*nets["ours"], o, torch.device("cpu"))
    official_g, official_d = nets["official"]
    optimisers = [torch.optim.Adam(n.parameters(), lr=0.0, betas=(0.5, 0.999)) for n in (official_g, official_d)]
    with training_noise(torch.Generator().manual_seed(7)):
        expected = official_step(official_g, official_d, *optimisers, x, y, gan_mode=gan_mode, lambda_l1=100.0)
    with training_noise(torch.Generator().manual_seed(7)):
        got = ours.step(x, y)
    assert got.keys() == expected.keys()
    assert all(got[k] == pytest.approx(expected[k], rel=1e-5) for k in got)
    for mine, theirs in zip((*nets["ours"],), (official_g, official_d)):
        assert same_gradients(mine, theirs) == []
        for (name, a), b in zip(mine.named_buffers(), theirs.buffers()):
            assert torch.allclose(a.float(), b.float(), rtol=1e-5, atol=1e-7), name


@pytest.mark.usefixtures("fake_datasets")
def test_a_procedural_set_by_name():
    result = train_pix2pix("maps", steps=2, n_train=6, **TINY)
    assert result.data == "maps" and result.steps == 2


def test_options_are_checked():
    with pytest.raises(OptionError, match="unet_64 takes sides that are multiples of 64, got 32"):
        Pix2PixOptions(size=32)
    with pytest.raises(OptionError, match="the patch286 discriminator needs larger images than 64 pixels"):
        Pix2PixOptions(discriminator="patch286")
    Pix2PixOptions(discriminator="patch286", loss="l1")  # no discriminator is built for l1
    with pytest.raises(OptionError, match="snapshots: step 30 is after the last step"):
        Pix2PixOptions(steps=20, snapshots=(0, 30))
    with pytest.raises(LimitExceeded, match="steps is 5000; the cap is 2,000"):
        Pix2PixOptions(steps=5000)
    with pytest.raises(OptionError, match="'cgan\\+L1' is not one of"):
        Pix2PixOptions(loss="cgan+L1")
    assert Pix2PixOptions(generator="resnet_6blocks", size=32).size == 32


def test_bf16_autocast_trains_float32_weights(pairs):
    result = train_pix2pix(pairs, steps=2, precision="bf16", **TINY)
    assert all(torch.isfinite(torch.tensor(v)).all() for v in result.history.values())
    assert result.generator.model.model[0].weight.dtype == torch.float32
