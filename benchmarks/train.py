"""Training speed: one pix2pix and one CycleGAN iteration, ours against the official sequence.

    python benchmarks/train.py [--threads 2] [--rounds 5] [--cyclegan-rounds 3] [--size 256] [--device cpu] [--bf16]

The baselines, :func:`official_pix2pix_step` and :func:`official_cyclegan_step`, redo
what ``optimize_parameters`` does in the official ``models/pix2pix_model.py`` and
``models/cycle_gan_model.py`` (junyanz/pytorch-CycleGAN-and-pix2pix): the same forward
passes, ``set_requires_grad`` toggles, ``zero_grad()``/``backward()``/``step()`` calls
in the same order, its criteria (``nn.BCEWithLogitsLoss`` / ``nn.MSELoss`` against a
label expanded to the prediction's shape, ``nn.L1Loss``) and its optimiser
(``torch.optim.Adam(lr=2e-4, betas=(0.5, 0.999))`` with PyTorch's defaults). Both
sides train the same networks from the same initial weights on the same images:

* pix2pix: U-Net-256 + 70x70 PatchGAN, BatchNorm, vanilla GAN loss, lambda 100, batch 1;
* CycleGAN: two ResNet-9 generators + two 70x70 PatchGANs, InstanceNorm, LSGAN,
  lambda 10, identity 0.5, pools of 50, batch 1.

Ours is :class:`synth.train.pix2pix.Pix2PixStep` / :class:`synth.train.cyclegan.CycleGANStep`:
the same arithmetic (``tests/test_train_cyclegan.py`` and ``tests/test_train_pix2pix.py``
check equal losses and gradients), with fused Adam and, for CycleGAN, one call per
network where InstanceNorm makes batching exact. Timing: torch's thread count fixed,
two warm-up iterations each, then rounds that alternate official and ours, so both
see the same machine load; the table gives each side's median and the median of the
per-round ratios. ``--bf16`` adds our step under bfloat16 autocast.

Measure on a quiet machine: on a shared one every parallel region of a 2-thread op
waits for a descheduled thread (about 20 ms per BatchNorm call, whatever its size,
was measured on a loaded 2-core host), which rewards whichever side makes fewer
calls; ``--threads 1`` is the cleaner comparison there.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import torch
from torch import nn

from synth.train.cyclegan import CycleGANOptions, CycleGANStep
from synth.train.networks import build_discriminator, build_generator
from synth.train.pix2pix import Pix2PixOptions, Pix2PixStep
from synth.train.pool import ImagePool


# ---------------------------------------------------------------- the official sequences
def _set_requires_grad(nets: list[nn.Module], requires_grad: bool) -> None:
    for net in nets:
        for parameter in net.parameters():
            parameter.requires_grad = requires_grad


def _criterion(gan_mode: str) -> Callable[[torch.Tensor, bool], torch.Tensor]:
    """The official ``GANLoss``: the loss against a 1.0 / 0.0 label expanded to the prediction."""
    loss = nn.BCEWithLogitsLoss() if gan_mode == "vanilla" else nn.MSELoss()
    return lambda prediction, real: loss(prediction, torch.tensor(1.0 if real else 0.0).expand_as(prediction))


def official_adam(net: nn.Module | list[nn.Module], lr: float = 2e-4, beta1: float = 0.5) -> torch.optim.Adam:
    """The official optimiser: Adam with PyTorch's default implementation."""
    nets = net if isinstance(net, list) else [net]
    return torch.optim.Adam([p for n in nets for p in n.parameters()], lr=lr, betas=(beta1, 0.999))


