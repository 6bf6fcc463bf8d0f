"""``python -m synth pyramid-texture INPUT -o OUTPUT``: Heeger & Bergen synthesis."""

from __future__ import annotations

import argparse

from tqdm.auto import tqdm

from . import default_of, parse_size


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    from ..heeger_bergen import synthesize

    parser = subparsers.add_parser(
        "pyramid-texture",
        help="Heeger & Bergen texture synthesis with a steerable pyramid",
        description="Synthesise a texture like INPUT by matching steerable-pyramid subband histograms "
        "(Heeger & Bergen 1995, as specified by Briand et al., IPOL 2014).",
    )
    parser.add_argument("input", metavar="INPUT", help="texture image")
    parser.add_argument("-o", "--output", required=True, metavar="OUTPUT", help="output image (.png, .jpg, ...)")
    parser.add_argument("--scales", type=int, default=default_of(synthesize, "scales"))
    parser.add_argument("--orientations", type=int, default=default_of(synthesize, "orientations"))
    parser.add_argument("--iterations", type=int, default=default_of(synthesize, "iterations"))
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--size", type=parse_size, metavar="WxH", help="output size (default: the input's)")
    size.add_argument("--ratio", type=float, metavar="R", help="output size as a multiple of the input's")
    parser.add_argument("--edges", choices=("periodic", "mirror"), default=default_of(synthesize, "edges"))
    parser.add_argument("--seed", type=int, default=default_of(synthesize, "seed"))
    parser.add_argument("--max-side", type=int, default=1024, help="downscale larger inputs to this side first")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..heeger_bergen import synthesize
    from ..images import load_image, save_image

    image = load_image(args.input, max_side=args.max_side)
    with tqdm(total=args.iterations, desc="iterations", unit="it") as bar:
        texture = synthesize(
            image,
            scales=args.scales,
            orientations=args.orientations,
            iterations=args.iterations,
            size=args.size or args.ratio,
            edges=args.edges,
            seed=args.seed,
            callback=lambda progress: bar.update(1) if progress.iteration > 0 else None,
        )
    print(save_image(texture, args.output))
    return 0
