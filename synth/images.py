"""The one door for input images: load, validate, convert, resize.

Every image that enters :mod:`synth` goes through :func:`load_image`, so the tabs,
the command line and the tests share one set of rules:

* sources: a path, raw bytes, a :class:`PIL.Image.Image`, a numpy array (H, W),
  (H, W, 1|3|4) or a torch tensor (C, H, W) / (1, C, H, W);
* EXIF orientation is applied; the first frame of an animation is used;
* every Pillow mode becomes RGB: L, LA, P (with or without transparency), RGBA
  (composited on white), CMYK, YCbCr, 1, I;16, I and F;
* refused with :class:`InvalidImage` (a ``ValueError``): non-images, empty, truncated
  or corrupt files, a side of 0 or 1 pixel, more than :data:`MAX_PIXELS` pixels
  (checked from the header, before anything is decoded, so a decompression bomb
  costs nothing), NaN or infinite values.

Inside ``synth`` an image is a float32 tensor in [0, 1] of shape (B, C, H, W).
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

__all__ = [
    "MAX_PIXELS",
    "ImageSource",
    "InvalidImage",
    "load_image",
    "fit_max_side",
    "squeeze_grey",
    "resize",
    "to_pil",
    "save_image",
]

#: Largest input accepted, in pixels (width x height), checked before decoding.
MAX_PIXELS = 40_000_000

ImageSource = str | os.PathLike | bytes | Image.Image | np.ndarray | torch.Tensor

# Truncated files must fail loudly rather than decode as half-grey images.
ImageFile.LOAD_TRUNCATED_IMAGES = False


class InvalidImage(ValueError):
    """An input that cannot be used as an image; the message says why."""


def load_image(
    source: ImageSource,
    *,
    max_pixels: int = MAX_PIXELS,
    max_side: int | None = None,
) -> torch.Tensor:
    """Load any supported image source as RGB.

    Parameters
    ----------
    source
        Path, bytes, PIL image, numpy array (H, W[, C]) or tensor ([1,] C, H, W).
        Integer arrays are scaled by their dtype's range; float arrays must lie in
        [0, 1].
    max_pixels
        Refuse images with more pixels than this (from the header, before decoding).
    max_side
        If given, downscale (never upscale) so that the longer side is at most this,
        keeping the aspect ratio.

    Returns
    -------
    torch.Tensor
        float32, shape (1, 3, H, W), values in [0, 1].

    Raises
    ------
    InvalidImage
        With a message that says what was expected and what came.
    """
    if isinstance(source, torch.Tensor):
        array = _tensor_to_hwc(source)
    elif isinstance(source, np.ndarray):
        array = source
    else:
        array = _pil_to_rgb_array(_open_pil(source, max_pixels))
    image = _array_to_tensor(array, max_pixels)
    if max_side is not None:
        image = fit_max_side(image, max_side)
    return image


def _open_pil(source: str | os.PathLike | bytes | Image.Image, max_pixels: int) -> Image.Image:
    """Open a PIL image, check its header size, decode its first frame."""
    if isinstance(source, Image.Image):
        return _decode(source, max_pixels)
    if isinstance(source, (bytes, bytearray)):
        if not source:
            raise InvalidImage("the file is empty (0 bytes); expected an image file")
        stream: io.IOBase | Path = io.BytesIO(source)
        label = "the uploaded data"
    elif isinstance(source, (str, os.PathLike)):
        stream = Path(source)
        label = f"{stream.name!r}"
        if not stream.is_file():
            raise InvalidImage(f"no such file: {str(stream)!r}")
        if stream.stat().st_size == 0:
            raise InvalidImage(f"{label} is empty (0 bytes); expected an image file")
    else:
        raise InvalidImage(
            f"expected a path, bytes, PIL image, numpy array or tensor; got {type(source).__name__}"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(stream)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidImage(
            f"{label} announces an enormous image; at most {max_pixels:,} pixels are accepted"
        ) from None
    except UnidentifiedImageError:
        raise InvalidImage(f"{label} is not an image Pillow can read (PNG, JPEG, GIF, WebP, TIFF, BMP, ...)") from None
    except OSError as err:
        raise InvalidImage(f"{label} could not be read: {err}") from None
    with image:  # close the file also when the image is refused; _decode returns a copy
        return _decode(image, max_pixels)


def _decode(image: Image.Image, max_pixels: int) -> Image.Image:
    """Check the size from the header, then decode the first frame, EXIF orientation applied (a new image)."""
    width, height = image.size
    _check_size(width, height, max_pixels)
    try:
        if getattr(image, "n_frames", 1) > 1:
            image.seek(0)  # animations: the first frame
        image.load()
        return ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, EOFError) as err:
        raise InvalidImage(f"the image data is truncated or corrupt ({err})") from None


def _check_size(width: int, height: int, max_pixels: int) -> None:
    if min(width, height) < 2:
        raise InvalidImage(f"the image is {width}x{height} pixels; each side must be at least 2 pixels")
    if width * height > max_pixels:
        raise InvalidImage(
            f"the image is {width}x{height} = {width * height:,} pixels; at most {max_pixels:,} are accepted"
        )


def _pil_to_rgb_array(image: Image.Image) -> np.ndarray:
    """Convert any Pillow mode to an (H, W, 3) float32 array in [0, 1]."""
    mode = image.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N"):
        return _grey(np.asarray(image, dtype=np.float32) / 65535.0)
    if mode == "I":
        values = np.asarray(image, dtype=np.float64)
        if values.min(initial=0) >= 0 and values.max(initial=0) <= 65535:
            return _grey(values / (255.0 if values.max(initial=0) <= 255 else 65535.0))
        return _grey(_rescale(values))
    if mode == "F":
        values = np.asarray(image, dtype=np.float64)
        if not np.isfinite(values).all():
            raise InvalidImage("the image contains NaN or infinite values")
        inside = values.min(initial=0) >= 0 and values.max(initial=0) <= 1
        return _grey(values if inside else _rescale(values))
    if (mode == "P" and "transparency" in image.info) or mode in ("LA", "PA", "RGBA", "La", "RGBa"):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    return np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0


def _grey(values: np.ndarray) -> np.ndarray:
    return np.repeat(values.astype(np.float32)[..., None], 3, axis=2)


def _rescale(values: np.ndarray) -> np.ndarray:
    """Min-max rescale data whose range has no stated meaning (float or 32-bit images)."""
    low, high = float(values.min()), float(values.max())
    return (values - low) / (high - low) if high > low else np.zeros_like(values)


def _tensor_to_hwc(tensor: torch.Tensor) -> np.ndarray:
    if tensor.ndim == 4:
        if tensor.shape[0] != 1:
            raise InvalidImage(f"expected one image, got a batch of {tensor.shape[0]}")
        tensor = tensor[0]
    if tensor.ndim != 3 or tensor.shape[0] not in (1, 3, 4):
        raise InvalidImage(f"expected a tensor of shape (C, H, W) with C in 1, 3, 4; got {tuple(tensor.shape)}")
    return tensor.detach().cpu().permute(1, 2, 0).numpy()


def _array_to_tensor(array: np.ndarray, max_pixels: int) -> torch.Tensor:
    """(H, W[, C]) array of any numeric dtype -> (1, 3, H, W) float32 in [0, 1]."""
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim != 3 or array.shape[2] not in (1, 3, 4):
        raise InvalidImage(f"expected an array of shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4); got {array.shape}")
    _check_size(array.shape[1], array.shape[0], max_pixels)
    if array.dtype == bool:
        values = array.astype(np.float32)
    elif np.issubdtype(array.dtype, np.integer):
        info = np.iinfo(array.dtype)
        values = array.astype(np.float32) / float(info.max)
        if info.min < 0:
            values = np.clip(values, 0.0, 1.0)
    elif np.issubdtype(array.dtype, np.floating):
        values = array.astype(np.float32)
        if not np.isfinite(values).all():
            raise InvalidImage("the image contains NaN or infinite values")
        low, high = float(values.min()), float(values.max())
        if low < -1e-3 or high > 1 + 1e-3:
            raise InvalidImage(f"float images must have values in [0, 1]; got [{low:.3g}, {high:.3g}]")
        values = np.clip(values, 0.0, 1.0)
    else:
        raise InvalidImage(f"unsupported array dtype {array.dtype}")
    if values.shape[2] == 4:  # composite on white
        alpha = values[..., 3:]
        values = values[..., :3] * alpha + (1.0 - alpha)
    elif values.shape[2] == 1:
        values = np.repeat(values, 3, axis=2)
    return torch.from_numpy(np.ascontiguousarray(values)).permute(2, 0, 1)[None].contiguous()


def squeeze_grey(image: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) whose channels are all equal -> (B, 1, H, W); other images unchanged.

    Grey pictures loaded as RGB are then processed as one channel (e.g. a texture
    synthesis stays grey and costs a third).
    """
    if image.shape[1] == 3 and torch.equal(image[:, 0], image[:, 1]) and torch.equal(image[:, 0], image[:, 2]):
        return image[:, :1]
    return image


