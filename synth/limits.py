"""Caps on the work one request may ask for, enforced in :mod:`synth` itself.

A public Space shares a 2-core CPU among everyone who visits, so each call is bounded:
pixels in and out, optimisation steps or iterations, animation frames, images per
batch. The caps live here, in the package, so the web app and the command line
enforce the same ones; ``SYNTH_LIMITS=off`` (the CLI's ``--no-limits``) lifts all but
the decode cap of :mod:`synth.images`, which protects against decompression bombs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

__all__ = ["Limits", "LimitExceeded", "DEFAULT", "FINISH_SECONDS", "current", "engine_seconds", "check_steps", "check_output", "check_frames", "check_batch"]


class LimitExceeded(ValueError):
    """A request above a cap; the message names the cap and how to lift it."""


@dataclass(frozen=True)
class Limits:
    """Per-call caps.

    Attributes
    ----------
    output_pixels
        Largest image a method may produce (width x height): 2048 x 2048.
    steps
        Most optimisation steps or synthesis iterations in one call.
    frames
        Most frames of one animation (latent walks).
    batch
        Most images generated in one call (a GAN grid).
    seconds
        Wall-clock budget of one job in the web app (optimisations, live training):
        when it is spent, the job stops and returns its current result. On 2 CPU
        cores the sliders' maxima of every optimisation tab finish or stop within it
        (measured: README, "Reliability").
    train_steps
        Most training iterations of one pix2pix or CycleGAN run (:mod:`synth.train`):
        at 64 pixels a step takes 0.03 s (pix2pix, ngf 16) to 0.3 s (CycleGAN at its lab
        defaults) on a 2-core CPU, so a capped run stays within seconds to minutes.
    train_size
        Largest side of the training images: the labs train at 64 pixels; 256 (the
        papers' size) costs about 16 times as much per step.
    """

    output_pixels: int = 2048 * 2048
    steps: int = 1000
    frames: int = 600
    batch: int = 64
    seconds: float = 90.0
    train_steps: int = 2000
    train_size: int = 128


DEFAULT = Limits()
_UNLIMITED = Limits(output_pixels=2**62, steps=2**62, frames=2**62, batch=2**62, seconds=float("inf"), train_steps=2**62, train_size=2**62)


def current() -> Limits:
    """The caps in force: :data:`DEFAULT`, or none with ``SYNTH_LIMITS=off``."""
    lifted = os.environ.get("SYNTH_LIMITS", "").strip().lower() in ("off", "0", "none", "false")
    return _UNLIMITED if lifted else DEFAULT


#: Of a job's wall-clock budget, what is kept for after the engine is told to stop: the
#: evaluation in flight (reports come at least every ``synth.optimize.REPORT_SECONDS``),
#: the result's rendering and the reply. Measured at the sliders' maxima on 2 cores:
#: 1-3 s (README, "Reliability").
FINISH_SECONDS = 5.0


def engine_seconds() -> float:
    """How long a web job's engine may run: :attr:`Limits.seconds` less :data:`FINISH_SECONDS`."""
    return max(1.0, current().seconds - FINISH_SECONDS)


def _refuse(what: str, value: int, cap: int) -> LimitExceeded:
    return LimitExceeded(f"{what} is {value:,}; the cap is {cap:,} (python -m synth --no-limits lifts it)")


def check_steps(steps: int, what: str = "the number of steps") -> int:
    """``steps`` if it is within :attr:`Limits.steps`, else :class:`LimitExceeded`."""
    if steps > current().steps:
        raise _refuse(what, steps, current().steps)
    return steps


def check_output(width: int, height: int, what: str = "the output") -> tuple[int, int]:
    """(width, height) if width x height is within :attr:`Limits.output_pixels`."""
    cap = current().output_pixels
    if width * height > cap:
        raise LimitExceeded(
            f"{what} would be {width}x{height} = {width * height:,} pixels; the cap is {cap:,} "
            f"(2048x2048; python -m synth --no-limits lifts it)"
        )
    return width, height


def check_frames(frames: int) -> int:
    """``frames`` if within :attr:`Limits.frames`."""
    if frames > current().frames:
        raise _refuse("the number of frames", frames, current().frames)
    return frames


def check_batch(count: int) -> int:
    """``count`` if within :attr:`Limits.batch`."""
    if count > current().batch:
        raise _refuse("the number of images", count, current().batch)
    return count
