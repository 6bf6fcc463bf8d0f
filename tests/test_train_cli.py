"""``python -m synth train pix2pix|cyclegan`` and ``python -m synth translate --checkpoint``."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
import torch

from synth.cli import main
from synth.images import load_image, save_image
from synth.train.checkpoint import load_checkpoint
from synth.translate.resnet import ResnetGenerator

from .train_helpers import smooth, write_aligned, write_pair_folders

TINY = ["--size", "64", "--ngf", "8", "--ndf", "8"]


@pytest.fixture(scope="module")
def aligned(tmp_path_factory) -> Path:
    return write_aligned(tmp_path_factory.mktemp("aligned"), count=6, side=32)


def test_train_pix2pix_writes_a_loadable_checkpoint_and_snapshots(aligned, tmp_path, capsys):
    out = tmp_path / "models" / "p2p.safetensors"
    argv = ["train", "pix2pix", "--data", str(aligned), "--loss", "l1", "--steps", "6", "--seed", "3", "--snapshots", "0,4", *TINY, "-o", str(out)]
    assert main(argv) == 0
    assert sorted(p.name for p in out.parent.iterdir()) == ["p2p-step0.safetensors", "p2p-step4.safetensors", "p2p.safetensors"]
    checkpoint = load_checkpoint(out)
    assert checkpoint.command == shlex.join(["python", "-m", "synth", *argv])
    assert checkpoint.options["loss"] == "l1" and checkpoint.seed == 3 and checkpoint.steps == 6 and set(checkpoint.networks) == {"G"}
    assert load_checkpoint(out.parent / "p2p-step4.safetensors").steps == 4
    assert "pix2pix: 6 steps on" in capsys.readouterr().out

    # ... and translate takes it: same pixels as the loaded generator gives
    image = tmp_path / "in.png"
    save_image(smooth(1, 64, 5), image)
    assert main(["translate", "--checkpoint", str(out), str(image), "-o", str(tmp_path / "t")]) == 0
    assert load_image(tmp_path / "t" / "in.png").shape == (1, 3, 64, 64)


def test_train_cyclegan_and_the_cycle_through_its_checkpoint(tmp_path):
    domains = write_pair_folders(tmp_path / "domains", count=4, side=32)
    out = tmp_path / "cycle.safetensors"
    assert main(["train", "cyclegan", "--data", str(domains), "--losses", "gan+cycle", "--steps", "3", "--size", "32", "--ngf", "4", "--ndf", "4", "--half", "-o", str(out)]) == 0
    assert load_checkpoint(out).dtype == "float16"
    assert main(["translate", "--checkpoint", str(out), "--cycle", str(domains / "A"), "-o", str(tmp_path / "t")]) == 0
    assert {p.name for p in (tmp_path / "t").iterdir()} >= {"00.png", "00_rec.png", "00_err.png"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--data", "{tmp}/missing"], "no such folder"),
        (["--data", "{odd}"], "odd/01.png is 33x16: an aligned pair holds A and B side by side"),
        (["--data", "{aligned}", "--steps", "5000"], "steps is 5000; the cap is 2,000"),
        (["--data", "{aligned}", "--size", "48"], "unet_64 takes sides that are multiples of 64, got 48"),
        (["--data", "{aligned}", "-o", "{tmp}/out.pth"], "-o must name a .safetensors file"),
    ],
)  # fmt: skip
def test_bad_input_exits_2_and_writes_nothing(argv, message, aligned, tmp_path, capsys):
    odd = write_aligned(tmp_path / "odd", count=1, side=16)
    save_image(torch.rand(1, 3, 16, 33), odd / "01.png")
    work = tmp_path / "work"
    work.mkdir()
    values = {"tmp": work, "odd": odd, "aligned": aligned}
    argv = [a.format(**values) for a in argv]
    output = [] if "-o" in argv else ["-o", str(work / "out.safetensors")]
    assert main(["train", "pix2pix", "--steps", "2", *TINY, *argv, *output]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert list(work.iterdir()) == []


def _official_file(path: Path) -> Path:
    torch.manual_seed(0)
    torch.save({k: torch.randn_like(v) if v.is_floating_point() else v for k, v in ResnetGenerator(ngf=8, n_blocks=6).state_dict().items()}, path)
    return path


def test_translate_an_official_generator_file(tmp_path, capsys):
    pth = _official_file(tmp_path / "latest_net_G.pth")
    image = tmp_path / "in.png"
    save_image(smooth(1, 40, 2), image)
    assert main(["translate", "--checkpoint", str(pth), "--netG", "resnet_6blocks", str(image), "-o", str(tmp_path / "out")]) == 0
    assert load_image(tmp_path / "out" / "in.png").shape == (1, 3, 40, 40)

    for argv, message in [
        (["--netG", "resnet_9blocks"], "latest_net_G.pth: not a resnet_9blocks generator with norm=instance, ngf=8"),
        (["--netG", "resnet_6blocks", "--ngf", "16"], "(8, 3, 7, 7) in the checkpoint, (16, 3, 7, 7) in the model"),
        ([], "give its architecture (--netG"),
        (["--netG", "resnet_6blocks", "--cycle"], "--cycle needs a reverse generator and latest_net_G.pth has none"),
        (["--netG", "resnet_6blocks", "--model", "cyclegan/horse2zebra"], "not both"),
    ]:
        assert main(["translate", "--checkpoint", str(pth), *argv, str(image), "-o", str(tmp_path / "bad")]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
    assert not (tmp_path / "bad").exists()


def test_translate_refuses_a_pickle_with_code(tmp_path, capsys):
    class Payload:
        def __reduce__(self):
            return (print, ("this must never run",))

    evil = tmp_path / "latest_net_G.pth"
    torch.save({"model.1.weight": Payload()}, evil)
    image = tmp_path / "in.png"
    save_image(smooth(1, 16, 2), image)
    assert main(["translate", "--checkpoint", str(evil), "--netG", "resnet_6blocks", str(image), "-o", str(tmp_path / "out")]) == 2
    captured = capsys.readouterr()
    assert "latest_net_G.pth: torch.load(weights_only=True) refused it" in captured.err and "never run" not in captured.out
