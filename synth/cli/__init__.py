"""The command line: ``python -m synth <verb> ...``; every tab feature has a verb here.

Each verb lives in a module of this package that defines ``add_parser(subparsers)``
and sets ``run`` on its parser; :data:`VERBS` lists them explicitly. Exit codes:
0 success, 2 bad input or usage (one clear line on stderr, no traceback), 3 weights
that are neither cached nor downloadable.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Iterator, Sequence

from ..images import InvalidImage
from ..models import UnknownModel
from ..options import as_flags
from ..progress import Callback, Progress
from ..runtime import PRECISIONS
from ..weights import WeightsUnavailable

__all__ = ["VERBS", "main", "entry_point", "parse_size", "progress_bar"]

#: Modules defining ``add_parser``; the order is the order of ``--help``.
VERBS: list[str] = [
    "synth.cli.weights_cmd",
    "synth.cli.pyramid_cmd",
    "synth.cli.neural_cmd",
    "synth.cli.style_cmd",
    "synth.cli.gan_cmd",
    "synth.cli.translate_cmd",
    "synth.cli.dataset_cmd",
    "synth.cli.train_cmd",
    "synth.cli.lab_cmd",
]


@contextlib.contextmanager
def progress_bar(desc: str, unit: str = "step") -> Iterator[Callback]:
    """A tqdm bar as an engine callback: it shows step, stage and losses of each :class:`synth.progress.Progress`.

    The bar opens at the first report, so an option the engine refuses prints only its error.
    """
    from tqdm.auto import tqdm

    bars: list[tqdm] = []

    def advance(progress: Progress) -> None:
        if not bars:
            bars.append(tqdm(total=progress.total, desc=desc, unit=unit))
        bar = bars[0]
        bar.update(progress.step - bar.n)
        losses = dict(progress.losses) if len(progress.losses) <= 3 else {"loss": progress.loss}
        bar.set_postfix_str(" · ".join([progress.stage, *(f"{k} {v:.3g}" for k, v in losses.items())]).strip(" ·"), refresh=False)

    try:
        yield advance
    finally:
        for bar in bars:
            bar.close()


def parse_size(text: str) -> tuple[int, int]:
    """``"320x240"`` -> (320, 240) for argparse."""
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a size like 320x240, got {text!r}") from None
    if width < 2 or height < 2:
        raise argparse.ArgumentTypeError(f"sizes must be at least 2x2, got {text!r}")
    return width, height


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m synth", description="Image Synthesis Lab from the command line.")
    parser.add_argument(
        "--no-limits",
        action="store_true",
        help="lift the caps on output pixels, steps, frames and batch size that the public app enforces",
    )
    parser.add_argument(
        "--precision",
        dest="runtime_precision",  # not "precision": the trainers have their own --precision
        choices=PRECISIONS,
        help="fp32 everywhere, bf16 autocast where each model's family allows it, or auto: bf16 where the CPU has "
        "bfloat16 units (default: SYNTH_PRECISION or auto)",
    )
    subparsers = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    for module in VERBS:
        importlib.import_module(module).add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # the exact command, for checkpoints' metadata
    if args.no_limits:
        os.environ["SYNTH_LIMITS"] = "off"
    if args.runtime_precision:
        os.environ["SYNTH_PRECISION"] = args.runtime_precision
    try:
        return int(args.run(args) or 0)
    except (InvalidImage, UnknownModel, ValueError) as err:
        print(f"error: {as_flags(str(err))}", file=sys.stderr)
        return 2
    except WeightsUnavailable as err:
        print(f"error: {err}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0


def entry_point() -> None:
    """The ``synth`` console script (``pip install -e .``): same as ``python -m synth``."""
    sys.exit(main())
