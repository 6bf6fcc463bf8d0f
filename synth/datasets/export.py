"""Write a procedural data set to a folder, for anyone to look at or train on.

Paired sets: ``DIR/A/00000.png`` and ``DIR/B/00000.png`` (the same names: the
layout of pix2pix's "matched names" folders). Unpaired sets: ``DIR/A`` and ``DIR/B``
(drawn independently), the silhouettes ``DIR/A_mask`` and ``DIR/B_mask`` (white =
animal) and the generator's ground truth ``DIR/A_attributes.json`` and
``DIR/B_attributes.json`` (file name -> attributes). ``DIR/dataset.json`` records the
set and the options, so the files can be made again. Each file is written under a
temporary name and renamed: an interrupted run leaves no half-written image.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from torch import Tensor

from ..images import to_pil
from ..options import Options, option
from ..progress import Callback, Progress, report
from . import PAIRED_SETS, UNPAIRED_SETS, paired, unpaired
from .base import MAX_SIZE, MIN_SIZE

__all__ = ["DatasetOptions", "write_dataset"]


@dataclass(frozen=True)
class DatasetOptions(Options):
    """What ``python -m synth dataset`` writes."""

    n: int = option(100, low=1, high=100_000, help="pairs (paired sets) or images per domain (unpaired sets); names are 5 digits")
    seed: int = option(0, low=0, high=2**63 - 1, help="seed of the set: the same seed writes the same images (use another for held-out data)")
    size: int = option(64, low=MIN_SIZE, high=MAX_SIZE, help="side of the square images in pixels (the lab trains at 64)")


def _save(image: Image.Image, path: Path) -> None:
    tmp = path.with_name(path.name + ".part")
    image.save(tmp, format="PNG")
    os.replace(tmp, path)


def _save_json(data: object, path: Path) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    os.replace(tmp, path)


def _mask_image(mask: Tensor) -> Image.Image:
    return Image.fromarray((mask[0].numpy() * 255).astype("uint8"))  # 2-D uint8: mode L


def write_dataset(
    name: str, directory: str | os.PathLike, options: DatasetOptions | None = None, *, callback: Callback | None = None, **changes: object
) -> Path:
    """Write set ``name`` to ``directory`` (created); returns the folder.

    Parameters
    ----------
    name
        One of :data:`synth.datasets.PAIRED_SETS` or :data:`synth.datasets.UNPAIRED_SETS`.
    directory
        The output folder; existing files of the same names are replaced.
    options, changes
        :class:`DatasetOptions` (``n``, ``seed``, ``size``).
    callback
        Called with a :class:`synth.progress.Progress` after every pair (or image).
    """
    opts = DatasetOptions.of(options, changes)
    if name not in PAIRED_SETS + UNPAIRED_SETS:
        raise ValueError(f"unknown data set {str(name)[:40]!r}; known: {', '.join(PAIRED_SETS + UNPAIRED_SETS)}")
    root = Path(directory)
    if root.exists() and not root.is_dir():
        raise ValueError(f"{str(root)[:200]!r} exists and is not a folder")
    is_paired = name in PAIRED_SETS
    dataset = paired(name) if is_paired else unpaired(name)
    folders = ("A", "B") if is_paired else ("A", "B", "A_mask", "B_mask")
    for folder in folders:
        (root / folder).mkdir(parents=True, exist_ok=True)
    info = {"set": name, "title": dataset.title, "A": dataset.a_label, "B": dataset.b_label, **opts.to_dict()}
    _save_json(info, root / "dataset.json")
    total = opts.n * (1 if is_paired else 2)
    step = 0
    if is_paired:
        for index in range(opts.n):
            a, b = dataset.pair(index, seed=opts.seed, size=opts.size)
            _save(to_pil(a), root / "A" / f"{index:05d}.png")
            _save(to_pil(b), root / "B" / f"{index:05d}.png")
            step += 1
            report(callback, Progress(step, total, stage=name))
        return root
    for domain in ("A", "B"):
        attributes = {}
        for index in range(opts.n):
            sample = dataset.sample(domain, index, seed=opts.seed, size=opts.size)
            file = f"{index:05d}.png"
            _save(to_pil(sample.image), root / domain / file)
            _save(_mask_image(sample.mask), root / f"{domain}_mask" / file)
            attributes[file] = dict(sample.attributes)
            step += 1
            report(callback, Progress(step, total, stage=f"{name} {domain}"))
        _save_json(attributes, root / f"{domain}_attributes.json")
    return root
