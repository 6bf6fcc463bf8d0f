"""How close to the painting's style, and how faithful to the photo, is the style tab's default click?

The reference is the best-known implementation's published setting, neural-style
(J. Johnson, 2015: 512 px, 1000 L-BFGS iterations, VGG-19, content relu4_2 with weight
5, style relu1_1 ... relu5_1 with weight 100, total variation 1e-3, max pooling, random
start), run here by our engine with the backbone we have (VGG-16 with the Caffe
weights: VGG-19 and neural-style's images are not reachable here). Its weights are
translated into our loss terms exactly: neural-style's content loss is 5 * mean (F - P)^2,
ours (``norm="gatys"``) 1/2 sum (F - P)^2, so alpha = 10 / N (N = C H W of relu4_2);
its style loss per layer is 100 * mean over C^2 of (F F^T / (C H W) - A A^T / (C H W))^2,
ours 1 / (4 C^2) sum (G - T)^2 with G = F F^T / (H W), so w_l = 400 / C_l^2; its TV is
1e-3 / 2 * sum of squared neighbour differences of 0..255 pixels, ours the mean of the
squared differences of 0..1 pixels over 3 H W values per direction, so
tv_weight = 1e-3 / 2 * 255^2 * 3 H W. Differences that remain: its start is the mean
colour plus Gaussian noise of 1e-3, ours uniform noise (seed 0); its pixels are not
projected onto [0, 1].

Two scores, from networks and filters that the optimisation does not use:

- **style distance**: the Euclidean distance between the 100-d style vectors of the
  result and of the painting, from Magenta's style-prediction network (Ghiasi et al.
  2017; MobileNet-v2, our fast mode's first half, ``synth.ghiasi``); lower is closer;
- **content (edge) correlation**: the Pearson correlation between the Sobel gradient
  magnitudes of the result's and the photo's luminance, both at 256 px on the longer
  side after a Gaussian blur of 1 px (so brush strokes finer than that do not count);
  higher keeps the photo's structure better.

    python benchmarks/style_quality.py [--content chelsea] [--style swirls] [--reference-steps 1000]
        [--reference PATH] [--variant 300:128,256:2] [--threads 1]

Prints a markdown table: the reference, the tab's default click
(:class:`synth.style.StyleOptions`), and each ``--variant`` (steps:longer sides:style
weight, e.g. ``300:128,256:2`` for a longer run of the same schedule), each with its wall
time here. ``--reference``
names a file that caches the reference image (computed and written when missing; it
takes about 40 minutes on one core).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from synth import runtime
from synth.cache import get_model
from synth.colors import luminance
from synth.examples import example_path
from synth.images import load_image, save_image
from synth.optimize import side_sizes
from synth.style import CONTENT_LAYERS, STYLE_LAYERS, StyleOptions, transfer

ROOT = Path(__file__).resolve().parent.parent


def neural_style_options(content: torch.Tensor, side: int = 512, steps: int = 1000) -> StyleOptions:
    """neural-style's defaults as :class:`StyleOptions` of our engine (see the module docstring)."""
    ((width, height),) = side_sizes((content.shape[-1], content.shape[-2]), (side,))
    h, w = height, width
    for _ in range(3):  # relu4_2 sits after three 2x2 poolings (floor division, as VGG's)
        h, w = h // 2, w // 2
    channels = {"relu1_1": 64, "relu2_1": 128, "relu3_1": 256, "relu4_1": 512, "relu5_1": 512}
    return StyleOptions(
        sizes=(side,),
        steps=steps,
        init="noise",
        pooling="max",
        norm="gatys",
        content_layers=CONTENT_LAYERS,
        style_layers=STYLE_LAYERS,
        content_weight=10.0 / (512 * h * w),
        style_weight=1.0,
        style_layer_weights=tuple(400.0 / channels[layer] ** 2 for layer in STYLE_LAYERS),
        tv_weight=1e-3 / 2 * 255**2 * 3 * height * width,
        every=50,
    )


