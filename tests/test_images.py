"""``synth.images`` against a corpus generated here: every mode, EXIF, broken files, arrays."""

from __future__ import annotations

import io
import os
import struct
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageFile

from synth.images import InvalidImage, fit_max_side, load_image, resize, save_image, to_pil

RNG = np.random.default_rng(0)
NOISE = RNG.integers(0, 256, (48, 64, 3), dtype=np.uint8)


def encode(image: Image.Image, format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format, **options)
    return buffer.getvalue()


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def pixel(image: torch.Tensor, y: int, x: int) -> list[float]:
    return [round(float(v), 4) for v in image[0, :, y, x]]


def open_files_under(folder: Path) -> list[str]:
    """Files under ``folder`` this process holds open (Linux: /proc/self/fd)."""
    found = []
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:  # the descriptor of the listing itself
            continue
        if target.startswith(str(folder)):
            found.append(target)
    return found


def loaded(source, **options) -> torch.Tensor:
    """``load_image`` plus the checks every result must pass."""
    image = load_image(source, **options)
    assert image.dtype == torch.float32 and image.ndim == 4 and image.shape[:2] == (1, 3)
    assert float(image.min()) >= 0.0 and float(image.max()) <= 1.0
    return image


# ---------------------------------------------------------------- modes
def test_rgb_png_from_path_bytes_and_pil_is_exact(tmp_path):
    image = Image.fromarray(NOISE)
    data = encode(image, "PNG")
    expected = torch.from_numpy(NOISE).permute(2, 0, 1)[None].float() / 255
    for source in (write(tmp_path, "noise.png", data), str(tmp_path / "noise.png"), data, image):
        assert torch.equal(loaded(source), expected)


def test_grey_l(tmp_path):
    path = write(tmp_path, "grey.png", encode(Image.fromarray(np.array([[0, 51], [204, 255]], dtype=np.uint8)), "PNG"))
    image = loaded(path)
    assert pixel(image, 0, 1) == [0.2] * 3 and pixel(image, 1, 0) == [0.8] * 3


def test_la_is_composited_on_white(tmp_path):
    la = np.zeros((2, 3, 2), dtype=np.uint8)
    la[0, 0] = (0, 0)  # black, fully transparent -> white
    la[0, 1] = (0, 255)  # black, opaque -> black
    la[0, 2] = (0, 102)  # black at alpha 0.4 -> 0.6
    image = loaded(write(tmp_path, "la.png", encode(Image.fromarray(la, "LA"), "PNG")))
    assert pixel(image, 0, 0) == [1.0] * 3 and pixel(image, 0, 1) == [0.0] * 3 and pixel(image, 0, 2) == [0.6] * 3


def test_rgba_fully_transparent_pixel_becomes_white(tmp_path):
    rgba = np.zeros((2, 2, 4), dtype=np.uint8)
    rgba[0, 0] = (255, 0, 0, 0)  # transparent red
    rgba[0, 1] = (255, 0, 0, 255)  # opaque red
    rgba[1, 0] = (0, 0, 255, 51)  # blue at alpha 0.2 -> (0.8, 0.8, 1)
    image = loaded(write(tmp_path, "rgba.png", encode(Image.fromarray(rgba, "RGBA"), "PNG")))
    assert pixel(image, 0, 0) == [1.0, 1.0, 1.0]
    assert pixel(image, 0, 1) == [1.0, 0.0, 0.0]
    assert pixel(image, 1, 0) == [0.8, 0.8, 1.0]


def palette_image() -> Image.Image:
    image = Image.fromarray(np.array([[0, 1], [2, 1]], dtype=np.uint8), "P")
    image.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0] + [0] * (253 * 3))
    return image


def test_palette(tmp_path):
    image = loaded(write(tmp_path, "p.png", encode(palette_image(), "PNG")))
    assert pixel(image, 0, 0) == [0.0, 0.0, 0.0] and pixel(image, 0, 1) == [1.0, 0.0, 0.0] and pixel(image, 1, 0) == [0.0, 1.0, 0.0]


