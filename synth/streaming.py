"""Turn a callback-style engine into a generator: cancellation, a time budget, a consumer that left.

Every engine of :mod:`synth` reports progress through ``callback(progress)``. A web UI
wants a generator it can iterate (and close when the user presses Stop); :func:`stream`
runs the engine in a worker thread and yields each progress object as it arrives,
then ``Done(result, early)``. The worker is stopped at its next progress report when:

* the consumer closes the generator, or ``stop`` is set (a newer run replaced it, the
  page was closed): :class:`Cancelled` is raised inside the engine, nothing is returned;
* ``budget`` seconds have passed: :class:`synth.progress.StopEarly` is raised inside the
  engine, which returns its current result (``Done.early`` is then true);
* the consumer has not taken an item for ``idle`` seconds (it went away without
  closing the generator): cancelled.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .progress import StopEarly

__all__ = ["Cancelled", "Done", "stream"]

R = TypeVar("R")


class Cancelled(Exception):
    """Raised inside a worker whose consumer stopped listening."""


@dataclass(frozen=True)
class Done(Generic[R]):
    """The last item :func:`stream` yields: the engine's return value.

    ``early`` is true when the time budget ended the run and ``result`` is what the
    engine had by then.
    """

    result: R
    early: bool = False


def _offer(items: queue.Queue, item: tuple[str, Any], timeout: float) -> None:
    """Put ``item`` unless nobody takes items any more (then drop it: the consumer has gone)."""
    try:
        items.put(item, timeout=timeout)
    except queue.Full:
        pass


def stream(
    method: Callable[..., R],
    /,
    *args: Any,
    stop: threading.Event | None = None,
    budget: float | None = None,
    idle: float = 120.0,
    **kwargs: Any,
) -> Generator[Any, None, None]:
    """Run ``method(*args, callback=..., **kwargs)`` in a thread; yield its progress, then ``Done``.

    Exceptions of the engine are re-raised in the consumer. The iteration ends without
    ``Done`` when the run was cancelled (see the module docstring).
    """
    items: queue.Queue = queue.Queue(maxsize=4)  # bounded: a consumer that stops taking items stops the engine
    cancelled = threading.Event()  # this run's own: ``stop`` may be shared by several runs of one job
    deadline = None if budget is None else time.monotonic() + budget
    early = threading.Event()

    def put(item: tuple[str, Any]) -> None:
        try:
            items.put(item, timeout=idle)
        except queue.Full:
            cancelled.set()
            raise Cancelled from None

    def callback(progress: Any) -> None:
        if cancelled.is_set() or (stop is not None and stop.is_set()):
            raise Cancelled
        if deadline is not None and not early.is_set() and time.monotonic() > deadline:
            early.set()
            raise StopEarly
        put(("progress", progress))

    def work() -> None:
        try:
            result = method(*args, callback=callback, **kwargs)
            put(("done", Done(result, early.is_set())))
        except (Cancelled, StopEarly):  # StopEarly escaping: the engine keeps no partial result
            _offer(items, ("cancelled", None), idle)
        except BaseException as err:  # handed to the consumer, raised there
            _offer(items, ("error", err), idle)

    worker = threading.Thread(target=work, daemon=True, name=f"stream-{getattr(method, '__name__', 'method')}")
    worker.start()
    try:
        while True:
            try:
                kind, value = items.get(timeout=0.5)
            except queue.Empty:
                if not worker.is_alive() and items.empty():
                    return
                continue
            if kind == "progress":
                yield value
            elif kind == "done":
                yield value
                return
            elif kind == "error":
                raise value
            else:
                return
    finally:
        cancelled.set()
        while True:  # unblock a worker waiting to put
            try:
                items.get_nowait()
            except queue.Empty:
                break
