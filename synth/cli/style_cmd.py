"""``python -m synth style-transfer CONTENT STYLE [STYLE2 ...] -o OUT``: Gatys et al. style
transfer by optimisation, or the feed-forward network of Ghiasi et al. with ``--fast``."""

from __future__ import annotations

import argparse
import time

from ..options import add_arguments, from_arguments
from . import progress_bar


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    from ..ghiasi import FastStyleOptions
    from ..style import StyleOptions

    parser = subparsers.add_parser(
        "style-transfer",
        help="render CONTENT in the style of STYLE (Gatys et al. 2016; --fast: Ghiasi et al. 2017)",
        description="Optimise an image so that its VGG features match CONTENT and its Gram matrices match "
        "STYLE (several styles are blended). With --fast, one pass of the arbitrary-style network of "
        "Ghiasi et al. (2017) instead, at the last of --sizes.",
    )
    parser.add_argument("content", metavar="CONTENT", help="content image (its aspect ratio is kept)")
    parser.add_argument("styles", metavar="STYLE", nargs="+", help="style image(s)")
    parser.add_argument("-o", "--output", required=True, metavar="OUT", help="output image (.png, .jpg, ...)")
    parser.add_argument("--fast", action="store_true", help="feed-forward arbitrary style transfer (Ghiasi et al. 2017), in about a second")
    add_arguments(parser, StyleOptions)
    shared = set(StyleOptions.info()) & set(FastStyleOptions.info())
    add_arguments(parser, FastStyleOptions, skip=[*shared, "size"])  # --strength; the size is the last of --sizes
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..ghiasi import FastStyleOptions, fast_transfer
    from ..images import load_image, save_image
    from ..style import StyleOptions, transfer

    if args.fast:  # fast mode has its own cap (1024 px on any device), so StyleOptions' is not asked
        sides = getattr(args, "sizes", None) or StyleOptions().sizes
        options: StyleOptions | FastStyleOptions = from_arguments(FastStyleOptions, args, size=sides[-1])
    else:
        options = from_arguments(StyleOptions, args)  # checked before any image is read
    content = load_image(args.content)
    styles = [load_image(path) for path in args.styles]
    start = time.perf_counter()
    if isinstance(options, FastStyleOptions):
        image = fast_transfer(content, styles, options)
    else:
        with progress_bar("style transfer") as advance:
            image = transfer(content, styles, options, callback=advance)
    print(f"{save_image(image, args.output)} ({image.shape[-1]}x{image.shape[-2]}, {time.perf_counter() - start:.1f} s)")
    return 0
