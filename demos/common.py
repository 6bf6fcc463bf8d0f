"""What every tab shares: the upload component, error handling, model availability
and the model-cache panel. UI only; all work is done by :mod:`synth`."""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable, Iterable
from typing import Any

import gradio as gr
from gradio.data_classes import FileData

from synth.cache import MODEL_CACHE
from synth.examples import _examples_dir
from synth.images import InvalidImage
from synth.models import UnknownModel
from synth.weights import WeightsUnavailable, default_store

log = logging.getLogger("synth.app")

#: Errors whose message is written for the user; anything else is logged and summarised.
USER_ERRORS = (InvalidImage, WeightsUnavailable, UnknownModel, ValueError)


class _RawImage(gr.Image):
    """``gr.Image`` whose upload reaches our code as the raw file, undecoded.

    ``gr.Image`` opens every upload with Pillow before our code runs, so a broken
    file fails with Gradio's generic "an exception occurred" and never reaches our
    clear message. This component passes the file path through untouched;
    :func:`synth.images.load_image` validates and decodes it and its
    ``InvalidImage`` message reaches the user as a ``gr.Error``. (No ``__init__``
    of its own: Gradio reads a component's properties from ``__init__``'s signature.)
    """

    is_template = True  # rendered by the frontend's Image component

    def preprocess(self, payload: FileData | None) -> str | None:  # type: ignore[override]
        if payload is None:
            return None
        if payload.path is None:
            raise gr.Error("The upload did not arrive as a file; please upload it again.")
        return str(payload.path)


def ImageUpload(label: str, **kwargs: Any) -> gr.Image:  # noqa: N802 (reads like a component)
    """An image input for every tab: uploads and pastes reach :mod:`synth.images` as files."""
    kwargs.setdefault("sources", ["upload", "clipboard"])
    return _RawImage(label=label, type="filepath", **kwargs)


def ui_errors(fn: Callable) -> Callable:
    """Turn our errors into readable ``gr.Error`` messages (for functions and generators).

    Messages of :data:`USER_ERRORS` are shown as they are; anything else is logged
    with its traceback and shown as one line, and the server keeps serving.
    """

    def convert(err: Exception) -> gr.Error:
        if isinstance(err, gr.Error):
            return err
        if isinstance(err, USER_ERRORS):
            return gr.Error(str(err), print_exception=False)
        log.exception("unexpected error in %s", fn.__name__)
        return gr.Error(f"Something went wrong ({type(err).__name__}: {err}). The server keeps running; try other settings.")

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def generator(*args: Any, **kwargs: Any):
            try:
                yield from fn(*args, **kwargs)
            except Exception as err:
                raise convert(err) from None

        return generator

    @functools.wraps(fn)
    def function(*args: Any, **kwargs: Any):
        try:
            return fn(*args, **kwargs)
        except Exception as err:
            raise convert(err) from None

    return function


def require_image(path: str | None, what: str = "an image") -> str:
    """The upload's path, or a clear error when nothing was uploaded."""
    if not path:
        raise gr.Error(f"Please upload {what} or click one of the examples first.")
    return path


def availability_markdown(names: Iterable[str]) -> str:
    """One line per checkpoint: usable here or not, and the command that fetches it.

    Uses only remembered host probes, so it never blocks a page load.
    """
    store = default_store()
    lines = []
    for name in names:
        status = store.availability(name)
        mark = "✅" if status.cached else ("⬇️" if status.reachable else "⚠️")
        lines.append(f"- {mark} `{name}`: {status.message}")
    return "\n".join(lines)


def cache_panel() -> None:
    """A small "Models in memory" panel: what is loaded, its bytes, hit/miss/evict counters."""

    def describe() -> str:
        stats = MODEL_CACHE.stats()
        rows = [f"| `{m.name}` | {m.device} | {m.dtype} | {m.bytes / 2**20:.1f} MB | {m.load_seconds:.2f} s |" for m in stats.models]
        table = "| model | device | dtype | memory | load time |\n|---|---|---|---|---|\n" + "\n".join(rows) if rows else "_No model loaded yet: models load on first use._"
        return (
            f"{table}\n\n**{stats.bytes / 2**20:.1f} MB** of {stats.budget / 2**30:.1f} GB budget · "
            f"hits {stats.hits} · misses {stats.misses} · evictions {stats.evictions} · "
            f"loads {stats.loads} ({stats.load_seconds:.1f} s in total)"
        )

    def free() -> str:
        MODEL_CACHE.clear()
        return describe()

    with gr.Accordion("Models in memory", open=False):
        info = gr.Markdown(describe)
        with gr.Row():
            refresh = gr.Button("Refresh", size="sm")
            release = gr.Button("Free memory", size="sm", variant="stop")
        refresh.click(describe, outputs=info, queue=False, api_name=False)
        release.click(free, outputs=info, queue=False, api_name=False)


def allowed_paths() -> list[str]:
    """Folders Gradio may serve files from: the example images."""
    return [str(_examples_dir())]


def launch_alone(demo: gr.Blocks) -> None:
    """``python -m demos.<tab>``: serve one tab on its own."""
    demo.queue(default_concurrency_limit=1, max_size=32).launch(allowed_paths=allowed_paths())
