"""What every tab shares: the upload component, error handling, model availability
and the model-cache panel. UI only; all work is done by :mod:`synth`."""

from __future__ import annotations

import copy
import functools
import inspect
import json
import logging
import math
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import gradio as gr
from gradio import processing_utils
from gradio.data_classes import FileData
from gradio.utils import get_upload_folder

from synth.cache import MODEL_CACHE
from synth.examples import _examples_dir
from synth.images import InvalidImage
from synth.models import UnknownModel
from synth.runtime import cpu_count, device
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


def _finite(component: gr.components.Component, payload: Any) -> None:
    """Refuse a missing or non-finite number with a message that names the control."""
    if isinstance(payload, bool) or not isinstance(payload, (int, float)) or not math.isfinite(payload):
        what = component.label or "a number"
        raise gr.Error(f"{what}: expected a number, got {payload!r}.", print_exception=False)


class Slider(gr.Slider):
    """``gr.Slider`` that refuses a missing value or NaN with a clear message.

    A browser sends ``null`` for a slider it has no number for (``JSON.stringify(NaN)``),
    and ``gr.Slider`` then fails inside Gradio with only "The upstream Gradio app has
    raised an exception"; a raw ``NaN`` passes its range check. Use this in every tab.
    """

    is_template = True  # rendered by the frontend's Slider component

    def preprocess(self, payload: float) -> float:  # type: ignore[override]
        _finite(self, payload)
        return super().preprocess(payload)


class Number(gr.Number):
    """``gr.Number`` that refuses an empty field or NaN with a clear message (seeds and the like)."""

    is_template = True  # rendered by the frontend's Number component

    def preprocess(self, payload: float | None) -> float | int | None:  # type: ignore[override]
        _finite(self, payload)
        return super().preprocess(payload)


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
                return
            except Exception as err:
                error = convert(err)
            raise error  # outside the except block: no __context__ chaining to the failed frames

        return generator

    # The gr.Error is raised outside the ``except`` block, so it does not carry the
    # original exception as its __context__: that traceback holds the handler's frames
    # (a half-built model, decoded images), and Gradio keeps the error it reports. Measured
    # with tests/test_bad_input.py: +206 MB of server memory per failed pix2pix click.
    @functools.wraps(fn)
    def function(*args: Any, **kwargs: Any):
        try:
            return fn(*args, **kwargs)
        except Exception as err:
            error = convert(err)
        raise error

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


def generators_header(intro: str) -> tuple[gr.Markdown, gr.Markdown]:
    """A translation tab's introduction, then an empty status line and a collapsed "which
    generators are downloaded" list, for the tab to fill on page load (returned in that order)."""
    gr.Markdown(intro)
    status = gr.Markdown()
    with gr.Accordion("Which generators are downloaded", open=False):
        availability = gr.Markdown()
    return status, availability


def missing_weights(names: Iterable[str]) -> tuple[list[str], str]:
    """The checkpoints among ``names`` that cannot be used here (not cached, host not known to
    answer), and the one command that fetches them all. Never blocks on the network."""
    store = default_store()
    missing = [name for name in names if not store.availability(name).usable]
    return missing, f"`python -m synth weights download {' '.join(missing)}`"


def cache_panel(app: gr.Blocks) -> None:
    """A small "Models in memory" panel: what is loaded, its bytes, hit/miss/evict counters."""

    def describe() -> str:
        stats = MODEL_CACHE.stats()
        rows = [f"| `{m.name}` | {m.device} | {m.dtype} | {m.bytes / 2**20:.1f} MB | {m.load_seconds:.2f} s |" for m in stats.models]
        table = "| model | device | dtype | memory | load time |\n|---|---|---|---|---|\n" + "\n".join(rows) if rows else "_No model loaded yet: models load on first use._"
        return (
            f"{table}\n\nComputing on **{device()}** · **{stats.bytes / 2**20:.1f} MB** of {stats.budget / 2**30:.1f} GB budget · "
            f"hits {stats.hits} · misses {stats.misses} · evictions {stats.evictions} · "
            f"loads {stats.loads} ({stats.load_seconds:.1f} s in total)"
        )

    def free() -> str:
        MODEL_CACHE.clear()
        return describe()

    with gr.Accordion("Models in memory", open=False):
        info = gr.Markdown()
        with gr.Row():
            refresh = gr.Button("Refresh", size="sm")
            release = gr.Button("Free memory", size="sm", variant="stop")
        refresh.click(describe, outputs=info, queue=False, api_name=False)
        release.click(free, outputs=info, queue=False, api_name=False)
    app.load(describe, outputs=info, queue=False, api_name=False)


