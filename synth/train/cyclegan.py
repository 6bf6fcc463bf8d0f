"""Train CycleGAN: two generators and two discriminators on unpaired images.

Zhu, Park, Isola & Efros. *Unpaired Image-to-Image Translation using Cycle-Consistent
Adversarial Networks.* ICCV 2017. https://arxiv.org/abs/1703.10593

G maps domain A to B, F maps B to A; D_A judges images of domain B (real y against
G(x)) and D_B images of domain A (the official code's names: its ``D_A`` is the
paper's D_Y, its ``D_B`` the paper's D_X). The full objective is eq. 3,
``L(G, F, D_X, D_Y) = L_GAN(G, D_Y, X, Y) + L_GAN(F, D_X, Y, X) + lambda L_cyc(G, F)``,
with the least-squares GAN loss (section 4), lambda = 10 for each direction of the
cycle loss (eq. 2), and the identity loss of section 5.2 weighted 0.5 lambda;
``losses`` picks the terms of the paper's ablation (section 5.1.4, Table 4, Fig. 7):
``"gan"``, ``"gan+cycle"`` or ``"gan+cycle+identity"`` (the official default).

Each iteration follows the official ``optimize_parameters``
(``models/cycle_gan_model.py``): one Adam step of G and F together on the GAN, cycle
and identity terms with both D's frozen; then one Adam step of both D's on
``(L(D(real), real) + L(D(fake), fake)) / 2`` each, where the fakes come through a
history pool of 50 images (section 4, after Shrivastava et al. 2017). The same
arithmetic in fewer calls: with InstanceNorm, whose statistics are per image, the
images that pass through the same network are one batch (G on x and on y for the
identity term; F on y, on x and on G(x); each D on its real and its pooled fake), so
a step makes 3 generator calls instead of 6 and 4 discriminator calls instead of 6.
With BatchNorm (``norm="batch"``) every call stays separate, as officially.
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
from ..translate.layers import Norm, training_noise
from .data import Sampler, UnpairedImages, from_model, to_model, unpaired_images
from .engine import Loop, adam, grid, paper_mode, patch_view, streams
from .losses import GANLoss, GanMode, cycle_loss, identity_loss
from .networks import GeneratorName, build_discriminator, build_generator
from .options import TrainOptions
from .pool import ImagePool

__all__ = ["CycleGANOptions", "CycleGANResult", "CycleGANStep", "train_cyclegan"]

CycleLosses = Literal["gan", "gan+cycle", "gan+cycle+identity"]

#: Images of each domain shown in a preview (the first ones of the set).
PREVIEWS = 4


@dataclass(frozen=True)
class CycleGANOptions(TrainOptions):
    """Settings of a CycleGAN run: :class:`~synth.train.options.TrainOptions` with the official CycleGAN
    defaults, and the objective (Zhu et al. 2017, eq. 3 and sec. 5.2)."""

    # The paper uses resnet_9blocks with ngf 64 at 256 pixels (6 blocks at 128). The labs
    # train at 64 pixels on a CPU: 6 blocks and half the width, a quarter of the parameters.
    generator: GeneratorName = option("resnet_6blocks", help="generator architecture of G and F")
    ngf: int = option(32, low=1, high=512, help="generator width (channels of its first layer)")
    norm: Norm = option("instance", help="normalisation in the generators and discriminators")
    dropout: bool = option(False, help="dropout in the generators (off in CycleGAN)")
    gan_mode: GanMode = option("lsgan", help="GAN loss: lsgan (least squares) or vanilla (cross-entropy)")
    losses: CycleLosses = option("gan+cycle+identity", help="objective: gan, gan+cycle, or gan+cycle+identity (eq. 3 and section 5.2)")
    lambda_a: float = option(10.0, low=0.0, high=1e6, help="weight of the cycle loss A -> B -> A")
    lambda_b: float = option(10.0, low=0.0, high=1e6, help="weight of the cycle loss B -> A -> B")
    lambda_identity: float = option(0.5, low=0.0, high=1e6, help="identity loss weight, relative to the cycle weights")
    pool_size: int = option(50, low=0, high=10_000, help="generated images in the history pool of each D (0: none)")

    @property
    def cycle(self) -> bool:
        return self.losses != "gan"

    @property
    def identity(self) -> bool:
        return self.losses == "gan+cycle+identity" and self.lambda_identity > 0


def architectures(o: CycleGANOptions) -> dict[str, dict]:
    """The architectures of a run with options ``o``, by network name."""
    generator = {"kind": "generator", "name": o.generator, "ngf": o.ngf, "norm": o.norm, "dropout": o.dropout}
    discriminator = {"kind": "discriminator", "name": o.discriminator, "in_channels": 3, "ndf": o.ndf, "norm": o.norm}
    return {"G": generator, "F": dict(generator), "D_A": discriminator, "D_B": dict(discriminator)}


@dataclass
class CycleGANResult:
    """A trained CycleGAN: modules on the CPU in ``eval()`` mode, without gradients.

    ``G``: A -> B, ``F``: B -> A, ``D_A`` judges domain B, ``D_B`` domain A (official
    names). ``history`` holds each loss term per step, unweighted: ``G_A``, ``G_B``
    (GAN terms of G and F), ``D_A``, ``D_B`` (halved D objectives), and where trained
    ``cycle_A`` = |F(G(x)) - x|, ``cycle_B`` = |G(F(y)) - y|, ``idt_A`` = |G(y) - y|,
    ``idt_B`` = |F(x) - x| (means on [-1, 1]). ``snapshots[step]`` has "G" and "F".
    """

    G: nn.Module
    F: nn.Module
    D_A: nn.Module
    D_B: nn.Module
    options: CycleGANOptions
    history: dict[str, list[float]]
    snapshots: dict[int, dict[str, dict[str, Tensor]]]
    steps: int
    data: str
    stopped: bool = False

    trainer = "cyclegan"

    def networks(self) -> dict[str, nn.Module]:
        """The trained networks by checkpoint name."""
        return {"G": self.G, "F": self.F, "D_A": self.D_A, "D_B": self.D_B}

    def architectures(self) -> dict[str, dict]:
        """How to rebuild each network (:func:`synth.train.checkpoint.build_network`)."""
        return architectures(self.options)


class CycleGANStep:
    """One CycleGAN training iteration on unpaired batches (x from A, y from B), official arithmetic.

    Holds G, F, D_A, D_B, their two optimisers (G with F, D_A with D_B) and the two
    pools; ``step(x, y)`` updates them and returns the unweighted losses. x and y are
    (B, 3, s, s) in [-1, 1].
    """

    def __init__(self, nets: dict[str, nn.Module], o: CycleGANOptions, device: torch.device, pool: torch.Generator) -> None:
        self.nets, self.options, self.device = nets, o, device
        self.gan = GANLoss(o.gan_mode)
        self.optimiser_g = adam([*nets["G"].parameters(), *nets["F"].parameters()], o.lr, o.beta1, device)
        self.optimiser_d = adam([*nets["D_A"].parameters(), *nets["D_B"].parameters()], o.lr, o.beta1, device)
        self.pool_a = ImagePool(o.pool_size, pool)  # generated images of domain A, for D_B
        self.pool_b = ImagePool(o.pool_size, pool)  # generated images of domain B, for D_A
        self.batched = o.norm == "instance"  # per-image statistics: one call per network is exact

    def optimisers(self) -> list[torch.optim.Optimizer]:
        return [self.optimiser_g, self.optimiser_d]

    def _calls(self, net: nn.Module, *inputs: Tensor) -> list[Tensor]:
        """``[net(x) for x in inputs]``, as one batch where the norm allows it."""
        if not self.batched:
            return [net(x) for x in inputs]
        return list(net(torch.cat(inputs)).split([x.shape[0] for x in inputs]))

    def _d_loss(self, net: nn.Module, real: Tensor, fake: Tensor) -> Tensor:
        pred_real, pred_fake = self._calls(net, real, fake)
        return (self.gan(pred_real, True) + self.gan(pred_fake, False)) * 0.5

    def step(self, real_a: Tensor, real_b: Tensor) -> dict[str, float]:
        o, nets = self.options, self.nets
        net_g, net_f, d_a, d_b = nets["G"], nets["F"], nets["D_A"], nets["D_B"]
        losses: dict[str, Tensor] = {}
        d_a.requires_grad_(False)
        d_b.requires_grad_(False)
        with runtime.autocast(o.precision, self.device):
            if o.identity:  # G(x), G(y); F(y), F(x), F(G(x)); G(F(y))
                fake_b, idt_a = self._calls(net_g, real_a, real_b)
                fake_a, idt_b, *rec = self._calls(net_f, real_b, real_a, fake_b)
            else:
                (fake_b,) = self._calls(net_g, real_a)
                fake_a, *rec = self._calls(net_f, real_b, *([fake_b] if o.cycle else []))
            losses["G_A"] = self.gan(d_a(fake_b), True)
            losses["G_B"] = self.gan(d_b(fake_a), True)
            loss_g = losses["G_A"] + losses["G_B"]
            if o.cycle:
                (rec_b,) = self._calls(net_g, fake_a)
                losses["cycle_A"] = cycle_loss(rec[0], real_a)
                losses["cycle_B"] = cycle_loss(rec_b, real_b)
                loss_g = loss_g + o.lambda_a * losses["cycle_A"] + o.lambda_b * losses["cycle_B"]
            if o.identity:
                losses["idt_A"] = identity_loss(idt_a, real_b)
                losses["idt_B"] = identity_loss(idt_b, real_a)
                loss_g = loss_g + o.lambda_identity * (o.lambda_b * losses["idt_A"] + o.lambda_a * losses["idt_B"])
        self.optimiser_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.optimiser_g.step()

        d_a.requires_grad_(True)
        d_b.requires_grad_(True)
        with runtime.autocast(o.precision, self.device):
            losses["D_A"] = self._d_loss(d_a, real_b, self.pool_b.query(fake_b))
            losses["D_B"] = self._d_loss(d_b, real_a, self.pool_a.query(fake_a))
        self.optimiser_d.zero_grad(set_to_none=True)
        (losses["D_A"] + losses["D_B"]).backward()
        self.optimiser_d.step()
        return {name: float(value.detach()) for name, value in losses.items()}


def _preview(step: CycleGANStep, data: UnpairedImages, generator: torch.Generator):
    real_a = to_model(data.a[:PREVIEWS])
    real_b = to_model(data.b[:PREVIEWS])
    seed = int(torch.randint(0, 2**62, (), generator=generator))
    nets = step.nets

    def preview() -> tuple[Tensor, dict[str, Tensor]]:
        rows, patches = [], []
        with paper_mode(list(nets.values()), torch.Generator().manual_seed(seed)):
            for index in range(max(len(real_a), len(real_b))):
                x = real_a[min(index, len(real_a) - 1)][None].to(step.device)
                y = real_b[min(index, len(real_b) - 1)][None].to(step.device)
                fake_b, fake_a = nets["G"](x), nets["F"](y)
                images = [x, fake_b, nets["F"](fake_b), y, fake_a, nets["G"](fake_a)]
                rows.append([from_model(image)[0].cpu() for image in images])
                side = x.shape[-1]
                realness = [step.gan.realness(nets["D_A"](fake_b)), step.gan.realness(nets["D_B"](fake_a))]
                patches.append([patch_view(r.cpu(), side) for r in realness])
        return grid(rows), {"patch_map": grid(patches)}

    return preview


def train_cyclegan(
    data: str | Path,
    options: CycleGANOptions | None = None,
    /,
    *,
    callback: Callback | None = None,
    device: str | torch.device | None = "cpu",
    **changes,
) -> CycleGANResult:
    """Train CycleGAN's G: A -> B and F: B -> A (and D_A, D_B) on unpaired images.

    Parameters
    ----------
    data
        A procedural set of :mod:`synth.datasets` (``"coats"``) or a folder with
        ``trainA/`` and ``trainB/`` (or ``A/`` and ``B/``); see :mod:`synth.train.data`.
    options, **changes
        :class:`CycleGANOptions` with ``changes`` applied, e.g.
        ``train_cyclegan("coats", losses="gan", steps=500)``.
    callback
        Called with a :class:`~synth.progress.Progress` at step 0 and after every step
        with the unweighted ``losses``; every ``preview_every`` steps and at the end
        also ``image`` (rows of x | G(x) | F(G(x)) | y | F(y) | G(F(y))) and
        ``views["patch_map"]`` (D_A's belief in G(x), D_B's in F(y); white = real).
        Raising :class:`~synth.progress.StopEarly` ends training and returns what
        was trained so far.
    device
        Where to train: the CPU by default (reproducible bit for bit with the same
        number of threads), ``"cuda"``, or ``None`` for :func:`synth.runtime.device`.

    Returns
    -------
    CycleGANResult

    References
    ----------
    Zhu et al. 2017, eqs. 1-3, sections 4 and 5.2, appendix 7.
    """
    o = CycleGANOptions.of(options, changes)
    dev = runtime.device(device)
    rng = streams(o.seed)
    images = unpaired_images(data, size=o.size, n=o.n_train, seed=o.seed)
    nets: dict[str, nn.Module] = {}
    for name, seed in (("G", "init_g"), ("F", "init_f")):
        nets[name] = build_generator(o.generator, ngf=o.ngf, norm=o.norm, dropout=o.dropout, seed=rng[seed]).to(dev)
    for name, seed in (("D_A", "init_d"), ("D_B", "init_d_b")):
        nets[name] = build_discriminator(o.discriminator, 3, ndf=o.ndf, norm=o.norm, seed=rng[seed]).to(dev)
    trainer = CycleGANStep(nets, o, dev, rng["pool"])
    sampler_a = Sampler(len(images.a), o.batch_size, rng["data"])
    sampler_b = Sampler(len(images.b), o.batch_size, rng["data_b"])

    def step() -> dict[str, float]:
        real_a, real_b = to_model(images.a[sampler_a.next()]), to_model(images.b[sampler_b.next()])
        with training_noise(rng["dropout"]):
            return trainer.step(real_a.to(dev), real_b.to(dev))

    loop = Loop(
        steps=o.steps,
        step=step,
        optimisers=trainer.optimisers(),
        networks={"G": nets["G"], "F": nets["F"]},
        lr=o.lr,
        decay_fraction=o.decay_fraction,
        snapshot_steps=o.snapshots,
        preview=_preview(trainer, images, rng["preview"]),
        preview_every=o.preview_every,
        callback=callback,
        stage=f"CycleGAN {o.losses}",
    ).run()
    for net in nets.values():
        net.cpu().eval().requires_grad_(False)
    return CycleGANResult(nets["G"], nets["F"], nets["D_A"], nets["D_B"], o, loop.history, loop.snapshots, loop.done, images.source, loop.stopped)
