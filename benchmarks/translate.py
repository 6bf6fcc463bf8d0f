"""Speed and peak memory of pix2pix's U-Net-256 and CycleGAN's ResNet-9 generators.

    python benchmarks/translate.py [--sizes 256 512 1024] [--device cpu|cuda] [--dtype float32|float16]

Each row runs in a fresh process (peak memory is per process): the reference is one
plain forward pass of the official architecture (``model(x)`` on a padded [-1, 1]
input, as the official test script does); then :func:`synth.translate.translate`
untiled (default mode: paper for the U-Net), and tiled with tiles of half the side: for the ResNet with exact
whole-image InstanceNorm statistics (``norm_stats="exact"``) and with statistics
from a 256-pixel downscaled pass (``"downscaled"``, default overlap: a quarter of the
tile); for the U-Net
(multiples of 256) with 512-pixel tiles overlapping by 256 where the image allows.
Random weights (the architecture decides the cost). Peak memory: CPU, the rise of
the process's VmHWM after a warm-up; CUDA, ``torch.cuda.max_memory_allocated``.
Prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def measure(generator: str, size: int, method: str, device: str, dtype: str) -> dict:
    """One row, in this process."""
    import torch

    from synth.translate import translate
    from synth.translate.resnet import ResnetGenerator
    from synth.translate.unet import UnetGenerator

    torch.manual_seed(0)
    net = UnetGenerator() if generator == "unet" else ResnetGenerator()
    net = net.eval().requires_grad_(False).to(device=device, dtype=getattr(torch, dtype))
    image = torch.rand(1, 3, size, size)
    half = max(size // 2, 256 if generator == "unet" else 4)
    options = {
        "reference": None,
        "untiled": dict(tile=0),
        "tiled exact": dict(tile=half, norm_stats="exact"),
        "tiled downscaled": dict(tile=half, norm_stats="downscaled", stats_side=256),
        "tiled": dict(tile=512, overlap=256),
    }[method]

    def run() -> None:
        if options is None:
            with torch.inference_mode():
                net((image * 2 - 1).to(device=device, dtype=getattr(torch, dtype)))
        else:
            translate(image, net, **options)

    translate(torch.rand(1, 3, 64, 64), net, tile=0, mode="eval")  # warm-up, small: it must not raise the baseline
    cuda = device.startswith("cuda")
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    else:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")  # reset the peak to the current RSS
        base = _status_kb("VmRSS") * 1024
    start = time.perf_counter()
    run()
    if cuda:
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    peak = torch.cuda.max_memory_allocated() if cuda else _status_kb("VmHWM") * 1024
    return {"seconds": seconds, "peak_mb": (peak - base) / 2**20}


def rows(sizes: list[int]) -> list[tuple[str, int, str]]:
    plan = []
    for generator in ("unet", "resnet"):
        for size in sizes:
            plan += [(generator, size, "reference"), (generator, size, "untiled")]
            if generator == "resnet":
                plan += [(generator, size, "tiled exact"), (generator, size, "tiled downscaled")]
            elif size > 512:
                plan.append((generator, size, "tiled"))
    return plan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="float32", choices=("float32", "float16"))
    parser.add_argument("--one", nargs=3, metavar=("GENERATOR", "SIZE", "METHOD"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        generator, size, method = args.one
        print(json.dumps(measure(generator, int(size), method, args.device, args.dtype)))
        return
    import torch

    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads, device {args.device}, {args.dtype}\n")
    print("| generator | size | method | time (s) | peak memory (MB) |")
    print("|---|---:|---|---:|---:|")
    names = {"unet": "pix2pix U-Net-256", "resnet": "CycleGAN ResNet-9"}
    for generator, size, method in rows(args.sizes):
        command = [sys.executable, __file__, "--device", args.device, "--dtype", args.dtype, "--one", generator, str(size), method]
        result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
        if result.returncode:
            cell = (result.stderr.strip().splitlines() or ["failed"])[-1][:60]
            print(f"| {names[generator]} | {size}² | {method} | {cell} | |", flush=True)
            continue
        row = json.loads(result.stdout.strip().splitlines()[-1])
        print(f"| {names[generator]} | {size}² | {method} | {row['seconds']:.2f} | {row['peak_mb']:.0f} |", flush=True)


if __name__ == "__main__":
    main()
