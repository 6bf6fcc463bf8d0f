"""``python -m synth pyramid-texture INPUT -o OUTPUT``: Heeger & Bergen synthesis."""

from __future__ import annotations

import argparse

from ..options import add_arguments, from_arguments
from . import parse_size, progress_bar


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    from ..heeger_bergen import HeegerBergenOptions

    parser = subparsers.add_parser(
        "pyramid-texture",
        help="Heeger & Bergen texture synthesis with a steerable pyramid",
        description="Synthesise a texture like INPUT by matching steerable-pyramid subband histograms "
        "(Heeger & Bergen 1995, as specified by Briand et al., IPOL 2014).",
    )
    parser.add_argument("input", metavar="INPUT", help="texture image")
    parser.add_argument("-o", "--output", required=True, metavar="OUTPUT", help="output image (.png, .jpg, ...)")
    parser.add_argument("--size", type=parse_size, metavar="WxH", help="output size (default: the input's; or give --ratio)")
    parser.add_argument("--max-side", type=int, default=1024, help="downscale larger inputs to this side first")
    add_arguments(parser, HeegerBergenOptions, skip=["size"])
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..heeger_bergen import HeegerBergenOptions, synthesize
    from ..images import load_image, save_image

    options = from_arguments(HeegerBergenOptions, args, **({"size": args.size} if args.size else {}))
    image = load_image(args.input, max_side=args.max_side)
    with progress_bar("iterations", unit="it") as advance:
        texture = synthesize(image, options, callback=advance)
    print(save_image(texture, args.output))
    return 0