def test_palette_with_transparency_is_composited_on_white(tmp_path):
    path = write(tmp_path, "pt.png", encode(palette_image(), "PNG", transparency=0))
    with Image.open(path) as stored:
        assert stored.mode == "P" and stored.info["transparency"] == 0
    image = loaded(path)
    assert pixel(image, 0, 0) == [1.0, 1.0, 1.0]  # index 0 (black) is transparent
    assert pixel(image, 0, 1) == [1.0, 0.0, 0.0]


@pytest.mark.parametrize("format", ["JPEG", "TIFF"])
def test_cmyk(tmp_path, format):
    cmyk = Image.new("CMYK", (16, 16), (0, 255, 255, 0))  # red
    cmyk.paste((255, 0, 255, 0), (0, 8, 16, 16))  # green bottom half
    path = write(tmp_path, f"cmyk.{format.lower()}", encode(cmyk, format))
    with Image.open(path) as stored:
        assert stored.mode == "CMYK"
    image = loaded(path)
    tolerance = 0.05 if format == "JPEG" else 0.0
    assert np.allclose(pixel(image, 2, 2), [1, 0, 0], atol=tolerance)
    assert np.allclose(pixel(image, 13, 13), [0, 1, 0], atol=tolerance)


def test_16_bit_png_is_scaled_by_65535(tmp_path):
    values = np.array([[0, 65535], [32768, 255]], dtype=np.uint16)
    path = write(tmp_path, "deep.png", encode(Image.fromarray(values), "PNG"))
    with Image.open(path) as stored:
        assert stored.mode.startswith("I")
    image = loaded(path)
    assert pixel(image, 0, 0) == [0.0] * 3 and pixel(image, 0, 1) == [1.0] * 3
    assert np.allclose(pixel(image, 1, 0), 0.5, atol=1e-4)
    assert np.allclose(pixel(image, 1, 1), 255 / 65535, atol=1e-4)  # a dark 16-bit pixel stays dark


def test_16_bit_dark_png_is_not_read_as_8_bit(tmp_path):
    values = np.array([[0, 255], [128, 64]], dtype=np.uint16)  # every value fits in 8 bits
    image = loaded(write(tmp_path, "dark.png", encode(Image.fromarray(values), "PNG")))
    assert float(image.max()) == pytest.approx(255 / 65535)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([[0, 255], [51, 102]], [[0, 1], [0.2, 0.4]]),  # 8-bit range
        ([[0, 65535], [32768, 1000]], [[0, 1], [32768 / 65535, 1000 / 65535]]),  # 16-bit range
        ([[-10, 10], [0, 5]], [[0, 1], [0.5, 0.75]]),  # no stated range: min-max
    ],
)
def test_32_bit_integer_mode_i(tmp_path, values, expected):
    source = Image.fromarray(np.array(values, dtype=np.int32))
    assert source.mode == "I"
    path = write(tmp_path, "i.tiff", encode(source, "TIFF"))
    for image in (loaded(source), loaded(path)):
        assert torch.allclose(image[0, 0], torch.tensor(expected, dtype=torch.float32), atol=1e-6)
        assert torch.equal(image[0, 0], image[0, 2])


def test_float_mode_f(tmp_path):
    inside = Image.fromarray(np.array([[0.0, 0.25], [0.5, 1.0]], dtype=np.float32))
    assert inside.mode == "F"
    image = loaded(write(tmp_path, "f.tiff", encode(inside, "TIFF")))
    assert torch.allclose(image[0, 1], torch.tensor([[0.0, 0.25], [0.5, 1.0]]))
    outside = loaded(Image.fromarray(np.array([[-2.0, 0.0], [2.0, 6.0]], dtype=np.float32)))
    assert torch.allclose(outside[0, 0], torch.tensor([[0.0, 0.25], [0.5, 1.0]]))
    with pytest.raises(InvalidImage, match="NaN or infinite"):
        load_image(Image.fromarray(np.array([[0.0, np.nan], [0.5, 1.0]], dtype=np.float32)))


