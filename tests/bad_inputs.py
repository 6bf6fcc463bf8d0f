"""A corpus of bad and odd inputs for every API endpoint of the app (issue 7, "Bad input, everywhere").

Files are written by :func:`write_files` into a temporary folder (no binary is
committed); :func:`cases` crosses them with every endpoint that takes an image and
adds bad parameters (negative, huge, NaN, empty, unknown names) per endpoint.
``tests/test_bad_input.py`` sends every case through ``gradio_client``.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from synth.translate.lab import lab_models

#: NaN as a client can send it: JSON has no NaN, a browser sends ``null`` for it
#: (``JSON.stringify(NaN)``) and gradio_client refuses to encode it.
NAN = None

#: A kwarg value that stands for a corpus file (``FILE + name``): the second image of
#: endpoints with two, e.g. style transfer's style.
FILE = "corpus:"
USABLE = FILE + "rgba.png"
#: A kwarg value sent as a bare ``{"path": ...}`` with no upload metadata, as a script can
#: send it: ``BARE + name`` names a corpus file (outside the server's upload folder),
#: ``BARE + "/abs/path"`` any path on the server.
BARE = "bare:"
#: The one message every file argument outside the upload folder gets (demos.components.REFUSED_PATH).
REFUSED = r"^Please upload an image \(use the upload box, or pick one of the examples\)\.$"
#: Paths a stranger might try: an image outside the upload folder, a non-image, a missing file, a folder, a system file.
STRANGER_PATHS = {
    "an image outside the uploads": BARE + "rgba.png",
    "a text file outside the uploads": BARE + "text.png",
    "a missing file": BARE + "/no/such/dir/photo.png",
    "a folder": BARE + "/etc",
    "a system file": BARE + "/etc/hostname",
    "a relative path": BARE + "../../../../etc/hostname",
    "a URL": BARE + "http://127.0.0.1:9/secret.png",
}
# References *with* upload metadata are sent by raw HTTP in tests/test_security.py:
# gradio_client would upload such a file from the client's own disk first.
#: The first training snapshot of the lab's models (the pix2pix and CycleGAN experiments' time-lapse).
SNAPSHOT = str(min(step for data in ("maps", "colour") for m in lab_models(data) for step in m.snapshots[:-1]))
CYCLE_SNAPSHOT = str(min(step for m in lab_models("coats") for step in m.snapshots[:-1]))
#: A 400-digit integer (overflows float()), and a megabyte of text.
HUGE_INT = 10**400
MEGA_TEXT = "x" * 1_000_000

#: Expected error messages (regular expressions, case-insensitive).
NOT_IMAGE = r"not an image Pillow can read"
CORRUPT = r"truncated or corrupt|could not be read"
TOO_SMALL = r"each side must be at least 2 pixels"
EMPTY = r"is empty \(0 bytes\)"
BOMB = r"enormous image|at most 40,000,000"
NAN_VALUES = r"NaN or infinite"
WEIGHTS = r"python -m synth weights download"
CHOICES = r"not in the list of choices|not one of|must be one of|choose one of"
#: Gradio checks a slider's or number's range before our code: its message is clear.
RANGE = r"is less than minimum value|is greater than maximum value"
#: A missing number (or NaN, or text) in a slider or number field (demos.common.Slider / Number).
NOT_A_NUMBER = r"expected a number, got"


# ------------------------------------------------------------------ files
def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _bomb_png(width: int = 50_000, height: int = 50_000) -> bytes:
    """A valid PNG header claiming width x height (8-bit RGB) with one tiny IDAT: a few hundred bytes."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", zlib.compress(b"\0" * 64)) + _png_chunk(b"IEND", b"")


