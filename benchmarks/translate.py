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
"untiled" runs in the precision policy in force (``SYNTH_PRECISION``, default
``auto``: see :data:`synth.runtime.LAYOUTS`; the row names it), "untiled, float32"
with ``SYNTH_PRECISION=fp32`` (the path of before the policy); the last column is the
reference's time over the row's. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
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

    from synth import runtime
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
        "untiled, float32": dict(tile=0),
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
    precision = "float32" if options is None else runtime.policy(net, device).describe()
    return {"seconds": seconds, "peak_mb": (peak - base) / 2**20, "precision": precision}


def rows(sizes: list[int]) -> list[tuple[str, int, str]]:
    plan = []
    for generator in ("unet", "resnet"):
        for size in sizes:
            plan += [(generator, size, "reference"), (generator, size, "untiled, float32"), (generator, size, "untiled")]
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

    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads, device {args.device}, {args.dtype}, "
          f"SYNTH_PRECISION={os.environ.get('SYNTH_PRECISION', 'auto')}; load average {os.getloadavg()[0]:.2f} before\n")  # fmt: skip
    print("| generator | size | method | computes in | time (s) | peak memory (MB) | reference / this |")
    print("|---|---:|---|---|---:|---:|---:|")
    names = {"unet": "pix2pix U-Net-256", "resnet": "CycleGAN ResNet-9"}
    reference: dict[tuple[str, int], float] = {}
    for generator, size, method in rows(args.sizes):
        command = [sys.executable, __file__, "--device", args.device, "--dtype", args.dtype, "--one", generator, str(size), method]
        env = {**os.environ, "SYNTH_PRECISION": "fp32"} if method.endswith("float32") else None
        result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env)
        if result.returncode:
            cell = (result.stderr.strip().splitlines() or ["failed"])[-1][:60]
            print(f"| {names[generator]} | {size}² | {method} | | {cell} | | |", flush=True)
            continue
        row = json.loads(result.stdout.strip().splitlines()[-1])
        if method == "reference":
            reference[generator, size] = row["seconds"]
        ratio = reference.get((generator, size), float("nan")) / row["seconds"]
        print(f"| {names[generator]} | {size}² | {method} | {row['precision']} | {row['seconds']:.2f} | {row['peak_mb']:.0f} | {ratio:.2f}x |", flush=True)
    print(f"\nLoad average after: {os.getloadavg()[0]:.2f}.")


if __name__ == "__main__":
    main()
