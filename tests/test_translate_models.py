"""pix2pix / CycleGAN generators: official layouts, registry, and strict loading of
official-format checkpoints through the weights manager (loopback server)."""

from __future__ import annotations

import io
import json

import pytest
import torch
from torch import nn

from synth.models import create_model, list_models, model_spec
from synth.translate.models import TRANSLATORS, drop_legacy_instance_norm_keys, load_official
from synth.translate.resnet import ResnetGenerator
from synth.translate.unet import UnetGenerator
from synth.weights import default_store

from .layouts import load_layout


@pytest.mark.parametrize(
    ("layout", "build"),
    [("pix2pix_unet_256", UnetGenerator), ("cyclegan_resnet_9blocks", ResnetGenerator)],
)
def test_state_dict_equals_official_layout(layout, build):
    reference = load_layout(layout)
    model = build()
    ours = [(key, list(value.shape)) for key, value in model.state_dict().items()]
    assert ours == list(reference["tensors"].items())  # names, shapes and order
    assert sum(p.numel() for p in model.parameters()) == reference["num_parameters"]


def test_vintage_variant_differs_only_by_affine_norms():
    plain = ResnetGenerator().state_dict()
    affine = ResnetGenerator(affine=True).state_dict()
    extra = sorted(set(affine) - set(plain))
    assert set(plain) <= set(affine)
    assert len(extra) == 2 * 23  # weight and bias of 3 + 18 + 2 InstanceNorm layers
    assert all(key.endswith((".weight", ".bias")) and affine[key].ndim == 1 for key in extra)


def test_every_manifest_translation_name_is_registered():
    manifest = {n for n in default_store().entries if n.startswith(("pix2pix/", "cyclegan/"))}
    registered = {n for n in list_models("translate") if not n.startswith("lab/")}  # ours: tests/test_lab_models.py
    assert manifest == registered == {n for n in TRANSLATORS if not n.startswith("lab/")}
    for name in registered:
        spec = model_spec(name)
        assert spec.weights == (name,) and spec.task == "translate"
        expected = UnetGenerator if name.startswith("pix2pix/") else ResnetGenerator
        assert getattr(spec.build, "func", spec.build) is expected  # the class or a partial of it
    for info in TRANSLATORS.values():  # every reverse is a registered model that points back
        if info.reverse:
            assert TRANSLATORS[info.reverse].reverse == info.name


def test_pretrained_false_builds_the_registered_architectures():
    unet = create_model("pix2pix/map2sat", pretrained=False, device="cpu")
    resnet = create_model("cyclegan/horse2zebra", pretrained=False, device="cpu")
    vintage = create_model("cyclegan/vintage", pretrained=False, device="cpu")
    assert isinstance(unet, UnetGenerator) and unet.multiple == 256
    assert isinstance(resnet, ResnetGenerator) and resnet.multiple == 4
    assert any(isinstance(m, nn.InstanceNorm2d) and m.affine for m in vintage.modules())
    assert not any(isinstance(m, nn.InstanceNorm2d) and m.affine for m in resnet.modules())
    assert not unet.training and not any(p.requires_grad for p in unet.parameters())
    with torch.inference_mode():
        y = resnet(torch.rand(1, 3, 64, 48) * 2 - 1)
    assert y.shape == (1, 3, 64, 48) and y.abs().max() <= 1


def _official_resnet_file(*, legacy: bool) -> tuple[bytes, dict[str, torch.Tensor]]:
    """A CycleGAN generator saved as the official code saves it, optionally with pre-0.4 InstanceNorm keys."""
    torch.manual_seed(1)
    state = {k: v.clone() for k, v in ResnetGenerator().state_dict().items()}
    for key in list(state):
        state[key] = torch.randn_like(state[key])
    saved = dict(state)
    if legacy:
        for name, module in ResnetGenerator().named_modules():
            if isinstance(module, nn.InstanceNorm2d):
                channels = module.num_features
                saved[f"{name}.running_mean"] = torch.zeros(channels)
                saved[f"{name}.running_var"] = torch.ones(channels)
                saved[f"{name}.num_batches_tracked"] = torch.tensor(0)
    buffer = io.BytesIO()
    torch.save(saved, buffer)
    return buffer.getvalue(), state


def _manifest(name: str, url: str) -> dict:
    return {name: {"description": "test", "license": "BSD", "citation": "test", "sources": [{"kind": "url", "url": url}]}}


@pytest.mark.parametrize("legacy", [False, True], ids=["current", "legacy-instancenorm-keys"])
def test_official_cyclegan_checkpoint_loads_strictly_through_the_store(legacy, http_server, make_store):
    data, state = _official_resnet_file(legacy=legacy)
    url = http_server.serve("/cyclegan/pretrained_models/horse2zebra.pth", data)
    store = make_store(_manifest("cyclegan/horse2zebra", url))
    model = create_model("cyclegan/horse2zebra", device="cpu", store=store)
    loaded = model.state_dict()
    assert loaded.keys() == state.keys()
    assert all(torch.equal(loaded[k], state[k]) for k in state)
    pins = json.loads(store.lock_path.read_text())["pins"]
    assert any(key.startswith("cyclegan/horse2zebra::url:") for key in pins)  # sha256 pinned on first download


@pytest.mark.parametrize("counts", [True, False], ids=["current", "pre-0.4.1-no-batch-counts"])
def test_official_pix2pix_checkpoint_loads_strictly_through_the_store(counts, http_server, make_store):
    torch.manual_seed(2)
    state = {k: torch.randn_like(v.float()).to(v.dtype) if v.ndim else v for k, v in UnetGenerator().state_dict().items()}
    saved = state if counts else {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
    assert len(saved) == (82 if counts else 82 - 13)
    buffer = io.BytesIO()
    torch.save(saved, buffer)
    url = http_server.serve("/pix2pix/models-pytorch/map2sat.pth", buffer.getvalue())
    store = make_store(_manifest("pix2pix/map2sat", url))
    model = create_model("pix2pix/map2sat", device="cpu", store=store)
    assert all(torch.equal(model.state_dict()[k], state[k]) for k in state)


def test_only_legacy_instance_norm_keys_are_dropped(tmp_path):
    data, state = _official_resnet_file(legacy=True)
    saved = torch.load(io.BytesIO(data), weights_only=True)
    model = ResnetGenerator()
    filtered = drop_legacy_instance_norm_keys(model, saved)
    assert filtered.keys() == state.keys()
    # anything else that does not fit still fails the strict load, with a readable diff
    path = tmp_path / "bad.pth"
    torch.save({**saved, "model.1.extra": torch.zeros(1)}, path)
    with pytest.raises(ValueError, match=r"unexpected \['model.1.extra'\]"):
        load_official(model, [path])
    del saved["model.1.weight"]
    torch.save(saved, path)
    with pytest.raises(ValueError, match=r"missing \['model.1.weight'\]"):
        load_official(model, [path])
