"""A bank of Heeger-Bergen textures from real examples, and random windows of it.

The procedural sets paint tree canopy, lawns, asphalt, water ripples and fur with
textures our own :func:`synth.heeger_bergen.synthesize` makes from scikit-image's
photographs (:mod:`synth.examples`): once per process, 512 x 512, grey, periodic
(the synthesis is circular, so windows may wrap around with no seam). A sample
takes a window at a random offset, in one of the 8 orientations of the square, at
the scale its scene needs, normalised to zero mean and unit deviation; colour comes
from the caller. The bank is also written to the examples cache folder (atomically,
as 8-bit PNG) so later processes skip the synthesis; memory and disk hold the same
8-bit values, so a cached and a fresh bank give identical samples.

References
----------
.. [1] D. J. Heeger and J. R. Bergen, "Pyramid-based texture analysis/synthesis",
   SIGGRAPH 1995.
"""

from __future__ import annotations

import functools
import os
import tempfile
import threading
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from ..colors import RGB_TO_YIQ

__all__ = ["BANK_SIZE", "TEXTURES", "bank", "lowpass_noise", "window"]

#: Side of every synthesised texture, in pixels.
BANK_SIZE = 512
#: Bank pixels per output pixel at 256 px images: texture features keep their size
#: in the world (the unit square) at every output size.
_REFERENCE = 256

Texture = Literal["foliage", "grass", "grain", "ripples", "fur"]

#: Texture -> (example of :mod:`synth.examples` it is synthesised from, what it paints).
TEXTURES: dict[str, tuple[str, str]] = {
    "foliage": ("gravel", "tree canopy seen from above; the fine grain of asphalt and roofs"),
    "grass": ("grass", "lawns and meadows"),
    "grain": ("wood", "rough surfaces: roofs (the grain of a table top)"),
    "ripples": ("brick", "glints on wind ripples (Heeger-Bergen's failure on bricks: streaks of light mortar)"),
    "fur": ("fur", "a horse's coat"),
}
# Version of the bank's recipe, part of the cache file name: change it with the recipe.
_VERSION = 1
_LOCK = threading.Lock()


def _grey(image: np.ndarray) -> np.ndarray:
    """uint8 (H, W[, 3]) -> float32 (H, W) luminance in [0, 1] (Rec. 601, Y of YIQ)."""
    values = image.astype(np.float32) / 255.0
    return values if values.ndim == 2 else values @ RGB_TO_YIQ[0].numpy().astype(np.float32)


def _synthesise(name: str) -> np.ndarray:
    """Heeger-Bergen synthesis of texture ``name``: (BANK_SIZE, BANK_SIZE) uint8."""
    from ..examples import EXAMPLES
    from ..heeger_bergen import synthesize

    example = _grey(EXAMPLES[TEXTURES[name][0]].load())
    texture = synthesize(torch.from_numpy(example)[None], size=(BANK_SIZE, BANK_SIZE), seed=len(name))
    return np.round(texture[0].numpy() * 255.0).astype(np.uint8)


def _cache_path(name: str) -> str:
    from ..examples import examples_dir

    return str(examples_dir() / "texture-bank" / f"{name}-v{_VERSION}-{BANK_SIZE}.png")


@functools.cache
def bank(name: Texture) -> np.ndarray:
    """Texture ``name`` of :data:`TEXTURES`: (512, 512) float32, zero mean, unit deviation, periodic.

    Synthesised with Heeger & Bergen [1] on first use (about 0.3 s each) or read from
    the cache folder; read-only.
    """
    if name not in TEXTURES:
        raise ValueError(f"unknown texture {name!r}; known: {', '.join(TEXTURES)}")
    path = _cache_path(name)
    with _LOCK:
        values = None
        if os.path.isfile(path):
            try:
                with Image.open(path) as image:
                    values = np.asarray(image.convert("L"))
            except OSError:  # a damaged cache file is made again
                values = None
        if values is None or values.shape != (BANK_SIZE, BANK_SIZE):
            values = _synthesise(name)
            _write_atomically(values, path)
    out = values.astype(np.float32)
    out = (out - out.mean()) / max(float(out.std()), 1e-6)
    out.flags.writeable = False
    return out


