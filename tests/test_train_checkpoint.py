"""Checkpoints: metadata, atomic writes, strict loads, and the files a user brings (official
generators, our safetensors, pickles that must not be unpickled)."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import save_file

from synth.train.checkpoint import FORMAT, load_checkpoint, load_generator, write_checkpoint
from synth.train.networks import build_discriminator, build_generator
from synth.translate.resnet import ResnetGenerator

GEN = {"kind": "generator", "name": "unet_64", "ngf": 8, "norm": "batch", "dropout": True}
DISC = {"kind": "discriminator", "name": "patch16", "in_channels": 6, "ndf": 8, "norm": "batch"}
OPTIONS = {"seed": 4, "steps": 3, "size": 64}


def _write(path, states, architectures=None):
    return write_checkpoint(path, states, architectures=architectures or {"G": GEN, "D": DISC}, trainer="pix2pix", options=OPTIONS, data="maps", steps=3)


def test_metadata_records_the_recipe_and_tensors_are_prefixed(tmp_path):
    g, d = build_generator("unet_64", ngf=8, seed=1), build_discriminator("patch16", 6, ndf=8, seed=2)
    path = _write(tmp_path / "a.safetensors", {"G": g.state_dict(), "D": d.state_dict()})
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as handle:
        metadata, keys = handle.metadata(), list(handle.keys())
    assert metadata["format"] == FORMAT and metadata["trainer"] == "pix2pix" and metadata["data"] == "maps"
    assert json.loads(metadata["architectures"]) == {"G": GEN, "D": DISC} and json.loads(metadata["options"]) == OPTIONS
    assert metadata["seed"] == "4" and metadata["steps"] == "3" and metadata["command"] == "" and metadata["dtype"] == "float32"
    assert {k.split(".", 1)[0] for k in keys} == {"G", "D"} and "D.model.0.weight" in keys
    loaded = load_checkpoint(path)
    assert not loaded["G"].training and all(torch.equal(a, b) for a, b in zip(loaded["D"].state_dict().values(), d.state_dict().values()))


def test_nothing_is_half_written(tmp_path):
    g = build_generator("unet_64", ngf=8)
    state = dict(g.state_dict())
    state["model.model.0.weight"] = state["model.model.0.weight"] * 1e6  # beyond float16
    with pytest.raises(ValueError, match="beyond float16's range"):
        write_checkpoint(tmp_path / "h.safetensors", {"G": state}, architectures={"G": GEN}, trainer="pix2pix", options=OPTIONS, data="x", steps=1, half=True)
    with pytest.raises(ValueError, match="network 'F' has no architecture"):
        _write(tmp_path / "f.safetensors", {"F": g.state_dict()})
    assert list(tmp_path.iterdir()) == []


def test_files_that_are_not_ours_or_do_not_fit_are_refused(tmp_path):
    g = build_generator("unet_64", ngf=8)
    foreign = tmp_path / "foreign.safetensors"
    save_file({k: v.contiguous() for k, v in g.state_dict().items()}, str(foreign))
    with pytest.raises(ValueError, match=f"{foreign}: not a checkpoint of synth's trainers"):
        load_checkpoint(foreign)
    wrong = _write(tmp_path / "wrong.safetensors", {"G": g.state_dict()}, {"G": {**GEN, "ngf": 16}})
    with pytest.raises(ValueError, match=f"{wrong}: network G does not fit its recorded architecture .*'ngf': 16"):
        load_checkpoint(wrong)
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"\x00" * 64)
    with pytest.raises(ValueError, match=f"{junk}: not a readable safetensors file"):
        load_checkpoint(junk)
    with pytest.raises(ValueError, match="no such file"):
        load_checkpoint(tmp_path / "missing.safetensors")


def _randomised(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: torch.randn_like(v) if v.is_floating_point() else v for k, v in model.state_dict().items()}


@pytest.mark.parametrize(("net_g", "norm", "build"), [
    ("resnet_6blocks", None, lambda: ResnetGenerator(ngf=8, n_blocks=6)),  # CycleGAN's: instance norm, no dropout
    ("resnet_6blocks", "batch", lambda: ResnetGenerator(ngf=8, n_blocks=6, norm="batch", dropout=True)),  # pix2pix --netG resnet_6blocks
    ("unet_128", None, lambda: build_generator("unet_128", ngf=8)),  # pix2pix's: batch norm
])  # fmt: skip
def test_an_official_generator_file_loads_strictly(tmp_path, net_g, norm, build):
    state = _randomised(build())
    path = tmp_path / "latest_net_G.pth"
    torch.save(state, path)
    model, reverse = load_generator(path, net_g=net_g, norm=norm)
    assert reverse is None and not model.training
    assert all(torch.equal(model.state_dict()[k], v) for k, v in state.items())


def test_official_files_of_the_wrong_architecture_or_with_code_are_refused(tmp_path):
    path = tmp_path / "latest_net_G.pth"
    torch.save(_randomised(ResnetGenerator(ngf=8, n_blocks=6)), path)
    with pytest.raises(ValueError, match=r"latest_net_G.pth: not a resnet_9blocks generator with norm=instance, ngf=8: .*missing \['model.16"):
        load_generator(path, net_g="resnet_9blocks")
    with pytest.raises(ValueError, match=r"not a unet_256 generator with norm=batch"):
        load_generator(path, net_g="unet_256")
    with pytest.raises(ValueError, match="not a checkpoint of synth's trainers; for a generator saved by the official code give its architecture"):
        load_generator(path)

    class Payload:
        def __reduce__(self):
            return (print, ("this must never run",))

    evil = tmp_path / "evil.pth"
    torch.save({"model.1.weight": Payload()}, evil)
    with pytest.raises(ValueError, match=r"evil.pth: torch.load\(weights_only=True\) refused it"):
        load_generator(evil, net_g="resnet_6blocks")


def test_our_checkpoint_gives_its_generator_and_the_reverse(tmp_path):
    g, f = build_generator("resnet_6blocks", ngf=8, norm="instance", dropout=False, seed=1), build_generator("resnet_6blocks", ngf=8, norm="instance", dropout=False, seed=2)
    spec = {"kind": "generator", "name": "resnet_6blocks", "ngf": 8, "norm": "instance", "dropout": False}
    path = write_checkpoint(tmp_path / "c.safetensors", {"G": g.state_dict(), "F": f.state_dict()}, architectures={"G": spec, "F": spec}, trainer="cyclegan", options=OPTIONS, data="coats", steps=1)
    model, reverse = load_generator(path, net_g="unet_256")  # the metadata wins over a flag
    assert torch.equal(model.model[1].weight, g.model[1].weight) and torch.equal(reverse.model[1].weight, f.model[1].weight)
