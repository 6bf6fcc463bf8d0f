"""The CycleGAN trainer: the cycle loss falls, one step is the official arithmetic (batched where
InstanceNorm allows), runs are reproducible, stop early, and round-trip through a checkpoint."""

from __future__ import annotations

import importlib

import pytest
import torch

from synth.options import OptionError
from synth.progress import StopEarly
from synth.train.checkpoint import build_network, load_checkpoint, save_checkpoint
from synth.train.cyclegan import CycleGANOptions, CycleGANStep, train_cyclegan
from synth.train.data import unpaired_images
from synth.train.networks import build_discriminator, build_generator
from synth.train.pool import ImagePool

from .train_helpers import fake_datasets, same_gradients, smooth, write_pair_folders  # noqa: F401 (fixture)

TINY = dict(size=32, ngf=8, ndf=8)


@pytest.fixture(scope="module")
def domains(tmp_path_factory):
    return write_pair_folders(tmp_path_factory.mktemp("domains"), count=8, side=40)


def _equal_states(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def _cycle_error(g: torch.nn.Module, f: torch.nn.Module, x: torch.Tensor) -> float:
    with torch.no_grad():
        return float((f.eval()(g.eval()(x)) - x).abs().mean())


def test_a_short_run_lowers_the_cycle_loss_and_round_trips(domains, tmp_path):
    result = train_cyclegan(domains, steps=30, lr=1e-3, losses="gan+cycle", snapshots=(0, 30), **TINY)
    assert set(result.history) == {"G_A", "G_B", "D_A", "D_B", "cycle_A", "cycle_B"} and result.steps == 30
    x = unpaired_images(domains, size=32, n=8, seed=0).a.float() / 127.5 - 1
    start = {name: build_network(result.architectures()[name]) for name in ("G", "F")}
    for name, net in start.items():
        net.load_state_dict(result.snapshots[0][name])
    before, after = _cycle_error(start["G"], start["F"], x), _cycle_error(result.G, result.F, x)
    assert after < 0.95 * before  # |F(G(x)) - x| on the training images of domain A

    path = save_checkpoint(tmp_path / "cycle.safetensors", result, command="python -m synth train cyclegan ...")
    loaded = load_checkpoint(path)
    assert set(loaded.networks) == {"G", "F", "D_A", "D_B"} and loaded.trainer == "cyclegan"
    assert loaded.command == "python -m synth train cyclegan ..." and loaded.options["losses"] == "gan+cycle"
    for name, net in result.networks().items():
        assert _equal_states(loaded[name], net)
    assert _cycle_error(loaded["G"], loaded["F"], x) == after
    snapshot = load_checkpoint(save_checkpoint(tmp_path / "s0.safetensors", result, step=0))
    assert set(snapshot.networks) == {"G", "F"} and _cycle_error(snapshot["G"], snapshot["F"], x) == before


def test_the_losses_setting_picks_the_terms(domains):
    gan = train_cyclegan(domains, steps=2, losses="gan", **TINY)
    assert set(gan.history) == {"G_A", "G_B", "D_A", "D_B"}
    full = train_cyclegan(domains, steps=2, **TINY)
    assert set(full.history) == {"G_A", "G_B", "D_A", "D_B", "cycle_A", "cycle_B", "idt_A", "idt_B"}
    assert not _equal_states(gan.G, full.G)


def _official_and_ours(o: CycleGANOptions, x: torch.Tensor, y: torch.Tensor):
    official_step = importlib.import_module("benchmarks.train").official_cyclegan_step

    def networks() -> dict[str, torch.nn.Module]:
        gens = {n: build_generator("resnet_6blocks", ngf=8, norm=o.norm, dropout=False, seed=s) for n, s in (("G", 1), ("F", 2))}
        return gens | {n: build_discriminator("patch70", 3, ndf=8, norm=o.norm, seed=s) for n, s in (("D_A", 3), ("D_B", 4))}

    theirs, mine = networks(), networks()
    optimisers = [torch.optim.Adam([*theirs[a].parameters(), *theirs[b].parameters()], lr=0.0) for a, b in (("G", "F"), ("D_A", "D_B"))]
    pools = (ImagePool(o.pool_size, torch.Generator().manual_seed(9)), ImagePool(o.pool_size, torch.Generator().manual_seed(9)))
    ours = CycleGANStep(mine, o, torch.device("cpu"), torch.Generator().manual_seed(9))
    expected = [
        official_step(theirs, *optimisers, pools, x, y, lambda_a=o.lambda_a, lambda_b=o.lambda_b, lambda_identity=o.lambda_identity)
        for _ in range(3)  # three steps: the pool (size 2) is full by the third
    ]
    got = [ours.step(x, y) for _ in range(3)]
    return expected, got, theirs, mine


@pytest.mark.parametrize("norm", ["instance", "batch"])
def test_steps_equal_the_official_sequence(norm):
    """Same losses and gradients as optimize_parameters of cycle_gan_model.py (lr 0 keeps the gradients
    comparable): batched calls with InstanceNorm, separate ones with BatchNorm."""
    o = CycleGANOptions(generator="resnet_6blocks", lr=0.0, pool_size=2, norm=norm, lambda_a=10.0, lambda_b=7.0, **TINY)
    x, y = smooth(1, 32, 1) * 2 - 1, smooth(1, 32, 2) * 2 - 1
    expected, got, theirs, mine = _official_and_ours(o, x, y)
    for e, g in zip(expected, got):
        assert g.keys() == e.keys()
        assert all(g[k] == pytest.approx(e[k], rel=1e-5, abs=1e-7) for k in g)
    for name in theirs:
        assert same_gradients(mine[name], theirs[name]) == [], name


def test_same_seed_same_weights_and_early_stop(domains):
    a = train_cyclegan(domains, steps=3, seed=2, **TINY)
    b = train_cyclegan(domains, steps=3, seed=2, **TINY)
    c = train_cyclegan(domains, steps=3, seed=3, **TINY)
    assert all(_equal_states(a.networks()[n], b.networks()[n]) for n in a.networks())
    assert not _equal_states(a.G, c.G)
    seen = []

    def stop(progress):
        seen.append(progress)
        if progress.step == 2:
            raise StopEarly

    partial = train_cyclegan(domains, steps=10, preview_every=2, callback=stop, **TINY)
    assert partial.stopped and partial.steps == 2 and len(partial.history["cycle_A"]) == 2
    assert seen[-1].image.shape == (1, 3, 4 * 32, 6 * 32) and seen[-1].views["patch_map"].shape == (1, 3, 4 * 32, 2 * 32)
    assert set(seen[-1].losses) == {"G_A", "G_B", "D_A", "D_B", "cycle_A", "cycle_B", "idt_A", "idt_B"}


@pytest.mark.usefixtures("fake_datasets")
def test_a_procedural_set_by_name():
    result = train_cyclegan("coats", steps=1, n_train=3, **TINY)
    assert result.data == "coats" and result.steps == 1


def test_options_are_checked():
    assert CycleGANOptions().generator == "resnet_6blocks" and CycleGANOptions().gan_mode == "lsgan"
    with pytest.raises(OptionError, match="resnet_6blocks takes sides that are multiples of 4, got 30"):
        CycleGANOptions(size=30)
    with pytest.raises(OptionError, match="patch70 discriminator needs larger images than 8 pixels"):
        CycleGANOptions(size=8)
    with pytest.raises(OptionError, match="'gan\\+identity' is not one of"):
        CycleGANOptions(losses="gan+identity")


def test_bf16_autocast_trains_float32_weights(domains):
    result = train_cyclegan(domains, steps=2, precision="bf16", **TINY)
    assert all(torch.isfinite(torch.tensor(v)).all() for v in result.history.values())
    assert result.G.model[1].weight.dtype == torch.float32
