"""``python -m synth style-transfer CONTENT STYLE [STYLE2 ...] -o OUT``: Gatys et al. style
transfer by optimisation, or the feed-forward network of Ghiasi et al. with ``--fast``."""

from __future__ import annotations

import argparse
import time

from tqdm.auto import tqdm

from . import default_of


def _numbers(kind: type, example: str):
    def parse(text: str) -> tuple:
        try:
            values = tuple(kind(part) for part in text.split(",") if part.strip())
        except ValueError:
            values = ()
        if not values:
            raise argparse.ArgumentTypeError(f"expected comma-separated numbers like {example}; got {text!r}")
        return values

    return parse


def _names(text: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    if not names:
        raise argparse.ArgumentTypeError(f"expected comma-separated layer names like relu4_2; got {text!r}")
    return names


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    from ..ghiasi import fast_transfer
    from ..style import transfer

    parser = subparsers.add_parser(
        "style-transfer",
        help="render CONTENT in the style of STYLE (Gatys et al. 2016; --fast: Ghiasi et al. 2017)",
        description="Optimise an image so that its VGG features match CONTENT and its Gram matrices match "
        "STYLE (several styles are blended). With --fast, one pass of the arbitrary-style network of "
        "Ghiasi et al. (2017) instead.",
    )
    parser.add_argument("content", metavar="CONTENT", help="content image (its aspect ratio is kept)")
    parser.add_argument("styles", metavar="STYLE", nargs="+", help="style image(s)")
    parser.add_argument("-o", "--output", required=True, metavar="OUT", help="output image (.png, .jpg, ...)")
    parser.add_argument("--backbone", default=default_of(transfer, "backbone"), help="vgg16-caffe (default), vgg19 or random-multiscale")
    parser.add_argument("--style-weight", type=float, default=default_of(transfer, "style_weight"), help="beta (default %(default)s; the content weight is 1)")
    parser.add_argument("--content-weight", type=float, default=default_of(transfer, "content_weight"), help="alpha (default %(default)s)")
    parser.add_argument("--tv-weight", type=float, default=default_of(transfer, "tv_weight"), help="total-variation weight (default %(default)s)")
    parser.add_argument("--init", choices=("content", "noise", "style"), default=default_of(transfer, "init"))
    parser.add_argument("--preserve-colors", choices=("none", "luminance", "histogram"), default=default_of(transfer, "preserve_colors"),
                        help="luminance-only transfer, or match the style's colours to the content's first (Gatys et al. 2017)")  # fmt: skip
    parser.add_argument("--scales", type=_numbers(int, "256,512"), default=default_of(transfer, "scales"), metavar="S1,S2,...",
                        help="longer side of each scale, coarse to fine; the last is the output size (default %(default)s)")  # fmt: skip
    parser.add_argument("--style-scale", type=float, default=default_of(transfer, "style_scale"), help="style image size relative to the output (default %(default)s)")
    parser.add_argument("--blend", type=_numbers(float, "0.7,0.3"), metavar="W1,W2,...", help="one weight per style (default equal)")
    parser.add_argument("--content-layers", type=_names, metavar="L1,...", help="default relu4_2")
    parser.add_argument("--style-layers", type=_names, metavar="L1,...", help="default relu1_1,relu2_1,relu3_1,relu4_1,relu5_1")
    parser.add_argument("--style-layer-weights", type=_numbers(float, "1,1,1,1,1"), metavar="W1,...", help="one weight per style layer (default 1 each)")
    parser.add_argument("--steps", type=int, default=default_of(transfer, "steps"), help="forward+backward passes over all scales (default %(default)s)")
    parser.add_argument("--optimizer", choices=("lbfgs", "adam"), default=default_of(transfer, "optimizer"))
    parser.add_argument("--seed", type=int, default=default_of(transfer, "seed"))
    parser.add_argument("--max-side", type=int, default=None, help="raise the output-size cap (default 512 px on a CPU, 1024 on a GPU)")
    parser.add_argument("--fast", action="store_true", help="feed-forward arbitrary style transfer (Ghiasi et al. 2017), in about a second")
    parser.add_argument("--strength", type=float, default=default_of(fast_transfer, "strength"), help="--fast: 0 = the content, 1 = full style (default %(default)s)")
    parser.add_argument("--device", default=None, help="cpu, cuda, ... (default: SYNTH_DEVICE or the best available)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..ghiasi import fast_transfer
    from ..images import load_image, save_image
    from ..style import transfer

    if args.steps < 1:
        raise ValueError(f"--steps must be at least 1, got {args.steps}")
    content = load_image(args.content)
    styles = [load_image(path) for path in args.styles]
    start = time.perf_counter()
    if args.fast:
        image = fast_transfer(
            content, styles, blend=args.blend, strength=args.strength, preserve_colors=args.preserve_colors,
            size=args.scales[-1], max_side=args.max_side,
        )  # fmt: skip
    else:
        bars: list[tqdm] = []  # opened on the first report, so that a refused option prints only its error

        def advance(progress) -> None:
            if not bars:
                bars.append(tqdm(total=args.steps, desc="style transfer", unit="step"))
            bars[0].update(progress.step - bars[0].n)
            bars[0].set_postfix(content=f"{progress.losses['content']:.3g}", style=f"{progress.losses['style']:.3g}", refresh=False)

        try:
            image = transfer(
                content, styles, blend=args.blend, backbone=args.backbone, content_layers=args.content_layers,
                style_layers=args.style_layers, style_layer_weights=args.style_layer_weights,
                content_weight=args.content_weight, style_weight=args.style_weight, tv_weight=args.tv_weight,
                init=args.init, preserve_colors=args.preserve_colors, scales=args.scales, style_scale=args.style_scale,
                steps=args.steps, optimizer=args.optimizer, seed=args.seed, max_side=args.max_side, device=args.device,
                callback=advance,
            )  # fmt: skip
        finally:
            for bar in bars:
                bar.close()
    print(f"{save_image(image, args.output)} ({image.shape[-1]}x{image.shape[-2]}, {time.perf_counter() - start:.1f} s)")
    return 0
