"""GAN verbs: ``gan-sample`` (a grid), ``gan-interpolate`` (a latent walk as GIF/MP4/PNG strip)
and ``gan-2d`` (train the 2-D GAN and save its views)."""

from __future__ import annotations

import argparse
from pathlib import Path

from tqdm.auto import tqdm

from . import default_of


def _seeds(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seeds like 1,2 or 1,2,3; got {text!r}") from None


def _common(parser: argparse.ArgumentParser, function) -> None:
    from ..gan.generate import GAN_MODELS

    parser.add_argument("--model", default=default_of(function, "model"), choices=GAN_MODELS)
    parser.add_argument("--truncation", type=float, default=None, help="in (0, 1]; default 0.4 for BigGAN, 1.0 for DCGAN")
    parser.add_argument("--class", dest="class_name", default=None, metavar="NAME", help='BigGAN: ImageNet class name or index, e.g. "golden retriever" (default: a random class per seed)')
    parser.add_argument("--device", default=None, help="cpu, cuda, ... (default: cuda if available)")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    from ..gan import generate, toy

    sample = subparsers.add_parser(
        "gan-sample",
        help="sample a grid of GAN images (DCGAN faces offline, BigGAN-deep with the hub)",
        description="Sample N images, seeds SEED, SEED+1, ..., and save them as one grid image.",
    )
    _common(sample, generate.sample)
    sample.add_argument("--seed", type=int, default=default_of(generate.sample, "seed"))
    sample.add_argument("-n", type=int, default=default_of(generate.sample, "n"), help="number of samples")
    sample.add_argument("--nrow", type=int, default=None, help="images per row (default: square-ish)")
    sample.add_argument("--upscale", type=int, default=1, help="nearest-neighbour upscaling of each image")
    sample.add_argument("-o", "--output", required=True, help="grid image (.png, .jpg)")
    sample.set_defaults(run=run_sample)

    walk = subparsers.add_parser(
        "gan-interpolate",
        help="walk the latent space between seeds; save a GIF, MP4 or PNG strip",
        description="Interpolate between the latents of SEEDS (lerp or slerp), render every frame and save "
        "an animation (.gif, .mp4) or a strip of frames (.png).",
    )
    _common(walk, generate.interpolate)
    walk.add_argument("--seeds", type=_seeds, default=list(default_of(generate.interpolate, "seeds")), help="comma-separated, e.g. 1,2 or 1,2,3")
    walk.add_argument("--steps", type=int, default=default_of(generate.interpolate, "steps"), help="frames per leg, endpoints included")
    walk.add_argument("--method", choices=("slerp", "lerp"), default=default_of(generate.interpolate, "method"))
    walk.add_argument("--loop", action="store_true", help="come back to the first seed (A -> B -> A)")
    walk.add_argument("--fps", type=float, default=24.0)
    walk.add_argument("--upscale", type=int, default=None, help="nearest-neighbour upscaling (default: to at least 256 px)")
    walk.add_argument("-o", "--output", required=True, help="walk.gif, walk.mp4 or strip.png")
    walk.set_defaults(run=run_interpolate)

    toy2d = subparsers.add_parser(
        "gan-2d",
        help="train the 2-D GAN (generator as a distribution transformer) and save its views",
        description="Train a small GAN on 2-D points and save the views (z grid, data space with D's "
        "surface, losses) as a PNG, or as an animation (.gif/.mp4) of the training.",
    )
    toy2d.add_argument("--target", choices=[t for t in toy.TARGETS if t != "drawn"], default=default_of(toy.train, "target"))
    toy2d.add_argument("--steps", type=int, default=default_of(toy.train, "steps"))
    toy2d.add_argument("--seed", type=int, default=default_of(toy.train, "seed"))
    toy2d.add_argument("--loss", choices=("non-saturating", "minimax"), default=default_of(toy.train, "loss"))
    toy2d.add_argument("--noise", choices=("gaussian", "uniform"), default=default_of(toy.train, "noise"))
    toy2d.add_argument("--lr-g", type=float, default=default_of(toy.train, "lr_g"))
    toy2d.add_argument("--lr-d", type=float, default=default_of(toy.train, "lr_d"))
    toy2d.add_argument("--every", type=int, default=25, help="steps per animation frame")
    toy2d.add_argument("-o", "--output", required=True, help="views.png, or training.gif / training.mp4")
    toy2d.set_defaults(run=run_toy)


def run_sample(args: argparse.Namespace) -> int:
    from ..gan.generate import sample
    from ..gan.latent import grid_image
    from ..images import save_image

    samples = sample(args.model, seed=args.seed, n=args.n, truncation=args.truncation, class_name=args.class_name, device=args.device)
    print(save_image(grid_image(samples.images, nrow=args.nrow, upscale=args.upscale), args.output))
    for caption in samples.captions():
        print(" ", caption)
    return 0


def run_interpolate(args: argparse.Namespace) -> int:
    from ..gan.generate import interpolate
    from ..gan.latent import save_animation, strip_image
    from ..images import save_image

    suffix = Path(args.output).suffix.lower()
    if suffix not in (".gif", ".mp4", ".png", ".jpg"):
        raise ValueError(f"the output must end in .gif, .mp4, .png or .jpg, got {args.output!r}")
    bars: list[tqdm] = []  # opened at the first frame, so input errors print alone

    def progress(done: int, total: int) -> None:
        if not bars:
            bars.append(tqdm(total=total, desc="frames", unit="frame"))
        bars[0].update(done - bars[0].n)

    try:
        frames = interpolate(
            args.model, seeds=args.seeds, steps=args.steps, method=args.method, truncation=args.truncation,
            class_name=args.class_name, loop=args.loop, device=args.device, callback=progress,
        )  # fmt: skip
    finally:
        for bar in bars:
            bar.close()
    upscale = args.upscale or max(1, -(-256 // frames.shape[-1]))
    if suffix in (".png", ".jpg"):
        print(save_image(strip_image(frames, upscale=upscale), args.output))
    else:
        print(save_animation(frames, args.output, fps=args.fps, upscale=upscale))
    return 0


def run_toy(args: argparse.Namespace) -> int:
    import numpy as np
    import torch

    from ..gan import toy
    from ..gan.latent import save_animation
    from ..gan.toy_view import render
    from ..images import save_image

    suffix = Path(args.output).suffix.lower()
    animate = suffix in (".gif", ".mp4")
    frames: list[np.ndarray] = []
    gan = toy.ToyGAN(args.target, noise=args.noise, loss=args.loss, lr_g=args.lr_g, lr_d=args.lr_d, seed=args.seed)
    if args.steps < 0 or args.every < 1:
        raise ValueError("--steps must be >= 0 and --every >= 1")
    with tqdm(total=args.steps, desc="steps", unit="step") as bar:
        while gan.step_count < args.steps:
            if animate:
                frames.append(render(gan))
            n = min(args.every, args.steps - gan.step_count)
            gan.step(n)
            bar.update(n)
    final = render(gan)
    print(toy.summary(gan))
    if animate:
        frames.append(final)
        stack = torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2).float() / 255
        print(save_animation(stack, args.output, fps=12))
    else:
        print(save_image(torch.from_numpy(final.copy()).permute(2, 0, 1)[None].float() / 255, args.output))
    return 0
