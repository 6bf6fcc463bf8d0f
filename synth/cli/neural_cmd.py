"""``python -m synth neural-texture INPUT -o OUTPUT``: Gatys et al. texture synthesis."""

from __future__ import annotations

import argparse
from pathlib import Path

from tqdm.auto import tqdm

from . import default_of, parse_size


def _layers(text: str) -> tuple[str, ...]:
    layers = tuple(part.strip() for part in text.split(",") if part.strip())
    if not layers:
        raise argparse.ArgumentTypeError(f"expected comma-separated layer names like conv1_1,pool1; got {text!r}")
    return layers


def _weights(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers like 1,1,0.5; got {text!r}") from None


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    from ..gatys import high_to_low, synthesize

    parser = subparsers.add_parser(
        "neural-texture",
        help="Gatys et al. texture synthesis by matching CNN Gram matrices",
        description="Synthesise a texture like INPUT by matching the Gram matrices of CNN features "
        "(Gatys, Ecker & Bethge 2015). With --high-to-low, write the lecture's layer-by-layer series instead.",
    )
    parser.add_argument("input", metavar="INPUT", help="texture image")
    parser.add_argument("-o", "--output", metavar="OUTPUT", help="output image (.png, .jpg, ...)")
    parser.add_argument("--high-to-low", metavar="OUTDIR", help="write the High -> Low series (one image per layer set) to OUTDIR")
    parser.add_argument("--backbone", default=default_of(synthesize, "backbone"), help="vgg16-caffe (default), vgg19 or random-multiscale")
    parser.add_argument("--layers", type=_layers, metavar="L1,L2,...", help="layers to match (default: conv1_1,pool1,pool2,pool3,pool4 for VGG)")
    parser.add_argument("--layer-weights", type=_weights, metavar="W1,W2,...", help="one weight per layer (default 1 each)")
    parser.add_argument("--steps", type=int, default=default_of(synthesize, "steps"), help="forward+backward passes in total (default %(default)s)")
    parser.add_argument("--scales", type=int, help=f"coarse-to-fine levels (default {default_of(synthesize, 'scales')}, "
                        f"and {default_of(high_to_low, 'scales')} for --high-to-low, as Gatys)")
    parser.add_argument("--size", type=parse_size, metavar="WxH", help="output size (default: the input's after --max-side)")
    parser.add_argument("--max-side", type=int, default=256, help="downscale the input to this longer side first (default %(default)s)")
    parser.add_argument("--optimizer", choices=("lbfgs", "adam"), default=default_of(synthesize, "optimizer"))
    parser.add_argument("--pooling", choices=("avg", "max"), default=default_of(synthesize, "pooling"))
    parser.add_argument("--tileable", action="store_true", help="periodic output that tiles seamlessly")
    parser.add_argument("--histogram", action="store_true", help="finally match each colour channel's histogram to the input's")
    parser.add_argument("--seed", type=int, default=default_of(synthesize, "seed"))
    parser.add_argument("--device", default=None, help="cpu, cuda, ... (default: SYNTH_DEVICE or the best available)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..gatys import high_to_low, synthesize
    from ..images import load_image, save_image

    if not args.output and not args.high_to_low:
        raise ValueError("give -o OUTPUT (one texture) or --high-to-low OUTDIR (the layer-by-layer series)")
    if args.steps < 1:
        raise ValueError(f"--steps must be at least 1, got {args.steps}")
    image = load_image(args.input, max_side=args.max_side)
    options = dict(
        size=args.size, backbone=args.backbone, layer_weights=args.layer_weights,
        optimizer=args.optimizer, pooling=args.pooling, tileable=args.tileable, histogram=args.histogram,
        seed=args.seed, device=args.device,
    )  # fmt: skip
    if args.output:
        with tqdm(total=args.steps, desc="texture", unit="step") as bar:

            def advance(progress) -> None:
                bar.update(progress.step - bar.n)
                bar.set_postfix(loss=f"{progress.loss:.3g}", refresh=False)

            scales = default_of(synthesize, "scales") if args.scales is None else args.scales
            texture = synthesize(image, layers=args.layers, steps=args.steps, scales=scales, callback=advance, **options)
        print(save_image(texture, args.output))
    if args.high_to_low:
        if args.layers or args.layer_weights:
            raise ValueError("--high-to-low uses its own layer sets; leave out --layers and --layer-weights")
        options.pop("layer_weights")
        outdir = Path(args.high_to_low)
        steps = default_of(high_to_low, "steps") if args.steps == default_of(synthesize, "steps") else args.steps
        with tqdm(total=steps * 5, desc="high -> low", unit="step") as bar:
            scales = default_of(high_to_low, "scales") if args.scales is None else args.scales
            series = high_to_low(image, steps=steps, scales=scales, callback=lambda p: bar.update(p.step - bar.n), **options)
        for index, (label, texture) in enumerate(series, start=1):
            print(save_image(texture, outdir / f"{index}_{label.replace(' + ', '+')}.png"))
    return 0
