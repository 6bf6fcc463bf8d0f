"""synth.streaming: a callback engine as a generator, stopped by Stop, a newer run, a time budget or a vanished consumer."""

from __future__ import annotations

import threading
import time

import pytest

from synth.progress import Progress, StopEarly
from synth.streaming import Done, stream


def counting(n: int, *, callback, pause: float = 0.0, log: list | None = None) -> int:
    """A toy engine: reports n steps, returns how many it did; StopEarly ends it with that count."""
    done = 0
    try:
        for step in range(1, n + 1):
            time.sleep(pause)
            done = step
            if log is not None:
                log.append(step)
            callback(Progress(step, n))
    except StopEarly:
        pass
    return done


def test_yields_progress_then_the_result() -> None:
    items = list(stream(counting, 5))
    assert [p.step for p in items[:-1]] == [1, 2, 3, 4, 5]
    assert items[-1] == Done(5, early=False)


def test_errors_reach_the_consumer() -> None:
    def broken(*, callback) -> None:
        callback(Progress(1, 2))
        raise ValueError("bad option")

    with pytest.raises(ValueError, match="bad option"):
        list(stream(broken))


def test_closing_the_generator_stops_the_engine_within_a_step() -> None:
    log: list[int] = []
    items = stream(counting, 1000, pause=0.005, log=log)
    next(items)
    items.close()
    time.sleep(0.3)
    stopped_at = len(log)
    time.sleep(0.3)
    assert len(log) == stopped_at < 1000


def test_a_stop_event_ends_the_iteration_without_a_result() -> None:
    stop = threading.Event()
    seen = []
    for item in stream(counting, 1000, pause=0.005, stop=stop):
        seen.append(item)
        if len(seen) == 3:
            stop.set()
    assert not any(isinstance(item, Done) for item in seen) and len(seen) < 20


def test_one_stop_event_serves_several_runs_of_a_job() -> None:
    stop = threading.Event()
    assert list(stream(counting, 3, stop=stop))[-1] == Done(3)
    assert list(stream(counting, 4, stop=stop))[-1] == Done(4), "a finished run must not stop the next one"
    stop.set()
    assert not any(isinstance(item, Done) for item in stream(counting, 5, stop=stop))


def test_the_time_budget_returns_the_partial_result() -> None:
    items = list(stream(counting, 10_000, pause=0.01, budget=0.3))
    last = items[-1]
    assert isinstance(last, Done) and last.early
    assert 5 < last.result < 10_000 and last.result in (items[-2].step, items[-2].step + 1)


def test_an_engine_that_ignores_stop_early_gives_no_result() -> None:
    def stubborn(*, callback) -> int:
        for step in range(10_000):
            time.sleep(0.01)
            callback(Progress(step, 10_000))
        return 1

    items = list(stream(stubborn, budget=0.2))
    assert items and not any(isinstance(item, Done) for item in items)


def test_a_consumer_that_stops_taking_items_stops_the_engine() -> None:
    log: list[int] = []
    items = stream(counting, 100_000, log=log, idle=0.2)
    next(items)  # ... and never again, without closing: the engine must not run to its end
    time.sleep(0.8)
    count = len(log)
    time.sleep(0.3)
    assert len(log) == count < 100
    items.close()
