"""``python -m synth neural-texture INPUT -o OUTPUT``: Gatys et al. texture synthesis."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..options import add_arguments, from_arguments
from . import parse_size, progress_bar


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    from ..gatys import HighToLowOptions, TextureOptions

    parser = subparsers.add_parser(
        "neural-texture",
        help="Gatys et al. texture synthesis by matching CNN Gram matrices",
        description="Synthesise a texture like INPUT by matching the Gram matrices of CNN features "
        "(Gatys, Ecker & Bethge 2015). With --high-to-low, write the lecture's layer-by-layer series instead "
        "(its own layer sets; by default 50 steps per set and one scale, as the paper's figure).",
    )
    parser.add_argument("input", metavar="INPUT", help="texture image")
    parser.add_argument("-o", "--output", metavar="OUTPUT", help="output image (.png, .jpg, ...)")
    parser.add_argument("--high-to-low", metavar="OUTDIR", help="write the High -> Low series (one image per layer set) to OUTDIR")
    parser.add_argument("--size", type=parse_size, metavar="WxH", help="output size (default: the input's after --max-side)")
    parser.add_argument("--max-side", type=int, default=256, help="downscale the input to this longer side first (default %(default)s)")
    add_arguments(parser, TextureOptions, skip=["size"])
    add_arguments(parser.add_argument_group("--high-to-low only"), HighToLowOptions, skip=list(TextureOptions.info()))  # the series' own options
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..gatys import HighToLowOptions, TextureOptions, high_to_low, synthesize
    from ..images import load_image, save_image

    if not args.output and not args.high_to_low:
        raise ValueError("give -o OUTPUT (one texture) or --high-to-low OUTDIR (the layer-by-layer series)")
    size = {"size": args.size} if args.size else {}
    single = from_arguments(TextureOptions, args, **size) if args.output else None
    series = from_arguments(HighToLowOptions, args, **size) if args.high_to_low else None  # both checked before any work
    image = load_image(args.input, max_side=args.max_side)
    if single is not None:
        with progress_bar("texture") as advance:
            texture = synthesize(image, single, callback=advance)
        print(save_image(texture, args.output))
    if series is not None:
        with progress_bar("high -> low") as advance:
            results = high_to_low(image, series, callback=advance)
        for index, (label, texture) in enumerate(results, start=1):
            print(save_image(texture, Path(args.high_to_low) / f"{index}_{label.replace(' + ', '+')}.png"))
    return 0