# ------------------------------------------------------------------ queue lanes
def lanes(cores: int | None = None) -> dict[str, int]:
    """How many events of each kind of work may run at once (Gradio ``concurrency_id`` -> limit).

    Every queued event names a lane (``**lane("quick")``) instead of a number, so tabs
    that compete for the same CPU share one limit and the limits are chosen here, from
    ``benchmarks/load.py``, for all tabs at once. Sub-second clicks get a lane of their
    own so they never wait behind a translation or an optimisation (measured: with one
    shared forward-pass lane a 0.1 s GAN sample waited 16 s, p50, behind CycleGAN runs).
    On 2 cores at most 5 CPU-heavy jobs run together, each with one torch thread (see
    ``app.py``), plus the 2-D GAN's tiny steps.
    """
    cores = cores or cpu_count()
    return {
        "optimise": max(1, cores // 2),  # L-BFGS / Adam over pixels: tens of seconds of CPU per click
        "pyramid": max(1, cores // 2),  # Heeger-Bergen: about a second of CPU at 256 px
        "translate": max(1, cores // 2),  # seconds per click: pix2pix, CycleGAN, GAN interpolation videos
        "quick": cores,  # well under a second: GAN samples, re-rolls and walk grids, feature views
        "interactive": 2 * cores,  # the 2-D GAN: tiny steps, mostly waiting between frames
    }


def lane(name: str) -> dict[str, Any]:
    """``concurrency_id`` and ``concurrency_limit`` of the lane ``name``, for an event listener."""
    return {"concurrency_id": name, "concurrency_limit": lanes()[name]}


#: Events waiting in the queue, all tabs together. A full queue answers at once, and the
#: page shows Gradio's "This application is currently busy. Please try again."
QUEUE_SIZE = int(os.environ.get("SYNTH_QUEUE_SIZE", "48"))


# ------------------------------------------------------------------ reset
_NOT_RESET = (gr.Button, gr.Dataset)


def reset_button(demo: gr.Blocks, tab: str, label: str = "↺ Reset this tab") -> gr.Button:
    """A small button that puts the tab back as a new visitor sees it.

    Call it last inside ``with gr.Blocks() as demo:``. It collects every component
    the tab's events read or write (except buttons, examples and what the page fills
    on load, such as availability notes) and, when clicked, stops the tab's running
    events, sets those components back to their initial values in the browser and
    resets the tab's ``gr.State`` for this session only (state lives per session;
    nothing of a visitor is kept at module level). ``api_name`` is ``<tab>_reset``.
    """
    loaded, used, queued = set(), [], []
    for block_fn in demo.fns.values():
        triggers = {event for _, event in block_fn.targets}
        if "load" in triggers:
            loaded.update(id(c) for c in block_fn.outputs)
            continue
        for component in [*block_fn.inputs, *block_fn.outputs]:
            if not isinstance(component, _NOT_RESET) and all(component is not seen for seen in used):
                used.append(component)
        if block_fn.fn is not None and block_fn.queue:
            queued.append(block_fn.get_config())
    fields = [c for c in used if id(c) not in loaded and not isinstance(c, gr.State)]
    states = [c for c in used if isinstance(c, gr.State)]
    initial_fields = json.dumps([c.value for c in fields])
    initial_states = [copy.deepcopy(c.value) for c in states]

    def fresh_states() -> Any:
        values = copy.deepcopy(initial_states)
        return values[0] if len(values) == 1 else values

    button = gr.Button(label, size="sm", variant="secondary")
    event = button.click(None, None, fields, js=f"() => {initial_fields}", cancels=queued, api_name=False, queue=False)
    if states:
        event.then(fresh_states, None, states, api_name=f"{tab}_reset", queue=False)
    return button


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


def _save_pil_to_cache(img, cache_dir: str, name: str = "image", format: str = "webp") -> str:  # noqa: A002 (Gradio's name)
    data = processing_utils.encode_pil_to_bytes(img, format)
    folder = Path(cache_dir) / processing_utils.hash_bytes(data)
    folder.mkdir(exist_ok=True, parents=True)
    path = (folder / f"{name}.{format}").resolve()
    _write_once(path, data)
    return str(path)


def _save_bytes_to_cache(data: bytes, file_name: str, cache_dir: str) -> str:
    folder = Path(cache_dir) / processing_utils.hash_bytes(data)
    folder.mkdir(exist_ok=True, parents=True)
    if not Path(file_name).suffix:
        file_name += processing_utils.detect_audio_format(data)
    path = (folder / Path(file_name).name).resolve()
    _write_once(path, data)
    return str(path)


def output_files(write: Callable[[Path], Any]) -> list[str]:
    """Files a handler makes for a download box, kept once per content in Gradio's cache.

    ``write(folder)`` writes its files into a scratch folder, which is removed
    afterwards; each file is stored as ``<cache>/<sha256 of its bytes>/<its name>``,
    which Gradio serves without copying. (Files written with ``tempfile`` under
    random names stayed in /tmp and were copied into the cache under new names at
    every click: found by tests/test_bad_input.py.) Returns the cached paths, sorted by name.
    """
    with tempfile.TemporaryDirectory(prefix="synth_output_") as scratch:
        write(Path(scratch))
        made = sorted(p for p in Path(scratch).rglob("*") if p.is_file())
        return [_save_bytes_to_cache(p.read_bytes(), p.name, get_upload_folder()) for p in made]


def output_file(write: Callable[[Path], Any], name: str) -> str:
    """One file ``name`` for a download box: ``write(path)`` writes it (see :func:`output_files`)."""
    return output_files(lambda folder: write(folder / name))[0]


def atomic_output_files() -> None:
    """Make Gradio write output images and bytes atomically (call once, before serving).

    Gradio 6 saves each output image under a path named by its content hash with
    ``write_bytes`` (truncate, then write), even when that file exists. When two
    sessions produce the same image at once (a room of students clicking the same
    example with the same seed), one rewrites the file while it is being sent to
    the other, whose download then breaks ("peer closed connection ... received 0
    bytes", seen in ``benchmarks/load.py``). Gradio already copies input files this
    way (temporary name, then rename); this does the same for outputs.
    """
    processing_utils.save_pil_to_cache = _save_pil_to_cache
    processing_utils.save_bytes_to_cache = _save_bytes_to_cache


def allowed_paths() -> list[str]:
    """Folders Gradio may serve files from: the example images."""
    return [str(_examples_dir())]


def launch_alone(demo: gr.Blocks) -> None:
    """``python -m demos.<tab>``: serve one tab on its own."""
    atomic_output_files()
    demo.queue(default_concurrency_limit=1, max_size=32).launch(allowed_paths=allowed_paths())
