"""Input components that check what a stranger sends before any of our code sees it.

The app is public: every value in a request may come from a script, not from our page.
Gradio checks a slider's range and a dropdown's choices, but not everything:

* an image argument sent as a bare ``{"path": "/some/server/file"}`` (no upload
  metadata) reaches the handler as that path; :func:`checked_path` accepts a path only
  inside Gradio's upload folder or our example folder (after resolving symlinks) and
  answers everything else with one message, so a reply says nothing about the
  server's files;
* a 400-digit integer overflows ``float()``; NaN passes a range check; a boolean is a
  number to Python; a list where one name belongs passes Gradio's choice check item by
  item; a 1 MB string is echoed whole in Gradio's own messages.

Every tab builds its inputs from the classes here. Messages quote at most a short
prefix of a bad value (:func:`synth.options.shorten`).
"""

from __future__ import annotations

import logging
import math
import numbers
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.utils import get_upload_folder

from synth.examples import examples_dir
from synth.options import shorten

__all__ = [
    "REFUSED_PATH",
    "Checkbox",
    "CheckboxGroup",
    "Dropdown",
    "ImageEditor",
    "ImageUpload",
    "Number",
    "Radio",
    "Sketchpad",
    "Slider",
    "Textbox",
    "allowed_roots",
    "checked_path",
]

log = logging.getLogger("synth.app")

#: The one answer to any file argument that is not an upload of this server.
REFUSED_PATH = "Please upload an image (use the upload box, or pick one of the examples)."
#: Longest text any text field accepts unless it says otherwise.
TEXT_LIMIT = 200


def _refuse(message: str) -> gr.Error:
    log.info("input refused: %s", shorten(message, 160))
    return gr.Error(message, print_exception=False)


def _label(component: gr.components.Component, fallback: str) -> str:
    return str(component.label or fallback)


def allowed_roots() -> list[Path]:
    """Folders a file argument may lie in: Gradio's upload folder (uploads and our outputs) and the examples."""
    return [Path(os.path.realpath(get_upload_folder())), Path(os.path.realpath(examples_dir()))]


def checked_path(path: Any) -> str:
    """``path`` if it names a file inside :func:`allowed_roots` (after symlinks), else :data:`REFUSED_PATH`.

    The same message for a missing file, a folder, a non-image and a file outside the
    roots: the reply reveals nothing about what exists on the server.
    """
    if not isinstance(path, (str, os.PathLike)) or len(os.fspath(path)) > 4096:
        raise _refuse(REFUSED_PATH)
    real = Path(os.path.realpath(os.fspath(path)))
    if not any(real.is_relative_to(root) for root in allowed_roots()) or not real.is_file():
        raise _refuse(REFUSED_PATH)
    return str(real)


def _file_path(payload: Any) -> str:
    """The checked path of a file payload: Gradio's ``FileData`` / ``ImageData`` model, or a plain dict."""
    path = payload.get("path") if isinstance(payload, dict) else getattr(payload, "path", None)
    return checked_path(path)


class ImageUpload(gr.Image):
    """``gr.Image`` whose upload reaches our code as a checked file path, undecoded.

    ``gr.Image`` opens every upload with Pillow before our code runs, so a broken file
    would fail with Gradio's generic message; here the path goes to
    :func:`synth.images.load_image`, whose ``InvalidImage`` message reaches the user.
    (No ``__init__`` of its own: Gradio reads a component's properties from its signature.)
    """

    is_template = True  # rendered by the frontend's Image component

    def preprocess(self, payload: Any) -> str | None:  # type: ignore[override]
        return None if payload is None else _file_path(payload)


class ImageEditor(gr.ImageEditor):
    """``gr.ImageEditor`` whose background, layers and composite must be uploads of this server."""

    is_template = True

    def preprocess(self, payload: Any) -> Any:  # type: ignore[override]
        _check_editor(payload)
        return super().preprocess(payload)


class Sketchpad(gr.Sketchpad):
    """``gr.Sketchpad`` with the same file check as :class:`ImageEditor`."""

    is_template = True

    def get_block_name(self) -> str:
        return "imageeditor"  # gr.Sketchpad is itself a template of the editor's Svelte component

    def get_block_class(self) -> str:
        return "imageeditor"

    def preprocess(self, payload: Any) -> Any:  # type: ignore[override]
        _check_editor(payload)
        return super().preprocess(payload)


def _check_editor(payload: Any) -> None:
    if payload is None:
        return
    parts = payload.model_dump() if hasattr(payload, "model_dump") else payload
    if not isinstance(parts, dict):
        raise _refuse(REFUSED_PATH)
    layers = parts.get("layers") or []
    if not isinstance(layers, list) or len(layers) > 16:
        raise _refuse(REFUSED_PATH)
    for item in [parts.get("background"), parts.get("composite"), *layers]:
        if item is not None:
            _file_path(item)


