"""``python -m synth dataset maps|colour|coats|seasons --n N --seed S -o DIR``: write a procedural data set."""

from __future__ import annotations

import argparse

from tqdm.auto import tqdm


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    from ..datasets import PAIRED_SETS, UNPAIRED_SETS
    from ..datasets.export import DatasetOptions
    from ..options import add_arguments

    parser = subparsers.add_parser(
        "dataset",
        help="write a procedural data set of the training labs (pairs or two domains) as PNG files",
        description="Write N pairs of a paired set (DIR/A, DIR/B, same file names) or N images per domain of an "
        "unpaired set (DIR/A, DIR/B, the silhouettes DIR/A_mask, DIR/B_mask and DIR/A_attributes.json, "
        "DIR/B_attributes.json). The same seed writes the same files.",
    )
    parser.add_argument("name", metavar="SET", choices=PAIRED_SETS + UNPAIRED_SETS, help=f"one of {', '.join(PAIRED_SETS + UNPAIRED_SETS)}")
    parser.add_argument("-o", "--output-dir", required=True, metavar="DIR", help="output folder (created)")
    add_arguments(parser, DatasetOptions)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..datasets import PAIRED_SETS
    from ..datasets.export import DatasetOptions, write_dataset
    from ..options import from_arguments

    options = from_arguments(DatasetOptions, args)
    total = options.n * (1 if args.name in PAIRED_SETS else 2)
    with tqdm(total=total, desc=args.name, unit="pair" if args.name in PAIRED_SETS else "image") as bar:
        folder = write_dataset(args.name, args.output_dir, options, callback=lambda p: bar.update(p.step - bar.n))
    print(folder)
    return 0
