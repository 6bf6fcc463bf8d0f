"""Sampling and latent walks with the registered GAN generators (the engine of the GAN tab and CLI).

One interface over BigGAN-deep (class-conditional, truncation also selects its
batch-norm statistics) and DCGAN (unconditional): a sample is named by its seed (and,
for BigGAN, its class), images come back in [0, 1], and a batch is one forward pass
per ``batch_size`` images of a model from the shared model cache.

On a ZeroGPU Space the GAN tab's handlers carry ``spaces.GPU`` (``runtime.gpu``), not
these functions: ``spaces`` pickles a decorated function's arguments into its GPU
worker, and :func:`interpolate` takes a progress callback.

References
----------
Brock, Donahue & Simonyan (2019), arXiv:1809.11096 (BigGAN-deep, truncation trick).
Radford, Metz & Chintala (2016), arXiv:1511.06434 (DCGAN, latent-space walks).
White (2016), arXiv:1609.04468 (slerp).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from .. import limits
from ..cache import get_model
from . import latent
from .imagenet import class_names, find_class

__all__ = [
    "GAN_MODELS",
    "Samples",
    "default_truncation",
    "is_conditional",
    "sample",
    "interpolate",
    "latent_walk",
    "render",
]

#: The generators this engine drives, offline-capable first.
GAN_MODELS: tuple[str, ...] = ("dcgan/faces-64", "biggan/deep-128", "biggan/deep-256", "biggan/deep-512")
# The caps on samples per call and frames per walk are synth.limits' (batch, frames),
# shared with every other engine and lifted by SYNTH_LIMITS=off / --no-limits.


def default_truncation(model: str) -> float:
    """0.4 for BigGAN (crisp, typical images; Brock et al. fig. 2), 1.0 (no truncation) for DCGAN."""
    return 0.4 if model.startswith("biggan/") else 1.0


def is_conditional(model: str) -> bool:
    """Whether the generator takes an ImageNet class (BigGAN) or not (DCGAN)."""
    return model.startswith("biggan/")


def _check_model(model: str) -> str:
    if model not in GAN_MODELS:
        raise ValueError(f"unknown GAN {model!r}; choose one of {', '.join(GAN_MODELS)}")
    return model


def _check_count(n: float) -> int:
    """A whole number of samples, at least 1 and within the batch cap (:func:`synth.limits.check_batch`)."""
    if isinstance(n, float) and not n.is_integer():
        raise ValueError(f"the number of samples must be a whole number, got {n}")
    n = int(n)
    if n < 1:
        raise ValueError(f"the number of samples must be between 1 and {limits.current().batch:,}, got {n}")
    return limits.check_batch(n)


@dataclass(frozen=True)
class Samples:
    """Generated images and what names them.

    Attributes
    ----------
    images
        (N, 3, H, W) float in [0, 1].
    seeds
        The seed of each image's z.
    classes
        The ImageNet class of each image (BigGAN) or ``None`` (DCGAN).
    """

    model: str
    images: Tensor
    seeds: tuple[int, ...]
    classes: tuple[int, ...] | None
    truncation: float

    def pil_images(self, upscale: int = 1) -> list:
        """One PIL image per sample (nearest-neighbour ``upscale``)."""
        from ..images import to_pil

        images = latent._upscale(self.images, upscale)
        return [to_pil(images[i : i + 1]) for i in range(images.shape[0])]

    def captions(self) -> list[str]:
        if self.classes is None:
            return [f"seed {s}" for s in self.seeds]
        names = class_names()
        return [f"seed {s} · {names[c]}" for s, c in zip(self.seeds, self.classes)]


def _latent_dim(model: nn.Module) -> int:
    return model.config.z_dim if hasattr(model, "config") else model.nz


def one_hot(classes: Sequence[int], num_classes: int = 1000) -> Tensor:
    vectors = torch.zeros(len(classes), num_classes)
    vectors[torch.arange(len(classes)), torch.as_tensor(list(classes), dtype=torch.long)] = 1.0
    return vectors


@torch.inference_mode()
def render(
    model: str,
    z: Tensor,
    class_vectors: Tensor | None = None,
    *,
    truncation: float,
    batch_size: int = 8,
    device: str | torch.device | None = None,
    callback: Callable[[int, int], None] | None = None,
) -> Tensor:
    """Run the generator on latents: (N, D) z (and (N, 1000) class weights) -> (N, 3, H, W) in [0, 1].

    ``z`` must already carry the truncation (see :func:`latent.latents_for_seeds`);
    ``truncation`` is passed on to BigGAN, which uses it to pick batch-norm statistics.
    ``callback(done, total)`` after every batch.
    """
    generator = get_model(_check_model(model), device)
    dev = next(generator.parameters()).device
    dtype = next(generator.parameters()).dtype
    truncation = latent.check_truncation(truncation)
    if is_conditional(model) and class_vectors is None:
        raise ValueError(f"{model} needs a class for every sample")
    out = []
    for start in range(0, z.shape[0], batch_size):
        zb = z[start : start + batch_size].to(dev, dtype)
        if is_conditional(model):
            images = generator(zb, class_vectors[start : start + batch_size].to(dev, dtype), truncation)
        else:
            images = generator(zb)
        out.append((images.float().cpu() + 1) / 2)  # the model's [-1, 1] to our [0, 1]
        if callback:
            callback(min(start + batch_size, z.shape[0]), z.shape[0])
    return torch.cat(out).clamp_(0, 1)


def _cells(model: str, seeds: Sequence[int], class_name: str | int | None, classes: Sequence[int] | None) -> tuple[int, ...] | None:
    if not is_conditional(model):
        return None
    if classes is not None:
        if len(classes) != len(seeds):
            raise ValueError(f"got {len(classes)} classes for {len(seeds)} seeds")
        return tuple(find_class(c) for c in classes)
    if class_name not in (None, ""):
        return (find_class(class_name),) * len(seeds)
    return tuple(latent.classes_for_seeds(seeds))


def sample(
    model: str = "dcgan/faces-64",
    *,
    seed: int = 0,
    n: int = 16,
    truncation: float | None = None,
    class_name: str | int | None = None,
    seeds: Sequence[int] | None = None,
    classes: Sequence[int] | None = None,
    device: str | torch.device | None = None,
) -> Samples:
    """A grid of samples: cell i has seed ``seed + i`` (or ``seeds[i]``).

    Parameters
    ----------
    model
        One of :data:`GAN_MODELS`.
    seed, n
        First seed and number of samples (1 to ``synth.limits`` batch cap, 64).
    truncation
        In (0, 1]; default :func:`default_truncation`.
    class_name
        BigGAN: an ImageNet class name or index for every cell; ``None``: a random
        class per cell (drawn from the cell's seed).
    seeds, classes
        Explicit cells (e.g. after re-rolling one); override ``seed``/``n``/``class_name``.
    """
    model = _check_model(model)
    truncation = default_truncation(model) if truncation is None else latent.check_truncation(truncation)
    if seeds is None:
        n = _check_count(n)
        seeds = [latent.check_seed(seed) + i for i in range(n)]
    _check_count(len(seeds))
    seeds = [latent.check_seed(s) for s in seeds]
    cells = _cells(model, seeds, class_name, classes)
    dim = _latent_dim(get_model(model, device))
    z = latent.latents_for_seeds(seeds, dim, truncation=truncation)
    images = render(model, z, one_hot(cells) if cells else None, truncation=truncation, device=device)
    return Samples(model, images, tuple(seeds), cells, truncation)


def interpolate(
    model: str = "dcgan/faces-64",
    *,
    seeds: Sequence[int] = (1, 2),
    steps: int = 30,
    method: latent.Method = "slerp",
    truncation: float | None = None,
    class_name: str | int | None = None,
    classes: Sequence[int] | None = None,
    loop: bool = False,
    device: str | torch.device | None = None,
    callback: Callable[[int, int], None] | None = None,
) -> Tensor:
    """Frames of a walk through the latents of ``seeds``: (T, 3, H, W) in [0, 1].

    ``steps`` frames per leg, endpoints exact and shared; ``loop`` comes back to the
    first seed (A -> B -> A). For BigGAN the class vectors move linearly between the
    classes of the seeds (a random class per seed unless ``class_name``/``classes``).
    """
    model = _check_model(model)
    truncation = default_truncation(model) if truncation is None else latent.check_truncation(truncation)
    seeds = [latent.check_seed(s) for s in seeds]
    if len(seeds) < 2:
        raise ValueError(f"give at least two seeds to interpolate between, got {len(seeds)}")
    steps = latent.check_steps(steps)
    legs = len(seeds) - (0 if loop else 1)
    frames = legs * (steps - 1) + (0 if loop else 1)
    limits.check_frames(frames)  # before the model is loaded
    cells = _cells(model, seeds, class_name, classes)
    dim = _latent_dim(get_model(model, device))
    z = latent.interpolation_path(latent.latents_for_seeds(seeds, dim, truncation=truncation), steps, method=method, loop=loop)
    class_path = None
    if cells is not None:  # class weights always move linearly (a mix of two classes)
        class_path = latent.interpolation_path(one_hot(cells), steps, method="lerp", loop=loop)
    return render(model, z, class_path, truncation=truncation, device=device, callback=callback)


def latent_walk(
    model: str = "dcgan/faces-64",
    *,
    seeds: Sequence[int] = (0, 1, 2, 3),
    size: int = 5,
    truncation: float | None = None,
    class_name: str | int | None = None,
    device: str | torch.device | None = None,
) -> Samples:
    """A ``size`` x ``size`` grid bilinearly interpolated among four corner seeds
    (top-left, top-right, bottom-left, bottom-right); BigGAN classes mix the same way."""
    model = _check_model(model)
    truncation = default_truncation(model) if truncation is None else latent.check_truncation(truncation)
    seeds = [latent.check_seed(s) for s in seeds]
    if len(seeds) != 4:
        raise ValueError(f"a latent walk needs 4 corner seeds, got {len(seeds)}")
    size = int(size)
    if not 2 <= size <= 8:
        raise ValueError(f"the latent-walk grid side must be between 2 and 8, got {size}")
    limits.check_batch(size * size)
    cells = _cells(model, seeds, class_name, None)
    dim = _latent_dim(get_model(model, device))
    z = latent.bilinear_grid(latent.latents_for_seeds(seeds, dim, truncation=truncation), size)
    class_grid = latent.bilinear_grid(one_hot(cells), size) if cells else None
    images = render(model, z, class_grid, truncation=truncation, device=device)
    return Samples(model, images, tuple(seeds), cells, truncation)
