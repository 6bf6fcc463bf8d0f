"""``python -m synth gan-sample / gan-interpolate / gan-2d``."""

from __future__ import annotations

from pathlib import Path

import imageio.v2 as imageio
import pytest

from synth.cli import main


def test_gan_sample_and_interpolate(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["gan-sample", "--model", "dcgan/faces-64", "--seed", "0", "-n", "4", "-o", str(tmp_path / "grid.png")]) == 0
    assert imageio.imread(tmp_path / "grid.png").shape == (134, 134, 3)  # 2x2 cells of 64 px, 2 px padding
    assert main(["gan-interpolate", "--seeds", "1,2,3", "--steps", "4", "--method", "lerp", "-o", str(tmp_path / "walk.gif")]) == 0
    assert len(imageio.mimread(tmp_path / "walk.gif")) == 7
    assert main(["gan-interpolate", "--seeds", "1,2", "--steps", "3", "--loop", "-o", str(tmp_path / "walk.mp4")]) == 0
    assert (tmp_path / "walk.mp4").stat().st_size > 1000
    assert main(["gan-2d", "--steps", "20", "-o", str(tmp_path / "toy.png")]) == 0
    assert (tmp_path / "toy.png").stat().st_size > 1000


@pytest.mark.parametrize(
    "argv",
    [
        ["gan-interpolate", "--seeds", "1", "-o", "x.gif"],
        ["gan-interpolate", "--seeds", "1,2", "--steps", "0", "-o", "x.gif"],
        ["gan-interpolate", "--seeds", "1,2", "-o", "x.avi"],
        ["gan-sample", "--seed", "-3", "-o", "x.png"],
        ["gan-sample", "--truncation", "2", "-o", "x.png"],
    ],
)
def test_bad_input_exits_2(argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert capsys.readouterr().err.startswith("error: ")


def test_biggan_without_weights_exits_3_with_the_fetch_command(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("SYNTH_OFFLINE", "1")
    monkeypatch.setenv("SYNTH_WEIGHTS_DIR", str(tmp_path / "empty"))
    assert main(["gan-sample", "--model", "biggan/deep-128", "--class", "golden retriever", "-o", str(tmp_path / "b.png")]) == 3
    assert "python -m synth weights download biggan/deep-128" in capsys.readouterr().err
