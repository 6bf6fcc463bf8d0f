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

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from .. import limits, runtime
from ..cache import get_model
from ..models import model_spec
from ..options import OptionError, Options, option, shorten
from ..progress import Callback, Progress, StopEarly, report
from . import latent
from .imagenet import class_names, find_class

__all__ = [
    "GAN_MODELS",
    "InterpolateOptions",
    "SampleOptions",
    "Samples",
    "WalkOptions",
    "default_truncation",
    "is_conditional",
    "sample",
    "interpolate",
    "latent_walk",
    "render",
]

#: The generators this engine drives, offline-capable first (``list_models("gan")``; a test keeps them equal).
GAN_MODELS: tuple[str, ...] = ("dcgan/faces-64", "biggan/deep-128", "biggan/deep-256", "biggan/deep-512")
#: Seeds name latents; :func:`synth.gan.latent.latents_for_seeds` takes them in [0, 2**31).
SEED_BOUND = 2**31
# The caps on samples per call and frames per walk are synth.limits' (batch, frames),
# shared with every other engine and lifted by SYNTH_LIMITS=off / --no-limits.


def default_truncation(model: str) -> float:
    """The registry's truncation for ``model``: 0.4 for BigGAN (crisp, typical images; Brock et al. fig. 2), 1 for DCGAN."""
    return model_spec(_check_model(model)).default_truncation


def is_conditional(model: str) -> bool:
    """Whether the generator takes an ImageNet class (BigGAN) or not (DCGAN), from the registry."""
    return model_spec(_check_model(model)).conditional


def _check_model(model: str) -> str:
    if model not in GAN_MODELS:
        raise ValueError(f"unknown GAN {shorten(model)}; choose one of {', '.join(GAN_MODELS)}")
    return model


def _check_seeds(owner: str, seeds: Sequence[int], what: str = "seeds") -> None:
    for seed in seeds:
        if not 0 <= seed < SEED_BOUND:
            raise OptionError(f"{owner}.{what}: a seed must be in [0, 2**31), got {shorten(seed)}")


@dataclass(frozen=True)
class GanOptions(Options):
    """What every GAN engine takes: the truncation trick, the class of a conditional GAN, the device."""

    truncation: float | None = option(None, above=0, high=1, help="in (0, 1]: lower is more typical, less varied (default: the model's, 0.4 for BigGAN, 1 for DCGAN)")
    class_name: str | None = option(None, max_length=100, help='BigGAN: an ImageNet class name or index, e.g. "golden retriever" (default: a random class per seed)')
    device: str | None = option(None, max_length=32, help="cpu, cuda, ... (default: SYNTH_DEVICE or the best available)")

    def check(self) -> None:
        if self.device is not None:
            runtime.device(self.device)


@dataclass(frozen=True)
class SampleOptions(GanOptions):
    """Settings of :func:`sample`: cells ``seed``, ``seed + 1``, ... or explicit ``seeds`` (and ``classes``)."""

    seed: int = option(0, low=0, high=SEED_BOUND - 1, help="seed of the first cell")
    n: int = option(16, low=1, cap="batch", help="number of samples")
    seeds: tuple[int, ...] | None = option(None, min_items=1, max_items=10_000, help="explicit seeds, one per cell (overrides seed and n)")
    classes: tuple[int, ...] | None = option(None, low=0, max_items=10_000, help="BigGAN: explicit class indices, one per seed")

    def check(self) -> None:
        super().check()
        if self.seeds is not None:
            limits.check_batch(len(self.seeds))
            _check_seeds(type(self).__name__, self.seeds)
        if self.classes is not None and (self.seeds is None or len(self.classes) != len(self.seeds)):
            raise OptionError(f"got {len(self.classes)} classes for {len(self.seeds or ())} seeds; give one class per seed")


@dataclass(frozen=True)
class InterpolateOptions(GanOptions):
    """Settings of :func:`interpolate`: a walk through the latents of ``seeds``."""

    seeds: tuple[int, ...] = option((1, 2), max_items=100, help="the seeds to walk through, in order")
    steps: int = option(30, low=2, high=1000, help="frames per leg, both endpoints included")
    # slerp: every frame keeps a typical norm (White 2016); lerp's midpoints are ~0.7x too short.
    method: latent.Method = option("slerp", help="interpolation of z: spherical or linear")
    loop: bool = option(False, help="come back to the first seed (A -> B -> A)")
    classes: tuple[int, ...] | None = option(None, low=0, max_items=100, help="BigGAN: explicit class indices, one per seed")

    def check(self) -> None:
        super().check()
        if len(self.seeds) < 2:
            raise OptionError(f"give at least two seeds to interpolate between, got {len(self.seeds)}")
        _check_seeds(type(self).__name__, self.seeds)
        if self.classes is not None and len(self.classes) != len(self.seeds):
            raise OptionError(f"got {len(self.classes)} classes for {len(self.seeds)} seeds; give one class per seed")
        limits.check_frames(self.frames)

    @property
    def frames(self) -> int:
        """Frames of the walk: ``steps`` per leg, shared endpoints counted once."""
        legs = len(self.seeds) - (0 if self.loop else 1)
        return legs * (self.steps - 1) + (0 if self.loop else 1)


