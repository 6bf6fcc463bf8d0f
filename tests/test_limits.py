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


# --------------------------------------------------------------- every engine, same caps
class _Reached(Exception):
    """Raised by a stub where the engine would start its heavy work: the caps let it through."""


def _reached(*args: object, **kwargs: object) -> None:
    raise _Reached


def _gan_calls():
    from synth.gan import generate

    cap = limits.DEFAULT
    return generate, [
        ("sample", lambda: generate.sample("dcgan/faces-64", n=cap.batch + 1), "n is 65; the cap is 64"),
        ("sample seeds", lambda: generate.sample("dcgan/faces-64", seeds=list(range(cap.batch + 1))), "cap is 64"),
        ("interpolate", lambda: generate.interpolate("dcgan/faces-64", seeds=(1, 2), steps=cap.frames + 1), "frames is 601"),
    ]


@pytest.mark.parametrize("index", range(3), ids=["sample", "sample-seeds", "interpolate"])
def test_gan_generation_enforces_the_batch_and_frame_caps(index: int, monkeypatch: pytest.MonkeyPatch) -> None:
    generate, calls = _gan_calls()
    monkeypatch.setattr(generate, "get_model", _reached)  # the caps come before any model is loaded
    _, call, message = calls[index]
    monkeypatch.delenv("SYNTH_LIMITS", raising=False)
    with pytest.raises(limits.LimitExceeded, match=message):
        call()
    monkeypatch.setenv("SYNTH_LIMITS", "off")
    with pytest.raises(_Reached):
        call()


def test_gan_sample_still_refuses_nonsense_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    from synth.gan import generate

    monkeypatch.setattr(generate, "get_model", _reached)
    monkeypatch.setenv("SYNTH_LIMITS", "off")  # lifting the caps does not admit 0, negative or fractional counts
    for n in (0, -3, 2.5, float("nan")):
        with pytest.raises(ValueError, match=r"SampleOptions\.n") as caught:
            generate.sample("dcgan/faces-64", n=n)
        assert not isinstance(caught.value, limits.LimitExceeded)


def test_toy_gan_caps_the_training_steps_of_one_call(monkeypatch: pytest.MonkeyPatch) -> None:
    from synth.gan import toy

    gan = toy.ToyGAN(target="ring", seed=0)
    monkeypatch.setattr(gan, "_steps", _reached)
    monkeypatch.delenv("SYNTH_LIMITS", raising=False)
    with pytest.raises(limits.LimitExceeded, match="training steps per call is 1,001"):
        gan.step(limits.DEFAULT.steps + 1)
    with pytest.raises(ValueError, match=">= 0"):
        gan.step(-1)
    monkeypatch.setenv("SYNTH_LIMITS", "off")
    with pytest.raises(_Reached):
        gan.step(limits.DEFAULT.steps + 1)


def test_gatys_enforces_the_step_and_output_caps_before_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    from synth import gatys

    monkeypatch.setattr(gatys, "get_model", _reached)
    example = torch.rand(1, 3, 32, 32)
    monkeypatch.delenv("SYNTH_LIMITS", raising=False)
    with pytest.raises(limits.LimitExceeded, match="steps is 1001; the cap is 1,000"):
        gatys.synthesize(example, size=(32, 32), steps=1001)
    with pytest.raises(limits.LimitExceeded, match="4096x1025"):  # the cap counts pixels, not sides
        gatys.synthesize(example, size=(4096, 1025), steps=10)
    monkeypatch.setenv("SYNTH_LIMITS", "off")
    with pytest.raises(_Reached):
        gatys.synthesize(example, size=(32, 32), steps=1001)
    with pytest.raises(_Reached):
        gatys.synthesize(example, size=(4096, 1025), steps=10)


def test_the_pixel_optimiser_checks_its_caps_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """The one optimisation engine (textures and style transfer) refuses before its first objective."""
    from synth.optimize import optimize

    start = torch.rand(1, 3, 16, 16)
    backbone = torch.nn.Conv2d(3, 3, 1)
    monkeypatch.delenv("SYNTH_LIMITS", raising=False)
    with pytest.raises(limits.LimitExceeded, match="steps is 1001; the cap is 1,000"):
        optimize(start, _reached, backbone, [(16, 16)], steps=1001)
    with pytest.raises(limits.LimitExceeded, match="2049x2048"):
        optimize(start, _reached, backbone, [(2049, 2048)], steps=1)
    with pytest.raises(ValueError, match="steps must be at least 1"):
        optimize(start, _reached, backbone, [(16, 16)], steps=0)
    monkeypatch.setenv("SYNTH_LIMITS", "off")
    with pytest.raises(_Reached):
        optimize(start, _reached, backbone, [(2049, 2048)], steps=1001)


def test_translation_enforces_the_output_cap_before_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    from synth.translate import inference

    monkeypatch.setattr(inference, "_as_model", _reached)
    huge = torch.zeros(1, 3, 1, 1).expand(1, 3, 2048, 2049)  # a view: no memory behind it
    monkeypatch.delenv("SYNTH_LIMITS", raising=False)
    with pytest.raises(limits.LimitExceeded, match="translated image would be 2049x2048"):
        inference.translate(huge, "cyclegan/vintage")
    with pytest.raises(limits.LimitExceeded, match="2049x2048"):
        inference.cycle(huge, "cyclegan/horse2zebra", "cyclegan/zebra2horse")
    with pytest.raises(_Reached):  # size= downscales first: within the cap
        inference.translate(huge, "cyclegan/vintage", size=2048)
    monkeypatch.setenv("SYNTH_LIMITS", "off")
    with pytest.raises(_Reached):
        inference.translate(huge, "cyclegan/vintage")
