"""Queue lanes and jobs: what may run at once, one job per session and tab, time budgets.

Every queued event names a lane (:func:`lane`) and every job a tab (:func:`queued`); a
job holds its session's slot of that tab while it runs (:func:`job`, :func:`stream_job`),
so a newer run of the same tab stops it (the request gate, :mod:`demos.gate`, does that
already when the newer run joins the queue), and it stops at the time budget of
:mod:`synth.limits` with its result so far.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import gradio as gr

from synth import limits
from synth.runtime import cpu_count
from synth.streaming import stream

__all__ = [
    "JOBS",
    "JOB_TABS",
    "QUEUE_SIZE",
    "SESSION_EVENTS",
    "PLOT_SECONDS",
    "Every",
    "Jobs",
    "job",
    "lane",
    "lanes",
    "on_unload",
    "queued",
    "stop_jobs_on_unload",
    "stream_job",
]


#: A streamed loss plot is redrawn at most this often, seconds: Gradio renders each one to a
#: PNG (about 75 ms for the tabs' 500 x 300 figure), taken from the optimisation's CPU.
PLOT_SECONDS = 1.0


class Every:
    """``True`` at most once per ``seconds`` (the first call is ``True``): thins out the
    redraws of an expensive streamed output, e.g. ``figure if plot() else gr.skip()``."""

    def __init__(self, seconds: float = PLOT_SECONDS) -> None:
        self.seconds, self._last = seconds, -math.inf

    def __call__(self) -> bool:
        now = time.monotonic()
        if now - self._last < self.seconds:
            return False
        self._last = now
        return True


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


def queued(api_name: str, *, tab: str, lane_name: str) -> dict[str, Any]:
    """Listener settings of a queued job of ``tab``: its ``api_name`` and its lane (see :class:`RequestGate`)."""
    JOB_TABS[api_name] = tab
    return {"api_name": api_name, **lane(lane_name)}


def stream_job(
    method: Callable[..., Any], /, *args: Any, tab: str, request: gr.Request | None, seconds: float | None = None, **kwargs: Any
) -> Iterator[Any]:
    """:func:`synth.streaming.stream` in the session's one job slot of ``tab``, within a time budget.

    Yields the engine's progress, then ``Done(result, early)``; ``early`` is true when
    the budget (default :func:`synth.limits.engine_seconds`, so that the whole job
    stays within :attr:`synth.limits.Limits.seconds`) ended the run with its current
    result. When the session starts another run of this tab, or closes its page, the
    iteration simply ends (no ``Done``).
    """
    budget = limits.engine_seconds() if seconds is None else seconds
    with job(tab, request) as stop:
        yield from stream(method, *args, stop=stop, budget=budget, **kwargs)


@contextmanager
def job(tab: str, request: gr.Request | None) -> Iterator[threading.Event]:
    """The session's one job slot of ``tab`` (see :class:`Jobs`), for handlers that stream several engine runs."""
    with JOBS.running(request.session_hash if request is not None else None, tab) as stop:
        yield stop


def on_unload(request: gr.Request) -> None:
    """The page of this session was closed: stop its jobs (Gradio tells us through ``unload``)."""
    if request is not None:
        JOBS.stop_session(request.session_hash)


def stop_jobs_on_unload(app: gr.Blocks) -> None:
    """Stop a session's running jobs when its page is closed."""
    app.unload(on_unload)


