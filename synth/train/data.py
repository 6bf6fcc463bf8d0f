"""Training data: a procedural set by name, or a folder, held in memory as 8-bit images.

Paired data (pix2pix, Isola et al. 2017) is

* a procedural set of :mod:`synth.datasets` (``"maps"``, ``"colour"``), its first
  ``n`` pairs drawn once from the seed;
* a folder in the official aligned format: images with A and B side by side, split
  at the middle (``data/aligned_dataset.py``), in the folder itself or in its
  ``train/`` subfolder;
* a folder with subfolders ``A/`` and ``B/`` whose files pair by name (what
  ``python -m synth dataset`` writes).

Unpaired data (CycleGAN, Zhu et al. 2017) is a procedural set (``"coats"``) or a
folder with ``trainA/`` and ``trainB/`` (the official layout) or ``A/`` and ``B/``.

A bare name that is a procedural set's means the set even where a folder of that
name exists (``./maps`` is the folder). Every image is resized to ``size`` x ``size`` (antialiased bicubic; the official code
also squashes to a square before cropping) and stored as uint8, so training from a
procedural set and from the same set written to PNG files sees the same pixels.
Folders are read in name order and contribute their first ``n`` images (pairs).
A folder that cannot be used is refused with a :class:`ValueError` that names the
file and what was expected.

Batches come out as float tensors on the generators' [-1, 1] scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch
from torch import Tensor

from ..images import InvalidImage, load_image, resize

__all__ = ["IMAGE_SUFFIXES", "PairedImages", "UnpairedImages", "Sampler", "paired_images", "unpaired_images", "to_model", "from_model"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")
#: Procedural images generated per call (bounds the data set module's memory).
_CHUNK = 32

Direction = Literal["AtoB", "BtoA"]


def to_model(images: Tensor) -> Tensor:
    """uint8 (or [0, 1] float) images -> float32 in [-1, 1], the generators' scale."""
    if images.dtype == torch.uint8:
        return images.float() / 127.5 - 1.0
    return images.float() * 2.0 - 1.0


def from_model(images: Tensor) -> Tensor:
    """[-1, 1] -> [0, 1] float32, clamped."""
    return ((images.detach().float() + 1.0) / 2.0).clamp(0.0, 1.0)


def _quantise(images: Tensor) -> Tensor:
    return (images.float().clamp(0, 1) * 255.0).round().to(torch.uint8)


@dataclass(frozen=True)
class PairedImages:
    """Aligned pairs: ``a`` and ``b`` uint8 (N, 3, size, size), input and target; ``source`` says where from."""

    a: Tensor
    b: Tensor
    source: str

    def __len__(self) -> int:
        return self.a.shape[0]

    def batch(self, indices: Tensor) -> tuple[Tensor, Tensor]:
        """Inputs and targets for ``indices``, float32 in [-1, 1]."""
        return to_model(self.a[indices]), to_model(self.b[indices])


@dataclass(frozen=True)
class UnpairedImages:
    """Two unpaired domains: ``a`` (N_A, 3, s, s) and ``b`` (N_B, 3, s, s) uint8."""

    a: Tensor
    b: Tensor
    source: str


class Sampler:
    """Indices of ``n`` items in shuffled epochs (the official loader's ``shuffle=True``), ``batch_size`` at a time.

    A batch may span the end of one epoch and the start of the next; the shuffles come
    from ``generator``.
    """

    def __init__(self, n: int, batch_size: int, generator: torch.Generator) -> None:
        if n < 1:
            raise ValueError("no training images")
        self.n, self.batch_size, self.generator = n, batch_size, generator
        self._queue = torch.empty(0, dtype=torch.long)

    def next(self) -> Tensor:
        while self._queue.numel() < self.batch_size:
            self._queue = torch.cat([self._queue, torch.randperm(self.n, generator=self.generator)])
        batch, self._queue = self._queue[: self.batch_size], self._queue[self.batch_size :]
        return batch


# ------------------------------------------------------------------ files
def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def _read(path: Path) -> Tensor:
    """(1, 3, H, W) float in [0, 1], or a ValueError naming the file."""
    try:
        return load_image(path)
    except InvalidImage as err:
        raise ValueError(f"{path}: {err}") from None


def _side(image: Tensor) -> str:
    return f"{image.shape[-1]}x{image.shape[-2]}"


def _square(image: Tensor, size: int) -> Tensor:
    return _quantise(resize(image, (size, size))[0])


