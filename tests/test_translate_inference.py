"""Translation at any size, tiles without seams, pix2pix's test-time modes, the cycle.

Generators here have random weights and reduced widths (``ngf``): padding, tiling and
modes do not depend on the width, and the receptive field (depth) is the official one.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from synth.examples import example_path
from synth.images import load_image, resize
from synth.progress import Progress
from synth.translate import cycle, error_image, translate
from synth.translate.inference import TranslateOptions, record_statistics, reflect_pad
from synth.translate.resnet import ResnetGenerator
from synth.translate.tiling import blend_total, tile_starts, tiles
from synth.translate.unet import UnetGenerator

ROOT = Path(__file__).resolve().parent.parent


def _frozen(model: torch.nn.Module) -> torch.nn.Module:
    return model.eval().requires_grad_(False)


@pytest.fixture(scope="module")
def resnet() -> ResnetGenerator:
    torch.manual_seed(3)
    return _frozen(ResnetGenerator(ngf=16))


@pytest.fixture(scope="module")
def unet() -> UnetGenerator:
    torch.manual_seed(4)
    return _frozen(UnetGenerator(ngf=8))


@pytest.fixture(scope="module")
def photo_1024x768() -> torch.Tensor:
    return resize(load_image(example_path("astronaut")), (1024, 768))


@pytest.mark.parametrize("size", [(300, 451), (257, 1000)], ids=["300x451", "257x1000"])
@pytest.mark.parametrize("which", ["unet", "resnet"])
def test_any_size_comes_back_at_its_own_size(which, size, request):
    model = request.getfixturevalue(which)
    image = torch.rand(1, 3, *size)
    out = translate(image, model, mode="eval")
    assert out.shape == image.shape
    assert out.dtype == torch.float32 and 0 <= out.min() and out.max() <= 1


def test_reflect_pad_reaches_the_multiple_even_for_tiny_images():
    x = torch.arange(15.0).reshape(1, 1, 3, 5)
    padded, (left, right, top, bottom) = reflect_pad(x, 256)
    assert padded.shape[-2:] == (256, 256)
    assert torch.equal(padded[..., top : top + 3, left : left + 5], x)  # the image sits in the middle
    assert reflect_pad(x, 1)[0].shape == x.shape


def test_a_two_pixel_strip_translates_with_the_resnet():
    """Regression (bad-input corpus): a 2-pixel-wide image padded only to the multiple 4 is one
    pixel wide at the residual blocks, whose reflection padding then fails."""
    from synth.translate.inference import translate

    torch.manual_seed(0)
    net = ResnetGenerator().eval()
    assert reflect_pad(torch.zeros(1, 3, 2, 9), net.multiple, net.min_side)[0].shape[-2:] == (8, 12)
    out = translate(torch.rand(1, 3, 200, 2), net)
    assert out.shape == (1, 3, 200, 2) and torch.isfinite(out).all()


def test_tiles_cover_the_image_and_blend_to_one():
    assert tile_starts(1024, 512, 128) == [0, 384, 512]
    assert tile_starts(300, 512, 128) == [0]
    boxes = list(tiles((768, 1024), 512, 128))
    assert {(top, left) for top, left, _, _ in boxes} == {(0, 0), (0, 384), (0, 512), (256, 0), (256, 384), (256, 512)}
    total = blend_total((768, 1024), 512, 128)
    assert total.min() > 0  # every pixel is covered by some tile's non-zero weight
    # two neighbours overlapping by exactly the overlap cross-fade to a sum of one
    assert torch.allclose(blend_total((512, 896), 512, 128), torch.ones(512, 896))


def test_blended_tiles_equal_untiled_with_the_same_statistics(resnet, photo_1024x768, artifacts):
    """No seams: with shared statistics, tiles reproduce the one-pass result."""
    x = photo_1024x768 * 2 - 1
    statistics = record_statistics(resnet, F.interpolate(x, size=(384, 512), mode="area"))
    untiled = translate(photo_1024x768, resnet, tile=0, statistics=statistics)
    tiled = translate(photo_1024x768, resnet, tile=512, overlap=128, statistics=statistics)
    difference = (tiled - untiled).abs()
    assert tiled.shape == photo_1024x768.shape
    assert difference.max() < 5e-3 and difference.mean() < 1e-4, (difference.max(), difference.mean())

    exact = translate(photo_1024x768, resnet, tile=0)  # one pass, each layer's own statistics
    staged = translate(photo_1024x768, resnet, tile=512)  # default: exact statistics, gathered tile by tile
    downscaled = translate(photo_1024x768, resnet, tile=512, norm_stats="downscaled", stats_side=512)
    staged_diff = (staged - exact).abs()
    down_diff = (downscaled - exact).abs()
    assert staged_diff.max() < 1e-4, staged_diff.max()
    assert 0 < down_diff.mean() < 0.1
    report = {
        "image": "astronaut 1024x768, ResNet-9 ngf=16, random weights, tiles of 512",
        "blended_vs_untiled_same_statistics": {"max": float(difference.max()), "mean": float(difference.mean())},
        "exact_tiles_vs_untiled": {"max": float(staged_diff.max()), "mean": float(staged_diff.mean())},
        "downscaled_512_statistics_vs_untiled": {"max": float(down_diff.max()), "mean": float(down_diff.mean())},
    }
    (artifacts / "translate_tiling.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


_PEAK = """
import json, sys, torch
from synth.translate.resnet import ResnetGenerator
from synth.translate import translate

def status(field):  # kB, from the kernel's view of this process
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])

