"""One progress type for every engine: each reports synth.progress.Progress through its
callback, streams through synth.streaming.stream, and (where it is iterative) a
callback's StopEarly gets its current result back."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from synth import gatys, heeger_bergen
from synth.gan import generate, toy
from synth.progress import Progress, StopEarly
from synth.streaming import Done, stream
from synth.translate import translate
from synth.translate.resnet import ResnetGenerator
from synth.weights import default_store

TEXTURE = torch.rand(1, 3, 40, 40, generator=torch.Generator().manual_seed(0))


def _resnet() -> torch.nn.Module:
    torch.manual_seed(1)
    return ResnetGenerator(ngf=8, n_blocks=2).eval().requires_grad_(False)


def _dcgan() -> None:
    default_store().fetch("dcgan/faces-64", progress=False)  # carried by a PyPI wheel


#: (engine, arguments, options) of a small run each: what the tabs stream.
RUNS: dict[str, tuple[Callable, tuple, dict]] = {
    "heeger-bergen": (heeger_bergen.synthesize, (TEXTURE[0],), {"scales": 2, "iterations": 3}),
    "neural texture": (gatys.synthesize, (TEXTURE,), {"backbone": "random-multiscale", "steps": 6, "every": 2, "halvings": 0}),
    "high to low": (gatys.high_to_low, (torch.rand(1, 3, 32, 32),), {"steps": 2, "size": (32, 32)}),
    "translation": (translate, (torch.rand(1, 3, 48, 64), _resnet()), {"tile": 32, "norm_stats": "downscaled"}),
    "interpolation": (generate.interpolate, ("dcgan/faces-64",), {"seeds": (1, 2, 3), "steps": 9, "device": "cpu"}),
    "2-D GAN": (toy.train, (), {"target": "moons", "steps": 5}),
}


@pytest.mark.parametrize("name", list(RUNS))
def test_every_engine_streams_the_one_progress(name: str) -> None:
    engine, args, options = RUNS[name]
    if name == "interpolation":
        _dcgan()
    items = list(stream(engine, *args, **options))
    *reports, done = items
    assert isinstance(done, Done) and reports
    assert all(type(p) is Progress for p in reports)
    assert [p.step for p in reports] == sorted(p.step for p in reports) and reports[-1].fraction == 1.0


def test_interpolation_stops_early_with_the_frames_so_far() -> None:
    _dcgan()

    def stop_after_the_first_batch(progress: Progress) -> None:
        assert progress.stage == "frames" and progress.image is not None and progress.image.shape == (1, 3, 64, 64)
        raise StopEarly

    frames = generate.interpolate("dcgan/faces-64", seeds=(1, 2, 3), steps=9, device="cpu", callback=stop_after_the_first_batch)
    everything = generate.interpolate("dcgan/faces-64", seeds=(1, 2, 3), steps=9, device="cpu")
    assert everything.shape[0] == 17 and frames.shape[0] == 8  # one batch of the render
    assert torch.equal(frames, everything[:8])


def test_a_translation_has_no_partial_result() -> None:
    """Not iterative: StopEarly propagates like any exception (documented in translate)."""

    def stop(progress: Progress) -> None:
        raise StopEarly

    with pytest.raises(StopEarly):
        translate(torch.rand(1, 3, 32, 32), _resnet(), callback=stop)