def fit_max_side(image: torch.Tensor, max_side: int) -> torch.Tensor:
    """Downscale (B, C, H, W) so that max(H, W) <= ``max_side``; keeps the aspect ratio.

    Images already small enough are returned unchanged (no upscaling).
    """
    if max_side < 2:
        raise ValueError(f"max_side must be at least 2, got {max_side}")
    height, width = image.shape[-2:]
    if max(height, width) <= max_side:
        return image
    scale = max_side / max(height, width)
    return resize(image, (max(2, round(width * scale)), max(2, round(height * scale))))


def resize(image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Resize (B, C, H, W) to ``size`` = (width, height) with antialiased bicubic, clamped to [0, 1]."""
    width, height = size
    if (height, width) == tuple(image.shape[-2:]):
        return image
    out = F.interpolate(image, size=(height, width), mode="bicubic", align_corners=False, antialias=True)
    return out.clamp_(0.0, 1.0)


def to_pil(image: torch.Tensor) -> Image.Image:
    """(1, C, H, W) or (C, H, W) float in [0, 1] -> 8-bit RGB (or L) PIL image."""
    if image.ndim == 4:
        image = image[0]
    array = (image.detach().float().clamp(0, 1) * 255.0).round().to(torch.uint8)
    array = array.permute(1, 2, 0).cpu().numpy()
    return Image.fromarray(array[..., 0] if array.shape[2] == 1 else array)


def save_image(image: torch.Tensor, path: str | os.PathLike) -> Path:
    """Write a (1, C, H, W) / (C, H, W) float image in [0, 1] to ``path`` (format from suffix)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    to_pil(image).save(path)
    return path