def _write_atomically(values: np.ndarray, path: str) -> None:
    """Write a PNG via a temporary file and a rename; a cache that cannot be written is skipped."""
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".png")
        os.close(fd)
        Image.fromarray(values).save(tmp)
        os.replace(tmp, path)
    except OSError:
        pass


@functools.lru_cache(maxsize=128)
def _shrunk(name: Texture, factor: float) -> np.ndarray:
    """The bank shrunk by ``factor`` <= 1 (area-averaged), normalised, tiled 2 x 2 (it is periodic)."""
    texture = bank(name)
    side = max(8, round(BANK_SIZE * factor))
    if side != BANK_SIZE:
        t = torch.from_numpy(np.array(texture))[None, None]
        # Resample a 3 x 3 tiling and keep its centre: the edges see their periodic neighbours.
        t = F.interpolate(t.repeat(1, 1, 3, 3), size=(3 * side, 3 * side), mode="bilinear", antialias=True, align_corners=False)
        texture = t[0, 0, side : 2 * side, side : 2 * side].numpy()
        texture = (texture - texture.mean()) / max(float(texture.std()), 1e-6)
    tiled = np.tile(texture, (2, 2))
    tiled.flags.writeable = False
    return tiled


def window(name: Texture, size: int, rng: np.random.Generator, *, magnify: float = 1.0, shape: tuple[int, int] | None = None) -> np.ndarray:
    """A random window of texture ``name`` for an image of ``size`` pixels.

    Parameters
    ----------
    name
        A texture of :data:`TEXTURES`.
    size
        The output image's side: sets the scale (one bank pixel = one output pixel
        at 256 px, times ``magnify``), so features keep their size in the scene.
    rng
        Draws the offset and the orientation (one of the 8 symmetries of the square).
    magnify
        > 1 magnifies the texture (larger features), < 1 makes it finer.
    shape
        (height, width) of the window; default (size, size).

    Returns
    -------
    numpy.ndarray
        float32 array of ``shape``, about zero mean and unit deviation.
    """
    height, width = shape or (size, size)
    # Scales are rounded to quarter octaves, so that few shrunk banks are cached.
    factor = float(2.0 ** (round(np.log2(size / _REFERENCE * magnify) * 4) / 4))
    span = max(height, width)
    k = int(rng.integers(8))
    top, left = (int(v) for v in rng.integers(BANK_SIZE, size=2))
    if factor <= 1:
        tiled = _shrunk(name, factor)
        period = tiled.shape[0] // 2
        if span > period:  # a window larger than the texture's period repeats it
            tiled = np.tile(tiled, (span // period + 1, span // period + 1))
        out = tiled[top % period : top % period + span, left % period : left % period + span]
    else:  # magnified: only the window's share of the bank is resampled
        tiled = _shrunk(name, 1.0)
        crop = int(np.ceil(span / factor)) + 2
        patch = torch.from_numpy(np.array(tiled[top : top + crop, left : left + crop]))[None, None]
        out = F.interpolate(patch, scale_factor=factor, mode="bilinear", align_corners=False)[0, 0, :span, :span].numpy()
    out = np.rot90(out, k % 4)
    if k >= 4:
        out = out.T
    return out[:height, :width]


def lowpass_noise(size: int, rng: np.random.Generator, *, scale: float, shape: tuple[int, int] | None = None) -> np.ndarray:
    """Smooth random field with features of about ``scale`` (world units): zero mean, unit deviation.

    White noise on a coarse grid (one value per ``scale / 2``), bicubically
    interpolated: a stochastic renderer for shapes of water, lawns and canopy patches.
    """
    height, width = shape or (size, size)
    cells = max(2, int(np.ceil(max(height, width) / size / scale * 2)) + 3)
    coarse = torch.from_numpy(rng.standard_normal((cells, cells)).astype(np.float32))[None, None]
    fine = F.interpolate(coarse, scale_factor=(size * scale / 2), mode="bicubic", align_corners=False)[0, 0]
    top, left = (int(v) for v in rng.integers(0, max(1, fine.shape[0] - max(height, width)), size=2))
    out = fine[top : top + height, left : left + width].numpy()
    return (out - out.mean()) / max(float(out.std()), 1e-6)