torch.manual_seed(0)
model = ResnetGenerator(ngf=16).eval().requires_grad_(False)
image = torch.rand(1, 3, 768, 1024)
translate(torch.rand(1, 3, 64, 64), model)  # warm-up: allocator and kernels
open("/proc/self/clear_refs", "w").write("5")  # reset the peak (VmHWM) to the current RSS
before = status("VmRSS")
how = sys.argv[1]
kwargs = {"untiled": dict(tile=0), "exact": dict(tile=256), "downscaled": dict(tile=256, overlap=32, norm_stats="downscaled")}[how]
translate(image, model, **kwargs)
print(json.dumps({how: (status("VmHWM") - before) / 1024}))
"""


def test_tiled_peak_memory_is_bounded(artifacts):
    """Peak resident memory (VmHWM) of a fresh process above its warmed-up RSS, per method.

    ``resource.getrusage``'s ``ru_maxrss`` is no use here: Linux carries the parent's
    peak across ``exec``, so a child of a large pytest process reports the parent's.
    """
    peaks = {}
    for how in ("untiled", "exact", "downscaled"):
        result = subprocess.run(
            [sys.executable, "-c", _PEAK, how], cwd=ROOT, capture_output=True, text=True, timeout=300, check=True
        )
        peaks.update(json.loads(result.stdout.strip().splitlines()[-1]))
    (artifacts / "translate_peak_memory.json").write_text(json.dumps({"MB above baseline, 1024x768, ngf=16, tiles of 256": peaks}, indent=2) + "\n")
    print(peaks)
    assert peaks["exact"] < 0.7 * peaks["untiled"], peaks
    assert peaks["downscaled"] < 0.7 * peaks["untiled"], peaks


def test_pix2pix_modes(unet):
    image = torch.rand(1, 3, 256, 256)
    eval_a = translate(image, unet, mode="eval", seed=1)
    eval_b = translate(image, unet, mode="eval", seed=2)
    assert torch.equal(eval_a, eval_b)  # eval: deterministic, the seed is irrelevant
    paper_1 = translate(image, unet, seed=1)
    assert torch.equal(paper_1, translate(image, unet, seed=1))  # paper: reproducible from the seed
    paper_2 = translate(image, unet, seed=2)
    assert (paper_1 - paper_2).abs().mean() > 1e-3  # ... and different across seeds
    assert (paper_1 - eval_a).abs().mean() > 1e-3
    assert not unet.training  # the shared model was never switched to train()
    with pytest.raises(ValueError, match="mode: 'train' is not one of 'paper', 'eval'"):
        translate(image, unet, mode="train")


def test_test_time_state_is_per_thread(unet):
    """Concurrent requests on one cached model each get their own mode and dropout masks."""
    image = torch.rand(1, 3, 256, 256)
    expected = {"paper": translate(image, unet, seed=5), "eval": translate(image, unet, mode="eval")}
    results: dict[str, list[torch.Tensor]] = {"paper": [], "eval": []}

    def work(mode: str) -> None:
        for _ in range(3):
            results[mode].append(translate(image, unet, mode=mode, seed=5))

    threads = [threading.Thread(target=work, args=(mode,)) for mode in ("paper", "eval", "paper", "eval")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for mode, outputs in results.items():
        assert len(outputs) == 6 and all(torch.equal(out, expected[mode]) for out in outputs)


def test_cycle_returns_images_error_map_and_its_mean(resnet):
    torch.manual_seed(6)
    backward = _frozen(ResnetGenerator(ngf=8, n_blocks=2))
    image = torch.rand(1, 3, 90, 70)
    result = cycle(image, resnet, backward)
    assert result.translated.shape == result.reconstructed.shape == image.shape
    assert result.error.shape == (1, 1, 90, 70)
    assert result.mean_error == pytest.approx(float((image - result.reconstructed).abs().mean()), rel=1e-5)
    again = cycle(image, resnet, backward, translated=result.translated)
    assert torch.equal(again.reconstructed, result.reconstructed)
    coloured = error_image(result.error)
    assert coloured.shape == (1, 3, 90, 70) and 0 <= coloured.min() and coloured.max() <= 1


def test_bad_arguments_are_refused_with_a_message(resnet):
    with pytest.raises(ValueError, match=r"\(1, 3, H, W\)"):
        translate(torch.rand(3, 32, 32), resnet)
    with pytest.raises(ValueError, match="tile must be at least 0"):
        translate(torch.rand(1, 3, 32, 32), resnet, tile=-1)
    with pytest.raises(ValueError, match=r"overlap must be in \[0, tile\)"):
        translate(torch.rand(1, 3, 64, 64), resnet, tile=32, overlap=32, norm_stats="downscaled")
    with pytest.raises(ValueError, match="norm_stats"):
        translate(torch.rand(1, 3, 32, 32), resnet, norm_stats="approximate")


def test_progress_reports_every_tile_and_stage(resnet):
    image = torch.rand(1, 3, 64, 96)
    seen: list[Progress] = []
    translate(image, resnet, tile=32, norm_stats="downscaled", callback=seen.append)
    assert seen[0].stage == "statistics" and [p.step for p in seen[1:]] == list(range(1, seen[-1].total + 1))
    assert {p.stage for p in seen[1:]} == {"tiles"}
    seen.clear()
    translate(image, resnet, tile=32, callback=seen.append)  # exact statistics: staged
    assert [(p.stage, p.step, p.total) for p in seen] == [("stage A", 1, 3), ("stage B", 2, 3), ("stage C", 3, 3)]
    seen.clear()
    cycle(image, resnet, resnet, TranslateOptions(tile=0), callback=seen.append)
    assert [p.stage for p in seen] == ["translate", "translate"]
