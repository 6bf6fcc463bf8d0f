"""GAN verbs: ``gan-sample`` (a grid), ``gan-interpolate`` (a latent walk as GIF/MP4/PNG strip)
and ``gan-2d`` (train the 2-D GAN and save its views)."""

from __future__ import annotations

import argparse
from pathlib import Path

from tqdm.auto import tqdm

from ..options import add_arguments, from_arguments
from . import progress_bar

#: Flags that are not the option's own name (kept from before the options were data).
FLAGS = {"class_name": "--class", "n": "-n"}


def _model(parser: argparse.ArgumentParser) -> None:
    from ..gan.generate import GAN_MODELS

    parser.add_argument("--model", default=GAN_MODELS[0], choices=GAN_MODELS, help=f"generator (default: {GAN_MODELS[0]}, works offline)")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    from ..gan.generate import InterpolateOptions, SampleOptions
    from ..gan.toy import ToyOptions

    sample = subparsers.add_parser(
        "gan-sample",
        help="sample a grid of GAN images (DCGAN faces offline, BigGAN-deep with the hub)",
        description="Sample N images, seeds SEED, SEED+1, ..., and save them as one grid image.",
    )
    _model(sample)
    add_arguments(sample, SampleOptions, flags=FLAGS)
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
    _model(walk)
    add_arguments(walk, InterpolateOptions, flags=FLAGS)
    walk.add_argument("--fps", type=float, default=24.0)
    walk.add_argument("--upscale", type=int, default=None, help="nearest-neighbour upscaling (default: to at least 256 px)")
    walk.add_argument("-o", "--output", required=True, help="walk.gif, walk.mp4 or strip.png")
    walk.set_defaults(run=run_interpolate)

    toy2d = subparsers.add_parser(
        "gan-2d",
        help="train the 2-D GAN (generator as a distribution transformer) and save its views",
        description="Train a small GAN on 2-D points and save the views (z grid, data space with D's "
        "surface, losses) as a PNG, or as an animation (.gif/.mp4) of the training. "
        "The 'drawn' target needs points drawn in the web app.",
    )
    add_arguments(toy2d, ToyOptions)
    toy2d.add_argument("--every", type=int, default=25, help="steps per animation frame")
    toy2d.add_argument("-o", "--output", required=True, help="views.png, or training.gif / training.mp4")
    toy2d.set_defaults(run=run_toy)


def run_sample(args: argparse.Namespace) -> int:
    from ..gan.generate import SampleOptions, sample
    from ..gan.latent import grid_image
    from ..images import save_image

    samples = sample(args.model, from_arguments(SampleOptions, args))
    print(save_image(grid_image(samples.images, nrow=args.nrow, upscale=args.upscale), args.output))
    for caption in samples.captions():
        print(" ", caption)
    return 0


def run_interpolate(args: argparse.Namespace) -> int:
    from ..gan.generate import InterpolateOptions, interpolate
    from ..gan.latent import save_animation, strip_image
    from ..images import save_image

    suffix = Path(args.output).suffix.lower()
    if suffix not in (".gif", ".mp4", ".png", ".jpg"):
        raise ValueError(f"the output must end in .gif, .mp4, .png or .jpg, got {args.output!r}")
    options = from_arguments(InterpolateOptions, args)
    with progress_bar("frames", unit="frame") as advance:
        frames = interpolate(args.model, options, callback=advance)
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
    if args.every < 1:
        raise ValueError(f"--every must be at least 1, got {args.every}")
    options = from_arguments(toy.ToyOptions, args)
    gan = toy.ToyGAN(options)
    with tqdm(total=options.steps, desc="steps", unit="step") as bar:
        while gan.step_count < options.steps:
            if animate:
                frames.append(render(gan))
            n = min(args.every, options.steps - gan.step_count)
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
