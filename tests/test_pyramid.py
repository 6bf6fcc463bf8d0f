"""Tests of synth.pyramid: exact reconstruction, parity with pyrtools, batching,
validation and the filter bank."""

from __future__ import annotations

import numpy as np
import pyrtools
import pytest
import torch
from skimage import data

from synth.pyramid import PyramidCoeffs, SteerablePyramid, filter_bank, max_scales


def _relative_error(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(torch.linalg.vector_norm(a - b) / torch.linalg.vector_norm(b))


@pytest.mark.parametrize(
    ("height", "width", "scales", "orientations"),
    [
        (64, 64, 1, 2),
        (64, 64, 4, 8),
        (128, 96, 3, 3),
        (128, 96, 4, 5),
        (256, 256, 5, 4),
        (192, 320, 4, 6),
        (512, 512, 2, 4),
        (512, 512, 7, 7),
        (65, 97, 2, 4),  # odd sides: exact too (see pyramid._grid)
    ],
)
@pytest.mark.parametrize(("dtype", "tolerance"), [(torch.float32, 1e-5), (torch.float64, 1e-10)])
def test_reconstruction_is_exact(height, width, scales, orientations, dtype, tolerance):
    x = torch.rand(2, 1, height, width, generator=torch.Generator().manual_seed(0), dtype=dtype)
    pyramid = SteerablePyramid(scales, orientations)
    coeffs = pyramid.decompose(x)
    assert coeffs.bands[0].shape == (2, 1, orientations, height, width)
    assert all(c.dtype == dtype for _, c in coeffs.items())
    assert _relative_error(pyramid.reconstruct(coeffs), x) <= tolerance


def _real_images() -> list[np.ndarray]:
    camera = data.camera()[:256, :384].astype(np.float64) / 255
    brick = data.brick()[100:260, 40:264].astype(np.float64) / 255  # 160 x 224
    return [camera, brick]


@pytest.mark.parametrize(("scales", "orientations"), [(3, 4), (4, 2), (2, 8), (5, 3), (1, 6)])
@pytest.mark.parametrize("image_index", [0, 1])
def test_coefficients_equal_pyrtools(scales, orientations, image_index):
    image = _real_images()[image_index]
    reference = pyrtools.pyramids.SteerablePyramidFreq(
        image, height=scales, order=orientations - 1
    )
    ours = SteerablePyramid(scales, orientations).decompose(torch.from_numpy(image)[None, None])
    assert ours.keys() == list(reference.pyr_coeffs.keys())
    for key, expected in reference.pyr_coeffs.items():
        got = ours[key][0, 0]
        assert got.shape == expected.shape, key
        assert _relative_error(got, torch.from_numpy(expected)) <= 1e-4, key


def test_float32_coefficients_equal_pyrtools():
    image = _real_images()[0]
    reference = pyrtools.pyramids.SteerablePyramidFreq(image, height=4, order=3).pyr_coeffs
    ours = SteerablePyramid(4, 4).decompose(torch.from_numpy(image).float()[None, None])
    for key, expected in reference.items():
        assert _relative_error(ours[key][0, 0].double(), torch.from_numpy(expected)) <= 1e-4


def test_amplitude_convention_matches_pyrtools():
    # no rescaling when the spectrum is cropped: the lowpass of a constant grows 4x a level
    coeffs = SteerablePyramid(3, 4).decompose(torch.full((1, 1, 64, 64), 2.0))
    torch.testing.assert_close(coeffs.lowpass, torch.full((1, 1, 8, 8), 128.0))
    assert coeffs.highpass.abs().max() < 1e-5
    assert all(band.abs().max() < 1e-4 for band in coeffs.bands)


def test_batched_equals_one_by_one():
    x = torch.rand(2, 3, 64, 96, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    pyramid = SteerablePyramid(3, 5)
    batched = pyramid.decompose(x)
    for b in range(2):
        for c in range(3):
            single = pyramid.decompose(x[b : b + 1, c : c + 1])
            for key, value in single.items():
                torch.testing.assert_close(batched[key][b, c], value[0, 0], rtol=0, atol=1e-12)


def test_flat_round_trip():
    coeffs = SteerablePyramid(2, 3).decompose(torch.rand(1, 2, 32, 48))
    flat = coeffs.flat()
    assert flat.numel() == sum(v.numel() for _, v in coeffs.items())
    assert flat.data_ptr() == coeffs.highpass.data_ptr()  # decompose makes one buffer
    again = PyramidCoeffs.from_flat(flat.clone(), coeffs)
    for key, value in coeffs.items():
        assert torch.equal(again[key], value)
    again.bands[1] = again.bands[1] * 2  # no longer one buffer: flat() copies
    doubled = again.flat()
    assert doubled.data_ptr() != again.highpass.data_ptr()
    assert torch.equal(PyramidCoeffs.from_flat(doubled, coeffs)[(1, 2)], 2 * coeffs[(1, 2)])
    with pytest.raises(ValueError, match="1-D tensor of"):
        PyramidCoeffs.from_flat(flat[:-1], coeffs)


@pytest.mark.parametrize("orientations", [1, 9])
def test_orientations_out_of_range(orientations):
    with pytest.raises(ValueError, match=r"orientations must be an int in 2\.\.8, got"):
        SteerablePyramid(3, orientations)


def test_too_many_scales_for_the_image():
    assert max_scales(64, 96) == 4
    with pytest.raises(ValueError, match=r"scales=5 is too many for a 64x96 image: at most 4"):
        SteerablePyramid(5, 4).decompose(torch.rand(1, 1, 64, 96))


def test_bad_inputs():
    pyramid = SteerablePyramid(2, 4)
    with pytest.raises(ValueError, match=r"\(B, C, H, W\) float32 or float64"):
        pyramid.decompose(torch.rand(32, 32))
    with pytest.raises(ValueError, match="float32 or float64"):
        pyramid.decompose(torch.zeros(1, 1, 32, 32, dtype=torch.int64))
    with pytest.raises(ValueError, match="scales must be"):
        SteerablePyramid(0, 4)
    coeffs = SteerablePyramid(3, 4).decompose(torch.rand(1, 1, 64, 64))
    with pytest.raises(ValueError, match="expected coefficients with 2 scales"):
        pyramid.reconstruct(coeffs)
    with pytest.raises(KeyError, match="scale < 3 and band < 4"):
        coeffs[(3, 0)]


def test_filter_bank_is_oriented():
    scales, orientations, size = 3, 4, 64
    filters = filter_bank(scales, orientations, size=size)
    assert filters.shape == (scales, orientations, size, size)
    f = torch.fft.fftfreq(size)
    fy, fx = torch.meshgrid(f, f, indexing="ij")
    for s in range(scales):
        power = torch.fft.fft2(filters[s]).abs() ** 2
        along_x = (power * (fx.abs() > fy.abs())).sum((-2, -1)) / power.sum((-2, -1))
        # orientation 0 selects horizontal frequencies, orientation K/2 vertical ones
        assert along_x[0] > 0.9 and along_x[2] < 0.1
        assert 0.4 < along_x[1] < 0.6
        # the filter is centred and energy moves to coarser frequencies with scale
        assert filters[s, 0].abs().argmax() // size in range(size // 2 - 3, size // 2 + 4)
    with pytest.raises(ValueError, match="scales <= floor"):
        filter_bank(5, 4, size=64)


def test_vertical_grating_excites_orientation_zero():
    x = torch.arange(128, dtype=torch.float64)
    grating = torch.cos(2 * torch.pi * x / 8).expand(128, 128)[None, None]
    energy = SteerablePyramid(3, 4).decompose(grating).bands[1].pow(2).sum((-2, -1))[0, 0]
    assert energy[0] > 1e3 * energy[2]
