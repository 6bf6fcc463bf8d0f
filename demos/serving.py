"""Serving many visitors fairly: queue lanes, one job per session and tab, per-session caps,
time budgets, output files, and the rule that no server handler is hidden.

Gradio internals read here (pinned to the Gradio minor version in requirements.txt;
``tests/test_serving.py`` is the canary that fails if they move): the queue's pending
events per session (``Blocks._queue.pending_event_ids_session``) and the event list
(``Blocks.fns``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
from gradio.utils import get_upload_folder
from PIL import Image
from torch import Tensor

from demos.components import allowed_roots
from synth import limits
from synth.examples import examples_dir
from synth.images import to_pil
from synth.runtime import cpu_count
from synth.streaming import stream

__all__ = [
    "JOBS",
    "QUEUE_SIZE",
    "SESSION_EVENTS",
    "Jobs",
    "allowed_paths",
    "check_handlers",
    "RequestGate",
    "sanitise_files",
    "app_kwargs",
    "image_file",
    "job",
    "lane",
    "lanes",
    "launch_alone",
    "output_file",
    "output_files",
    "queued",
    "stream_job",
]


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
        "train": max(1, cores // 4),  # live training in the translation tabs: a minute of CPU per click
        "quick": cores,  # well under a second: GAN samples, re-rolls and walk grids, feature views
        "interactive": 2 * cores,  # the 2-D GAN: tiny steps, mostly waiting between frames
    }


def lane(name: str) -> dict[str, Any]:
    """``concurrency_id`` and ``concurrency_limit`` of the lane ``name``, for an event listener."""
    return {"concurrency_id": name, "concurrency_limit": lanes()[name]}


#: Events waiting in the queue, all tabs together. A full queue answers at once, and the
#: page shows Gradio's "This application is currently busy. Please try again."
QUEUE_SIZE = int(os.environ.get("SYNTH_QUEUE_SIZE", "48"))
#: Events one session may have waiting or running at once, all tabs together.
SESSION_EVENTS = int(os.environ.get("SYNTH_SESSION_EVENTS", "3"))


# ------------------------------------------------------------------ one job per session and tab
class Jobs:
    """The running job of each (session, tab): starting a new one stops the old one.

    A job holds a :class:`threading.Event`; :func:`synth.streaming.stream` checks it at
    every progress report, so a stopped job frees its CPU within one step.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[tuple[str, str], threading.Event] = {}

    def supersede(self, session: str | None, tab: str) -> bool:
        """Stop the session's running job of ``tab`` (a newer run was asked for); True if there was one."""
        with self._lock:
            stop = self._running.get((str(session), tab))
        if stop is not None:
            stop.set()
        return stop is not None

    def stop_session(self, session: str | None) -> int:
        """Stop every running job of ``session`` (its page was closed); returns how many."""
        with self._lock:
            stops = [stop for (owner, _), stop in self._running.items() if owner == str(session)]
        for stop in stops:
            stop.set()
        return len(stops)

    @contextmanager
    def running(self, session: str | None, tab: str) -> Iterator[threading.Event]:
        """Hold the slot of (session, tab) while the block runs; yields the job's stop event."""
        key, stop = (str(session), tab), threading.Event()
        with self._lock:
            previous = self._running.get(key)
            self._running[key] = stop
        if previous is not None:
            previous.set()
        try:
            yield stop
        finally:
            with self._lock:
                if self._running.get(key) is stop:
                    del self._running[key]


JOBS = Jobs()


#: Tab of every queued endpoint that runs a job (api_name -> tab), filled by :func:`queued`.
JOB_TABS: dict[str, str] = {}
#: Largest body a request to join the queue may have (the inputs of one event as JSON).
JOIN_BYTES = 8 * 2**20


def queued(api_name: str, *, tab: str, lane_name: str) -> dict[str, Any]:
    """Listener settings of a queued job of ``tab``: its ``api_name`` and its lane (see :class:`RequestGate`)."""
    JOB_TABS[api_name] = tab
    return {"api_name": api_name, **lane(lane_name)}


_CALLS = re.compile(r"/(queue/join|run/[^/]+|api/[^/]+|call/(v2/)?[^/]+)/?$")


def _outside(path: Any) -> bool:
    """Whether a file reference in a request names anything but an upload of this server or an example."""
    if not isinstance(path, str) or "://" in path or len(path) > 4096:
        return True
    real = Path(os.path.realpath(path))
    return not any(real.is_relative_to(root) for root in allowed_roots())


def sanitise_files(arguments: list | dict) -> bool:
    """Disarm every file reference among a request's arguments that is not an upload of this server.

    Gradio copies a file named with upload metadata into its cache from anywhere the
    server can read (and fetches a URL), before any component sees it. A top-level
    argument keeps its path but loses the metadata, so the component refuses it with
    :data:`demos.components.REFUSED_PATH`; a reference nested in an argument is replaced
    by nothing (an image editor's background or composite) or dropped from its list (its
    layers), so the editor is empty. Returns whether anything changed.
    """
    changed = False

    def disarmed(value: Any) -> bool:
        return isinstance(value, dict) and ("path" in value or "url" in value) and _outside(value.get("path"))

    def nested(value: Any) -> Any:
        nonlocal changed
        if disarmed(value):
            changed = True
            return None
        if isinstance(value, dict):
            return {key: nested(item) for key, item in value.items()}
        if isinstance(value, list):  # an editor's layers: a list of files, dropped from it
            kept = [nested(item) for item in value if not disarmed(item)]
            changed = changed or len(kept) != len(value)
            return kept
        return value

    keys = range(len(arguments)) if isinstance(arguments, list) else list(arguments)
    for key in keys:
        value = arguments[key]  # type: ignore[index]
        if disarmed(value):
            arguments[key] = {"path": value.get("path") if isinstance(value.get("path"), str) else None}  # type: ignore[index]
            changed = True
        else:
            arguments[key] = nested(value)  # type: ignore[index]
    return changed


