"""``python -m synth train pix2pix|cyclegan --data NAME|DIR ... -o OUT.safetensors``: train a translator.

Every flag but ``--data``, ``-o``, ``--half``, ``--preview-dir`` and ``--device`` is an
option of :class:`synth.train.pix2pix.Pix2PixOptions` or
:class:`synth.train.cyclegan.CycleGANOptions` (defaults, choices and ranges from
there). The checkpoint records the exact command line; ``--snapshots 250,1000`` also
writes ``OUT-step250.safetensors`` and ``OUT-step1000.safetensors`` (the generators at
those steps). Files are written when training has finished, each atomically; bad
input stops the command before any training, with one line and exit code 2.
"""

from __future__ import annotations

import argparse
import shlex
import time
from pathlib import Path

from tqdm.auto import tqdm

from ..options import add_arguments, from_arguments

TRAINERS = {
    "pix2pix": ("paired: a procedural set (maps, colour) or a folder of A|B images or of A/ and B/", "Isola et al. 2017"),
    "cyclegan": ("unpaired: a procedural set (coats) or a folder with trainA/ and trainB/ (or A/ and B/)", "Zhu et al. 2017"),
}


def _options_class(trainer: str):
    if trainer == "pix2pix":
        from ..train.pix2pix import Pix2PixOptions

        return Pix2PixOptions
    from ..train.cyclegan import CycleGANOptions

    return CycleGANOptions


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train pix2pix or CycleGAN and write a checkpoint",
        description="Train pix2pix (Isola et al. 2017) on paired or CycleGAN (Zhu et al. 2017) on unpaired images; "
        "the official defaults, at 64 pixels on the CPU.",
    )
    trainers = parser.add_subparsers(dest="trainer", required=True, metavar="TRAINER")
    for trainer, (data_help, paper) in TRAINERS.items():
        sub = trainers.add_parser(trainer, help=f"{trainer} ({paper})", description=f"Train {trainer} ({paper}).")
        sub.add_argument("--data", required=True, metavar="NAME|DIR", help=f"training data, {data_help}")
        sub.add_argument("-o", "--output", required=True, type=Path, metavar="OUT.safetensors", help="checkpoint to write")
        sub.add_argument("--half", action="store_true", help="store the weights as float16 (half the size; loaded as float32)")
        sub.add_argument("--preview-dir", type=Path, metavar="DIR", help="write the preview grid and D's patch map there every --preview-every steps")
        sub.add_argument("--device", default="cpu", help="cpu (default, reproducible), cuda, ...")
        add_arguments(sub, _options_class(trainer))
        sub.set_defaults(run=run)


def _snapshot_path(output: Path, step: int) -> Path:
    return output.with_name(f"{output.stem}-step{step}{output.suffix}")


class _ProgressBar:
    """The callback of a run: a tqdm bar with the losses, opened at the first report (after the data
    has loaded, so bad input gives one line and no bar); optionally the previews as PNG files."""

    def __init__(self, total: int, preview_dir: Path | None) -> None:
        self.total, self.preview_dir, self.bar = total, preview_dir, None

    def __call__(self, progress) -> None:
        from ..images import save_image

        if self.bar is None:
            self.bar = tqdm(total=self.total, unit="step", dynamic_ncols=True)
        self.bar.update(progress.step - self.bar.n)
        if progress.losses:
            self.bar.set_postfix({name: f"{value:.3f}" for name, value in progress.losses.items()}, refresh=False)
        if self.preview_dir is not None and progress.image is not None:
            save_image(progress.image, self.preview_dir / f"step{progress.step:06d}.png")
            for name, view in progress.views.items():
                save_image(view, self.preview_dir / f"step{progress.step:06d}_{name}.png")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run(args: argparse.Namespace) -> int:
    from ..train.checkpoint import save_checkpoint

    output: Path = args.output
    if output.suffix != ".safetensors":
        raise ValueError(f"-o must name a .safetensors file, got {str(output)!r}")
    if output.is_dir():
        raise ValueError(f"-o names a folder: {str(output)!r}")
    options = from_arguments(_options_class(args.trainer), args)
    if args.trainer == "pix2pix":
        from ..train.pix2pix import train_pix2pix as train
    else:
        from ..train.cyclegan import train_cyclegan as train
    command = shlex.join(["python", "-m", "synth", *getattr(args, "argv", [])])
    bar = _ProgressBar(options.steps, args.preview_dir)
    start = time.perf_counter()
    try:
        result = train(args.data, options, callback=bar, device=args.device)
    finally:
        bar.close()
    seconds = time.perf_counter() - start
    written = [save_checkpoint(output, result, half=args.half, command=command)]
    for step in sorted(result.snapshots):
        written.append(save_checkpoint(_snapshot_path(output, step), result, step=step, half=args.half, command=command))
    for path in written:
        print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    print(f"{args.trainer}: {result.steps} steps on {result.data} in {seconds:.0f} s")
    return 0
