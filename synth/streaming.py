"""Turn a callback-style iterative method into a generator, with cancellation.

Every iterative method in :mod:`synth` reports progress through
``callback(progress)``. A web UI wants a generator it can iterate (and close when
the user presses Stop); :func:`stream` runs the method in a worker thread and yields
each progress object as it arrives, then the method's result. Closing the
generator makes the next callback raise :class:`Cancelled` inside the worker, so a
stopped run frees its CPU within one step.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

__all__ = ["Cancelled", "Done", "stream"]

R = TypeVar("R")


class Cancelled(Exception):
    """Raised inside a worker whose consumer stopped listening."""


@dataclass(frozen=True)
class Done(Generic[R]):
    """The last item :func:`stream` yields: the method's return value."""

    result: R


def stream(method: Callable[..., R], /, *args: Any, **kwargs: Any) -> Generator[Any, None, None]:
    """Run ``method(*args, callback=..., **kwargs)`` in a thread; yield its progress, then ``Done(result)``.

    Exceptions of the method are re-raised in the consumer. If the consumer closes
    the generator early, the method is cancelled at its next callback.
    """
    items: queue.Queue = queue.Queue()
    stop = threading.Event()

    def callback(progress: Any) -> None:
        if stop.is_set():
            raise Cancelled
        items.put(("progress", progress))

    def work() -> None:
        try:
            items.put(("done", method(*args, callback=callback, **kwargs)))
        except Cancelled:
            items.put(("cancelled", None))
        except BaseException as err:  # handed to the consumer, raised there
            items.put(("error", err))

    worker = threading.Thread(target=work, daemon=True, name=f"stream-{getattr(method, '__name__', 'method')}")
    worker.start()
    try:
        while True:
            kind, value = items.get()
            if kind == "progress":
                yield value
            elif kind == "done":
                yield Done(value)
                return
            elif kind == "error":
                raise value
            else:
                return
    finally:
        stop.set()
