"""Training networks: the PatchGAN layouts and receptive fields, the norm variants of the
generators against the official layouts, initialisation, and train-mode layers."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from synth.train.discriminators import DISCRIMINATORS, NLayerDiscriminator, output_side, receptive_field
from synth.train.networks import build_discriminator, build_generator, side_multiple
from synth.translate import layers
from synth.translate.layers import BatchNorm2d, Dropout, training_noise
from synth.translate.resnet import ResnetGenerator
from synth.translate.unet import UnetGenerator

from .layouts import load_layout

BN_SUFFIXES = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")


def _layout(model: nn.Module) -> list[tuple[str, list[int]]]:
    return [(key, list(value.shape)) for key, value in model.state_dict().items()]


def test_patch70_equals_the_official_layout():
    reference = load_layout("patchgan_70")
    model = build_discriminator("patch70", 6)
    assert isinstance(model, NLayerDiscriminator)
    assert _layout(model) == list(reference["tensors"].items())  # names, shapes and order
    assert sum(p.numel() for p in model.parameters()) == reference["num_parameters"]


@pytest.mark.parametrize(("name", "field"), [("pixel", 1), ("patch16", 16), ("patch70", 70), ("patch286", 286)])
def test_receptive_fields_are_computed_from_the_layers(name, field):
    model = build_discriminator(name, 6, ndf=8)
    assert receptive_field(model) == field
    # the field is what it claims: one output value changes with a pixel inside it and not outside
    side = 2 * field + 32
    x = torch.zeros(1, 6, side, side, requires_grad=True)
    out = model.eval()(x)
    with layers.test_time(layers.TestTimeState(batch_stats=False)):
        centre = out.shape[-1] // 2
        out[0, 0, centre, centre].backward()
    touched = (x.grad[0].abs().sum(0) > 0).nonzero()
    extent = int(touched[:, 0].max() - touched[:, 0].min()) + 1
    assert extent == field
    assert output_side(model, side) == out.shape[-1]


def test_receptive_field_refuses_what_is_not_a_chain():
    with pytest.raises(ValueError, match="not a plain chain"):
        receptive_field(UnetGenerator(num_downs=5, ngf=4))


@pytest.mark.parametrize("norm", ["batch", "instance"])
def test_discriminator_biases_follow_the_norm(norm):
    model = build_discriminator("patch70", 3, ndf=8, norm=norm)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    middle = [c.bias is not None for c in convs[1:-1]]
    assert convs[0].bias is not None and convs[-1].bias is not None
    assert middle == [norm == "instance"] * 3
    norms = [type(m).__name__ for m in model.modules() if isinstance(m, (nn.BatchNorm2d, nn.InstanceNorm2d))]
    assert norms == ["BatchNorm2d" if norm == "batch" else "InstanceNorm2d"] * 3


def _parameter_count(layout: dict[str, list[int]]) -> int:
    return sum(math.prod(shape) for key, shape in layout.items() if not key.endswith(BN_SUFFIXES[2:]))


def test_unet_instance_variant_has_the_official_keys():
    """Official --norm instance: the batch-norm layout without the norms' tensors, every conv with a bias."""
    tensors = load_layout("pix2pix_unet_256")["tensors"]
    norms = {key.removesuffix(".running_mean") for key in tensors if key.endswith(".running_mean")}
    expected: dict[str, list[int]] = {}
    for key, shape in tensors.items():
        module, _, leaf = key.rpartition(".")
        if module in norms:
            continue
        expected[key] = shape
        if leaf == "weight" and f"{module}.bias" not in tensors:
            transposed = module.rpartition(".")[2] in ("3", "5")  # up-convs sit at 3 (innermost) and 5 (middle blocks)
            expected[f"{module}.bias"] = [shape[1] if transposed else shape[0]]
    model = build_generator("unet_256", norm="instance")
    assert dict(_layout(model)) == expected
    assert sum(p.numel() for p in model.parameters()) == _parameter_count(expected)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())


def test_resnet_batch_variant_has_the_official_keys():
    """Official --norm batch: a BatchNorm after every conv but the last, those convs without bias."""
    tensors = load_layout("cyclegan_resnet_9blocks")["tensors"]
    convs = [key.removesuffix(".weight") for key, shape in tensors.items() if len(shape) == 4]
    expected: dict[str, list[int]] = {}
    for key, shape in tensors.items():
        module, _, leaf = key.rpartition(".")
        if leaf == "bias" and module != convs[-1]:
            continue
        expected[key] = shape
        if leaf == "weight" and module != convs[-1]:
            prefix, _, index = module.rpartition(".")
            width = shape[1] if module in ("model.19", "model.22") else shape[0]  # transposed convs: (in, out, k, k)
            expected.update({f"{prefix}.{int(index) + 1}.{s}": [] if s == "num_batches_tracked" else [width] for s in BN_SUFFIXES})
    model = build_generator("resnet_9blocks", norm="batch", dropout=False)
    assert dict(_layout(model)) == expected
    assert sum(p.numel() for p in model.parameters()) == _parameter_count(expected)


