"""Serving: output files written once, the rule that no server handler is hidden, one tab alone.

Reads Gradio's event list (``Blocks.fns``; pinned Gradio minor version, canary in
``tests/test_serving.py``).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
from gradio.utils import get_upload_folder
from PIL import Image
from torch import Tensor

from synth.examples import examples_dir
from synth.images import to_pil

from .gate import app_kwargs
from .jobs import on_unload

__all__ = [
    "allowed_paths",
    "check_handlers",
    "image_file",
    "launch_alone",
    "output_file",
    "output_files",
]


# ------------------------------------------------------------------ no hidden handlers
def _gradio_examples(fn: Any) -> bool:
    return getattr(fn.fn, "__qualname__", "").startswith("Examples.")


def check_handlers(app: gr.Blocks) -> None:
    """Refuse to serve a server-side handler that is not a public API endpoint.

    Gradio answers ``/run/predict`` and ``/queue/join`` for any event by its index,
    ``api_name=False`` or not, so a "hidden" handler is only hidden from the docs. Every
    server-side handler of ours is therefore a named, validated endpoint; what only the
    browser needs runs as ``js``. Allowed besides: Gradio's example loaders (they return
    the public examples) and ``unload`` (it stops the calling session's own jobs).
    """
    hidden = [
        f"{fn.api_name} ({getattr(fn.fn, '__name__', '?')})"
        for fn in app.fns.values()
        if fn.fn is not None and fn.api_visibility != "public" and not _gradio_examples(fn) and fn.fn is not on_unload
    ]
    if hidden:
        raise RuntimeError(f"server handlers that are not public API endpoints: {', '.join(hidden)}; give them an api_name or make them js")


# ------------------------------------------------------------------ output files
def _write_once(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` unless it is already there; never truncate a served file."""
    if path.exists() and path.stat().st_size == len(data):
        return
    handle, staging = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(staging, path)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise


def _store(data: bytes, name: str) -> str:
    """``data`` as ``<upload folder>/<sha256>/<name>``, written once, atomically; Gradio serves it without copying."""
    folder = Path(get_upload_folder()) / hashlib.sha256(data).hexdigest()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / Path(name).name
    _write_once(path, data)
    return str(path.resolve())


def output_files(write: Callable[[Path], Any]) -> list[str]:
    """Files a handler makes for a download box, kept once per content in Gradio's cache.

    ``write(folder)`` writes its files into a scratch folder, which is removed
    afterwards; each file is stored by the hash of its bytes. (Files written with
    ``tempfile`` under random names stayed in /tmp and were copied into the cache under
    new names at every click: found by tests/test_bad_input.py.) Sorted by name.
    """
    with tempfile.TemporaryDirectory(prefix="synth_output_") as scratch:
        write(Path(scratch))
        made = sorted(p for p in Path(scratch).rglob("*") if p.is_file())
        return [_store(p.read_bytes(), p.name) for p in made]


def output_file(write: Callable[[Path], Any], name: str) -> str:
    """One file ``name`` for a download box: ``write(path)`` writes it (see :func:`output_files`)."""
    return output_files(lambda folder: write(folder / name))[0]


def image_file(image: Tensor | Image.Image | np.ndarray, name: str = "image.png") -> str:
    """An output image as a PNG file in Gradio's cache, written once and atomically.

    Returning a path instead of a PIL image keeps Gradio from re-encoding and rewriting
    the same file in place when two sessions produce the same image at once (a room of
    students clicking the same example and seed): a download then broke mid-transfer.
    """
    import io

    if isinstance(image, np.ndarray):
        picture = Image.fromarray(image)
    else:
        picture = image if isinstance(image, Image.Image) else to_pil(image)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", compress_level=1)
    return _store(buffer.getvalue(), name)


def allowed_paths() -> list[str]:
    """Folders Gradio may serve files from: the example images."""
    return [str(examples_dir())]


def launch_alone(demo: gr.Blocks) -> None:
    """``python -m demos.<tab>``: serve one tab on its own."""
    check_handlers(demo)
    demo.queue(default_concurrency_limit=1, max_size=32).launch(allowed_paths=allowed_paths(), app_kwargs=app_kwargs())