def _aligned_pairs(folder: Path, size: int, n: int) -> tuple[Tensor, Tensor]:
    files = _images_in(folder)[:n]
    if not files:
        raise ValueError(
            f"no image pairs in {folder}: expected subfolders A/ and B/ with files of the same names, "
            f"or images with A and B side by side ({', '.join(IMAGE_SUFFIXES)})"
        )
    a, b = [], []
    for path in files:
        image = _read(path)
        width = image.shape[-1]
        if width % 2 or width < 4:
            raise ValueError(f"{path} is {_side(image)}: an aligned pair holds A and B side by side, so its width must be even (and at least 4)")
        a.append(_square(image[..., : width // 2], size))
        b.append(_square(image[..., width // 2 :], size))
    return torch.stack(a), torch.stack(b)


def _folder_pairs(folder_a: Path, folder_b: Path, size: int, n: int) -> tuple[Tensor, Tensor]:
    files_a = {p.stem: p for p in _images_in(folder_a)}
    files_b = {p.stem: p for p in _images_in(folder_b)}
    if not files_a or not files_b:
        empty = folder_a if not files_a else folder_b
        raise ValueError(f"no images in {empty}; expected images in both {folder_a} and {folder_b}, paired by file name")
    lonely = sorted(set(files_a) ^ set(files_b))
    if lonely:
        stem = lonely[0]
        path, other = (files_a[stem], folder_b) if stem in files_a else (files_b[stem], folder_a)
        more = f" (and {len(lonely) - 1} more)" if len(lonely) > 1 else ""
        raise ValueError(f"{path} has no partner in {other}{more}: A/ and B/ must hold files of the same names")
    a, b = [], []
    for stem in sorted(files_a)[:n]:
        image_a, image_b = _read(files_a[stem]), _read(files_b[stem])
        if image_a.shape != image_b.shape:
            raise ValueError(f"{files_a[stem]} is {_side(image_a)} but {files_b[stem]} is {_side(image_b)}; the two images of a pair must have the same size")
        a.append(_square(image_a, size))
        b.append(_square(image_b, size))
    return torch.stack(a), torch.stack(b)


def _folder_domain(folder: Path, size: int, n: int) -> Tensor:
    files = _images_in(folder)[:n]
    if not files:
        raise ValueError(f"no images in {folder} ({', '.join(IMAGE_SUFFIXES)})")
    return torch.stack([_square(_read(path), size) for path in files])


def _subfolders(root: Path, *pairs: tuple[str, str]) -> tuple[Path, Path] | None:
    """The first pair of subfolder names of which at least one exists (both must then exist)."""
    for name_a, name_b in pairs:
        a, b = root / name_a, root / name_b
        if a.is_dir() or b.is_dir():
            if not (a.is_dir() and b.is_dir()):
                present, missing = (a, b) if a.is_dir() else (b, a)
                raise ValueError(f"{root} has {present.name}/ but no {missing.name}/; expected both {name_a}/ and {name_b}/")
            return a, b
    return None


# ------------------------------------------------------------------ procedural
def _is_folder(data: str | Path, names: str) -> bool:
    """Whether ``data`` means a folder: a ``Path``, text with a path separator, or an existing folder
    whose name is not a procedural set's (``./maps`` is the folder, ``maps`` the set)."""
    if isinstance(data, Path) or any(sep in str(data) for sep in ("/", "\\")):
        return True
    if not Path(data).is_dir():
        return False
    from .. import datasets

    return data not in getattr(datasets, names)


def _unknown(data: str | Path, names: Sequence[str]) -> ValueError:
    return ValueError(f"unknown data {str(data)!r}: expected one of {', '.join(names)} or a folder")


def _generate(draw, n: int) -> list[Tensor]:
    """uint8 images of each tensor ``draw(indices)`` returns, for indices 0 .. n-1 (in chunks)."""
    parts = [draw(list(range(start, min(n, start + _CHUNK)))) for start in range(0, n, _CHUNK)]
    return [torch.cat([_quantise(part[k]) for part in parts]) for k in range(len(parts[0]))]


def paired_images(data: str | Path, *, size: int, n: int, seed: int, direction: Direction = "AtoB") -> PairedImages:
    """The paired training set ``data`` (a procedural set's name or a folder), ``n`` pairs at most.

    ``direction="BtoA"`` swaps inputs and targets (the official ``--direction``).
    """
    if _is_folder(data, "PAIRED_SETS"):
        root = Path(data)
        if not root.is_dir():
            raise ValueError(f"no such folder: {str(root)!r}")
        folders = _subfolders(root, ("A", "B"))
        if folders is not None:
            a, b = _folder_pairs(*folders, size, n)
        else:
            a, b = _aligned_pairs(root / "train" if (root / "train").is_dir() else root, size, n)
        source = str(root)
    else:
        from .. import datasets

        if data not in datasets.PAIRED_SETS:
            raise _unknown(data, datasets.PAIRED_SETS)
        dataset = datasets.paired(str(data))
        a, b = _generate(lambda indices: dataset.batch(indices, seed=seed, size=size), n)
        source = str(data)
    if direction == "BtoA":
        a, b = b, a
    elif direction != "AtoB":
        raise ValueError(f"direction must be 'AtoB' or 'BtoA', got {direction!r}")
    return PairedImages(a, b, source)


def unpaired_images(data: str | Path, *, size: int, n: int, seed: int) -> UnpairedImages:
    """The unpaired training set ``data`` (a procedural set's name or a folder), ``n`` images per domain at most."""
    if _is_folder(data, "UNPAIRED_SETS"):
        root = Path(data)
        if not root.is_dir():
            raise ValueError(f"no such folder: {str(root)!r}")
        folders = _subfolders(root, ("trainA", "trainB"), ("A", "B"))
        if folders is None:
            raise ValueError(f"{root} has no trainA/ and trainB/ (or A/ and B/) subfolders of unpaired images")
        return UnpairedImages(_folder_domain(folders[0], size, n), _folder_domain(folders[1], size, n), str(root))
    from .. import datasets

    if data not in datasets.UNPAIRED_SETS:
        raise _unknown(data, datasets.UNPAIRED_SETS)
    dataset = datasets.unpaired(str(data))
    domains = [_generate(lambda indices, d=domain: dataset.batch(d, indices, seed=seed, size=size)[:1], n)[0] for domain in ("A", "B")]
    return UnpairedImages(domains[0], domains[1], str(data))
