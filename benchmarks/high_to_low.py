"""Is the lecture's High -> Low figure converged at its default click? Each panel's own Gram loss
after the default steps, against a run with 4x the steps.

The figure (Gatys et al. 2015, Fig. 2; :func:`synth.gatys.high_to_low`): five syntheses
of scikit-image's brick at 128 px, with the Grams of conv1_1, then + pool1, ... + pool4.
For every panel the loss of its own layer set is evaluated in float32 on the result of
the series with N steps per set (N: ``--steps``, default the steps the neural tab's
default click gives each set) and of the series with 4N. Both starts are measured: the
paper's, every set from the same uniform noise (``chain=False``), and the default, each
set continuing from the previous set's result (``chain=True``). The seconds are the
engine's for the N-step series under the precision policy in force
(``SYNTH_PRECISION``). A contact sheet (rows: the paper's start at N and 4N, then the
chained start at N and 4N; columns: the panels) is written to
``artifacts/high-to-low-convergence.png``.

    python benchmarks/high_to_low.py [--steps 50] [--side 128] [--threads 1]

A loss that goes to zero (an example of the output's size can be matched exactly) makes
the ratio grow without bound while nothing visible changes, so the table also says
whether the loss is below 1e-3, a Gram matrix matched to about 3 %.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import torch

from synth import runtime
from synth.cache import get_model
from synth.examples import example_path
from synth.features import FeatureExtractor
from synth.gatys import HIGH_TO_LOW, TextureLoss, high_to_low
from synth.images import load_image, save_image

ROOT = Path(__file__).resolve().parent.parent


def own_loss(example: torch.Tensor, image: torch.Tensor, layers: tuple[str, ...]) -> float:
    """The panel's own texture loss (relative Gram distance summed over its layers), in float32."""
    extractor = FeatureExtractor(get_model("vgg16-caffe"), layers, policy=runtime.FP32)
    with torch.no_grad():
        return float(sum(TextureLoss.of(extractor, example)(extractor(image)).values()))


def series(example: torch.Tensor, side: int, steps: int, chain: bool) -> tuple[list[tuple[str, torch.Tensor]], float]:
    """The figure's panels and the engine's seconds."""
    start = time.perf_counter()
    panels = high_to_low(example, size=(side, side), steps=steps, chain=chain)
    return panels, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50, help="steps per layer set of the default click (the neural tab gives half its Run slider's 100)")
    parser.add_argument("--side", type=int, default=128)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1: the app's per-job setting)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    example = load_image(example_path("brick"), max_side=args.side)  # scikit-image's brick, as the tab's example
    get_model("vgg16-caffe")
    n = args.steps
    load = os.getloadavg()[0]
    losses: dict[tuple[bool, int], list[float]] = {}
    seconds: dict[bool, float] = {}
    rows = []
    for chain in (False, True):
        for steps in (n, 4 * n):
            panels, took = series(example, args.side, steps, chain)
            seconds.setdefault(chain, took)
            losses[chain, steps] = [own_loss(example, image, layers) for (_, image), layers in zip(panels, HIGH_TO_LOW)]
            rows.append(torch.cat([image for _, image in panels], dim=-1))
    (ROOT / "artifacts").mkdir(exist_ok=True)
    save_image(torch.cat(rows, dim=-2), ROOT / "artifacts" / "high-to-low-convergence.png")
    print(f"High -> Low, brick at {args.side} px, {n} steps per set (4x: {4 * n}); {torch.get_num_threads()} torch thread(s), "
          f"SYNTH_PRECISION={runtime.precision_setting()} ({runtime.precision('cpu')} here), load average {load:.2f} before, {os.getloadavg()[0]:.2f} after\n")  # fmt: skip
    print(f"| panel | start | loss at {n} | loss at {4 * n} | ratio | within 1.5x or below 1e-3 |")
    print("|---|---|---:|---:|---:|---|")
    for index, layers in enumerate(HIGH_TO_LOW):
        for chain in (False, True):
            now, longer = losses[chain, n][index], losses[chain, 4 * n][index]
            ok = now <= 1.5 * longer or now < 1e-3
            start = "previous set's result" if chain and index else "noise"
            print(f"| {' + '.join(layers)} | {start} | {now:.2e} | {longer:.2e} | {now / longer:.1f} | {'yes' if ok else 'no'} |")
    print(f"\nEngine seconds for the {n}-step series: {seconds[False]:.1f} (every set from noise), {seconds[True]:.1f} (chained); "
          "the click adds decoding, previews and encoding.")


if __name__ == "__main__":
    main()
