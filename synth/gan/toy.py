"""A GAN in two dimensions, trained live: the generator as a distribution transformer.

The lecture's picture of a GAN: z from a simple 2-D distribution (Gaussian or
uniform), a small MLP G that moves every z to a point G(z) in the plane, and an MLP D
that tells real points from generated ones. Training (Goodfellow et al. 2014, eq. 1)
alternates one step of D on

    L_D = -E_x[log D(x)] - E_z[log(1 - D(G(z)))]

with one step of G on either the minimax objective ``E_z[log(1 - D(G(z)))]`` or the
non-saturating one ``-E_z[log D(G(z))]`` (sec. 3 of the paper: the minimax gradient
vanishes early in training, when D rejects the fakes with confidence). Because
everything is 2-D, the views in :mod:`synth.gan.toy_view` show real and generated
points, D's decision surface and the image of a regular z-grid under G, after
Kahng et al., *GAN Lab* (IEEE VIS 2018).

References
----------
Goodfellow et al. (2014), *Generative Adversarial Nets*, NeurIPS, arXiv:1406.2661.
Metz et al. (2017), *Unrolled GANs*, arXiv:1611.02163 (the ring of 8 Gaussians).
Kahng et al. (2018), *GAN Lab*, arXiv:1809.01587.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .. import limits
from ..options import Options, option
from ..progress import Callback, Progress, StopEarly, report

__all__ = [
    "TARGETS",
    "EXTENT",
    "RING_RADIUS",
    "RING_SIGMA",
    "ToyGAN",
    "ToyOptions",
    "train",
    "ring_centres",
    "modes_covered",
    "points_from_mask",
]

Target = Literal["ring", "moons", "spiral", "line", "drawn"]
Noise = Literal["gaussian", "uniform"]
Loss = Literal["non-saturating", "minimax"]

TARGETS: tuple[str, ...] = get_args(Target)
EXTENT = 3.0  # the views show the square [-3, 3]^2
RING_RADIUS = 2.0
RING_SIGMA = 0.1  # wide enough to see each mode as a blob when projected
MAX_DRAWN_POINTS = 5000


def ring_centres(k: int = 8, radius: float = RING_RADIUS) -> Tensor:
    """Centres of the ring of ``k`` Gaussians: (k, 2)."""
    angles = torch.arange(k) * (2 * math.pi / k)
    return torch.stack([radius * torch.cos(angles), radius * torch.sin(angles)], dim=1)


def _ring(n: int, gen: torch.Generator) -> Tensor:
    centres = ring_centres()
    return centres[torch.randint(len(centres), (n,), generator=gen)] + RING_SIGMA * torch.randn(n, 2, generator=gen)


def _moons(n: int, gen: torch.Generator) -> Tensor:
    t = math.pi * torch.rand(n, generator=gen)
    upper = torch.rand(n, generator=gen) < 0.5
    x = torch.where(upper, torch.cos(t), 1 - torch.cos(t))
    y = torch.where(upper, torch.sin(t), 0.5 - torch.sin(t))
    points = torch.stack([x - 0.5, y - 0.25], dim=1) * 1.6
    return points + 0.06 * torch.randn(n, 2, generator=gen)


def _spiral(n: int, gen: torch.Generator) -> Tensor:
    t = torch.sqrt(torch.rand(n, generator=gen)) * 3 * math.pi  # uniform along the arc, roughly
    radius = 0.25 + 2.2 * t / (3 * math.pi)
    points = torch.stack([radius * torch.cos(t), radius * torch.sin(t)], dim=1)
    return points + 0.05 * torch.randn(n, 2, generator=gen)


def _line(n: int, gen: torch.Generator) -> Tensor:
    t = 4 * torch.rand(n, generator=gen) - 2
    points = torch.stack([t, 0.5 * t], dim=1)
    return points + 0.03 * torch.randn(n, 2, generator=gen)


_SAMPLERS: dict[str, Callable[[int, torch.Generator], Tensor]] = {
    "ring": _ring,
    "moons": _moons,
    "spiral": _spiral,
    "line": _line,
}


def points_from_mask(mask: np.ndarray, *, extent: float = EXTENT, max_points: int = MAX_DRAWN_POINTS) -> Tensor:
    """Points in data coordinates from a drawing: every True pixel of an (H, W) mask.

    Pixel (0, 0) is the top-left corner of the square ``[-extent, extent]^2`` (y up).
    More than ``max_points`` pixels are thinned evenly.
    """
    mask = np.asarray(mask, dtype=bool)
    if mask.ndim != 2:
        raise ValueError(f"expected a 2-D mask, got shape {mask.shape}")
    rows, cols = np.nonzero(mask)
    if len(rows) < 10:
        raise ValueError(f"draw some strokes first: found {len(rows)} drawn pixels, need at least 10")
    if len(rows) > max_points:
        keep = np.linspace(0, len(rows) - 1, max_points).round().astype(int)
        rows, cols = rows[keep], cols[keep]
    height, width = mask.shape
    x = (cols + 0.5) / width * 2 * extent - extent
    y = extent - (rows + 0.5) / height * 2 * extent
    return torch.tensor(np.stack([x, y], axis=1), dtype=torch.float32)


def modes_covered(points: Tensor, centres: Tensor, sigma: float = RING_SIGMA, *, min_fraction: float = 0.01) -> int:
    """How many modes hold at least ``min_fraction`` of the points within 3 sigma of their centre.

    The usual mode-coverage count on the ring of Gaussians (Srivastava et al. 2017, VEEGAN, sec. 5.1).
    """
    distances = torch.cdist(points.float(), centres.float())  # (N, K)
    near = distances < 3 * sigma
    return int((near.float().mean(dim=0) >= min_fraction).sum())


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run torch on one thread in this block (the setting is per calling thread).

    Networks this small are fastest on one thread; with several threads fighting over
    shared CPUs (a free Space, a busy laptop) each step is up to 10x slower.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def mlp(width: int, depth: int, out: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    size = 2
    for _ in range(depth):
        layers += [nn.Linear(size, width), nn.LeakyReLU(0.2)]
        size = width
    layers.append(nn.Linear(size, out))
    return nn.Sequential(*layers)


@dataclass(frozen=True)
class ToyOptions(Options):
    """Settings of :class:`ToyGAN` and :func:`train`.

    ``target`` is the real distribution: ``"ring"`` (8 Gaussians), ``"moons"``,
    ``"spiral"``, ``"line"`` or ``"drawn"`` (given points, sampled with a little
    jitter); ``noise`` is p(z); ``loss`` the generator's objective (Goodfellow et al.
    2014, sec. 3). Adam's betas are 0.5, 0.999 as in DCGAN.
    """

    target: Target = option("ring", help="the real distribution ('drawn': points given by the caller)")
    noise: Noise = option("gaussian", help="p(z): standard Gaussian or uniform on [-1, 1]^2")
    loss: Loss = option("non-saturating", help="generator objective: -log D(G(z)) or the minimax log(1 - D(G(z)))")
    lr_g: float = option(2e-3, above=0, high=0.1, help="Adam learning rate of G")
    lr_d: float = option(2e-3, above=0, high=0.1, help="Adam learning rate of D")
    batch_size: int = option(256, low=1, high=65_536, help="points per step")
    width: int = option(64, low=1, high=1024, help="hidden units per layer of both MLPs")
    depth: int = option(3, low=1, high=16, help="hidden layers of both MLPs")
    seed: int = option(0, low=0, high=2**63 - 1, help="seeds the networks, the data and the noise: the same seed gives the same run")
    # A few seconds on a CPU; with the defaults it covers at least 6 of the ring's 8 modes
    # (tests/test_gan_toy.py).
    steps: int = option(1000, low=0, high=100_000, help="training steps of train() (the tab trains frame by frame instead)")


class ToyGAN:
    """A generator and a discriminator on 2-D points, trained one step at a time.

    Parameters
    ----------
    options, **changes
        :class:`ToyOptions`, or its fields as keywords, or both (``steps`` is
        :func:`train`'s).
    points
        The real points of the ``"drawn"`` target, (N, 2) with N >= 10.
    """

    def __init__(self, options: ToyOptions | None = None, /, *, points: Tensor | None = None, **changes: object) -> None:
        opts = ToyOptions.of(options, changes)
        if opts.target == "drawn":
            if points is None or len(points) < 10:
                raise ValueError("the 'drawn' target needs at least 10 points (draw on the canvas)")
            points = torch.as_tensor(points, dtype=torch.float32)
            if points.ndim != 2 or points.shape[1] != 2:
                raise ValueError(f"drawn points must have shape (N, 2), got {tuple(points.shape)}")
        self.options, self.points = opts, points
        self.gen = torch.Generator().manual_seed(opts.seed)
        torch_state = torch.random.get_rng_state()
        torch.manual_seed(opts.seed)  # network initialisation
        self.G, self.D = mlp(opts.width, opts.depth, 2), mlp(opts.width, opts.depth, 1)
        torch.random.set_rng_state(torch_state)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=opts.lr_g, betas=(0.5, 0.999))
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=opts.lr_d, betas=(0.5, 0.999))
        self.step_count = 0
        self.history: list[tuple[int, float, float]] = []  # (step, D loss, G loss)
        view = torch.Generator().manual_seed(opts.seed + 1)  # fixed points for the views
        self.view_real = self.sample_real(600, view)
        self.view_z = self.sample_z(600, view)

    def set_options(self, *, loss: Loss | None = None, lr_g: float | None = None, lr_d: float | None = None) -> None:
        """Change the generator objective or learning rates between steps (the lecture's knobs)."""
        changes = {name: value for name, value in (("loss", loss), ("lr_g", lr_g), ("lr_d", lr_d)) if value is not None}
        self.options = self.options.replace(**changes)
        for optimizer, lr in ((self.opt_g, self.options.lr_g), (self.opt_d, self.options.lr_d)):
            for group in optimizer.param_groups:
                group["lr"] = lr

    def sample_real(self, n: int, gen: torch.Generator | None = None) -> Tensor:
        gen = gen or self.gen
        if self.options.target == "drawn":
            assert self.points is not None
            picked = self.points[torch.randint(len(self.points), (n,), generator=gen)]
            return picked + 0.03 * torch.randn(n, 2, generator=gen)
        return _SAMPLERS[self.options.target](n, gen)

    def sample_z(self, n: int, gen: torch.Generator | None = None) -> Tensor:
        gen = gen or self.gen
        if self.options.noise == "uniform":
            return 2 * torch.rand(n, 2, generator=gen) - 1
        return torch.randn(n, 2, generator=gen)

    def step(self, n: int = 1) -> tuple[float, float]:
        """``n`` alternating updates of D then G; returns the last (D loss, G loss).

        ``n`` is capped by :func:`synth.limits.check_steps` (one call, one request)."""
        if isinstance(n, float) and not n.is_integer():
            raise ValueError(f"the number of training steps must be a whole number, got {n}")
        n = int(n)
        if n < 0:
            raise ValueError(f"the number of training steps must be >= 0, got {n}")
        limits.check_steps(n, "the number of training steps per call")
        with one_thread():
            return self._steps(n)

    def _steps(self, n: int) -> tuple[float, float]:
        d_value = g_value = float("nan")
        with torch.enable_grad():
            for _ in range(n):
                real = self.sample_real(self.options.batch_size)
                fake = self.G(self.sample_z(self.options.batch_size))
                logits_real, logits_fake = self.D(real), self.D(fake.detach())
                d_loss = F.softplus(-logits_real).mean() + F.softplus(logits_fake).mean()  # -log D(x) - log(1 - D(G(z)))
                self.opt_d.zero_grad(set_to_none=True)
                d_loss.backward()
                self.opt_d.step()

                logits = self.D(self.G(self.sample_z(self.options.batch_size)))
                if self.options.loss == "non-saturating":
                    g_loss = F.softplus(-logits).mean()  # -log D(G(z))
                else:
                    g_loss = -F.softplus(logits).mean()  # log(1 - D(G(z)))
                self.opt_g.zero_grad(set_to_none=True)
                g_loss.backward()
                self.opt_g.step()
                self.step_count += 1
                d_value, g_value = d_loss.item(), g_loss.item()
                self.history.append((self.step_count, d_value, g_value))
        return d_value, g_value

    @torch.no_grad()
    def generate(self, z: Tensor | None = None) -> Tensor:
        """G(z) for the given z (default: the fixed z of the views)."""
        with one_thread():
            return self.G(self.view_z if z is None else z)

    @torch.no_grad()
    def decision(self, xy: Tensor) -> Tensor:
        """D(x) in (0, 1) (probability of "real") for points (N, 2)."""
        with one_thread():
            return torch.sigmoid(self.D(xy))[:, 0]


def train(options: ToyOptions | None = None, /, *, points: Tensor | None = None, callback: Callback | None = None, **changes: object) -> ToyGAN:
    """Train a :class:`ToyGAN` for ``steps`` steps (a few seconds on a CPU) and return it.

    ``callback`` receives a :class:`synth.progress.Progress` after every step (``losses``
    "D" and "G"); :class:`synth.progress.StopEarly` from it returns the GAN as it is.
    """
    opts = ToyOptions.of(options, changes)
    gan = ToyGAN(opts, points=points)
    for i in range(opts.steps):
        d_loss, g_loss = gan.step()
        try:
            report(callback, Progress(i + 1, opts.steps, "training", losses={"D": d_loss, "G": g_loss}))
        except StopEarly:
            break
    return gan


def summary(gan: ToyGAN) -> str:
    """One line for the UI: step, losses, and mode coverage on the ring."""
    if not gan.history:
        return "step 0: not trained yet"
    step, d_loss, g_loss = gan.history[-1]
    text = f"step {step}: D loss {d_loss:.3f} (2 ln 2 = 1.386 when D is fooled), G loss {g_loss:.3f}"
    if gan.options.target == "ring":
        covered = modes_covered(gan.generate(gan.sample_z(2000, torch.Generator().manual_seed(7))), ring_centres())
        text += f" · modes covered: {covered} of 8"
    return text