def style_distance(image: torch.Tensor, painting: torch.Tensor) -> float:
    """Distance between the Ghiasi et al. style vectors of ``image`` and ``painting`` (lower: closer)."""
    net = get_model("style/ghiasi", device="cpu")
    return float((net.style_vector(image) - net.style_vector(painting)).norm())


def _edges(image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    width, height = size
    grey = F.interpolate(luminance(image.float().cpu())[:, :1], size=(height, width), mode="bicubic", align_corners=False, antialias=True)
    taps = torch.exp(-(torch.arange(-3, 4, dtype=torch.float32) ** 2) / 2)
    taps = taps / taps.sum()
    grey = F.conv2d(F.pad(grey, (3, 3, 3, 3), mode="replicate"), (taps[:, None] * taps[None, :])[None, None])
    sobel = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
    padded = F.pad(grey, (1, 1, 1, 1), mode="replicate")
    gx, gy = F.conv2d(padded, sobel[None, None]), F.conv2d(padded, sobel.T[None, None])
    return (gx.square() + gy.square()).sqrt().flatten()


def edge_correlation(image: torch.Tensor, photo: torch.Tensor) -> float:
    """Pearson correlation of the blurred Sobel magnitudes of ``image`` and ``photo`` (higher: more of the photo's structure)."""
    (size,) = side_sizes((photo.shape[-1], photo.shape[-2]), (256,))
    a, b = _edges(image, size), _edges(photo, size)
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / (a.norm() * b.norm()))


def timed(content: torch.Tensor, style: torch.Tensor, options: StyleOptions, *, verbose: bool = False) -> tuple[torch.Tensor, float]:
    start = time.perf_counter()

    def say(progress) -> None:
        print(f"  step {progress.step}/{progress.total}, {time.perf_counter() - start:.0f} s, loss {progress.loss:.4g}", file=sys.stderr, flush=True)

    image = transfer(content, style, options, max_side=4096, callback=say if verbose else None)
    return image, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--content", default="chelsea")
    parser.add_argument("--style", default="swirls")
    parser.add_argument("--reference-steps", type=int, default=1000)
    parser.add_argument("--reference", type=Path, help="cache of the reference image (default: artifacts/style-reference-STEPS.png)")
    parser.add_argument("--variant", action="append", default=[], help="another setting to score, steps:sides:style weight (repeatable)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1: the app's per-job setting)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    content, painting = load_image(example_path(args.content)), load_image(example_path(args.style))
    get_model("vgg16-caffe")
    load = os.getloadavg()[0]
    cached = args.reference or ROOT / "artifacts" / f"style-reference-{args.reference_steps}.png"
    if cached.exists():
        reference, seconds = load_image(cached), float("nan")
    else:
        reference, seconds = timed(content, painting, neural_style_options(content, steps=args.reference_steps), verbose=True)
        cached.parent.mkdir(parents=True, exist_ok=True)
        save_image(reference, cached)
    rows = [(f"reference: neural-style's settings, {args.reference_steps} steps at 512 px, VGG-16 (Caffe)", reference, seconds)]
    default = StyleOptions()
    variants = [default]
    for text in args.variant:
        steps, sides, weight = text.split(":")
        variants.append(StyleOptions(steps=int(steps), sizes=tuple(int(s) for s in sides.split(",")), style_weight=float(weight)))
    for options in variants:
        name = "default click" if options == default else "variant"
        rows.append((f"{name}: {options.steps} steps, sides {list(options.sizes)}, style weight {options.style_weight:g}", *timed(content, painting, options)))
    print(f"{args.content} in the style of {args.style}; {torch.get_num_threads()} torch thread(s), SYNTH_PRECISION={runtime.precision_setting()} "
          f"({runtime.precision('cpu')} here); load average {load:.2f} before, {os.getloadavg()[0]:.2f} after\n")  # fmt: skip
    print("| run | time s | style distance (lower: closer) | edge correlation with the photo (higher: kept) |")
    print("|---|---:|---:|---:|")
    for name, image, seconds in rows:
        print(f"| {name} | {seconds:.1f} | {style_distance(image, painting):.3f} | {edge_correlation(image, content):.3f} |")


if __name__ == "__main__":
    main()
