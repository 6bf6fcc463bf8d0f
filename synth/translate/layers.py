"""Normalisation and dropout layers whose test-time behaviour is chosen per call.

The generators of pix2pix and CycleGAN are shared by every request of the app (one
cached model per device), so a request must not switch a shared model between
``train()`` and ``eval()``. Instead these layers read a per-call
:class:`TestTimeState` from a :class:`contextvars.ContextVar` (thread- and
task-local), set with :func:`test_time`:

* ``batch_stats``: BatchNorm normalises with the statistics of the batch in hand,
  as pix2pix does at test time (Isola et al. 2017, section 3.3: "we apply dropout
  at test time, and we apply batch normalization using the statistics of the test
  batch, rather than aggregated statistics of the training batch"), instead of its
  running averages;
* ``dropout``: a ``torch.Generator`` that draws the dropout masks (on the CPU, then
  moved, so a seed gives the same masks on every device); ``None`` turns dropout off;
* ``record`` / ``frozen``: normalisation statistics are recorded in one pass (e.g. a
  downscaled pass over the whole image) and reused in later passes (the tiles of a
  large image), so every tile is normalised alike and no seams appear.

In ``train()`` mode (the trainers of :mod:`synth.train`) the layers train as
``torch.nn``'s do, and the per-call state is not consulted: BatchNorm normalises with
the batch's statistics and updates its running averages; dropout is on, its masks
drawn from the generator of :func:`training_noise` (so concurrent trainings in one
process do not share a random stream), or from torch's global generator where none
is set.

Class names and parameters equal ``torch.nn``'s, so ``state_dict()`` keys and shapes
are those of the official checkpoints.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "TestTimeState",
    "test_time",
    "training_noise",
    "Statistics",
    "InstanceNorm2d",
    "BatchNorm2d",
    "Dropout",
    "Norm",
    "norm_layer",
]

#: The normalisations of the official generators and discriminators (``--norm``).
Norm = Literal["batch", "instance"]

#: Per-module normalisation statistics: module -> (mean, biased variance), float32,
#: shaped to broadcast over (B, C, H, W): (B, C) for instance norm, (1, C) for batch norm.
Statistics = dict[nn.Module, tuple[torch.Tensor, torch.Tensor]]


@dataclass(frozen=True)
class TestTimeState:
    """How normalisation and dropout layers behave during one call (see module docstring).

    Frozen: a call derives its own with ``dataclasses.replace``, so the default shared
    by every context can never be changed by one of them.
    """

    batch_stats: bool = False
    dropout: torch.Generator | None = None
    record: Statistics | None = None
    frozen: Statistics | None = None


#: What layers do outside :func:`test_time`: the module's own behaviour.
AS_TRAINED = TestTimeState()
_STATE: contextvars.ContextVar[TestTimeState] = contextvars.ContextVar("synth_translate_state", default=AS_TRAINED)


@contextlib.contextmanager
def test_time(state: TestTimeState) -> Iterator[TestTimeState]:
    """Run the block with ``state`` for every layer of this module (this thread/task only)."""
    token = _STATE.set(state)
    try:
        yield state
    finally:
        _STATE.reset(token)


_NOISE: contextvars.ContextVar[torch.Generator | None] = contextvars.ContextVar("synth_training_noise", default=None)


@contextlib.contextmanager
def training_noise(generator: torch.Generator | None) -> Iterator[None]:
    """Draw the masks of :class:`Dropout` layers in ``train()`` mode from ``generator`` (a CPU
    generator) in this block (this thread/task only)."""
    token = _NOISE.set(generator)
    try:
        yield
    finally:
        _NOISE.reset(token)


def _normalise(x: torch.Tensor, mean: torch.Tensor, var: torch.Tensor, eps: float, weight, bias) -> torch.Tensor:
    """(x - mean) / sqrt(var + eps) * weight + bias, computed in float32, returned in x's dtype."""
    scale = torch.rsqrt(var.to(x.device) + eps)
    shift = -mean.to(x.device) * scale
    if weight is not None:
        scale = scale * weight.float()
        shift = shift * weight.float() + bias.float()
    return torch.addcmul(shift[..., None, None], x.float(), scale[..., None, None]).to(x.dtype)


def _stats(x: torch.Tensor, dims: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    var, mean = torch.var_mean(x.float(), dim=dims, correction=0)
    return mean, var


class InstanceNorm2d(nn.InstanceNorm2d):
    """``nn.InstanceNorm2d`` (Ulyanov et al. 2016) whose statistics can be recorded and frozen."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        state = _STATE.get()
        if state.frozen is not None and self in state.frozen:
            mean, var = state.frozen[self]
        elif state.record is not None:
            mean, var = state.record[self] = _stats(x, (2, 3))
        else:
            return super().forward(x)
        return _normalise(x, mean, var, self.eps, self.weight, self.bias)


class BatchNorm2d(nn.BatchNorm2d):
    """``nn.BatchNorm2d`` (Ioffe & Szegedy 2015) whose test-time behaviour is chosen per call.

    In ``train()`` mode it is ``nn.BatchNorm2d``: batch statistics, running averages
    updated. In ``eval()`` mode it never updates its running statistics and normalises
    with them unless the call's state asks for the batch's own statistics (pix2pix's
    test-time mode); those can be recorded and frozen like :class:`InstanceNorm2d`'s.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            return super().forward(x)
        state = _STATE.get()
        if not state.batch_stats:
            return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, False, 0.0, self.eps)
        if state.frozen is not None and self in state.frozen:
            mean, var = state.frozen[self]
        else:
            mean, var = _stats(x, (0, 2, 3))
            mean, var = mean[None], var[None]
            if state.record is not None:
                state.record[self] = (mean, var)
        return _normalise(x, mean, var, self.eps, self.weight, self.bias)


class Dropout(nn.Dropout):
    """Dropout (Srivastava et al. 2014) drawing its masks from an explicit generator.

    In ``eval()`` mode it is on only when the call's state gives a generator; in
    ``train()`` mode it is always on, with the generator of :func:`training_noise`
    (torch's global one where none is set). Masks are drawn on the CPU and moved to
    the input's device, so a seed reproduces them on every device and concurrent
    calls do not share a random stream.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and _NOISE.get() is None:
            return super().forward(x)
        generator = _NOISE.get() if self.training else _STATE.get().dropout
        if generator is None or self.p == 0:
            return x
        keep = torch.rand(x.shape, generator=generator) >= self.p
        return x * keep.to(device=x.device, dtype=x.dtype) * (1.0 / (1.0 - self.p))


def norm_layer(kind: Norm, channels: int, *, affine: bool = False) -> nn.Module:
    """The official code's norm layer: ``"batch"`` is affine BatchNorm with running
    statistics, ``"instance"`` InstanceNorm without running statistics and, unless
    ``affine`` (the vintagify variant), without parameters (``get_norm_layer`` in
    ``models/networks.py``). Convolutions followed by batch norm carry no bias there;
    with instance norm they do."""
    if kind == "batch":
        return BatchNorm2d(channels)
    if kind == "instance":
        return InstanceNorm2d(channels, affine=affine, track_running_stats=False)
    raise ValueError(f"norm must be 'batch' or 'instance', got {kind!r}")
