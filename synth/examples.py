"""Example images that ship with our dependencies, so every example works offline.

All come from scikit-image's bundled data (``skimage.data``; public domain or CC0,
see ``skimage/data/README.txt``), cropped where a texture is wanted, except ``map``,
a street map drawn by :func:`synth.translate.maps.sample_map`, and the procedural
"paintings" of :mod:`synth.artworks` (style examples). They are
written once as PNG files to a cache folder (``SYNTH_EXAMPLES_DIR``, default
``~/.cache/image-synthesis-lab/examples``) because Gradio examples are file paths.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import skimage.data as data
from PIL import Image

__all__ = ["Example", "EXAMPLES", "example_path", "example_paths", "examples_dir"]


@dataclass(frozen=True)
class Example:
    name: str
    title: str
    load: Callable[[], np.ndarray]
    credit: str


_SKIMAGE = "scikit-image sample data"
EXAMPLES: dict[str, Example] = {
    example.name: example
    for example in (
        Example("brick", "Brick wall (grey)", data.brick, f"{_SKIMAGE}, CC0"),
        Example("grass", "Grass (grey)", data.grass, f"{_SKIMAGE}, CC0"),
        Example("gravel", "Gravel (grey)", data.gravel, f"{_SKIMAGE}, CC0"),
        Example("wood", "Wooden table (colour crop)", lambda: data.coffee()[272:400, 472:600], f"{_SKIMAGE} 'coffee', CC0"),
        Example("fur", "Cat fur (colour crop)", lambda: data.chelsea()[0:96, 150:310], f"{_SKIMAGE} 'chelsea', CC0"),
        Example("stars", "Hubble deep field (colour crop)", lambda: data.hubble_deep_field()[300:556, 300:556], f"{_SKIMAGE}, public domain (NASA)"),
        Example("cells", "Immunohistochemistry (colour crop)", lambda: data.immunohistochemistry()[256:512, 256:512], f"{_SKIMAGE}, public domain"),
        Example("coffee", "Coffee cup (photo)", data.coffee, f"{_SKIMAGE}, CC0"),
        Example("chelsea", "Chelsea the cat (photo)", data.chelsea, f"{_SKIMAGE}, CC0"),
        Example("astronaut", "Eileen Collins (photo)", data.astronaut, f"{_SKIMAGE}, public domain (NASA)"),
        Example("rocket", "Rocket launch pad (photo)", data.rocket, f"{_SKIMAGE}, public domain (NASA/SpaceX)"),
        Example("camera", "Cameraman (grey photo)", data.camera, f"{_SKIMAGE}, CC0"),
        Example("map", "Street map in the pix2pix map palette", lambda: _sample_map(), "drawn by synth.translate.maps"),
        Example("swirls", "Swirling brush strokes (a night sky)", lambda: _artwork("swirls"), "drawn by synth.artworks"),
        Example("stained-glass", "Stained-glass window", lambda: _artwork("stained_glass"), "drawn by synth.artworks"),
        Example("pointillism", "Pointillist landscape", lambda: _artwork("pointillism"), "drawn by synth.artworks"),
        Example("horses", "Brown horses on grass (the lab's coats set, held out)", lambda: _animal("A"), "drawn by synth.datasets.coats"),
        Example("zebras", "Zebras on grass (the lab's coats set, held out)", lambda: _animal("B"), "drawn by synth.datasets.coats"),
    )
}


def _sample_map() -> np.ndarray:
    from .translate.maps import sample_map

    return sample_map(256)


def _animal(domain: str) -> np.ndarray:
    """A held-out scene of the coats set (data seed 1000, never trained on) at 256 px."""
    from .datasets import unpaired

    image = unpaired("coats").sample(domain, 1, seed=1000, size=256).image  # type: ignore[arg-type]
    return (image.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)


def _artwork(name: str) -> np.ndarray:
    from . import artworks

    return getattr(artworks, name)(384)


def examples_dir() -> Path:
    """The folder of the example PNG files (``SYNTH_EXAMPLES_DIR``, default ``~/.cache/image-synthesis-lab/examples``)."""
    default = Path.home() / ".cache" / "image-synthesis-lab" / "examples"
    return Path(os.environ.get("SYNTH_EXAMPLES_DIR") or default)


def example_path(name: str) -> Path:
    """The PNG file of example ``name``, written atomically on first use."""
    if name not in EXAMPLES:
        raise ValueError(f"unknown example {name!r}; known: {', '.join(EXAMPLES)}")
    path = examples_dir() / f"{name}.png"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".png")
        os.close(fd)
        Image.fromarray(np.ascontiguousarray(EXAMPLES[name].load())).save(tmp)
        os.replace(tmp, path)
    return path


def example_paths(*names: str) -> list[str]:
    """Paths (as strings, for ``gr.Examples``) of the named examples."""
    return [str(example_path(name)) for name in names]
