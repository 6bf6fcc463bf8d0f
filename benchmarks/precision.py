"""Which precision and memory layout each architecture runs fastest in: the measurements
behind :data:`synth.runtime.LAYOUTS`.

For every family, one representative pass in float32 (contiguous: the official code's),
float32 with channels_last, bfloat16 autocast, and bfloat16 autocast with channels_last
(weights and input converted), interleaved round by round after a warm-up, median and
minimum of ``--rounds``:

- VGG-16 (Caffe weights where cached, else random): forward + backward from the pixels
  to pool4 (the texture layers), at ``--size``;
- the random multi-scale network (Ustyuzhaninov et al.): forward + backward at 128 px;
- pix2pix U-Net-256 and CycleGAN ResNet-9 (random weights: the architecture decides the
  cost): one forward pass at ``--translate-size``;
- DCGAN (random weights): a batch of 16.

    python benchmarks/precision.py [--threads 1] [--rounds 7] [--size 256] [--translate-size 512]

One torch thread by default: what the app gives each job (``app.py``'s ``configure_cpu``).
Prints a markdown table with the load average before and after, because on a shared
machine only ratios measured side by side mean something.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import os
import platform
import statistics
import time
from collections.abc import Callable

import torch
from torch import nn

from synth import runtime
from synth.features import VGG, FeatureExtractor, RandomMultiScale
from synth.gan.dcgan import DCGANGenerator
from synth.models import create_model
from synth.translate.resnet import ResnetGenerator
from synth.translate.unet import UnetGenerator
from synth.weights import default_store

VARIANTS = ("fp32", "fp32 + channels_last", "bf16", "bf16 + channels_last")


def _vgg() -> nn.Module:
    if default_store().availability("vgg16-caffe").cached:
        return create_model("vgg16-caffe", device="cpu")
    return VGG(16, input_convention="caffe").eval().requires_grad_(False)


def _frozen(model: nn.Module) -> nn.Module:
    return model.eval().requires_grad_(False)


def _features_pass(model: nn.Module, layers: tuple[str, ...], side: int) -> Callable[[bool, bool], None]:
    """Forward + backward to ``layers`` of ``model`` (or its channels_last copy) at ``side`` px."""
    models = {False: model, True: copy.deepcopy(model).to(memory_format=torch.channels_last)}
    image = torch.rand(1, 3, side, side, generator=torch.Generator().manual_seed(0))

    def run(bf16: bool, channels_last: bool) -> None:
        policy = runtime.Policy("cpu", torch.bfloat16 if bf16 else None, channels_last)
        x = image.clone().requires_grad_(True)
        features = FeatureExtractor(models[channels_last], layers, policy=policy)(x)
        sum(f.float().pow(2).mean() for f in features.values()).backward()

    return run


def _forward_pass(model: nn.Module, x: torch.Tensor) -> Callable[[bool, bool], None]:
    """One inference forward pass of ``model`` (or its channels_last copy) on ``x``."""
    models = {False: model, True: copy.deepcopy(model).to(memory_format=torch.channels_last)}

    def run(bf16: bool, channels_last: bool) -> None:
        policy = runtime.Policy("cpu", torch.bfloat16 if bf16 else None, channels_last)
        with torch.inference_mode(), policy.autocast():
            models[channels_last](policy.layout(x))

    return run


def cases(size: int, translate_size: int) -> dict[str, tuple[str, Callable[[bool, bool], None]]]:
    """Architecture (class name, the key of ``LAYOUTS``) -> (what is timed, the pass)."""
    torch.manual_seed(0)
    image = torch.rand(1, 3, translate_size, translate_size) * 2 - 1
    return {
        "VGG": (f"VGG-16 fwd + bwd to pool4, {size}²", _features_pass(_vgg(), ("conv1_1", "pool1", "pool2", "pool3", "pool4"), size)),
        "RandomMultiScale": ("random multi-scale fwd + bwd, 128²", _features_pass(_frozen(RandomMultiScale()), ("relu1",), 128)),
        "UnetGenerator": (f"U-Net-256 forward, {translate_size}²", _forward_pass(_frozen(UnetGenerator()), image)),
        "ResnetGenerator": (f"ResNet-9 forward, {translate_size}²", _forward_pass(_frozen(ResnetGenerator(affine=True)), image)),
        "DCGANGenerator": ("DCGAN forward, batch 16", _forward_pass(_frozen(DCGANGenerator()), torch.randn(16, 100))),
    }


def measure(run: Callable[[bool, bool], None], rounds: int) -> dict[str, list[float]]:
    """Seconds per variant, the variants interleaved in every round, after one warm-up each."""
    flags = {"fp32": (False, False), "fp32 + channels_last": (False, True), "bf16": (True, False), "bf16 + channels_last": (True, True)}
    for bf16, channels_last in flags.values():
        run(bf16, channels_last)
    times: dict[str, list[float]] = {name: [] for name in flags}
    for _ in range(rounds):
        for name, (bf16, channels_last) in flags.items():
            start = time.perf_counter()
            run(bf16, channels_last)
            times[name].append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1: the app's per-job setting)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--size", type=int, default=256, help="VGG input side")
    parser.add_argument("--translate-size", type=int, default=512)
    parser.add_argument("--only", nargs="*", help="architectures to measure (default: all)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    load_before = os.getloadavg()
    print(f"{platform.machine()}, torch {torch.__version__}, {torch.get_num_threads()} thread(s), bfloat16 units: {runtime.bf16_supported('cpu')}; "
          f"median (min) of {args.rounds} interleaved rounds; load average before {load_before[0]:.2f}\n")  # fmt: skip
    print("| architecture | pass | " + " | ".join(VARIANTS) + " | bf16 speed-up | policy (`LAYOUTS`) |")
    print("|---|---|" + "---:|" * len(VARIANTS) + "---:|---|")
    for name, (what, run) in cases(args.size, args.translate_size).items():
        if args.only and name not in args.only:
            continue
        times = measure(run, args.rounds)
        median = {k: statistics.median(v) for k, v in times.items()}
        cells = [f"{median[k] * 1000:.0f} ms ({min(times[k]) * 1000:.0f})" for k in VARIANTS]
        layout = runtime.LAYOUTS.get(name, runtime.Layout())
        policy = runtime.Policy("cpu", torch.bfloat16 if layout.bf16 else None, layout.channels_last).describe()
        best_bf16 = min(median["bf16"], median["bf16 + channels_last"])
        print(f"| {name} | {what} | " + " | ".join(cells) + f" | {median['fp32'] / best_bf16:.2f}x | {policy} |", flush=True)
    with contextlib.suppress(OSError):
        print(f"\nLoad average after: {os.getloadavg()[0]:.2f} (before: {load_before[0]:.2f}).")


if __name__ == "__main__":
    main()