def test_bilevel_mode_1(tmp_path):
    bits = Image.new("1", (4, 2), 0)
    bits.putpixel((3, 1), 1)
    image = loaded(write(tmp_path, "bits.png", encode(bits, "PNG")))
    assert pixel(image, 1, 3) == [1.0] * 3 and pixel(image, 0, 0) == [0.0] * 3 and float(image.sum()) == 3.0


# ---------------------------------------------------------------- EXIF, animation
def marked(width: int = 48, height: int = 24) -> np.ndarray:
    """Black image with a white 8x8 block in the top-left corner (as stored)."""
    array = np.zeros((height, width, 3), dtype=np.uint8)
    array[:8, :8] = 255
    return array


@pytest.mark.parametrize(("orientation", "turns"), [(6, -1), (8, 1)])  # 6: turn 90 deg clockwise to view; 8: anticlockwise
def test_exif_orientation_is_applied(tmp_path, orientation, turns):
    stored = marked()
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = write(tmp_path, f"rotated{orientation}.jpg", encode(Image.fromarray(stored), "JPEG", exif=exif, quality=95))

    image = loaded(path)

    assert image.shape[-2:] == (48, 24)  # portrait as displayed
    expected = torch.from_numpy(np.rot90(stored, turns).copy()).permute(2, 0, 1)[None].float() / 255
    assert float((image - expected).abs().mean()) < 0.02
    corner = (3, 20) if orientation == 6 else (44, 3)  # top-right for 6, bottom-left for 8
    assert min(pixel(image, *corner)) > 0.9
    assert max(pixel(image, 3, 3 if orientation == 6 else 20)) < 0.1


def test_animated_gif_gives_the_first_frame(tmp_path):
    frames = [Image.new("RGB", (8, 6), colour) for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    path = write(tmp_path, "anim.gif", encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=50, loop=0))
    with Image.open(path) as stored:
        assert stored.n_frames == 3
        stored.seek(2)  # a PIL animation left at another frame
        assert torch.equal(loaded(stored)[0, :, 0, 0], torch.tensor([1.0, 0.0, 0.0]))

    image = loaded(path)

    assert image.shape == (1, 3, 6, 8)
    assert torch.equal(image[0, :, 0, 0], torch.tensor([1.0, 0.0, 0.0]))
    assert open_files_under(tmp_path) == []  # Pillow keeps animations open; we must not


# ---------------------------------------------------------------- broken input
@pytest.mark.parametrize("format", ["PNG", "JPEG"])
@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_truncated_files_are_refused(tmp_path, format, keep):
    data = encode(Image.fromarray(NOISE), format)
    path = write(tmp_path, f"cut.{format.lower()}", data[: int(len(data) * keep)])
    for source in (path, path.read_bytes()):
        with pytest.raises(InvalidImage, match="truncated"):
            load_image(source)


def test_truncated_jpeg_header_is_refused(tmp_path):
    data = encode(Image.fromarray(NOISE), "JPEG")
    with pytest.raises(InvalidImage, match="(?i)truncated"):
        load_image(write(tmp_path, "stub.jpg", data[:40]))


@pytest.mark.parametrize("size", [(1, 1), (1, 7), (7, 1)])
def test_one_pixel_sides_are_refused(tmp_path, size):
    path = write(tmp_path, "thin.png", encode(Image.new("RGB", size), "PNG"))
    with pytest.raises(InvalidImage, match=rf"{size[0]}x{size[1]} pixels; each side must be at least 2"):
        load_image(path)
    with pytest.raises(InvalidImage, match="at least 2"):
        load_image(np.zeros((size[1], size[0], 3), dtype=np.uint8))


