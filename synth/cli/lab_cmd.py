"""``python -m synth lab losses|cycle|two-horses``: the translation tabs' experiments, as pictures and tables.

The command-line twin of "Why a GAN loss?" (pix2pix tab) and "Why the cycle?" (CycleGAN
tab), on the lab's own small models (:mod:`synth.translate.lab`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

EXPERIMENTS = ("losses", "cycle", "two-horses")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "lab",
        help="the lecture's loss experiments on the lab's own models (why a GAN loss, why the cycle)",
        description="losses: one input through the pix2pix generators trained with L1, cGAN and cGAN + L1 "
        "(Isola et al. 2017); cycle: one animal through the CycleGANs trained with the GAN loss alone, with the "
        "cycle and with the identity loss (Zhu et al. 2017); two-horses: the lecture's slide.",
    )
    parser.add_argument("experiment", choices=EXPERIMENTS)
    parser.add_argument("-o", "--output", required=True, type=Path, metavar="OUT.png", help="the picture (losses also writes OUT-patches.png and OUT-spread.png)")
    parser.add_argument("--data", choices=("maps", "colour"), default="maps", help="losses: the experiment")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--index", type=int, default=3, help="a held-out sample (data seed 1000, never trained on)")
    source.add_argument("--input", type=Path, metavar="FILE", help="your own input (losses on colour: a photo, made grey; its colours are the truth)")
    parser.add_argument("--step", type=int, help="a training snapshot instead of the final models")
    parser.add_argument("--seed", type=int, default=0, help="losses: the dropout seed")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..colors import luminance
    from ..images import load_image, save_image
    from ..translate import experiments

    if args.index < 0:
        raise ValueError(f"--index must be >= 0, got {args.index}")
    if args.experiment == "two-horses":
        print(save_image(experiments.two_animals_picture(*experiments.mismatched_pair(), step=args.step), args.output))
        return 0
    image = load_image(args.input) if args.input else None
    if args.experiment == "cycle":
        animal = image if image is not None else experiments.held_out("coats", args.index)[0]
        comparison = experiments.compare_cycles(animal, step=args.step)
        print(save_image(experiments.cycles_picture(comparison), args.output))
        for title, row in comparison.rows.items():
            print(f"{title:12} " + "  ".join(f"{name} {value:.3f}" for name, value in row.scores.items()))
        return 0
    if image is not None:
        source, target = (luminance(image), image) if args.data == "colour" else (image, None)
    else:
        source, target = experiments.held_out(args.data, args.index)
    comparison = experiments.compare_losses(source, args.data, target=target, step=args.step, seed=args.seed)
    for name, picture in experiments.losses_pictures(comparison).items():
        path = args.output if name == "outputs" else args.output.with_name(f"{args.output.stem}-{name.replace(' ', '-')}{args.output.suffix}")
        print(save_image(picture, path))
    for title, scores in comparison.scores.items():
        print(f"{title:12} " + "  ".join(f"{name} {value:.3f}" for name, value in scores.items()))
    return 0
