"""``python -m synth translate --model NAME INPUT... -o OUTDIR``: pix2pix / CycleGAN on files and folders.

``--checkpoint FILE`` instead of ``--model`` takes a generator a user trained: a
checkpoint of ``python -m synth train`` (architecture from its metadata; a CycleGAN
checkpoint also closes the cycle) or one saved by the official training code
(``latest_net_G.pth``, with ``--netG`` and, where not the default, ``--norm``/``--ngf``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm.auto import tqdm

from ..options import add_arguments, from_arguments

if TYPE_CHECKING:
    from torch import nn

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif"}


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    from ..train.networks import GENERATORS
    from ..translate.inference import TranslateOptions

    parser = subparsers.add_parser(
        "translate",
        help="image-to-image translation with pix2pix or CycleGAN generators",
        description="Translate images with a pix2pix (Isola et al. 2017) or CycleGAN (Zhu et al. 2017) "
        "generator at their own size; large images are translated in tiles. "
        "Models: `python -m synth translate --list`.",
    )
    parser.add_argument("inputs", nargs="*", metavar="INPUT", help="image files or folders (searched recursively)")
    parser.add_argument("--model", metavar="NAME", help="e.g. cyclegan/horse2zebra, pix2pix/map2sat, cyclegan/vintage")
    parser.add_argument(
        "--checkpoint", metavar="FILE", type=Path,
        help="a generator file instead of --model: a checkpoint of `python -m synth train` (.safetensors) "
        "or one saved by the official training code (latest_net_G.pth; give --netG)",
    )  # fmt: skip
    parser.add_argument("--netG", dest="net_g", choices=tuple(GENERATORS), help="architecture of an official --checkpoint")
    parser.add_argument(
        "--norm", choices=("batch", "instance"),
        help="norm of an official --checkpoint (default: batch for unet_*, instance for resnet_*, as officially)",
    )  # fmt: skip
    parser.add_argument("--ngf", type=int, help="width of an official --checkpoint (default: read from the file)")
    parser.add_argument("-o", "--output-dir", metavar="OUTDIR", type=Path, help="folder for the results (created)")
    parser.add_argument("--list", action="store_true", help="list the translation models and exit")
    parser.add_argument("--size", type=int, metavar="MAX_SIDE", help="downscale inputs so the longer side is at most this")
    parser.add_argument("--eval", action="store_true", help="pix2pix: deterministic eval mode (running statistics, no dropout)")
    parser.add_argument("--cycle", action="store_true", help="also write F(G(x)) and the error map |x - F(G(x))|")
    add_arguments(parser, TranslateOptions, skip=["size", "mode"])  # --size is applied when reading; --eval sets the mode
    parser.set_defaults(run=run)


def image_files(inputs: list[str]) -> list[tuple[Path, Path]]:
    """(file, output stem relative to OUTDIR) for every image file in ``inputs`` (folders recursively)."""
    found: list[tuple[Path, Path]] = []
    for item in map(Path, inputs):
        if item.is_dir():
            files = sorted(p for p in item.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
            if not files:
                raise ValueError(f"no image files ({', '.join(sorted(IMAGE_SUFFIXES))}) in folder {str(item)!r}")
            found += [(p, p.relative_to(item).with_suffix("")) for p in files]
        elif item.is_file():
            found.append((item, Path(item.stem)))
        else:
            raise ValueError(f"no such file or folder: {str(item)!r}")
    seen: dict[Path, int] = {}
    unique = []
    for path, stem in found:  # two inputs named alike: a.png, a-2.png, ...
        seen[stem] = seen.get(stem, 0) + 1
        unique.append((path, stem if seen[stem] == 1 else stem.with_name(f"{stem.name}-{seen[stem]}")))
    return unique


def _named(out: Path, suffix: str) -> Path:
    """``out`` + ``suffix`` + ".png" (stems may contain dots, so not ``with_suffix``)."""
    return out.parent / f"{out.name}{suffix}.png"


def _list() -> int:
    from ..translate.models import TRANSLATORS
    from ..weights import default_store

    store = default_store()
    for name, info in TRANSLATORS.items():
        cached = store.availability(name).cached
        reverse = f"  (cycle with {info.reverse})" if info.reverse else ""
        print(f"{name:34} {'cached ' if cached else 'missing'} {info.title}{reverse}")
    return 0


def _models(args: argparse.Namespace) -> tuple[str, nn.Module | str, nn.Module | str | None]:
    """(label, G, F or None) from --model or --checkpoint; unknown names and unusable files fail here."""
    if args.checkpoint is not None:
        if args.model:
            raise ValueError("give --model NAME or --checkpoint FILE, not both")
        from ..runtime import device
        from ..train.checkpoint import load_generator

        forward, backward = load_generator(args.checkpoint, net_g=args.net_g, ngf=args.ngf, norm=args.norm)
        dev = device(getattr(args, "device", None))
        return args.checkpoint.name, forward.to(dev), backward.to(dev) if backward is not None else None
    if args.net_g or args.norm or args.ngf:
        raise ValueError("--netG, --norm and --ngf describe a --checkpoint file")
    from ..models import model_spec
    from ..translate.models import TRANSLATORS

    model_spec(args.model)  # unknown names fail before any work
    info = TRANSLATORS.get(args.model)
    if info is None:
        raise ValueError(f"{args.model} is not a translation model; see python -m synth translate --list")
    return args.model, args.model, info.reverse


def run(args: argparse.Namespace) -> int:
    if args.list:
        return _list()
    if not (args.model or args.checkpoint) or not args.inputs or args.output_dir is None:
        raise ValueError("give --model NAME (or --checkpoint FILE), one or more INPUTs and -o OUTDIR (or --list)")
    from ..images import InvalidImage, load_image, save_image
    from ..translate.inference import TranslateOptions, cycle, error_image, translate
    from ..translate.models import TRANSLATORS

    if args.size is not None and args.size < 2:
        raise ValueError(f"--size must be at least 2 pixels, got {args.size}")
    options = from_arguments(TranslateOptions, args, mode="eval" if args.eval else "paper")
    label, forward, backward = _models(args)
    if args.cycle and backward is None:
        if args.checkpoint is not None:
            raise ValueError(f"--cycle needs a reverse generator and {label} has none (a CycleGAN checkpoint of `python -m synth train` has one)")
        with_reverse = ", ".join(n for n, t in TRANSLATORS.items() if t.reverse)
        raise ValueError(f"--cycle needs a reverse generator and {args.model} has none; models with one: {with_reverse}")
    files = image_files(args.inputs)
    failed = 0
    for path, stem in tqdm(files, desc=label, unit="image", disable=len(files) < 2):
        try:
            image = load_image(path, max_side=args.size)
        except InvalidImage as err:
            print(f"skipped {path}: {err}", file=sys.stderr)
            failed += 1
            continue
        out = args.output_dir / stem
        if args.cycle:
            result = cycle(image, forward, backward, options)
            save_image(result.translated, _named(out, ""))
            save_image(result.reconstructed, _named(out, "_rec"))
            save_image(error_image(result.error), _named(out, "_err"))
            tqdm.write(f"{_named(out, '')}  mean |x - F(G(x))| = {result.mean_error:.4f}")
        else:
            save_image(translate(image, forward, options), _named(out, ""))
            tqdm.write(str(_named(out, "")))
    if failed:
        print(f"{failed} of {len(files)} inputs could not be read", file=sys.stderr)
        return 2
    return 0
