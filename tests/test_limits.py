"""Caps are enforced in synth (so the CLI has them too) and lifted by --no-limits."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from synth import heeger_bergen, limits


def test_caps_refuse_with_a_message_that_says_how_to_lift_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SYNTH_LIMITS", raising=False)
    with pytest.raises(limits.LimitExceeded, match="cap is 1,000.*--no-limits"):
        limits.check_steps(1001)
    with pytest.raises(limits.LimitExceeded, match="4097x1024"):
        limits.check_output(4097, 1024)
    with pytest.raises(limits.LimitExceeded):
        limits.check_frames(limits.DEFAULT.frames + 1)
    with pytest.raises(limits.LimitExceeded):
        limits.check_batch(limits.DEFAULT.batch + 1)
    assert limits.check_steps(1000) == 1000 and limits.check_output(2048, 2048) == (2048, 2048)
    assert issubclass(limits.LimitExceeded, ValueError)  # bad input: gr.Error in the app, exit 2 in the CLI


def test_synth_limits_off_lifts_the_caps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNTH_LIMITS", "off")
    assert limits.check_steps(10**6) == 10**6
    assert limits.check_output(10_000, 10_000) == (10_000, 10_000)


def test_heeger_bergen_enforces_the_caps_before_working(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SYNTH_LIMITS", raising=False)
    image = torch.rand(3, 64, 64)
    with pytest.raises(limits.LimitExceeded, match="iterations"):
        heeger_bergen.synthesize(image, scales=2, iterations=5000)
    with pytest.raises(limits.LimitExceeded, match="texture would be 4096x4096"):
        heeger_bergen.synthesize(image, scales=2, size=(4096, 4096))


def test_cli_exits_2_on_a_cap_and_no_limits_lifts_it(tmp_path) -> None:
    from synth.examples import example_path

    command = [sys.executable, "-m", "synth", "pyramid-texture", str(example_path("gravel")), "-o", str(tmp_path / "t.png"),
               "--scales", "2", "--max-side", "64"]  # fmt: skip
    refused = subprocess.run([*command, "--iterations", "1001"], capture_output=True, text=True)
    assert refused.returncode == 2 and "cap is 1,000" in refused.stderr and "Traceback" not in refused.stderr
    too_big = ["--size", "2049x2048", "--iterations", "0"]  # just above the pixel cap; no iterations: quick
    assert subprocess.run([*command, *too_big], capture_output=True, text=True).returncode == 2
    lifted = subprocess.run([sys.executable, "-m", "synth", "--no-limits", *command[3:], *too_big], capture_output=True, text=True)
    assert lifted.returncode == 0, lifted.stderr
    from PIL import Image

    assert Image.open(tmp_path / "t.png").size == (2049, 2048)