def official_pix2pix_step(
    net_g: nn.Module,
    net_d: nn.Module,
    optimiser_g: torch.optim.Optimizer,
    optimiser_d: torch.optim.Optimizer,
    real_a: torch.Tensor,
    real_b: torch.Tensor,
    *,
    gan_mode: str = "vanilla",
    lambda_l1: float = 100.0,
) -> dict[str, float]:
    """``Pix2PixModel.optimize_parameters``: forward; D (fake detached, real, halved); G (GAN + lambda L1)."""
    criterion, l1 = _criterion(gan_mode), nn.L1Loss()
    fake_b = net_g(real_a)  # forward()
    _set_requires_grad([net_d], True)
    optimiser_d.zero_grad()
    loss_d_fake = criterion(net_d(torch.cat((real_a, fake_b), 1).detach()), False)  # backward_D
    loss_d_real = criterion(net_d(torch.cat((real_a, real_b), 1)), True)
    ((loss_d_fake + loss_d_real) * 0.5).backward()
    optimiser_d.step()
    _set_requires_grad([net_d], False)
    optimiser_g.zero_grad()
    loss_g_gan = criterion(net_d(torch.cat((real_a, fake_b), 1)), True)  # backward_G
    loss_g_l1 = l1(fake_b, real_b)
    (loss_g_gan + loss_g_l1 * lambda_l1).backward()
    optimiser_g.step()
    return {"G_GAN": loss_g_gan.item(), "G_L1": loss_g_l1.item(), "D_real": loss_d_real.item(), "D_fake": loss_d_fake.item()}


def official_cyclegan_step(
    nets: dict[str, nn.Module],
    optimiser_g: torch.optim.Optimizer,
    optimiser_d: torch.optim.Optimizer,
    pools: tuple[ImagePool, ImagePool],
    real_a: torch.Tensor,
    real_b: torch.Tensor,
    *,
    gan_mode: str = "lsgan",
    lambda_a: float = 10.0,
    lambda_b: float = 10.0,
    lambda_identity: float = 0.5,
) -> dict[str, float]:
    """``CycleGANModel.optimize_parameters``: forward (4 generator calls); G_A and G_B (identity: 2 more
    calls; GAN, cycle, identity); D_A then D_B, each (real + pooled fake) / 2. ``pools`` = (fake_A, fake_B)."""
    criterion, l1 = _criterion(gan_mode), nn.L1Loss()
    g_a, g_b, d_a, d_b = nets["G"], nets["F"], nets["D_A"], nets["D_B"]
    fake_b = g_a(real_a)  # forward()
    rec_a = g_b(fake_b)
    fake_a = g_b(real_b)
    rec_b = g_a(fake_a)
    _set_requires_grad([d_a, d_b], False)
    optimiser_g.zero_grad()
    losses: dict[str, torch.Tensor] = {}  # backward_G
    if lambda_identity > 0:
        losses["idt_A"] = l1(g_a(real_b), real_b)
        losses["idt_B"] = l1(g_b(real_a), real_a)
    losses["G_A"] = criterion(d_a(fake_b), True)
    losses["G_B"] = criterion(d_b(fake_a), True)
    losses["cycle_A"] = l1(rec_a, real_a)
    losses["cycle_B"] = l1(rec_b, real_b)
    loss_g = losses["G_A"] + losses["G_B"] + losses["cycle_A"] * lambda_a + losses["cycle_B"] * lambda_b
    if lambda_identity > 0:
        loss_g = loss_g + losses["idt_A"] * lambda_b * lambda_identity + losses["idt_B"] * lambda_a * lambda_identity
    loss_g.backward()
    optimiser_g.step()
    _set_requires_grad([d_a, d_b], True)
    optimiser_d.zero_grad()
    pool_a, pool_b = pools
    for name, net, real, fake in (("D_A", d_a, real_b, pool_b.query(fake_b)), ("D_B", d_b, real_a, pool_a.query(fake_a))):
        loss_d = (criterion(net(real), True) + criterion(net(fake.detach()), False)) * 0.5  # backward_D_basic
        loss_d.backward()
        losses[name] = loss_d
    optimiser_d.step()
    return {name: value.item() for name, value in losses.items()}


# ---------------------------------------------------------------- the cases
def unet_for(size: int) -> str:
    """The deepest U-Net that takes ``size`` (unet_256 at the papers' 256 pixels)."""
    return next(f"unet_{side}" for side in (256, 128, 64) if size % side == 0)


