"""Benchmark: our Gram-matrix texture synthesis against a baseline in the design of the
official PyTorch neural-style tutorial (Jacq & Herring, "Neural Transfer Using PyTorch").

Same backbone and weights (the Caffe VGG-16), the same five layers (conv1_1, pool1..pool4),
the same objective: the tutorial's style loss, sum over layers of
mse(G / (C M), A / (C M)) x 1e6 with max pooling. Ours is run with the weights and
normalisation that make its loss exactly that function (w_l = 1e6 * 4 / C_l^2 with
norm="gatys"), so both optimise one function and the comparison is about the method:
coarse-to-fine, a histogram-matched noise start, projection every 10 steps.

Measured (a) time per full-size step (one forward + backward pass and the optimiser's
update) inside each run, and (b) wall time until our synthesis (its default schedule:
two halvings: 3 scales, half the steps at full size) reaches the loss the baseline has after
``--steps`` steps; the loss checks every 10 steps are off the clock. One run; on a
shared machine the numbers are indicative (``--threads 1`` avoids OpenMP threads
waiting for each other when cores are oversubscribed).

A second table compares our engine in float32 (``SYNTH_PRECISION=fp32``, the path of
before the precision policy) with the policy in force (``SYNTH_PRECISION``, default
``auto``: bfloat16 autocast on a CPU with bfloat16 units) at each of ``--precision-sizes``:
one 100-step fixed-seed synthesis each (the default schedule), time per full-size step
from its full-size part, and the final loss of each result evaluated in float32.

    python benchmarks/gatys.py [--size 256] [--steps 200] [--threads N] [--device cpu]
        [--precision-sizes 256,512] [--skip-tutorial]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import torch
from torch import nn

from synth import create_model, runtime
from synth.features import FeatureExtractor
from synth.gatys import TextureLoss, synthesize
from synth.images import load_image, resize
from synth.progress import StopEarly

LAYERS = ("conv1_1", "pool1", "pool2", "pool3", "pool4")
STYLE_WEIGHT = 1e6  # the tutorial's


# ---------------------------------------------------------------- the baseline
def tutorial_gram(x: torch.Tensor) -> torch.Tensor:
    a, b, c, d = x.size()
    features = x.view(a * b, c * d)
    return torch.mm(features, features.t()).div(a * b * c * d)


class StyleLoss(nn.Module):
    """The tutorial's loss module: transparent, records mse(Gram, target Gram)."""

    def __init__(self, target_feature: torch.Tensor) -> None:
        super().__init__()
        self.target = tutorial_gram(target_feature).detach()
        self.loss = torch.zeros(())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.loss = nn.functional.mse_loss(tutorial_gram(x), self.target)
        return x