@dataclass(frozen=True)
class WalkOptions(GanOptions):
    """Settings of :func:`latent_walk`: a ``size`` x ``size`` grid between four corner seeds."""

    seeds: tuple[int, ...] = option((0, 1, 2, 3), max_items=100, help="corner seeds: top-left, top-right, bottom-left, bottom-right")
    size: int = option(5, low=2, high=8, help="side of the grid")

    def check(self) -> None:
        super().check()
        if len(self.seeds) != 4:
            raise OptionError(f"a latent walk needs 4 corner seeds, got {len(self.seeds)}")
        _check_seeds(type(self).__name__, self.seeds)
        limits.check_batch(self.size * self.size)


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
    callback: Callback | None = None,
) -> Tensor:
    """Run the generator on latents: (N, D) z (and (N, 1000) class weights) -> (N, 3, H, W) in [0, 1].

    ``z`` must already carry the truncation (see :func:`latent.latents_for_seeds`);
    ``truncation`` is passed on to BigGAN, which uses it to pick batch-norm statistics.
    The generator runs in the precision of :func:`synth.runtime.policy`; images come
    back in float32.
    ``callback`` receives a :class:`synth.progress.Progress` after every batch (``stage``
    "frames", ``image`` the batch's last); :class:`synth.progress.StopEarly` from it
    ends the rendering with the images so far.
    """
    spec = model_spec(_check_model(model))
    generator = get_model(model, device)
    dev = next(generator.parameters()).device
    dtype = next(generator.parameters()).dtype
    truncation = latent.check_truncation(truncation)
    if spec.conditional and class_vectors is None:
        raise ValueError(f"{model} needs a class for every sample")
    low, high = spec.output_range or (-1.0, 1.0)
    policy = runtime.policy(generator, dev)
    out = []
    for start in range(0, z.shape[0], batch_size):
        zb = z[start : start + batch_size].to(dev, dtype)
        with policy.autocast():
            if spec.conditional:
                images = generator(zb, class_vectors[start : start + batch_size].to(dev, dtype), truncation)
            else:
                images = generator(zb)  # a latent has no layout: channels_last is the weights'
        out.append((images.float().cpu() - low) / (high - low))  # the model's range to our [0, 1]
        try:
            report(callback, Progress(min(start + batch_size, z.shape[0]), z.shape[0], "frames", out[-1][-1:].clamp(0, 1)))
        except StopEarly:
            break
    return torch.cat(out).clamp_(0, 1)


def _cells(model: str, seeds: Sequence[int], class_name: str | None, classes: Sequence[int] | None) -> tuple[int, ...] | None:
    if not is_conditional(model):
        return None
    if classes is not None:
        return tuple(find_class(c) for c in classes)
    if class_name not in (None, ""):
        return (find_class(class_name),) * len(seeds)
    return tuple(latent.classes_for_seeds(seeds))


def _truncation(model: str, opts: GanOptions) -> float:
    return default_truncation(model) if opts.truncation is None else opts.truncation


def sample(model: str = "dcgan/faces-64", options: SampleOptions | None = None, /, **changes: object) -> Samples:
    """A grid of samples: cell i has seed ``seed + i`` (or ``seeds[i]``).

    Parameters
    ----------
    model
        One of :data:`GAN_MODELS`.
    options, **changes
        :class:`SampleOptions`, or its fields as keywords, or both.
    """
    opts = SampleOptions.of(options, changes)
    model = _check_model(model)
    truncation = _truncation(model, opts)
    seeds = list(opts.seeds) if opts.seeds is not None else [opts.seed + i for i in range(opts.n)]
    cells = _cells(model, seeds, opts.class_name, opts.classes)
    z = latent.latents_for_seeds(seeds, model_spec(model).latent_dim, truncation=truncation)
    images = render(model, z, one_hot(cells) if cells else None, truncation=truncation, device=opts.device)
    return Samples(model, images, tuple(seeds), cells, truncation)


def interpolate(
    model: str = "dcgan/faces-64", options: InterpolateOptions | None = None, /, *, callback: Callback | None = None, **changes: object
) -> Tensor:
    """Frames of a walk through the latents of ``seeds``: (T, 3, H, W) in [0, 1].

    ``steps`` frames per leg, endpoints exact and shared; ``loop`` comes back to the
    first seed (A -> B -> A). For BigGAN the class vectors move linearly between the
    classes of the seeds (a random class per seed unless ``class_name``/``classes``).
    ``callback`` receives a :class:`synth.progress.Progress` per batch of frames;
    :class:`synth.progress.StopEarly` from it returns the frames so far.
    """
    opts = InterpolateOptions.of(options, changes)
    model = _check_model(model)
    truncation = _truncation(model, opts)
    cells = _cells(model, opts.seeds, opts.class_name, opts.classes)
    z = latent.latents_for_seeds(opts.seeds, model_spec(model).latent_dim, truncation=truncation)
    z = latent.interpolation_path(z, opts.steps, method=opts.method, loop=opts.loop)
    class_path = None
    if cells is not None:  # class weights always move linearly (a mix of two classes)
        class_path = latent.interpolation_path(one_hot(cells), opts.steps, method="lerp", loop=opts.loop)
    return render(model, z, class_path, truncation=truncation, device=opts.device, callback=callback)


def latent_walk(model: str = "dcgan/faces-64", options: WalkOptions | None = None, /, **changes: object) -> Samples:
    """A ``size`` x ``size`` grid bilinearly interpolated among four corner seeds
    (top-left, top-right, bottom-left, bottom-right); BigGAN classes mix the same way."""
    opts = WalkOptions.of(options, changes)
    model = _check_model(model)
    truncation = _truncation(model, opts)
    cells = _cells(model, opts.seeds, opts.class_name, None)
    z = latent.bilinear_grid(latent.latents_for_seeds(opts.seeds, model_spec(model).latent_dim, truncation=truncation), opts.size)
    class_grid = latent.bilinear_grid(one_hot(cells), opts.size) if cells else None
    images = render(model, z, class_grid, truncation=truncation, device=opts.device)
    return Samples(model, images, tuple(opts.seeds), cells, truncation)