class RequestGate:
    """ASGI middleware in front of every Gradio call (``queue/join``, ``run/*``, ``api/*``, ``call/*``).

    Before Gradio reads a request it:

    * disarms file references that are not uploads of this server (:func:`sanitise_files`);
    * refuses event data without the click's ``index`` and ``value`` for an event that
      reads a click (HTTP 422; Gradio would fail on it with a traceback);
    * refuses a queued call (HTTP 429, our message) when its session already has
      :data:`SESSION_EVENTS` events waiting or running; a call without a session (a
      raw ``/call/``) is given one per client address, so the cap holds for it too;
    * stops the session's running job of the same tab, so that a new Run replaces the
      old one instead of waiting behind it (a lane runs one job at a time on 2 cores).

    The inputs themselves are checked later by the components, as for every call.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        match = _CALLS.search(scope.get("path", "")) if scope["type"] == "http" and scope.get("method") == "POST" else None
        if match is None:
            await self.app(scope, receive, send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > JOIN_BYTES:
                await _answer(send, 413, f"The request is larger than {JOIN_BYTES // 2**20} MB; upload files instead of sending them inline.")
                return
        try:
            request = json.loads(body)
        except ValueError:
            request = None
        if isinstance(request, dict):
            refusal, body = self._inspect(scope, request, match.group(1), body)
            if refusal:
                await _answer(send, *refusal)
                return
            scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k != b"content-length"] + [(b"content-length", str(len(body)).encode())]}
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    @staticmethod
    def _inspect(scope: dict, request: dict, route: str, body: bytes) -> tuple[tuple[int, str] | None, bytes]:
        v2 = route.startswith("call/v2/")
        arguments = request if v2 else request.get("data")
        changed = isinstance(arguments, (list, dict)) and sanitise_files(arguments)
        queued = route == "queue/join" or route.startswith("call/")
        if queued and not v2 and not isinstance(request.get("session_hash"), str):
            client = scope.get("client") or ("unknown", 0)
            request["session_hash"] = f"client-{client[0]}"
            changed = True
        if changed:
            body = json.dumps(request).encode()
        try:
            blocks = scope["app"].get_blocks()
            index = request.get("fn_index")
            if isinstance(index, int) and not isinstance(index, bool):
                fn = blocks.fns.get(index)
            else:
                name = route.rsplit("/", 1)[-1]
                fn = next((f for f in blocks.fns.values() if f.api_name == name), None)
        except (AttributeError, KeyError, TypeError):
            return None, body
        if fn is None:
            return None, body
        event = request.get("event_data")
        if fn.collects_event_data and not (isinstance(event, dict) and "index" in event and "value" in event):
            return (422, "This event needs the data of a click (the cell's index and value)."), body
        session = request.get("session_hash")
        if not queued or not isinstance(session, str):
            return None, body
        pending = len(blocks._queue.pending_event_ids_session.get(session, ()))
        if pending >= SESSION_EVENTS:
            return (429, f"You already have {pending} runs waiting or running; wait for one to finish (or press Stop)."), body
        tab = JOB_TABS.get(str(fn.api_name))
        if tab is not None:
            JOBS.supersede(session, tab)
        return None, body


async def _answer(send: Callable, status: int, detail: str) -> None:
    payload = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})


def app_kwargs() -> dict[str, Any]:
    """What ``launch(app_kwargs=...)`` needs: the :class:`RequestGate` middleware."""
    from starlette.middleware import Middleware

    return {"middleware": [Middleware(RequestGate)]}


def stream_job(
    method: Callable[..., Any], /, *args: Any, tab: str, request: gr.Request | None, seconds: float | None = None, **kwargs: Any
) -> Iterator[Any]:
    """:func:`synth.streaming.stream` in the session's one job slot of ``tab``, within a time budget.

    Yields the engine's progress, then ``Done(result, early)``; ``early`` is true when
    the budget (default :attr:`synth.limits.Limits.seconds`) ended the run with its
    current result. When the session starts another run of this tab, or closes its
    page, the iteration simply ends (no ``Done``).
    """
    budget = limits.current().seconds if seconds is None else seconds
    with job(tab, request) as stop:
        yield from stream(method, *args, stop=stop, budget=budget, **kwargs)


@contextmanager
def job(tab: str, request: gr.Request | None) -> Iterator[threading.Event]:
    """The session's one job slot of ``tab`` (see :class:`Jobs`), for handlers that stream several engine runs."""
    with JOBS.running(request.session_hash if request is not None else None, tab) as stop:
        yield stop


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
        if fn.fn is not None and fn.api_visibility != "public" and not _gradio_examples(fn) and fn.fn is not _on_unload
    ]
    if hidden:
        raise RuntimeError(f"server handlers that are not public API endpoints: {', '.join(hidden)}; give them an api_name or make them js")


def _on_unload(request: gr.Request) -> None:
    """The page of this session was closed: stop its jobs (Gradio tells us through ``unload``)."""
    if request is not None:
        JOBS.stop_session(request.session_hash)


def stop_jobs_on_unload(app: gr.Blocks) -> None:
    """Stop a session's running jobs when its page is closed."""
    app.unload(_on_unload)


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