def test_resnet_dropout_shifts_the_second_conv_as_officially():
    keys = ResnetGenerator(ngf=4, n_blocks=1, dropout=True).state_dict().keys()
    assert "model.10.conv_block.6.weight" in keys and "model.10.conv_block.5.weight" not in keys
    assert any(isinstance(m, Dropout) for m in ResnetGenerator(ngf=4, n_blocks=1, dropout=True).modules())


def test_default_constructions_keep_todays_layouts():
    assert _layout(UnetGenerator()) == list(load_layout("pix2pix_unet_256")["tensors"].items())
    assert _layout(ResnetGenerator()) == list(load_layout("cyclegan_resnet_9blocks")["tensors"].items())


def test_initialisation_is_official_seeded_and_leaves_global_rng_alone():
    before = torch.random.get_rng_state()
    a = build_generator("unet_64", ngf=16, seed=1)
    b = build_generator("unet_64", ngf=16, seed=1)
    c = build_generator("unet_64", ngf=16, seed=2)
    assert torch.equal(torch.random.get_rng_state(), before)
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))
    assert not torch.equal(a.state_dict()["model.model.0.weight"], c.state_dict()["model.model.0.weight"])
    a.requires_grad_(False)
    convs = torch.cat([m.weight.flatten() for m in a.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))])
    assert abs(float(convs.std()) - 0.02) < 0.001 and abs(float(convs.mean())) < 0.001
    scales = torch.cat([m.weight for m in a.modules() if isinstance(m, nn.BatchNorm2d)])
    assert abs(float(scales.mean()) - 1) < 0.01 and 0.01 < float(scales.std()) < 0.03
    assert all(float(m.running_var.min()) == 1 and float(m.running_mean.abs().max()) == 0 for m in a.modules() if isinstance(m, nn.BatchNorm2d))
    assert all(m.bias is None or float(m.bias.abs().max()) == 0 for m in a.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.BatchNorm2d)))


@pytest.mark.parametrize("name", ["unet_64", "unet_128", "resnet_6blocks"])
def test_generators_map_their_multiple_to_itself(name):
    side = side_multiple(name) * (1 if name.startswith("unet") else 8)
    model = build_generator(name, ngf=4)
    with torch.no_grad():
        y = model(torch.rand(2, 3, side, side) * 2 - 1)
    assert y.shape == (2, 3, side, side) and float(y.abs().max()) <= 1


def test_unknown_names_are_refused():
    with pytest.raises(ValueError, match="unknown generator 'unet_32'"):
        build_generator("unet_32")
    with pytest.raises(ValueError, match="unknown discriminator 'patch34'.*patch70"):
        build_discriminator("patch34", 6)
    assert set(DISCRIMINATORS) == {"pixel", "patch16", "patch70", "patch286"}


def test_batch_norm_trains_in_train_mode_and_not_in_eval_mode():
    norm = BatchNorm2d(3)
    x = torch.randn(4, 3, 5, 5) * 3 + 2
    norm.train()
    y = norm(x)
    assert torch.allclose(y.mean((0, 2, 3)), torch.zeros(3), atol=1e-5)  # batch statistics
    assert torch.allclose(norm.running_mean, 0.1 * x.mean((0, 2, 3)), atol=1e-5) and int(norm.num_batches_tracked) == 1
    norm.eval()
    running = norm.running_mean.clone()
    with layers.test_time(layers.TestTimeState(batch_stats=True)):
        norm(x)
    norm(x)
    assert torch.equal(norm.running_mean, running) and int(norm.num_batches_tracked) == 1


def test_dropout_in_train_mode_draws_from_the_training_generator():
    layer = Dropout(0.5).train()
    x = torch.ones(1000)
    with training_noise(torch.Generator().manual_seed(3)):
        a = layer(x)
    with training_noise(torch.Generator().manual_seed(3)):
        b = layer(x)
    with training_noise(torch.Generator().manual_seed(4)):
        c = layer(x)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert set(a.unique().tolist()) == {0.0, 2.0} and 400 < int((a == 0).sum()) < 600
    assert torch.equal(layer.eval()(x), x)  # eval mode without a test-time generator: off