def pix2pix_case(size: int, device: torch.device, precision: str = "fp32") -> tuple[Callable[[], object], Callable[[], object]]:
    """(official step, our step) on identical U-Net (256 at 256 px) + 70x70 PatchGAN networks and one pair."""
    generator = unet_for(size)
    o = Pix2PixOptions(generator=generator, size=size, precision=precision)
    images = torch.rand(2, 1, 3, size, size, generator=torch.Generator().manual_seed(0)).to(device) * 2 - 1

    def networks() -> tuple[nn.Module, nn.Module]:
        return build_generator(generator, seed=1).to(device), build_discriminator("patch70", 6, seed=2).to(device)

    g, d = networks()
    official = (g, d, official_adam(g), official_adam(d))
    ours = Pix2PixStep(*networks(), o, device)
    return (lambda: official_pix2pix_step(*official, images[0], images[1])), (lambda: ours.step(images[0], images[1]))


def cyclegan_case(size: int, device: torch.device, precision: str = "fp32") -> tuple[Callable[[], object], Callable[[], object]]:
    """(official step, our step) on identical ResNet-9 generator pairs + 70x70 PatchGANs and one image per domain."""
    o = CycleGANOptions(generator="resnet_9blocks", ngf=64, size=size, precision=precision)
    images = torch.rand(2, 1, 3, size, size, generator=torch.Generator().manual_seed(0)).to(device) * 2 - 1

    def networks() -> dict[str, nn.Module]:
        gens = {n: build_generator("resnet_9blocks", norm="instance", dropout=False, seed=s).to(device) for n, s in (("G", 1), ("F", 2))}
        discs = {n: build_discriminator("patch70", 3, norm="instance", seed=s).to(device) for n, s in (("D_A", 3), ("D_B", 4))}
        return gens | discs

    nets = networks()
    optimisers = (official_adam([nets["G"], nets["F"]]), official_adam([nets["D_A"], nets["D_B"]]))
    pools = (ImagePool(50, torch.Generator().manual_seed(5)), ImagePool(50, torch.Generator().manual_seed(5)))
    ours = CycleGANStep(networks(), o, device, torch.Generator().manual_seed(5))
    return (lambda: official_cyclegan_step(nets, *optimisers, pools, images[0], images[1])), (lambda: ours.step(images[0], images[1]))


def _timed(fn: Callable[[], object], device: torch.device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def compare(official: Callable[[], object], ours: Callable[[], object], rounds: int, device: torch.device) -> tuple[float, float, float]:
    """(official median s, ours median s, median of per-round official/ours ratios), after 2 warm-ups each."""
    for _ in range(2):
        official()
        ours()
    pairs = [(_timed(official, device), _timed(ours, device)) for _ in range(rounds)]
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs), statistics.median(p[0] / p[1] for p in pairs)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads (both sides)")
    parser.add_argument("--rounds", type=int, default=5, help="timed pix2pix rounds")
    parser.add_argument("--cyclegan-rounds", type=int, default=3, help="timed CycleGAN rounds (0: skip)")
    parser.add_argument("--size", type=int, default=256, help="image side (a multiple of 64; pix2pix uses unet_256 at multiples of 256)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--bf16", action="store_true", help="also time our step under bfloat16 autocast")
    args = parser.parse_args(argv)
    os.environ["SYNTH_LIMITS"] = "off"  # the papers' 256 pixels are above the public app's training cap
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    print(f"torch {torch.__version__}, {args.threads} threads, {device}, {args.size}x{args.size}, batch 1\n")
    print("| iteration | official (s) | ours (s) | speed-up (median of paired ratios) |")
    print("|---|---|---|---|")
    cases = [(f"pix2pix U-Net-{unet_for(args.size)[5:]} + PatchGAN-70", pix2pix_case, args.rounds)]
    if args.cyclegan_rounds:
        cases.append(("CycleGAN 2x ResNet-9 + 2x PatchGAN-70", cyclegan_case, args.cyclegan_rounds))
    for title, case, rounds in cases:
        for precision in ("fp32", "bf16") if args.bf16 else ("fp32",):
            official, ours = case(args.size, device, precision)
            a, b, ratio = compare(official, ours, rounds, device)
            label = title if precision == "fp32" else f"{title}, ours in bf16"
            print(f"| {label} | {a:.3f} | {b:.3f} | {ratio:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