def _gradient(width: int = 48, height: int = 40) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([x * 255 // max(1, width - 1), y * 255 // max(1, height - 1), (x + y) * 127 // (width + height)], -1).astype(np.uint8)


def _encoded(image: Image.Image, fmt: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _exif_rotated_jpeg() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to view
    return _encoded(Image.fromarray(_gradient(64, 32)), "JPEG", exif=exif.tobytes())


def _animated_gif() -> bytes:
    frames = [Image.fromarray(np.full((32, 32, 3), value, np.uint8)) for value in (0, 128, 255)]
    return _encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=50, loop=0)


def _palette_with_transparency() -> bytes:
    image = Image.fromarray(_gradient()).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    return _encoded(image, "PNG", transparency=0)


def _npy_with_nan() -> bytes:
    array = np.random.default_rng(0).random((16, 16, 3)).astype(np.float32)
    array[3, 3] = np.nan
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _float_tiff(values: np.ndarray) -> bytes:
    return _encoded(Image.fromarray(values.astype(np.float32), mode="F"), "TIFF")


def _bad_crc_png() -> bytes:
    data = bytearray(_encoded(Image.fromarray(_gradient()), "PNG"))
    data[-20] ^= 0xFF  # inside the last IDAT: a corrupt stream (or CRC)
    return bytes(data)


@dataclass(frozen=True)
class BadFile:
    """A file of the corpus: its name, how to make its bytes, and the error it must give (None: it is usable)."""

    name: str
    make: Callable[[], bytes]
    error: str | None


def _valid() -> bytes:
    return _encoded(Image.fromarray(_gradient()), "PNG")


FILES: tuple[BadFile, ...] = (
    BadFile("text.png", lambda: b"this is not an image, just words\n" * 20, NOT_IMAGE),
    BadFile("empty.png", lambda: b"", EMPTY),
    BadFile("huge_text.txt", lambda: b"lorem ipsum dolor sit amet " * 150_000, NOT_IMAGE),  # about 4 MB
    BadFile("svg.svg", lambda: b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64"/></svg>', NOT_IMAGE),
    BadFile("html.jpg", lambda: b"<!doctype html><html><body>404 Not Found</body></html>", NOT_IMAGE),
    BadFile("truncated.png", lambda: _valid()[: len(_valid()) // 2], CORRUPT),
    BadFile("truncated.jpg", lambda: (lambda b: b[: len(b) // 2])(_encoded(Image.fromarray(_gradient(64, 64)), "JPEG")), CORRUPT),
    BadFile("bad_crc.png", _bad_crc_png, CORRUPT),
    BadFile("header_only.png", lambda: _valid()[:33], f"{NOT_IMAGE}|{CORRUPT}"),  # signature + IHDR, no data
    BadFile("one_pixel.png", lambda: _encoded(Image.new("RGB", (1, 1), "red"), "PNG"), TOO_SMALL),
    BadFile("one_row.png", lambda: _encoded(Image.new("RGB", (300, 1), "red"), "PNG"), TOO_SMALL),
    BadFile("bomb_50000x50000.png", _bomb_png, BOMB),
    BadFile("nan.npy.png", _npy_with_nan, NOT_IMAGE),
    BadFile("nan_float.tiff", lambda: _float_tiff(np.where(np.eye(16) > 0, np.nan, 0.5)), NAN_VALUES),
    # odd but usable: every mode becomes RGB
    BadFile("cmyk.jpg", lambda: _encoded(Image.fromarray(_gradient()).convert("CMYK"), "JPEG"), None),
    BadFile("sixteen_bit.png", lambda: _encoded(Image.fromarray((np.arange(48 * 40).reshape(40, 48) * 30).astype(np.uint16)), "PNG"), None),
    BadFile("rgba.png", lambda: _encoded(Image.fromarray(_gradient()).convert("RGBA"), "PNG"), None),
    BadFile("palette_transparent.png", _palette_with_transparency, None),
    BadFile("grey_alpha_la.png", lambda: _encoded(Image.fromarray(_gradient()).convert("LA"), "PNG"), None),
    BadFile("bilevel.png", lambda: _encoded(Image.fromarray(_gradient()).convert("1"), "PNG"), None),
    BadFile("animated.gif", _animated_gif, None),
    BadFile("exif_rotated.jpg", _exif_rotated_jpeg, None),
    BadFile("float.tiff", lambda: _float_tiff(np.linspace(-3, 7, 48 * 40).reshape(40, 48)), None),
    BadFile("png_named.jpg", _valid, None),
    BadFile("two_wide_strip.png", lambda: _encoded(Image.new("RGB", (2, 200), "blue"), "PNG"), None),
)


def write_files(folder: Path) -> dict[str, Path]:
    """Write the corpus into ``folder``; returns name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for item in FILES:
        path = folder / item.name
        path.write_bytes(item.make())
        paths[item.name] = path
    return paths


# ------------------------------------------------------------------ cases
@dataclass(frozen=True)
class Case:
    """One call: ``endpoint`` with ``kwargs``; ``error`` a regex the message must match (None: must succeed).

    ``file`` names a corpus file passed as the endpoint's image parameter.
    ``may_fail``: a valid input whose call may also fail with this error (weights missing offline).
    """

    endpoint: str
    label: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    file: str | None = None
    may_fail: str | None = None


#: Endpoints that take an image file: parameter name, and cheap settings for a usable image.
IMAGE_ENDPOINTS: dict[str, tuple[str, dict[str, Any]]] = {
    "/pyramid_texture": ("path", {"scales": 1, "orientations": 2, "iterations": 1, "max_side": 64}),
    "/neural_texture_run": ("path", {"backbone": "random-multiscale", "steps": 10, "size": 64, "halvings": 0, "optimizer": "adam"}),
    "/neural_texture_high_to_low": ("path", {"steps": 10, "size": 64}),
    "/neural_texture_show": ("path", {"backbone": "random-multiscale"}),
    "/style_transfer_fast": ("content_path", {"style_path": USABLE, "style2_path": None, "size": 64}),
    "/pix2pix_translate": ("path", {"side": 256}),
    "/cyclegan_translate": ("path", {"model": "cyclegan/vintage", "side": 256, "show_cycle": False}),
    "/pix2pix_why_gan_loss": ("path", {"drawing": None, "data": "colour", "source": "upload", "index": 0, "step": "final", "seed": 0}),
    "/cyclegan_why_cycle": ("path", {"source": "upload", "index": 0, "step": "final"}),
}

#: Usable files the heavy High -> Low series gets (five VGG syntheses each); it gets every bad file.
HEAVY_VALID = {"/neural_texture_high_to_low": ("rgba.png",)}


def _file_cases() -> list[Case]:
    cases = []
    for endpoint, (_, settings) in IMAGE_ENDPOINTS.items():
        for item in FILES:
            if item.error is None and endpoint in HEAVY_VALID and item.name not in HEAVY_VALID[endpoint]:
                continue
            error = item.error
            may_fail = None
            if error is None and endpoint == "/pix2pix_translate":
                may_fail = WEIGHTS  # pix2pix checkpoints come only from the official host
            if error is None and endpoint == "/pyramid_texture" and item.name == "two_wide_strip.png":
                error = r"scales need an image of at least"
            if error is None and endpoint in ("/neural_texture_run", "/style_transfer_fast") and item.name == "two_wide_strip.png":
                error = r"sides of at least 16 pixels"
            if error is None and endpoint == "/neural_texture_high_to_low" and item.name == "two_wide_strip.png":
                error = r"sides of at least 16 pixels"
            cases.append(Case(endpoint, item.name, dict(settings), error, file=item.name, may_fail=may_fail))
    return cases


def _param_cases() -> list[Case]:
    pyr = IMAGE_ENDPOINTS["/pyramid_texture"][1]
    nt = IMAGE_ENDPOINTS["/neural_texture_run"][1]
    h2l = IMAGE_ENDPOINTS["/neural_texture_high_to_low"][1]
    p2p = IMAGE_ENDPOINTS["/pix2pix_translate"][1]
    cyc = IMAGE_ENDPOINTS["/cyclegan_translate"][1]
    toy = {"target": "ring", "drawing": None, "noise": "gaussian", "loss": "non-saturating", "lr_g": 0.002, "lr_d": 0.002, "seed": 0}
    gan = {"model": "dcgan/faces-64", "seed": 0, "truncation": 1.0, "n": 2}
    walk = {"model": "dcgan/faces-64", "truncation": 1.0, "corners": "0,1,2,3", "size": 2}
    interp = {"model": "dcgan/faces-64", "truncation": 1.0, "seed_a": 1, "seed_b": 2, "steps": 3}
    fast = IMAGE_ENDPOINTS["/style_transfer_fast"][1]
    style = {**fast, "content_path": USABLE, "mode": "gatys", "steps": 10, "halvings": 0}
    img = "rgba.png"
    rows: list[tuple[str, str, dict[str, Any], str | None]] = [
        # pyramid textures
        ("/pyramid_texture", "no image", {**pyr, "path": None}, r"upload a texture"),
        ("/pyramid_texture", "scales 0", {**pyr, "scales": 0}, RANGE),
        ("/pyramid_texture", "scales 12", {**pyr, "scales": 12}, RANGE),
        ("/pyramid_texture", "scales NaN", {**pyr, "scales": NAN}, NOT_A_NUMBER),
        ("/pyramid_texture", "orientations 0", {**pyr, "orientations": 0}, RANGE),
        ("/pyramid_texture", "orientations 100", {**pyr, "orientations": 100}, RANGE),
        ("/pyramid_texture", "iterations -1", {**pyr, "iterations": -1}, RANGE),
        ("/pyramid_texture", "iterations above the cap", {**pyr, "iterations": 5000}, RANGE),
        ("/pyramid_texture", "ratio 0", {**pyr, "ratio": 0}, RANGE),
        ("/pyramid_texture", "ratio -2", {**pyr, "ratio": -2}, RANGE),
        ("/pyramid_texture", "ratio 1e9", {**pyr, "ratio": 1e9}, RANGE),
        ("/pyramid_texture", "ratio NaN", {**pyr, "ratio": NAN}, NOT_A_NUMBER),
        ("/pyramid_texture", "edges unknown", {**pyr, "edges": "wrap"}, CHOICES),
        ("/pyramid_texture", "seed -1", {**pyr, "seed": -1}, RANGE),
        ("/pyramid_texture", "max side 0", {**pyr, "max_side": 0}, RANGE),
        ("/pyramid_texture", "max side NaN", {**pyr, "max_side": NAN}, NOT_A_NUMBER),
        ("/pyramid_texture", "max side 1e12", {**pyr, "max_side": 1e12}, RANGE),
        # neural textures
        ("/neural_texture_run", "no image", {**nt, "path": None}, r"upload a texture"),
        ("/neural_texture_run", "size 0", {**nt, "size": 0}, RANGE),
        ("/neural_texture_run", "size 1e9", {**nt, "size": 1e9}, RANGE),
        ("/neural_texture_run", "size NaN", {**nt, "size": NAN}, NOT_A_NUMBER),
        ("/neural_texture_run", "steps 0", {**nt, "steps": 0}, RANGE),
        ("/neural_texture_run", "steps 1e6", {**nt, "steps": 1e6}, RANGE),
        ("/neural_texture_run", "steps NaN", {**nt, "steps": NAN}, NOT_A_NUMBER),
        ("/neural_texture_run", "halvings -1", {**nt, "halvings": -1}, RANGE),
        ("/neural_texture_run", "halvings 50", {**nt, "halvings": 50}, RANGE),
        ("/neural_texture_run", "unknown backbone", {**nt, "backbone": "resnet-9000"}, CHOICES),
        ("/neural_texture_run", "unknown layer", {**nt, "backbone": "vgg16-caffe", "layers": ["conv9_9"]}, CHOICES),
        ("/neural_texture_run", "no layers", {**nt, "backbone": "vgg16-caffe", "layers": []}, None),
        ("/neural_texture_run", "unknown optimizer", {**nt, "optimizer": "sgd"}, CHOICES),
        ("/neural_texture_run", "seed NaN", {**nt, "seed": NAN}, NOT_A_NUMBER),
        ("/neural_texture_high_to_low", "random backbone", {**h2l, "backbone": "random-multiscale"}, r"needs a VGG backbone"),
        ("/neural_texture_high_to_low", "steps -5", {**h2l, "steps": -5}, RANGE),
        ("/neural_texture_high_to_low", "no image", {**h2l, "path": None}, r"upload a texture"),
        ("/neural_texture_show", "no image", {"backbone": "random-multiscale", "path": None}, None),
        ("/neural_texture_show", "unknown layer", {"backbone": "vgg16-caffe", "layer": "conv9_9"}, CHOICES),
        ("/neural_texture_show", "vgg19 offline", {"backbone": "vgg19"}, WEIGHTS),
        # style transfer (the file rows run fast mode; these the optimisation, at 64 px)
        ("/style_transfer_run", "valid, 10 steps", style, None),
        ("/style_transfer_run", "no content", {**style, "content_path": None}, r"upload a content image"),
        ("/style_transfer_run", "no style", {**style, "style_path": None}, r"upload a style image"),
        ("/style_transfer_run", "second style not an image", {**style, "style2_path": FILE + "text.png"}, NOT_IMAGE),
        ("/style_transfer_run", "size 4096", {**style, "size": 4096}, RANGE),
        ("/style_transfer_run", "size 1024 on a CPU", {**style, "size": 1024}, r"larger than the cap of 512 px"),
        ("/style_transfer_run", "size NaN", {**style, "size": NAN}, NOT_A_NUMBER),
        ("/style_transfer_run", "steps 0", {**style, "steps": 0}, RANGE),
        ("/style_transfer_run", "ratio NaN", {**style, "ratio": NAN}, NOT_A_NUMBER),
        ("/style_transfer_run", "ratio 1e9", {**style, "ratio": 1e9}, RANGE),
        ("/style_transfer_run", "blend NaN", {**style, "blend2": NAN}, NOT_A_NUMBER),
        ("/style_transfer_run", "mode unknown", {**style, "mode": "slow"}, CHOICES),
        ("/style_transfer_run", "init unknown", {**style, "init": "photo"}, CHOICES),
        ("/style_transfer_run", "backbone unknown", {**style, "backbone": "resnet-9000"}, CHOICES),
        ("/style_transfer_run", "vgg19 offline", {**style, "backbone": "vgg19"}, WEIGHTS),
        ("/style_transfer_run", "style layer unknown", {**style, "style_layers": ["relu9_1"]}, CHOICES),
        ("/style_transfer_run", "tv -1", {**style, "tv_weight": -1}, RANGE),
        ("/style_transfer_run", "tv NaN", {**style, "tv_weight": NAN}, NOT_A_NUMBER),
        ("/style_transfer_run", "seed 1e30", {**style, "seed": 1e30}, r"seed"),
        ("/style_transfer_run", "seed -1", {**style, "seed": -1}, r"seed"),
        ("/style_transfer_run", "fast mode through run", {**style, "mode": "fast"}, None),
        ("/style_transfer_fast", "strength 3", {**fast, "strength": 3}, RANGE),
        ("/style_transfer_fast", "no style", {**fast, "style_path": None}, r"upload a style image"),
        ("/style_transfer_fast", "size 4096", {**fast, "size": 4096}, RANGE),
        ("/style_transfer_fast", "colours unknown", {**fast, "preserve_colors": "sepia"}, CHOICES),
        ("/style_transfer_compare", "no content", {**style, "content_path": None}, r"upload a content image"),  # not in IMAGE_ENDPOINTS: content given here
        ("/style_transfer_compare", "style scale 0", {**style, "content_path": USABLE, "style_scale": 0}, RANGE),
        # GAN sampling
        ("/gan_sample", "valid", gan, None),
        ("/gan_sample", "count 0", {**gan, "n": 0}, RANGE),
        ("/gan_sample", "count -5", {**gan, "n": -5}, RANGE),
        ("/gan_sample", "count above the cap", {**gan, "n": 65}, RANGE),
        ("/gan_sample", "count 1e9", {**gan, "n": 1e9}, RANGE),
        ("/gan_sample", "count NaN", {**gan, "n": NAN}, NOT_A_NUMBER),
        ("/gan_sample", "count 2.5", {**gan, "n": 2.5}, r"whole number"),
        ("/gan_sample", "seed -1", {**gan, "seed": -1}, RANGE),
        ("/gan_sample", "seed 2**31", {**gan, "seed": 2**31}, RANGE),
        ("/gan_sample", "seed NaN", {**gan, "seed": NAN}, NOT_A_NUMBER),
        ("/gan_sample", "truncation 0", {**gan, "truncation": 0}, RANGE),
        ("/gan_sample", "truncation 2", {**gan, "truncation": 2}, RANGE),
        ("/gan_sample", "truncation NaN", {**gan, "truncation": NAN}, NOT_A_NUMBER),
        ("/gan_sample", "unknown model", {**gan, "model": "stylegan/ffhq"}, CHOICES),
        ("/gan_sample", "unknown class", {**gan, "model": "biggan/deep-128", "class_choice": "unicorn"}, CHOICES),
        ("/gan_sample", "biggan offline", {**gan, "model": "biggan/deep-128"}, WEIGHTS),
        ("/gan_model", "unknown model", {"model": "stylegan/ffhq"}, CHOICES),
        ("/gan_model", "valid", {"model": "biggan/deep-256"}, None),
        ("/gan_interpolate", "valid", interp, None),
        ("/gan_interpolate", "steps 1", {**interp, "steps": 1}, RANGE),
        ("/gan_interpolate", "steps above the cap", {**interp, "steps": 5000}, RANGE),
        ("/gan_interpolate", "frames above the cap", {**interp, "steps": 700}, RANGE),
        ("/gan_interpolate", "steps NaN", {**interp, "steps": NAN}, NOT_A_NUMBER),
        ("/gan_interpolate", "seed -3", {**interp, "seed_a": -3}, RANGE),
        ("/gan_interpolate", "seed NaN", {**interp, "seed_b": NAN}, NOT_A_NUMBER),
        ("/gan_interpolate", "method unknown", {**interp, "method": "cubic"}, CHOICES),
        ("/gan_walk", "valid", walk, None),
        ("/gan_walk", "corners empty", {**walk, "corners": ""}, r"4 corner seeds"),
        ("/gan_walk", "corners words", {**walk, "corners": "a,b,c,d"}, r"four whole numbers"),
        ("/gan_walk", "corners five", {**walk, "corners": "1,2,3,4,5"}, r"4 corner seeds"),
        ("/gan_walk", "corners negative", {**walk, "corners": "-1,2,3,4"}, r"seed must be in"),
        ("/gan_walk", "corners huge", {**walk, "corners": "1,2,3," + "9" * 40}, r"seed must be in"),
        ("/gan_walk", "size 0", {**walk, "size": 0}, RANGE),
        ("/gan_walk", "size 1e6", {**walk, "size": 1e6}, RANGE),
        ("/gan_walk", "size NaN", {**walk, "size": NAN}, NOT_A_NUMBER),
        # the 2-D GAN
        ("/gan2d_reset", "valid", toy, None),  # a fresh 2-D GAN for this session: the step below is the same every pass
        ("/gan2d_step", "valid", toy, None),
        ("/gan2d_step", "target unknown", {**toy, "target": "torus"}, CHOICES),
        ("/gan2d_reset", "drawn, nothing drawn", {**toy, "target": "drawn"}, r"Draw some points"),
        ("/gan2d_reset", "drawn, blank canvas", {**toy, "target": "drawn", "drawing": {"background": None, "layers": [], "composite": None}}, r"Draw some points"),
        ("/gan2d_step", "lr 0", {**toy, "lr_g": 0}, RANGE),
        ("/gan2d_step", "lr 5", {**toy, "lr_d": 5}, RANGE),
        ("/gan2d_step", "lr NaN", {**toy, "lr_g": NAN}, NOT_A_NUMBER),
        ("/gan2d_step", "seed NaN", {**toy, "seed": NAN}, NOT_A_NUMBER),
        ("/gan2d_step", "noise unknown", {**toy, "noise": "cauchy"}, CHOICES),
        ("/gan2d_reset", "lr -1", {**toy, "lr_g": -1}, RANGE),
        ("/gan2d_reset", "seed -1", {**toy, "seed": -1}, RANGE),
        ("/gan2d_play", "per frame 0", {**toy, "per_frame": 0}, RANGE),
        ("/gan2d_play", "per frame 1e9", {**toy, "per_frame": 1e9}, RANGE),
        ("/gan2d_play", "per frame NaN", {**toy, "per_frame": NAN}, NOT_A_NUMBER),
        ("/gan2d_set_loss", "loss unknown", {"loss": "wasserstein"}, CHOICES),
        ("/gan2d_set_lr_g", "lr NaN", {"lr_g": NAN}, NOT_A_NUMBER),
        ("/gan2d_set_lr_d", "lr 1e9", {"lr_d": 1e9}, RANGE),
        ("/gan2d_set_target", "target unknown", {**toy, "target": ""}, CHOICES),
        ("/gan2d_set_noise", "noise unknown", {**toy, "noise": "poisson"}, CHOICES),
        ("/gan2d_set_seed", "seed 1e30", {**toy, "seed": 1e30}, r"seed"),
        # pix2pix and CycleGAN
        ("/pix2pix_translate", "no image", {**p2p, "path": None}, r"upload an image"),
        ("/pix2pix_translate", "side 0", {**p2p, "side": 0}, RANGE),
        ("/pix2pix_translate", "side NaN", {**p2p, "side": NAN}, NOT_A_NUMBER),
        ("/pix2pix_translate", "unknown model", {**p2p, "model": "pix2pix/cats2dogs"}, CHOICES),
        ("/pix2pix_translate", "mode unknown", {**p2p, "mode": "train"}, CHOICES),
        ("/pix2pix_translate", "seed NaN", {**p2p, "seed": NAN}, NOT_A_NUMBER),
        ("/pix2pix_translate_drawing", "no drawing", {**p2p, "editor": None}, r"Paint a map"),
        ("/pix2pix_translate_drawing", "empty drawing", {**p2p, "editor": {"background": None, "layers": [], "composite": None}}, r"Paint a map"),
        # the session may already hold an input (the lab's model translates offline); then what is
        # missing offline is the official pair the comparison runs
        ("/pix2pix_compare", "nothing translated", {"side": 256}, r"Translate an upload or a drawing first|python -m synth weights download"),
        ("/cyclegan_translate", "no image", {**cyc, "path": None}, r"upload an image"),
        ("/cyclegan_translate", "side 0", {**cyc, "side": 0}, RANGE),
        ("/cyclegan_translate", "side -3", {**cyc, "side": -3}, RANGE),
        ("/cyclegan_translate", "side NaN", {**cyc, "side": NAN}, NOT_A_NUMBER),
        ("/cyclegan_translate", "side 1e12", {**cyc, "side": 1e12}, RANGE),
        ("/cyclegan_translate", "unknown model", {**cyc, "model": "cyclegan/cats2dogs"}, CHOICES),
        ("/cyclegan_translate", "horse2zebra offline", {**cyc, "model": "cyclegan/horse2zebra"}, WEIGHTS),
        ("/cyclegan_translate", "valid with the cycle", {**cyc, "show_cycle": True}, None),
        # text and huge values where numbers belong
        ("/gan_sample", "count as text", {**gan, "n": "sixteen"}, NOT_A_NUMBER),
        ("/gan_sample", "count empty string", {**gan, "n": ""}, NOT_A_NUMBER),
        ("/pyramid_texture", "seed 1e30", {**pyr, "seed": 1e30}, r"seed"),
        ("/neural_texture_run", "seed 1e30", {**nt, "seed": 1e30}, r"seed"),
        ("/neural_texture_run", "seed -1", {**nt, "seed": -1}, r"seed"),
        ("/gan_interpolate", "seed 1e30", {**interp, "seed_a": 1e30}, r"seed"),
        ("/gan2d_reset", "seed 1e30", {**toy, "seed": 1e30}, r"seed"),
        ("/pix2pix_translate", "seed 1e30", {**p2p, "seed": 1e30}, r"seed"),
        ("/pix2pix_translate", "seed -1", {**p2p, "seed": -1}, RANGE),
    ]
    cases = []
    for endpoint, label, kwargs, error in rows:
        kwargs = dict(kwargs)
        file = None
        if endpoint in IMAGE_ENDPOINTS and "path" not in kwargs:
            file = img
        elif kwargs.get("path", "") is None:
            kwargs.pop("path")
            file = ""  # no upload
        cases.append(Case(endpoint, label, kwargs, error, file=file))
    return cases


def _stranger_cases() -> list[Case]:
    """What a script can send that our page never does (issue 11): bare server paths in every file
    argument, 400-digit integers, booleans, lists where one name belongs, a megabyte of text."""
    rows: list[Case] = []
    for endpoint, (param, settings) in IMAGE_ENDPOINTS.items():
        for label, path in STRANGER_PATHS.items():
            rows.append(Case(endpoint, f"bare path: {label}", {**settings, param: path}, REFUSED))
    second = {"/style_transfer_fast": "style_path", "/style_transfer_run": "style2_path"}
    style = {**IMAGE_ENDPOINTS["/style_transfer_fast"][1], "content_path": USABLE, "mode": "gatys", "steps": 10, "halvings": 0}
    for endpoint, param in second.items():
        settings = {**IMAGE_ENDPOINTS["/style_transfer_fast"][1], "content_path": USABLE} if endpoint.endswith("fast") else style
        for label in ("an image outside the uploads", "a system file", "a missing file"):
            rows.append(Case(endpoint, f"bare path in {param}: {label}", {**settings, param: STRANGER_PATHS[label]}, REFUSED))
    p2p = IMAGE_ENDPOINTS["/pix2pix_translate"][1]
    toy = {"target": "drawn", "noise": "gaussian", "loss": "non-saturating", "lr_g": 0.002, "lr_d": 0.002, "seed": 0}
    for label, editor in {
        "composite": {"background": None, "layers": [], "composite": STRANGER_PATHS["an image outside the uploads"]},
        "background": {"background": STRANGER_PATHS["a system file"], "layers": [], "composite": None},
        "layer": {"background": None, "layers": [STRANGER_PATHS["a missing file"]], "composite": None},
    }.items():
        # a reference nested in an editor's value is dropped: the canvas is then empty
        rows.append(Case("/pix2pix_translate_drawing", f"bare path in the editor's {label}", {**p2p, "editor": editor}, r"Paint a map"))
        rows.append(Case("/gan2d_reset", f"bare path in the sketchpad's {label}", {**toy, "drawing": editor}, r"Draw some points"))
    gan = {"model": "dcgan/faces-64", "seed": 0, "truncation": 1.0, "n": 2}
    pyr = IMAGE_ENDPOINTS["/pyramid_texture"][1]
    nt = IMAGE_ENDPOINTS["/neural_texture_run"][1]
    cyc = IMAGE_ENDPOINTS["/cyclegan_translate"][1]
    why = {**IMAGE_ENDPOINTS["/pix2pix_why_gan_loss"][1], "data": "maps", "source": "sample"}
    cycle = {**IMAGE_ENDPOINTS["/cyclegan_why_cycle"][1], "source": "sample"}
    odd: list[tuple[str, str, dict[str, Any], str]] = [
        ("/gan_sample", "count of 400 digits", {**gan, "n": HUGE_INT}, RANGE),
        ("/gan_sample", "seed of 400 digits", {**gan, "seed": HUGE_INT}, RANGE),
        ("/gan_sample", "count true", {**gan, "n": True}, NOT_A_NUMBER),
        ("/gan_sample", "model as a list", {**gan, "model": ["dcgan/faces-64"]}, CHOICES),
        ("/gan_sample", "model as an object", {**gan, "model": {"name": "dcgan/faces-64"}}, CHOICES),
        ("/gan_sample", "model of a megabyte", {**gan, "model": MEGA_TEXT}, CHOICES),
        ("/gan_walk", "corners of a megabyte", {"model": "dcgan/faces-64", "truncation": 1.0, "corners": MEGA_TEXT, "size": 2}, r"at most 80 characters"),
        ("/gan_walk", "corners as a list", {"model": "dcgan/faces-64", "truncation": 1.0, "corners": [0, 1, 2, 3], "size": 2}, r"expected text"),
        ("/pyramid_texture", "iterations of 400 digits", {**pyr, "iterations": HUGE_INT}, RANGE),
        ("/pyramid_texture", "seed of 400 digits", {**pyr, "seed": HUGE_INT}, RANGE),
        ("/pyramid_texture", "seed false", {**pyr, "seed": False}, NOT_A_NUMBER),
        ("/pyramid_texture", "edges as a list", {**pyr, "edges": ["periodic"]}, CHOICES),
        ("/pyramid_texture", "edges of a megabyte", {**pyr, "edges": MEGA_TEXT}, CHOICES),
        ("/neural_texture_run", "backbone as a list", {**nt, "backbone": ["vgg16-caffe", "vgg19"]}, CHOICES),
        ("/neural_texture_run", "layers of a megabyte", {**nt, "backbone": "vgg16-caffe", "layers": [MEGA_TEXT]}, CHOICES),
        ("/neural_texture_run", "layers as text", {**nt, "backbone": "vgg16-caffe", "layers": "conv1_1"}, r"expected a list"),
        ("/neural_texture_run", "size of 400 digits", {**nt, "size": -HUGE_INT}, RANGE),
        ("/neural_texture_run", "tileable as text", {**nt, "tileable": "yes"}, r"expected true or false"),
        ("/style_transfer_run", "steps of 400 digits", {**style, "steps": HUGE_INT}, RANGE),
        ("/style_transfer_run", "colours as a list", {**style, "preserve_colors": ["none"]}, CHOICES),
        ("/cyclegan_translate", "model as a list", {**cyc, "model": ["cyclegan/vintage"]}, CHOICES),
        ("/cyclegan_translate", "side of 400 digits", {**cyc, "side": HUGE_INT}, RANGE),
        ("/cyclegan_translate", "show cycle as a number", {**cyc, "show_cycle": 1}, r"expected true or false"),
        ("/pix2pix_translate", "mode of a megabyte", {**p2p, "mode": MEGA_TEXT}, CHOICES),
        ("/gan2d_step", "seed of 400 digits", {**toy, "target": "ring", "drawing": None, "seed": HUGE_INT}, RANGE),
        ("/gan_interpolate", "loop as text", {"model": "dcgan/faces-64", "truncation": 1.0, "seed_a": 1, "seed_b": 2, "steps": 3, "loop": "no"}, r"expected true or false"),
        ("/gan_reroll", "nothing sampled or nothing picked", {}, r"Sample a grid first|Click a cell of the grid first"),
        ("/pyramid_band", "band 999", {"band": 999}, CHOICES),
        ("/pyramid_band", "band as a list", {"band": [0, 1]}, CHOICES),
        ("/pyramid_filters_scales", "valid", {"scales": 2, "orientations": 4}, None),
        ("/pyramid_filters_scales", "scales of 400 digits", {"scales": HUGE_INT, "orientations": 4}, RANGE),
        ("/pyramid_filters_orientations", "orientations NaN", {"scales": 2, "orientations": NAN}, NOT_A_NUMBER),
        ("/pyramid_filters_on_load", "orientations 0", {"scales": 2, "orientations": 0}, RANGE),
        # the lecture's experiments on the lab's own models (pix2pix and CycleGAN tabs)
        ("/pix2pix_why_gan_loss", "valid, a held-out map", {**why, "path": None}, None),
        ("/pix2pix_why_gan_loss", "a snapshot", {**why, "path": None, "data": "colour", "step": SNAPSHOT}, None),
        ("/pix2pix_why_gan_loss", "experiment unknown", {**why, "path": None, "data": "faces"}, CHOICES),
        ("/pix2pix_why_gan_loss", "step not a snapshot", {**why, "path": None, "step": "123"}, CHOICES),
        ("/pix2pix_why_gan_loss", "index 64", {**why, "path": None, "index": 64}, RANGE),
        ("/pix2pix_why_gan_loss", "index of 400 digits", {**why, "path": None, "index": HUGE_INT}, RANGE),
        ("/pix2pix_why_gan_loss", "index 2.5", {**why, "path": None, "index": 2.5}, r"whole number"),
        ("/pix2pix_why_gan_loss", "seed 0.5", {**why, "path": None, "seed": 0.5}, r"whole number"),
        ("/pix2pix_why_gan_loss", "upload, nothing uploaded", {**why, "path": None, "source": "upload"}, r"upload an image"),
        ("/pix2pix_why_gan_loss", "a drawing for grey -> colour", {**why, "path": None, "data": "colour", "source": "drawing"}, r"drawing is a map"),
        ("/pix2pix_why_gan_loss", "a drawing, none drawn", {**why, "path": None, "source": "drawing"}, r"Paint a map"),
        ("/pix2pix_why_gan_loss", "seed NaN", {**why, "path": None, "seed": NAN}, NOT_A_NUMBER),
        ("/pix2pix_train_live", "valid, 50 steps each", {"data": "maps", "steps": 50}, None),
        ("/pix2pix_train_live", "steps 0", {"data": "maps", "steps": 0}, RANGE),
        ("/pix2pix_train_live", "steps of 400 digits", {"data": "maps", "steps": HUGE_INT}, RANGE),
        ("/pix2pix_train_live", "experiment unknown", {"data": "coats", "steps": 50}, CHOICES),
        ("/cyclegan_why_cycle", "valid, a held-out animal", {**cycle, "path": None}, None),
        ("/cyclegan_why_cycle", "a snapshot", {**cycle, "path": None, "step": CYCLE_SNAPSHOT}, None),
        ("/cyclegan_why_cycle", "index -1", {**cycle, "path": None, "index": -1}, RANGE),
        ("/cyclegan_why_cycle", "index 2.5", {**cycle, "path": None, "index": 2.5}, r"whole number"),
        ("/cyclegan_why_cycle", "step as a list", {**cycle, "path": None, "step": ["final"]}, CHOICES),
        ("/cyclegan_why_cycle", "upload, nothing uploaded", {**cycle, "path": None, "source": "upload"}, r"upload an image"),
        ("/cyclegan_two_horses", "valid", {"step": "final"}, None),
        ("/cyclegan_two_horses", "step unknown", {"step": "-1"}, CHOICES),
        ("/cyclegan_train_live", "valid, 50 steps", {"losses": "gan+cycle", "steps": 50}, None),
        ("/cyclegan_train_live", "objective unknown", {"losses": "cycle", "steps": 50}, CHOICES),
        ("/cyclegan_train_live", "steps NaN", {"losses": "gan", "steps": NAN}, NOT_A_NUMBER),
    ]
    for endpoint, label, kwargs, error in odd:
        image = endpoint in IMAGE_ENDPOINTS and IMAGE_ENDPOINTS[endpoint][0] not in kwargs
        rows.append(Case(endpoint, label, kwargs, error, file="rgba.png" if image else None))
    return rows


def cases() -> list[Case]:
    """Every call of the corpus, in a fixed order."""
    return _file_cases() + _param_cases() + _stranger_cases()


#: API endpoints the corpus leaves out on purpose, with the reason.
NO_USER_INPUT: dict[str, str] = {
    "/gan_availability": "takes no input: refreshes the availability note on page load",
    "/neural_texture_availability": "takes no input: the availability note on page load",
    "/style_transfer_availability": "takes no input: the availability note on page load",
    "/pix2pix_status": "takes no input: the status line on page load",
    "/cyclegan_status": "takes no input: the status line on page load",
    "/models_in_memory": "takes no input: reads the model cache's table",
    "/models_on_load": "takes no input: reads the model cache's table on page load",
    "/gan_select": "takes only a click on a gallery cell (gr.SelectData); tests/test_security.py sends bad event data by raw HTTP",
}
