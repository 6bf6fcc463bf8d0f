"""What the pix2pix and CycleGAN trainers share: random streams, optimiser, schedule,
precision, the loop with its progress reports, snapshots and early stop.

* **Randomness** is explicit: one seed gives named ``torch.Generator`` streams (initial
  weights, data order, dropout masks, the image pool, previews), so a run is
  reproducible bit for bit on the CPU with the same thread count, a preview never
  changes the training, and torch's global random state is left alone.
* **Optimiser**: Adam (Kingma & Ba 2015) with lr 2e-4 and betas (0.5, 0.999), the
  papers' and the official code's setting, in PyTorch's fused implementation where
  the device has one: the same update rule in one pass over the parameters instead
  of several (on a CPU the default per-tensor loop spends about as long on a
  U-Net-256's 54 M parameters as D's whole forward pass does).
* **Schedule**: the official ``lr_policy="linear"``: the learning rate is constant,
  then decays linearly over the last ``decay_fraction`` of the run (the official
  100 + 100 epochs: a half), by the official rule ``1 - max(0, t + 1 - n) / (m + 1)``
  for step t of n constant and m decaying steps, applied per step rather than per epoch.
* **Precision**: ``"fp32"``, or ``"bf16"`` autocast (forward passes and losses in
  bfloat16 where PyTorch's autocast lists the operation; weights, gradients and Adam
  in float32), chosen by the trainers' ``precision`` option and applied by
  :func:`synth.runtime.autocast`, the runtime's precision policy. Training stays
  float32 unless asked: no quality guard covers bfloat16 training yet.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..progress import Callback, Progress, StopEarly, report
from ..runtime import Mode
from ..translate.layers import TestTimeState, test_time

__all__ = [
    "Precision",
    "STREAMS",
    "streams",
    "adam",
    "decay_factor",
    "snapshot",
    "Loop",
    "grid",
    "patch_view",
    "paper_mode",
]

Precision = Mode  # the trainers take a resolved precision: fp32 or bf16

#: The named random streams of a run, in the order their seeds are drawn.
STREAMS = ("init_g", "init_f", "init_d", "init_d_b", "data", "data_b", "dropout", "pool", "preview")


def streams(seed: int) -> dict[str, torch.Generator]:
    """One CPU ``torch.Generator`` per name of :data:`STREAMS`, all derived from ``seed``."""
    root = torch.Generator().manual_seed(int(seed))
    seeds = torch.randint(0, 2**62, (len(STREAMS),), generator=root).tolist()
    return {name: torch.Generator().manual_seed(s) for name, s in zip(STREAMS, seeds)}


def adam(parameters: Iterable[nn.Parameter], lr: float, beta1: float, device: torch.device) -> torch.optim.Adam:
    """Adam with betas (``beta1``, 0.999), fused where ``device`` has the kernel (CPU, CUDA)."""
    fused = True if device.type in ("cpu", "cuda") else None
    return torch.optim.Adam(list(parameters), lr=lr, betas=(beta1, 0.999), fused=fused)


def decay_factor(step: int, steps: int, decay_fraction: float) -> float:
    """Learning-rate factor for 0-based ``step`` of ``steps``: 1, then linear towards 0 over the last
    ``decay_fraction`` of the steps (the official ``lambda_rule`` with ``epoch_count = 1``)."""
    decaying = round(steps * decay_fraction)
    constant = steps - decaying
    return 1.0 - max(0, step + 1 - constant) / float(decaying + 1)


def snapshot(networks: Mapping[str, nn.Module]) -> dict[str, dict[str, Tensor]]:
    """A detached CPU copy of each network's ``state_dict()``."""
    return {name: {k: v.detach().to("cpu", copy=True) for k, v in net.state_dict().items()} for name, net in networks.items()}


@contextlib.contextmanager
def paper_mode(networks: Sequence[nn.Module], generator: torch.Generator) -> Iterator[None]:
    """Evaluate ``networks`` as pix2pix does at test time (Isola et al. 2017, section 3.3): dropout on
    (masks from ``generator``), batch norm with the batch's statistics, running statistics untouched.
    ``train()`` mode is restored afterwards; no gradients are recorded."""
    modes = [net.training for net in networks]
    try:
        for net in networks:
            net.eval()
        with torch.no_grad(), test_time(TestTimeState(batch_stats=True, dropout=generator)):
            yield
    finally:
        for net, mode in zip(networks, modes):
            net.train(mode)


def grid(rows: Sequence[Sequence[Tensor]]) -> Tensor:
    """Images (3, s, s) in [0, 1] laid out in rows -> (1, 3, rows * s, columns * s)."""
    return torch.cat([torch.cat(list(row), dim=-1) for row in rows], dim=-2)[None]


def patch_view(realness: Tensor, side: int) -> Tensor:
    """D's per-patch belief (1, 1, h, w) in [0, 1] (1 = real) as a grey (3, side, side) image, each
    patch's value spread over its share of the image."""
    return F.interpolate(realness.float(), size=(side, side), mode="nearest")[0].expand(3, side, side)


@dataclass
class Loop:
    """The training loop around a step function: schedule, history, snapshots, progress, early stop.

    ``step()`` runs one training iteration and returns its unweighted losses;
    ``preview()`` returns (image, views) for a progress report; ``networks`` are what a
    snapshot copies; ``optimisers`` get the learning-rate schedule.
    """

    steps: int
    step: Callable[[], dict[str, float]]
    optimisers: Sequence[torch.optim.Optimizer]
    networks: Mapping[str, nn.Module]
    lr: float
    decay_fraction: float
    snapshot_steps: Sequence[int] = ()
    preview: Callable[[], tuple[Tensor, dict[str, Tensor]]] | None = None
    preview_every: int = 50
    callback: Callback | None = None
    stage: str = "training"
    history: dict[str, list[float]] = field(default_factory=dict)
    snapshots: dict[int, dict[str, dict[str, Tensor]]] = field(default_factory=dict)
    done: int = 0
    stopped: bool = False

    def _report(self, losses: Mapping[str, float]) -> None:
        if self.callback is None:
            return
        image, views = None, {}
        if self.preview is not None and (self.done % self.preview_every == 0 or self.done == self.steps):
            image, views = self.preview()
        report(self.callback, Progress(self.done, self.steps, self.stage, image=image, losses=dict(losses), views=views))

    def run(self) -> Loop:
        """Train until ``steps`` or until the callback raises :class:`StopEarly`; returns ``self``."""
        wanted = set(self.snapshot_steps)
        if 0 in wanted:
            self.snapshots[0] = snapshot(self.networks)
        try:
            self._report({})
            while self.done < self.steps:
                factor = decay_factor(self.done, self.steps, self.decay_fraction)
                for optimiser in self.optimisers:
                    for group in optimiser.param_groups:
                        group["lr"] = self.lr * factor
                losses = self.step()
                self.done += 1
                for name, value in losses.items():
                    self.history.setdefault(name, []).append(value)
                if self.done in wanted:
                    self.snapshots[self.done] = snapshot(self.networks)
                self._report(losses)
        except StopEarly:
            self.stopped = True
        return self