def png_announcing(width: int, height: int) -> bytes:
    """A well-formed PNG whose header announces ``width`` x ``height`` RGB with a tiny IDAT."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


@pytest.mark.parametrize(("side", "message"), [(50_000, "enormous image"), (7_000, "7000x7000 = 49,000,000 pixels; at most 40,000,000")])
def test_decompression_bomb_is_refused_before_decoding(tmp_path, monkeypatch, side, message):
    data = png_announcing(side, side)
    with monkeypatch.context() as unlimited:
        unlimited.setattr(Image, "MAX_IMAGE_PIXELS", None)
        with Image.open(io.BytesIO(data)) as header:
            assert header.size == (side, side)  # a well-formed header
    decoded: list[object] = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: decoded.append(self))

    tracemalloc.start()
    try:
        for source in (data, write(tmp_path, "bomb.png", data)):
            with pytest.raises(InvalidImage, match=message):
                load_image(source)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert decoded == []  # refused from the header: nothing was decoded
    assert peak < 5 * 2**20


def test_max_pixels_is_checked_for_files_and_arrays(tmp_path):
    path = write(tmp_path, "small.png", encode(Image.new("RGB", (100, 60)), "PNG"))
    with pytest.raises(InvalidImage, match=r"100x60 = 6,000 pixels; at most 5,000"):
        load_image(path, max_pixels=5_000)
    with pytest.raises(InvalidImage, match="at most 5,000"):
        load_image(np.zeros((60, 100, 3), dtype=np.uint8), max_pixels=5_000)
    assert loaded(path, max_pixels=6_000).shape == (1, 3, 60, 100)


@pytest.mark.parametrize(
    ("data", "message"),
    [(encode(Image.new("RGB", (1, 5)), "PNG"), "at least 2"), (encode(Image.fromarray(NOISE), "PNG")[:3000], "truncated")],
    ids=["thin", "truncated"],
)
def test_refused_files_are_closed(tmp_path, data, message):
    with pytest.raises(InvalidImage, match=message) as err:  # the traceback keeps load_image's frames alive
        load_image(write(tmp_path, "bad.png", data))
    assert open_files_under(tmp_path) == [], f"{err.value}: the refused file is still open"


def test_text_file_named_png_is_refused(tmp_path):
    path = write(tmp_path, "notes.png", b"these are lecture notes, not pixels\n" * 10)
    with pytest.raises(InvalidImage, match="'notes.png' is not an image Pillow can read"):
        load_image(path)


def test_empty_input_is_refused(tmp_path):
    with pytest.raises(InvalidImage, match="'empty.png' is empty"):
        load_image(write(tmp_path, "empty.png", b""))
    with pytest.raises(InvalidImage, match="empty"):
        load_image(b"")


def test_missing_file_and_wrong_type_are_refused(tmp_path):
    with pytest.raises(InvalidImage, match="no such file"):
        load_image(tmp_path / "absent.png")
    with pytest.raises(InvalidImage, match="expected a path, bytes, PIL image, numpy array or tensor; got int"):
        load_image(42)


# ---------------------------------------------------------------- arrays and tensors
def test_uint8_and_uint16_arrays_are_scaled_by_their_range():
    assert torch.equal(loaded(NOISE), torch.from_numpy(NOISE).permute(2, 0, 1)[None].float() / 255)
    deep = np.array([[0, 65535], [32768, 255]], dtype=np.uint16)
    image = loaded(deep)
    assert pixel(image, 0, 1) == [1.0] * 3 and np.allclose(pixel(image, 1, 0), 0.5, atol=1e-4)


def test_bool_and_float_arrays():
    mask = np.zeros((4, 5), dtype=bool)
    mask[1, 2] = True
    image = loaded(mask)
    assert pixel(image, 1, 2) == [1.0] * 3 and float(image.sum()) == 3.0
    values = RNG.random((6, 5, 3))
    assert torch.allclose(loaded(values), torch.from_numpy(values).permute(2, 0, 1)[None].float())


@pytest.mark.parametrize("bad", [-0.5, 1.5, 255.0])
def test_float_arrays_out_of_range_are_refused(bad):
    values = np.full((4, 4, 3), 0.5)
    values[0, 0, 0] = bad
    with pytest.raises(InvalidImage, match=r"float images must have values in \[0, 1\]"):
        load_image(values)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_are_refused(bad):
    values = np.full((4, 4), 0.5, dtype=np.float32)
    values[2, 3] = bad
    with pytest.raises(InvalidImage, match="NaN or infinite"):
        load_image(values)
    with pytest.raises(InvalidImage, match="NaN or infinite"):
        load_image(torch.from_numpy(values)[None])


def test_array_shapes():
    grey = RNG.integers(0, 256, (5, 7), dtype=np.uint8)
    from_2d, from_3d = loaded(grey), loaded(grey[..., None])
    assert from_2d.shape == (1, 3, 5, 7) and torch.equal(from_2d, from_3d)
    assert torch.equal(from_2d[0, 0], from_2d[0, 2])
    rgba = np.zeros((3, 4, 4), dtype=np.uint8)
    rgba[0, 0] = (255, 0, 0, 255)
    rgba[0, 1] = (255, 0, 0, 0)
    image = loaded(rgba)
    assert pixel(image, 0, 0) == [1.0, 0.0, 0.0] and pixel(image, 0, 1) == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("shape", [(4, 4, 2), (4, 4, 5), (2, 4, 4, 3), (16,)])
def test_array_shapes_that_are_not_images_are_refused(shape):
    with pytest.raises(InvalidImage, match=r"expected an array of shape \(H, W\)"):
        load_image(np.zeros(shape, dtype=np.uint8))


def test_unsupported_dtype_is_refused():
    with pytest.raises(InvalidImage, match="unsupported array dtype complex"):
        load_image(np.zeros((4, 4), dtype=np.complex64))


def test_tensors():
    image = torch.rand(3, 5, 6)
    assert torch.equal(loaded(image), image[None])
    assert torch.equal(loaded(image[None]), image[None])
    with pytest.raises(InvalidImage, match="batch of 2"):
        load_image(torch.rand(2, 3, 5, 6))
    with pytest.raises(InvalidImage, match=r"shape \(C, H, W\)"):
        load_image(torch.rand(5, 6))


# ---------------------------------------------------------------- resizing and round trips
@pytest.mark.parametrize(("size", "expected"), [((200, 100), (25, 50)), ((30, 100), (50, 15)), ((20, 10), (10, 20))])
def test_max_side_keeps_the_aspect_ratio_and_never_upscales(size, expected):
    width, height = size
    image = loaded(RNG.random((height, width, 3)), max_side=50)
    assert image.shape[-2:] == expected


def test_fit_max_side_and_resize():
    image = torch.rand(1, 3, 40, 80)
    assert fit_max_side(image, 80) is image
    assert resize(image, (80, 40)) is image
    assert resize(image, (20, 30)).shape == (1, 3, 30, 20)
    with pytest.raises(ValueError, match="max_side must be at least 2"):
        fit_max_side(image, 1)


def test_to_pil_and_load_image_round_trip_exactly(tmp_path):
    pil = to_pil(loaded(NOISE))
    assert pil.mode == "RGB" and pil.size == (64, 48)
    assert np.array_equal(np.asarray(pil), NOISE)
    path = save_image(loaded(NOISE), tmp_path / "out" / "noise.png")
    assert np.array_equal(np.asarray(Image.open(path)), NOISE)
    assert torch.equal(loaded(path), loaded(NOISE))
    grey = to_pil(torch.rand(1, 1, 4, 5))
    assert grey.mode == "L" and grey.size == (5, 4)