def _number(component: gr.components.Component, payload: Any) -> int | float:
    """A finite number within the component's range; checked before any conversion."""
    what = _label(component, "a number")
    if isinstance(payload, bool) or not isinstance(payload, numbers.Real):
        raise _refuse(f"{what}: expected a number, got {shorten(payload)}.")
    if not isinstance(payload, numbers.Integral) and not math.isfinite(payload):
        raise _refuse(f"{what}: expected a number, got {payload} (NaN or infinite).")
    low, high = getattr(component, "minimum", None), getattr(component, "maximum", None)
    # Python compares an int of any size with a float exactly: no float(10**400) here.
    if low is not None and payload < low:
        raise _refuse(f"{what}: {shorten(payload)} is less than minimum value {low}.")
    if high is not None and payload > high:
        raise _refuse(f"{what}: {shorten(payload)} is greater than maximum value {high}.")
    if _whole(component) and not (isinstance(payload, numbers.Integral) or float(payload).is_integer()):
        raise _refuse(f"{what}: expected a whole number, got {shorten(payload)}.")
    return payload


def _whole(component: gr.components.Component) -> bool:
    """Whether the control only offers whole numbers: a slider stepping by whole numbers from a whole
    minimum, or a number box rounded to no decimals (a stranger's 2.5 is refused, not truncated)."""
    if isinstance(component, gr.Number):
        return getattr(component, "precision", None) == 0
    step, low = getattr(component, "step", None), getattr(component, "minimum", None)
    return all(isinstance(v, numbers.Real) and float(v).is_integer() for v in (step, low))


class Slider(gr.Slider):
    """``gr.Slider`` that refuses a missing value, NaN, a boolean or a huge integer with a clear message.

    A browser sends ``null`` for a slider it has no number for (``JSON.stringify(NaN)``).
    """

    is_template = True

    def preprocess(self, payload: Any) -> float:  # type: ignore[override]
        return super().preprocess(_number(self, payload))


class Number(gr.Number):
    """``gr.Number`` with :class:`Slider`'s checks; give it a ``maximum`` (a seed's is 2**63 - 1)."""

    is_template = True

    def preprocess(self, payload: Any) -> float | int | None:  # type: ignore[override]
        return super().preprocess(_number(self, payload))


def _choice(component: gr.components.Component, payload: Any, choices: Iterable[Any]) -> Any:
    what = _label(component, "a choice")
    listed = list(choices)
    if isinstance(payload, (str, int, float)) and not isinstance(payload, bool):
        for value in listed:
            if type(value) is type(payload) and value == payload:
                return payload
    names = ", ".join(shorten(v, 24) for v in listed[:8]) + (", …" if len(listed) > 8 else "")
    raise _refuse(f"{what}: {shorten(payload)} is not one of the choices ({names}).")


def _values(component: gr.components.Component) -> list[Any]:
    return [value for _, value in component.choices]  # type: ignore[attr-defined]


def _nothing(component: gr.components.Component) -> None:
    """``None`` for a choice: the browser never sends it for a control that starts with a value, so only
    a raw client does; refused there with the listed choices (a control without a value may be empty)."""
    if component.value is not None:  # type: ignore[attr-defined]
        names = ", ".join(shorten(v, 24) for v in _values(component)[:8])
        raise _refuse(f"{_label(component, 'a choice')}: choose one of {names}; got nothing.")


class Dropdown(gr.Dropdown):
    """``gr.Dropdown`` that takes one listed, hashable value (or a bounded list of them with ``multiselect``)."""

    is_template = True

    def preprocess(self, payload: Any) -> Any:  # type: ignore[override]
        if payload is None:
            _nothing(self)
            return None
        if self.multiselect:
            return [_choice(self, item, _values(self)) for item in _bounded_list(self, payload)]
        return super().preprocess(_choice(self, payload, _values(self)))


class Radio(gr.Radio):
    """``gr.Radio`` that takes one listed, hashable value."""

    is_template = True

    def preprocess(self, payload: Any) -> Any:  # type: ignore[override]
        if payload is None:
            _nothing(self)
            return None
        return super().preprocess(_choice(self, payload, _values(self)))


def _bounded_list(component: gr.components.Component, payload: Any) -> list[Any]:
    if not isinstance(payload, list) or len(payload) > len(component.choices):  # type: ignore[attr-defined]
        raise _refuse(f"{_label(component, 'a selection')}: expected a list of the choices, got {shorten(payload)}.")
    return payload


class CheckboxGroup(gr.CheckboxGroup):
    """``gr.CheckboxGroup`` that takes a bounded list of listed, hashable values."""

    is_template = True

    def preprocess(self, payload: Any) -> Any:  # type: ignore[override]
        values = [_choice(self, item, _values(self)) for item in _bounded_list(self, payload or [])]
        return super().preprocess(values)


class Checkbox(gr.Checkbox):
    """``gr.Checkbox`` that takes true or false only."""

    is_template = True

    def preprocess(self, payload: Any) -> bool:  # type: ignore[override]
        if not isinstance(payload, bool):
            raise _refuse(f"{_label(self, 'a checkbox')}: expected true or false, got {shorten(payload)}.")
        return payload


class Textbox(gr.Textbox):
    """``gr.Textbox`` bounded to ``max_length`` characters (default :data:`TEXT_LIMIT`), checked on the server too."""

    is_template = True

    def preprocess(self, payload: Any) -> str | None:  # type: ignore[override]
        if payload is None:
            return None
        limit = self.max_length or TEXT_LIMIT
        if not isinstance(payload, str) or len(payload) > limit:
            raise _refuse(f"{_label(self, 'text')}: expected text of at most {limit} characters, got {shorten(payload)}.")
        return super().preprocess(payload)