class Normalization(nn.Module):
    def __init__(self, backbone: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone.normalize(x)


def tutorial_model(backbone: nn.Module, texture: torch.Tensor) -> tuple[nn.Sequential, list[StyleLoss]]:
    """VGG as an nn.Sequential with loss modules inserted after the chosen layers, trimmed after the last."""
    model = nn.Sequential(Normalization(backbone))
    losses: list[StyleLoss] = []
    for name, layer in zip(backbone.layer_names, backbone.features):
        model.add_module(name, nn.ReLU(inplace=False) if isinstance(layer, nn.ReLU) else layer)
        if name in LAYERS:
            loss = StyleLoss(model(texture).detach())
            model.add_module(f"style_loss_{name}", loss)
            losses.append(loss)
        if len(losses) == len(LAYERS):
            break
    return model, losses


def run_baseline(backbone: nn.Module, texture: torch.Tensor, start: torch.Tensor, steps: int) -> tuple[torch.Tensor, float, int]:
    """The tutorial's loop: L-BFGS with defaults, clamp inside the closure, count closure calls."""
    model, losses = tutorial_model(backbone, texture)
    model.eval().requires_grad_(False)
    image = start.clone().requires_grad_(True)
    optimizer = torch.optim.LBFGS([image])
    run = [0]

    def closure() -> torch.Tensor:
        with torch.no_grad():
            image.clamp_(0, 1)
        optimizer.zero_grad()
        model(image)
        score = STYLE_WEIGHT * sum(loss.loss for loss in losses)
        score.backward()
        run[0] += 1
        return score

    began = time.perf_counter()
    while run[0] < steps:
        optimizer.step(closure)
    seconds = time.perf_counter() - began
    with torch.no_grad():
        image.clamp_(0, 1)
    return image.detach(), seconds, run[0]


# ---------------------------------------------------------------- ours
def tutorial_weights(backbone: nn.Module) -> dict[str, float]:
    """w_l that turn our norm="gatys" loss, sum (G - T)^2 / (4 C^2), into the tutorial's x 1e6."""
    channels = {name: FeatureExtractor(backbone, [name])(torch.rand(1, 3, 32, 32))[name].shape[1] for name in LAYERS}
    return {name: STYLE_WEIGHT * 4 / c**2 for name, c in channels.items()}


def run_ours(texture: torch.Tensor, size: int, steps: int, target: float, score, device: str) -> dict:
    """Our synthesis until its loss (checked every 10 steps at full size, off the clock) <= target.

    Also returns the time per full-size step, from the full-size part of the run.
    """
    state = {"spent": 0.0, "since": time.perf_counter(), "reached": None, "step": None, "last": float("inf"), "fine": []}

    def check(progress) -> None:
        state["spent"] += time.perf_counter() - state["since"]
        if progress.image.shape[-1] == size:
            state["fine"].append((progress.step, state["spent"]))
            state["last"] = score(progress.image)
            if state["last"] <= target and state["reached"] is None:
                state["reached"], state["step"] = state["spent"], progress.step
                raise StopEarly
        state["since"] = time.perf_counter()

    weights = tutorial_weights(create_model("vgg16-caffe"))
    options = dict(size=(size, size), backbone="vgg16-caffe", layers=LAYERS, pooling="max", norm="gatys", steps=steps, every=10, device=device)
    synthesize(texture, layer_weights=tuple(weights[layer] for layer in LAYERS), callback=check, **options)
    fine = state["fine"]  # the first full-size chunk also pays for the upsampling and the targets
    state["per_step"] = (fine[-1][1] - fine[0][1]) / (fine[-1][0] - fine[0][0]) if len(fine) > 1 else float("nan")
    return state


def precision_run(texture: torch.Tensor, size: int, setting: str, device: str, steps: int = 100) -> tuple[float, float]:
    """(seconds per full-size step, final loss in float32) of a ``steps``-step synthesis under ``setting``."""
    os.environ["SYNTH_PRECISION"] = setting
    stamps: list[tuple[int, float]] = []
    start = time.perf_counter()

    def stamp(progress) -> None:
        if progress.image.shape[-1] == size:
            stamps.append((progress.step, time.perf_counter() - start))

    image = synthesize(texture, size=(size, size), steps=steps, seed=0, every=10, device=device, callback=stamp)
    os.environ["SYNTH_PRECISION"] = "fp32"
    extractor = FeatureExtractor(create_model("vgg16-caffe", device=device), LAYERS)
    with torch.no_grad():
        loss = float(sum(TextureLoss.of(extractor, texture)(extractor(image.to(device))).values()))
    # The first full-size report also pays for the upsampling and the targets: time from it on.
    per_step = (stamps[-1][1] - stamps[0][1]) / (stamps[-1][0] - stamps[0][0])
    return per_step, loss


def precision_table(sizes: list[int], device: str) -> None:
    """Float32 (the path of before the policy) against the policy in force, side by side at each size."""
    import skimage.data

    setting = os.environ.get("SYNTH_PRECISION", "auto")
    load = os.getloadavg()[0]
    os.environ["SYNTH_PRECISION"] = setting
    policy = runtime.policy(create_model("vgg16-caffe", device=device)).describe()
    print(f"\n### Float32 vs the precision policy (SYNTH_PRECISION={setting}: VGG-16 in {policy}), brick, 100 steps, seed 0, default schedule")
    print(f"{torch.get_num_threads()} thread(s), bfloat16 units: {runtime.bf16_supported(device)}; load average {load:.2f} before\n")
    print("| size | float32: ms per full-size step | policy: ms per full-size step | speed-up | float32: final loss | policy: final loss | loss ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for size in sizes:
        texture = resize(load_image(skimage.data.brick()), (size, size)).to(device)
        (exact_step, exact_loss), (fast_step, fast_loss) = (precision_run(texture, size, mode, device) for mode in ("fp32", setting))
        print(f"| {size}² | {exact_step * 1000:.0f} | {fast_step * 1000:.0f} | {exact_step / fast_step:.2f}x | {exact_loss:.4g} | {fast_loss:.4g} | {fast_loss / exact_loss:.3f} |", flush=True)
    print(f"\nLoad average after: {os.getloadavg()[0]:.2f}.")
    os.environ["SYNTH_PRECISION"] = setting


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=200, help="baseline steps (forward + backward passes)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--precision-sizes", default="256,512", help="sizes of the float32-vs-policy table (empty: none)")
    parser.add_argument("--skip-tutorial", action="store_true", help="only the float32-vs-policy table")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if not args.skip_tutorial:
        setting = os.environ.get("SYNTH_PRECISION", "auto")
        os.environ["SYNTH_PRECISION"] = "fp32"  # the method against the method, both in float32
        tutorial_table(args)
        os.environ["SYNTH_PRECISION"] = setting
    if args.precision_sizes:
        precision_table([int(s) for s in args.precision_sizes.split(",")], args.device)


def tutorial_table(args: argparse.Namespace) -> None:
    """Ours against the tutorial's design, same objective (the first table)."""
    import skimage.data

    device = torch.device(args.device)
    backbone = create_model("vgg16-caffe", device=device)
    texture = resize(load_image(skimage.data.brick()), (args.size, args.size)).to(device)
    start = torch.rand(1, 3, args.size, args.size, generator=torch.Generator().manual_seed(0)).to(device)
    extractor = FeatureExtractor(backbone, LAYERS, pooling="max")
    ours_loss = TextureLoss.of(extractor, texture, tutorial_weights(backbone), norm="gatys")
    model, losses = tutorial_model(backbone, texture)

    def score(image: torch.Tensor) -> float:  # the tutorial's objective
        with torch.no_grad():
            model(image.to(device).clamp(0, 1))
            return float(STYLE_WEIGHT * sum(loss.loss for loss in losses))

    check = score(start), float(sum(ours_loss(extractor(start)).values()))
    assert abs(check[0] - check[1]) <= 1e-4 * check[0], f"the two objectives differ: {check}"

    image, seconds, evaluations = run_baseline(backbone, texture, start, args.steps)
    target = score(image)
    ours = run_ours(texture, args.size, args.steps, target, score, args.device)

    print(f"\n### Gram-matrix texture synthesis, {args.size}x{args.size}, VGG-16 (Caffe weights), 5 layers")
    print(f"{platform.machine()}, {device}, torch {torch.__version__}, {torch.get_num_threads()} thread(s), both in float32; one run, indicative (shared machine)\n")
    print("| | baseline (tutorial design) | ours | ratio |")
    print("|---|---|---|---|")
    per_base = seconds / evaluations
    print(f"| time per full-size step (in each run, optimiser included) | {per_base * 1000:.0f} ms | {ours['per_step'] * 1000:.0f} ms | {per_base / ours['per_step']:.2f}x |")
    print(f"| loss after the baseline's {evaluations} steps | {target:.4g} | | |")
    if ours["reached"] is not None:
        print(f"| wall time to that loss | {seconds:.1f} s ({evaluations} steps) | {ours['reached']:.1f} s (step {ours['step']}; coarse-to-fine) | {seconds / ours['reached']:.2f}x |")
    else:
        print(f"| wall time to that loss | {seconds:.1f} s | not reached in {args.steps} steps ({ours['spent']:.1f} s, loss {ours['last']:.4g}) | - |")


if __name__ == "__main__":
    main()
