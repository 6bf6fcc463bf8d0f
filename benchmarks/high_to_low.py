"""Is the lecture's High -> Low figure converged at its default click? Each panel's own Gram loss
after the default steps, against a run with 4x the steps.

The figure (Gatys et al. 2015, Fig. 2; :func:`synth.gatys.high_to_low`): five syntheses
of scikit-image's brick at 128 px from the same seed, with the Grams of conv1_1, then
+ pool1, ... + pool4. For every panel the loss of its own layer set is evaluated in
float32 on the result after N steps (N: ``--steps``, default the steps the neural tab's
default click gives each set) and after 4N steps of the same run (the image after N
steps of a 4N-step run is the N-step result: the optimiser's chunks do not depend on
the total). "before" repeats the N-step panels with the start of before this change
(histogram-matched noise); the seconds are those of the N steps under the precision
policy in force (``SYNTH_PRECISION``). A contact sheet (rows: panels; columns: before
at N, now at N, now at 4N) is written to ``artifacts/high-to-low-convergence.png``.

    python benchmarks/high_to_low.py [--steps 50] [--side 128] [--threads 1]

A loss that goes to zero (the shallow sets can be matched exactly) makes the ratio
grow without bound while nothing visible changes, so the table also says whether the
loss is below 1e-3, a Gram matrix matched to about 3 %.
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
from synth.gatys import HIGH_TO_LOW, HighToLowOptions, TextureLoss, synthesize
from synth.images import load_image, save_image

ROOT = Path(__file__).resolve().parent.parent


def own_loss(example: torch.Tensor, image: torch.Tensor, layers: tuple[str, ...]) -> float:
    """The panel's own texture loss (relative Gram distance summed over its layers), in float32."""
    extractor = FeatureExtractor(get_model("vgg16-caffe"), layers, policy=runtime.FP32)
    with torch.no_grad():
        return float(sum(TextureLoss.of(extractor, example)(extractor(image)).values()))


def run(example: torch.Tensor, side: int, layers: tuple[str, ...], steps: int, marks: tuple[int, ...], **options) -> dict[int, tuple[torch.Tensor, float]]:
    """{step: (image, seconds so far)} at each of ``marks`` of one ``steps``-step synthesis."""
    out: dict[int, tuple[torch.Tensor, float]] = {}
    start = time.perf_counter()

    def keep(progress) -> None:
        if progress.step in marks:
            out[progress.step] = (progress.image, time.perf_counter() - start)

    options = {**HighToLowOptions().to_dict(), "layers": layers, "size": (side, side), "steps": steps, "every": 10, **options}
    synthesize(example, callback=keep, **options)
    return out


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
    rows, sheet = [], []
    for layers in HIGH_TO_LOW:
        before = run(example, args.side, layers, n, (n,), init="matched-noise")[n][0]
        now = run(example, args.side, layers, 4 * n, (n, 4 * n))
        losses = [own_loss(example, image, layers) for image in (before, now[n][0], now[4 * n][0])]
        rows.append((" + ".join(layers), *losses, now[n][1]))
        sheet.append(torch.cat([before, now[n][0], now[4 * n][0]], dim=-1))
    (ROOT / "artifacts").mkdir(exist_ok=True)
    save_image(torch.cat(sheet, dim=-2), ROOT / "artifacts" / "high-to-low-convergence.png")
    print(f"High -> Low, brick at {args.side} px, {n} steps per set (4x: {4 * n}); {torch.get_num_threads()} torch thread(s), "
          f"SYNTH_PRECISION={runtime.precision_setting()} ({runtime.precision('cpu')} here), load average {load:.2f} before, {os.getloadavg()[0]:.2f} after\n")  # fmt: skip
    print(
        f"| panel | before: loss at {n} (matched-noise start) | now: loss at {n} | now: loss at {4 * n} | ratio | within 1.5x or below 1e-3 | seconds for {n} steps |"
    )
    print("|---|---:|---:|---:|---:|---|---:|")
    for label, before, now, longer, seconds in rows:
        ok = now <= 1.5 * longer or now < 1e-3
        print(f"| {label} | {before:.2e} | {now:.2e} | {longer:.2e} | {now / longer:.1f} | {'yes' if ok else 'no'} | {seconds:.1f} |")
    print(f"\nTotal for the {n}-step panels: {sum(r[-1] for r in rows):.1f} s (engine only; the click adds decoding, previews and encoding).")


if __name__ == "__main__":
    main()
