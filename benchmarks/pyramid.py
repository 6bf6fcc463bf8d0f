"""Timing of the steerable pyramid and of Heeger & Bergen synthesis.

Compares, in one run, our torch pyramid (decompose + reconstruct) with pyrtools'
``SteerablePyramidFreq`` at 256^2 and 512^2, and times a full Heeger & Bergen
synthesis of a 256x256 colour texture with binned and exact subband matching, with
the subband-histogram distance each reaches (``synth.subbands.subband_distances``:
mean over subbands of the quantile distance to the example, in example standard
deviations). Prints markdown tables.

    python benchmarks/pyramid.py [--repeats 9] [--threads N] [--profile]
"""

from __future__ import annotations

import argparse
import functools
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from synth.heeger_bergen import synthesize, synthesize_with_details
from synth.pyramid import SteerablePyramid
from synth.subbands import subband_distances


def median_seconds(run: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``repeats`` calls, after one warm-up call."""
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def example_texture() -> torch.Tensor:
    """A 256x256 colour texture: a crop of scikit-image's coffee beans and cup."""
    from skimage import data

    crop = data.coffee()[140:396, 80:336]
    return torch.from_numpy(crop).permute(2, 0, 1).float().div(255).contiguous()


def pyramid_table(repeats: int) -> None:
    import pyrtools

    print("| size | pyrtools (ms) | ours float64 (ms) | ours float32 (ms) | speed-up (float32) |")
    print("|---|---|---|---|---|")
    pyramid = SteerablePyramid(scales=4, orientations=4)
    for side in (256, 512):
        image = np.random.default_rng(0).random((side, side))

        def reference(image: np.ndarray = image) -> None:
            pyrtools.pyramids.SteerablePyramidFreq(image, height=4, order=3).recon_pyr()

        ours = {}
        for dtype in (torch.float64, torch.float32):
            x = torch.from_numpy(image).to(dtype)[None, None]
            ours[dtype] = median_seconds(lambda x=x: pyramid.reconstruct(pyramid.decompose(x)), repeats)
        theirs = median_seconds(reference, max(3, repeats // 3))
        print(
            f"| {side}x{side} | {theirs * 1e3:.1f} | {ours[torch.float64] * 1e3:.2f} | "
            f"{ours[torch.float32] * 1e3:.2f} | {theirs / ours[torch.float32]:.1f}x |"
        )


def synthesis_table(repeats: int) -> None:
    texture = example_texture()
    print("| subband matching | time (s) | subband distance: output | noise start |")
    print("|---|---|---|---|")
    for method in ("binned", "exact"):
        seconds = median_seconds(functools.partial(synthesize, texture, subband_matching=method), repeats)
        result = synthesize_with_details(texture, subband_matching=method)
        output = subband_distances(result.output_pyramid, result.input_pyramid).mean()
        start = subband_distances(result.noise_pyramid, result.input_pyramid).mean()
        print(f"| {method} | {seconds:.3f} | {output:.4f} | {start:.4f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=9, help="timed calls per measurement")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's default)")
    parser.add_argument("--profile", action="store_true", help="print a torch profile of one synthesis")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU: {cpu_name()}\n")
    print("Steerable pyramid, 4 scales, 4 orientations, decompose + reconstruct, one image:\n")
    pyramid_table(args.repeats)
    print("\nHeeger & Bergen, 256x256 colour, 4 scales, 4 orientations, 5 iterations:\n")
    synthesis_table(args.repeats)
    if args.profile:
        from torch.profiler import profile

        texture = example_texture()
        with profile() as prof:
            synthesize(texture)
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=15))


if __name__ == "__main__":
    main()
