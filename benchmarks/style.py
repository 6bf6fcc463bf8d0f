"""Benchmark: style transfer by optimisation (Gatys et al. 2016) and the feed-forward
fast mode (Ghiasi et al. 2017) at 256² and 512², on this machine.

Content: scikit-image's astronaut (512x512, public domain), resized to each size; style:
the drawn "swirls" example. Backbone: the Caffe VGG-16 (the one fetchable from PyPI).

- Gatys, time per step: ``--probe`` L-BFGS steps at one scale (each a forward and a
  backward pass through relu5_1 and the optimiser's update), after one warm-up step.
- Gatys, default schedule: what the tab runs at that size: 100 steps over two scales
  (half the size, then the size; 30 % of the steps at the finest), model loaded.
- Fast mode: the style vector and one pass of the transformer (best of 3, warm).

    python benchmarks/style.py [--sizes 256,512] [--probe 5] [--device cpu]

Prints a markdown table; one run.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time

import torch

from synth import runtime
from synth.cache import get_model
from synth.examples import example_path
from synth.ghiasi import fast_transfer
from synth.images import load_image
from synth.style import transfer


def _timed_transfer(content: torch.Tensor, style: torch.Tensor, device: str, **options) -> tuple[float, list[float]]:
    """Wall time of one transfer and the times at which each step was reported."""
    stamps: list[float] = []
    start = time.perf_counter()
    transfer(content, style, max_side=4096, device=device, every=1, callback=lambda p: stamps.append(time.perf_counter()), **options)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return time.perf_counter() - start, stamps


def per_step(content: torch.Tensor, style: torch.Tensor, side: int, probe: int, device: str) -> float:
    """Seconds per full-size L-BFGS step (steady state: the first report, which includes the start-up, is dropped)."""
    _, stamps = _timed_transfer(content, style, device, sizes=(side,), steps=probe + 1)
    return (stamps[-1] - stamps[0]) / (len(stamps) - 1)


def schedule(content: torch.Tensor, style: torch.Tensor, side: int, device: str) -> float:
    """Seconds for the tab's default at this size: 100 steps, sides side/2 then side."""
    seconds, _ = _timed_transfer(content, style, device, sizes=(side // 2, side), steps=100)
    return seconds


def fast(content: torch.Tensor, style: torch.Tensor, side: int, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fast_transfer(content, style, size=side)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="256,512")
    parser.add_argument("--probe", type=int, default=5, help="steps timed for the per-step figure")
    parser.add_argument("--device", default=None)
    args = parser.parse_args()
    device = str(runtime.device(args.device))
    sizes = [int(s) for s in args.sizes.split(",")]
    content, style = load_image(example_path("astronaut")), load_image(example_path("swirls"))
    get_model("vgg16-caffe", device=device)
    get_model("style/ghiasi", device="cpu")
    fast_transfer(content, style, size=64)  # onnxruntime's first run allocates its arenas
    print(f"Style transfer on {device} ({platform.processor() or platform.machine()}, {torch.get_num_threads()} torch threads), "
          f"astronaut in the style of 'swirls', VGG-16 (Caffe weights).\n")  # fmt: skip
    print("| size | Gatys: s per step | Gatys: default schedule (100 steps, 2 scales) s | fast mode s | fast vs schedule |")
    print("|---|---:|---:|---:|---:|")
    for side in sizes:
        step = per_step(content, style, side, args.probe, device)
        total = schedule(content, style, side, device)
        quick = fast(content, style, side)
        print(f"| {side}² | {step:.2f} | {total:.1f} | {quick:.2f} | {total / quick:.0f}x |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
