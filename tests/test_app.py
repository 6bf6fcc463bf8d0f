"""End to end: ``python app.py`` serves the app; the pyramid tab works through the API,
and a bad upload gives a readable error without stopping it. (Every tab in a real
browser: tests/test_browser.py.)"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image

from synth.examples import example_path

PYRAMID_DEFAULTS = dict(scales=4, orientations=4, iterations=3, ratio=1.0, edges="periodic", seed=0, max_side=128)


def _pyramid(client, path: Path | str, **overrides):
    args = {**PYRAMID_DEFAULTS, **overrides}
    return client.predict(handle_file(str(path)), *args.values(), api_name="/pyramid_texture")


def test_pyramid_tab_runs_an_example(client) -> None:
    texture, strip, tiled, mosaic, band, figure = _pyramid(client, example_path("gravel"))
    image = np.asarray(Image.open(texture))
    assert image.shape[:2] == (128, 128)  # gravel is 512x512, resized to max_side 128
    assert image.std() > 10, "the texture is flat"
    assert [item["caption"] for item in strip] == ["noise start", "iteration 1", "iteration 2", "iteration 3"]
    assert Image.open(tiled).size == (256, 256)
    assert Image.open(mosaic).size[0] > 200
    assert figure["type"] == "matplotlib"


def test_pyramid_tab_output_size_ratio(client) -> None:
    texture, *_ = _pyramid(client, example_path("wood"), ratio=1.5)
    assert Image.open(texture).size == (192, 192)


def test_bad_upload_is_a_readable_error_and_the_server_keeps_serving(client, tmp_path: Path) -> None:
    fake = tmp_path / "not-an-image.png"
    fake.write_text("this is text, not a PNG")
    with pytest.raises(Exception, match="not an image"):
        _pyramid(client, fake)
    tiny = tmp_path / "tiny.png"
    Image.new("RGB", (1, 1)).save(tiny)
    with pytest.raises(Exception, match="at least 2 pixels"):
        _pyramid(client, tiny)
    texture, *_ = _pyramid(client, example_path("grass"))  # next call still works
    assert Image.open(texture).size == (128, 128)


def test_too_many_scales_for_the_image_is_explained(client) -> None:
    with pytest.raises(Exception, match="scales need an image"):
        _pyramid(client, example_path("gravel"), scales=6, max_side=64)

