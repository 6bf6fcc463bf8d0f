"""The one progress report of every engine, and how a caller ends a run early.

Every iterative engine of :mod:`synth` (Heeger & Bergen, neural textures, style
transfer, translation, GAN walks, the 2-D GAN, the trainers) calls
``callback(progress)`` with a :class:`Progress`: the command line turns it into a
progress bar, the tabs into a streamed image and a status line, tests into
assertions (the shape of crowsonkb's style-transfer callbacks).

A callback may end a run in two ways:

* raise :class:`StopEarly`: the engine stops where it is and *returns its current
  result* (a time budget on a shared server, "good enough" in a notebook);
* raise anything else (e.g. :class:`synth.streaming.Cancelled` when the user pressed
  Stop): the exception propagates and there is no result.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from torch import Tensor

__all__ = ["Callback", "Progress", "StopEarly", "report"]


@dataclass(frozen=True)
class Progress:
    """Where a run is.

    Attributes
    ----------
    step, total
        Units of work done and planned (loss evaluations, iterations, frames, tiles,
        training steps); ``step == total`` at the end.
    stage
        What is running, for a status line ("scale 2/3 · 256×192", "statistics",
        "training"); empty when there is one stage.
    image
        The current result, (1, C, H, W) or (C, H, W) float in [0, 1] on the CPU, or
        ``None`` where there is none to show yet.
    losses
        Named loss terms (or other scalars) at this step, unweighted.
    views
        Further named pictures in [0, 1] on the CPU (a trainer's preview grid, the
        discriminator's patch map).
    """

    step: int
    total: int
    stage: str = ""
    image: Tensor | None = None
    losses: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    views: Mapping[str, Tensor] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def fraction(self) -> float:
        """``step / total`` in [0, 1] (1 when ``total`` is 0)."""
        return min(1.0, self.step / self.total) if self.total > 0 else 1.0

    @property
    def loss(self) -> float:
        """The sum of :attr:`losses` (0 when there are none)."""
        return float(sum(self.losses.values()))


#: What engines call: anything that takes a :class:`Progress` (its return value is ignored).
Callback = Callable[[Progress], object]


class StopEarly(Exception):
    """Raised by a callback to end a run early; the engine returns its current result."""


def report(callback: Callback | None, progress: Progress) -> None:
    """Call ``callback`` (if any) with ``progress``; :class:`StopEarly` and errors propagate."""
    if callback is not None:
        callback(progress)
