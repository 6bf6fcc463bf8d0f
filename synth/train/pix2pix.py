"""Train pix2pix: a conditional GAN with an L1 term, on paired images.

Isola, Zhu, Zhou & Efros. *Image-to-Image Translation with Conditional Adversarial
Networks.* CVPR 2017. https://arxiv.org/abs/1611.07004

The objective is eq. 4, ``G* = arg min_G max_D L_cGAN(G, D) + lambda L_L1(G)``, with
``L_cGAN`` of eq. 1 (D sees the input x with the real y or with G(x)) and ``L_L1`` of
eq. 3; ``loss`` picks the terms of the paper's ablation (section 4.2, Table 1, Fig. 4):
``"l1"`` (no discriminator at all), ``"cgan"`` (lambda = 0) or ``"cgan+l1"``. Each
iteration follows the official ``optimize_parameters`` (``models/pix2pix_model.py``):
G(x) once; then one Adam step of D on ``(L(D(x, G(x)), fake) + L(D(x, y), real)) / 2``
("we divide the objective by 2 while optimizing D, which slows down the rate at which
D learns relative to G", section 3.3) with G(x) detached; then one Adam step of G on
``L(D(x, G(x)), real) + lambda |y - G(x)|`` with D frozen. D's two calls stay separate
because BatchNorm would normalise real and fake together otherwise. Dropout in the
generator is the noise z (section 2.1). No image pool (the official pix2pix sets
``pool_size=0``), no random jitter or mirroring of the images (the procedural sets
are drawn fresh; folders are used as they are).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch
from torch import Tensor, nn

from .. import runtime
from ..options import option
from ..progress import Callback
from ..translate.layers import training_noise
from .data import Direction, PairedImages, Sampler, from_model, paired_images
from .engine import Loop, adam, grid, paper_mode, patch_view, streams
from .losses import GANLoss, l1_loss
from .networks import build_discriminator, build_generator
from .options import TrainOptions

__all__ = ["Pix2PixOptions", "Pix2PixResult", "Pix2PixStep", "train_pix2pix", "PREVIEWS"]

Pix2PixLoss = Literal["cgan+l1", "cgan", "l1"]

#: Training pairs shown in a preview (the first ones of the set).
PREVIEWS = 4


@dataclass(frozen=True)
class Pix2PixOptions(TrainOptions):
    """Settings of a pix2pix run: :class:`~synth.train.options.TrainOptions` and the objective (Isola et al. 2017, eq. 4)."""

    loss: Pix2PixLoss = option("cgan+l1", help="objective: cgan+l1 (eq. 4), cgan (lambda = 0) or l1 (no discriminator)")
    lambda_l1: float = option(100.0, low=0.0, high=1e6, help="weight of the L1 term")
    direction: Direction = option("AtoB", help="AtoB or BtoA: which side of a pair is the input")

    @property
    def adversarial(self) -> bool:
        return self.loss != "l1"


@dataclass
class Pix2PixResult:
    """A trained pix2pix: modules on the CPU in ``eval()`` mode, without gradients.

    ``discriminator`` is ``None`` for ``loss="l1"``. ``history`` holds each loss term per
    step, unweighted: ``G_L1`` (mean |y - G(x)| on [-1, 1], reported for every ``loss``),
    ``G_GAN``, ``D_real``, ``D_fake``. ``snapshots[step]["G"]`` is the generator's
    ``state_dict`` at each requested step. ``steps`` is the number of iterations done
    (fewer than asked if a callback stopped the run).
    """

    generator: nn.Module
    discriminator: nn.Module | None
    options: Pix2PixOptions
    history: dict[str, list[float]]
    snapshots: dict[int, dict[str, dict[str, Tensor]]]
    steps: int
    data: str
    stopped: bool = False

    trainer = "pix2pix"

    def networks(self) -> dict[str, nn.Module]:
        """The trained networks by checkpoint name ("G", and "D" where there is one)."""
        return {"G": self.generator} | ({"D": self.discriminator} if self.discriminator is not None else {})

    def architectures(self) -> dict[str, dict]:
        """How to rebuild each network (:func:`synth.train.checkpoint.build_network`)."""
        return architectures(self.options)


def architectures(o: Pix2PixOptions) -> dict[str, dict]:
    """The architectures of a run with options ``o``, by network name."""
    out: dict[str, dict] = {"G": {"kind": "generator", "name": o.generator, "ngf": o.ngf, "norm": o.norm, "dropout": o.dropout}}
    if o.adversarial:
        out["D"] = {"kind": "discriminator", "name": o.discriminator, "in_channels": 6, "ndf": o.ndf, "norm": o.norm}
    return out


class Pix2PixStep:
    """One pix2pix training iteration on a batch (x, y), in the official order (see module docstring).

    Holds G, D (``None`` for ``loss="l1"``) and their optimisers; ``step(x, y)`` updates
    them and returns the unweighted losses. x and y are (B, 3, s, s) in [-1, 1].
    """

    def __init__(self, generator: nn.Module, discriminator: nn.Module | None, o: Pix2PixOptions, device: torch.device) -> None:
        self.generator, self.discriminator, self.options, self.device = generator, discriminator, o, device
        self.gan = GANLoss(o.gan_mode)
        self.optimiser_g = adam(generator.parameters(), o.lr, o.beta1, device)
        self.optimiser_d = adam(discriminator.parameters(), o.lr, o.beta1, device) if discriminator is not None else None

    def optimisers(self) -> list[torch.optim.Optimizer]:
        return [self.optimiser_g] + ([self.optimiser_d] if self.optimiser_d is not None else [])

    def step(self, real_a: Tensor, real_b: Tensor) -> dict[str, float]:
        o, net_g, net_d = self.options, self.generator, self.discriminator
        with runtime.autocast(o.precision, self.device):
            fake_b = net_g(real_a)
        losses: dict[str, Tensor] = {}
        if net_d is not None:
            assert self.optimiser_d is not None
            net_d.requires_grad_(True)
            with runtime.autocast(o.precision, self.device):
                losses["D_fake"] = self.gan(net_d(torch.cat([real_a, fake_b.detach()], 1)), False)
                losses["D_real"] = self.gan(net_d(torch.cat([real_a, real_b], 1)), True)
                loss_d = (losses["D_fake"] + losses["D_real"]) * 0.5
            self.optimiser_d.zero_grad(set_to_none=True)
            loss_d.backward()
            self.optimiser_d.step()
            net_d.requires_grad_(False)  # G's step reaches D's input, not its weights
        with runtime.autocast(o.precision, self.device):
            losses["G_L1"] = l1_loss(fake_b, real_b)
            terms = []
            if net_d is not None:
                losses["G_GAN"] = self.gan(net_d(torch.cat([real_a, fake_b], 1)), True)
                terms.append(losses["G_GAN"])
            if o.loss != "cgan":
                terms.append(o.lambda_l1 * losses["G_L1"])
            loss_g = sum(terms)
        self.optimiser_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.optimiser_g.step()
        return {name: float(value.detach()) for name, value in losses.items()}


def _preview(step: Pix2PixStep, data: PairedImages, generator: torch.Generator):
    count = min(PREVIEWS, len(data))
    inputs, targets = data.batch(torch.arange(count))
    seed = int(torch.randint(0, 2**62, (), generator=generator))

    def preview() -> tuple[Tensor, dict[str, Tensor]]:
        nets = [n for n in (step.generator, step.discriminator) if n is not None]
        rows, patches = [], []
        with paper_mode(nets, torch.Generator().manual_seed(seed)):
            for index in range(count):  # one image per call: batch statistics of one image, as in training with batch 1
                x, y = inputs[index : index + 1].to(step.device), targets[index : index + 1].to(step.device)
                fake = step.generator(x)
                rows.append([from_model(x)[0].cpu(), from_model(fake)[0].cpu(), from_model(y)[0].cpu()])
                if step.discriminator is not None:
                    realness = step.gan.realness(step.discriminator(torch.cat([x, fake], 1)))
                    patches.append([patch_view(realness.cpu(), x.shape[-1])])
        return grid(rows), ({"patch_map": grid(patches)} if patches else {})

    return preview


def train_pix2pix(
    data: str | Path,
    options: Pix2PixOptions | None = None,
    /,
    *,
    callback: Callback | None = None,
    device: str | torch.device | None = "cpu",
    **changes,
) -> Pix2PixResult:
    """Train a pix2pix generator (and its PatchGAN discriminator) on paired images.

    Parameters
    ----------
    data
        A procedural set of :mod:`synth.datasets` (``"maps"``, ``"colour"``) or a folder
        (aligned A|B images, or ``A/`` and ``B/`` with matching names); see
        :mod:`synth.train.data`.
    options, **changes
        :class:`Pix2PixOptions` (defaults: the official settings at 64 pixels), with
        ``changes`` applied, e.g. ``train_pix2pix("maps", loss="l1", steps=500)``.
    callback
        Called with a :class:`~synth.progress.Progress` at step 0 and after every step:
        ``losses`` (unweighted terms of this step); every ``preview_every`` steps and
        at the end also ``image`` (rows of input | G(input) | target for the first
        pairs, G in the paper's test-time mode) and ``views["patch_map"]`` (D's belief
        that each patch of (x, G(x)) is real, white = real, one row per pair).
        Raising :class:`~synth.progress.StopEarly` ends training and returns what
        was trained so far.
    device
        Where to train: the CPU by default (the labs' setting; runs are reproducible
        bit for bit there with the same number of threads), ``"cuda"``, or ``None``
        for :func:`synth.runtime.device`.

    Returns
    -------
    Pix2PixResult

    References
    ----------
    Isola et al. 2017, eqs. 1-4, section 3.3 and appendix 6.
    """
    o = Pix2PixOptions.of(options, changes)
    dev = runtime.device(device)
    rng = streams(o.seed)
    pairs = paired_images(data, size=o.size, n=o.n_train, seed=o.seed, direction=o.direction)
    arch = architectures(o)
    net_g = build_generator(o.generator, ngf=o.ngf, norm=o.norm, dropout=o.dropout, seed=rng["init_g"]).to(dev)
    net_d = None
    if "D" in arch:
        net_d = build_discriminator(o.discriminator, 6, ndf=o.ndf, norm=o.norm, seed=rng["init_d"]).to(dev)
    trainer = Pix2PixStep(net_g, net_d, o, dev)
    sampler = Sampler(len(pairs), o.batch_size, rng["data"])

    def step() -> dict[str, float]:
        real_a, real_b = pairs.batch(sampler.next())
        with training_noise(rng["dropout"]):
            return trainer.step(real_a.to(dev), real_b.to(dev))

    networks = {"G": net_g}
    loop = Loop(
        steps=o.steps,
        step=step,
        optimisers=trainer.optimisers(),
        networks=networks,
        lr=o.lr,
        decay_fraction=o.decay_fraction,
        snapshot_steps=o.snapshots,
        preview=_preview(trainer, pairs, rng["preview"]),
        preview_every=o.preview_every,
        callback=callback,
        stage=f"pix2pix {o.loss}",
    ).run()
    for net in (net_g, net_d):
        if net is not None:
            net.cpu().eval().requires_grad_(False)
    return Pix2PixResult(net_g, net_d, o, loop.history, loop.snapshots, loop.done, pairs.source, loop.stopped)
