"""GAN generators: BigGAN-deep layout and loading, truncation-dependent statistics, DCGAN with its real weights."""

from __future__ import annotations

import io
import math
from pathlib import Path

import pytest
import torch

from synth.gan.biggan import CONFIGS, BigGAN, BigGANConfig, interpolated_statistics
from synth.models import create_model

from .layouts import load_layout


@pytest.fixture(scope="module")
def biggan128() -> torch.nn.Module:
    return create_model("biggan/deep-128", pretrained=False, device="cpu")


def test_biggan_128_state_dict_equals_the_published_layout(biggan128: torch.nn.Module) -> None:
    layout = load_layout("biggan_deep_128")
    got = {name: list(t.shape) for name, t in biggan128.state_dict().items()}
    assert list(got) == list(layout["tensors"])  # names, in order
    assert got == layout["tensors"]  # and shapes
    assert sum(p.numel() for p in biggan128.parameters()) == layout["num_parameters"]


@pytest.mark.parametrize(("size", "millions"), [(256, 55.9), (512, 56.2)])
def test_biggan_256_512_have_the_published_parameter_counts(size: int, millions: float) -> None:
    model = BigGAN(CONFIGS[size])
    assert round(sum(p.numel() for p in model.parameters()) / 1e6, 1) == millions
    assert len(model.generator.layers) == len(CONFIGS[size].layers) + 1  # + self-attention


def _published_checkpoint(model: torch.nn.Module, seed: int = 3) -> dict[str, torch.Tensor]:
    """Random values in the layout of biggan-deep-128-pytorch_model.bin (statistics differ per truncation)."""
    gen = torch.Generator().manual_seed(seed)
    state = {}
    for name, tensor in model.state_dict().items():
        if name.endswith("running_means"):
            value = 0.1 * torch.randn(tensor.shape, generator=gen)
        elif name.endswith("running_vars"):
            value = 0.5 + torch.rand(tensor.shape, generator=gen)
        elif name.endswith(("weight_u", "weight_v")):
            value = tensor.clone()  # consistent power-iteration vectors
        elif name.endswith("gamma"):
            value = torch.full(tensor.shape, 0.5)
        else:
            value = tensor + 0.01 * torch.randn(tensor.shape, generator=gen)
        state[name] = value
    return state


def test_published_format_checkpoint_loads_strictly_from_a_server(biggan128, http_server, make_store) -> None:
    state = _published_checkpoint(biggan128)
    buffer = io.BytesIO()
    torch.save(state, buffer, _use_new_zipfile_serialization=False)  # the 2019 files predate the zip format
    url = http_server.serve("/biggan/biggan-deep-128-pytorch_model.bin", buffer.getvalue())
    store = make_store({"biggan/deep-128": {"license": "MIT", "sources": [{"kind": "url", "url": url}]}})

    model = create_model("biggan/deep-128", store=store, device="cpu")

    loaded = model.state_dict()
    assert all(torch.equal(loaded[name], value) for name, value in state.items())
    z = torch.randn(2, 128).clamp(-2, 2) * 0.5
    classes = torch.zeros(2, 1000)
    classes[0, 207], classes[1, 980] = 1.0, 1.0
    with torch.inference_mode():
        image = model(z, classes, 0.5)
    assert image.shape == (2, 3, 128, 128)
    assert torch.isfinite(image).all() and image.abs().max() <= 1.0 and image.std() > 0.01
    # a file that does not fit is refused with the key difference
    broken = {k: v for k, v in state.items() if "layers.8." not in k}
    buffer = io.BytesIO()
    torch.save(broken, buffer)
    url = http_server.serve("/broken.bin", buffer.getvalue())
    store = make_store({"biggan/deep-128": {"sources": [{"kind": "url", "url": url}]}}, root=store.root.parent / "other")
    with pytest.raises(ValueError, match="missing"):
        create_model("biggan/deep-128", store=store, device="cpu")


def test_batch_norm_statistics_follow_the_truncation() -> None:
    means = torch.arange(51.0)[:, None].repeat(1, 3)
    variances = means + 1
    # on a stored grid point: that row
    assert interpolated_statistics(means, variances, 0.5)[0].tolist() == [25.0] * 3
    assert interpolated_statistics(means, variances, 1.0)[0].tolist() == [50.0] * 3
    # between rows, as the published model does: frac * row[i] + (1 - frac) * row[i + 1]
    mean, var = interpolated_statistics(means, variances, 0.506)  # 25.3 rows from the start
    frac, index = math.modf(0.506 / (1 / 50))
    assert index == 25 and mean[0].item() == pytest.approx(25 * frac + 26 * (1 - frac))
    assert mean[0].item() == pytest.approx(25.7, abs=1e-4) and var[0].item() == pytest.approx(26.7, abs=1e-4)


def test_biggan_output_changes_with_the_statistics_the_truncation_selects() -> None:
    # a narrow BigGAN-deep (same blocks, 16 channels per width unit) keeps this test fast
    small = BigGANConfig(64, channel_width=16, layers=((False, 16, 16), (True, 16, 8), (True, 8, 4), (True, 4, 2), (True, 2, 1)), attention_layer_position=2)
    model = BigGAN(small).eval().requires_grad_(False)
    model.load_state_dict(_published_checkpoint(model, seed=5))
    z = torch.zeros(1, 128)
    classes = torch.zeros(1, 1000)
    classes[0, 1] = 1.0
    with torch.inference_mode():
        a, b, again = model(z, classes, 0.4), model(z, classes, 0.8), model(z, classes, 0.4)
        for bn in model.modules():
            if hasattr(bn, "running_means"):
                bn.running_means[:] = bn.running_means[20].clone()
                bn.running_vars[:] = bn.running_vars[20].clone()
        same_a, same_b = model(z, classes, 0.4), model(z, classes, 0.8)
    assert torch.equal(a, again)
    assert (a - b).abs().max() > 1e-3  # different truncation, different statistics
    assert torch.allclose(same_a, same_b, atol=1e-6)  # with equal statistics the truncation changes nothing else
    with pytest.raises(ValueError, match="truncation"):
        model(z, classes, 0.0)


def test_dcgan_faces_with_real_weights(artifacts: Path) -> None:
    from synth.gan.latent import grid_image
    from synth.images import save_image
    from synth.weights import default_store

    default_store().fetch("dcgan/faces-64", progress=False)
    model = create_model("dcgan/faces-64", device="cpu")
    z = torch.randn(16, 100, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        images = (model(z) + 1) / 2
    save_image(grid_image(images, nrow=4, upscale=2), artifacts / "gan_dcgan_faces_grid.png")
    save_image(images.mean(0, keepdim=True), artifacts / "gan_dcgan_faces_mean.png")
    assert images.shape == (16, 3, 64, 64)
    assert (images.flatten(1).std(dim=1) > 0.05).all()  # none is constant
    distances = torch.cdist(images.flatten(1), images.flatten(1))
    assert distances[~torch.eye(16, dtype=torch.bool)].min() > 1.0  # all differ
    luminance = (0.299 * images[:, 0] + 0.587 * images[:, 1] + 0.114 * images[:, 2]).mean(0)
    centre = luminance[20:44, 20:44].mean()
    corners = torch.stack([luminance[:12, :12], luminance[:12, -12:], luminance[-12:, :12], luminance[-12:, -12:]]).mean()
    assert centre > corners + 0.05  # a face-like blob: a lit face in the middle
