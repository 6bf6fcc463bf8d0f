"""The pixel optimiser shared by neural textures and style transfer: golden values.

The values below were computed with the optimiser as it lived in ``synth/gatys.py``
(commit 5fbb0cf, before it moved to ``synth/optimize.py``), on this project's
2-core AMD EPYC machine, torch 2.14.1, one thread, with exactly the calls of the
tests (``python`` in the repository root, then printing ``float(out.mean())`` and the
pixels indexed here). A refactor must reproduce them; a different CPU or torch build
may round differently, in which case recompute them with the same calls on the old
commit and on the new code, and compare those two.

The first test's values were recomputed after commit 9d66978: its one-product Gram
backward, (S + S^T) F / M, is the same gradient, but the two halves of a float32 Gram
matrix are not bit-for-bit symmetric, so it rounds differently; after 20 steps the
pixels moved by at most 6.4e-4 (mean 4.6e-6), the size of a change of thread count.
The other values did not move.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch

from synth.examples import example_path
from synth.gatys import synthesize
from synth.images import load_image
from synth.style import transfer
from synth.weights import default_store

#: One thread: a reduction split over threads rounds differently (about 1e-4 after 20 steps).
TOLERANCE = 1e-5


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    default_store().fetch("vgg16-caffe", progress=False)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _check(image: torch.Tensor, mean: float, pixels: dict[tuple[int, int, int], float]) -> None:
    assert float(image.mean()) == pytest.approx(mean, abs=TOLERANCE)
    for (c, y, x), value in pixels.items():
        assert float(image[0, c, y, x]) == pytest.approx(value, abs=TOLERANCE), (c, y, x)


def test_texture_of_20_steps_at_64_px_is_unchanged() -> None:
    """VGG-16 (Caffe), brick at 64 px, default schedule (two scales: 32 and 64 px), L-BFGS, seed 0."""
    texture = load_image(example_path("brick"), max_side=64)
    out = synthesize(texture, size=(64, 64), steps=20, seed=0)
    _check(out, 0.43801912665367126, {(0, 0, 0): 0.4004819691181183, (1, 31, 17): 0.37145885825157166,
                                      (2, 63, 63): 0.5129024386405945, (0, 40, 5): 0.3904713988304138})  # fmt: skip


def test_adam_tileable_texture_is_unchanged() -> None:
    """Adam, periodic padding and upsampling, 64x48 output, two scales, seed 1."""
    texture = load_image(example_path("brick"), max_side=64)
    out = synthesize(texture, size=(64, 48), steps=20, seed=1, optimizer="adam", halvings=1, tileable=True)
    _check(out, 0.4408379793167114, {(0, 0, 0): 0.5606964826583862, (1, 31, 17): 0.24126072227954865, (2, 47, 63): 0.3711030185222626})


def test_style_transfer_of_10_steps_is_unchanged() -> None:
    """Chelsea in the style of the drawn swirls, 96 px inputs, sides 48 then 96, content start."""
    content, style = load_image(example_path("chelsea"), max_side=96), load_image(example_path("swirls"), max_side=96)
    out = transfer(content, style, sizes=(48, 96), steps=10)
    assert out.shape == (1, 3, 64, 96)
    _check(out, 0.4540698826313019, {(0, 0, 0): 0.5814446210861206, (1, 31, 17): 0.5580174922943115,
                                      (2, 63, 95): 0.529261589050293, (0, 40, 5): 0.5983148813247681})  # fmt: skip
