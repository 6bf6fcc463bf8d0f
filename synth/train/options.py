"""What every training run takes: networks, data size, schedule, seed, snapshots, precision.

:class:`TrainOptions` holds the settings pix2pix and CycleGAN share, with pix2pix's
defaults; :class:`synth.train.pix2pix.Pix2PixOptions` adds its objective and
:class:`synth.train.cyclegan.CycleGANOptions` its own and the defaults that differ (the
official code's: a ResNet generator, InstanceNorm, no dropout, the LSGAN loss).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..options import OptionError, Options, option
from ..translate.layers import Norm
from .discriminators import DiscriminatorName
from .engine import Precision
from .losses import GanMode
from .networks import GeneratorName, patch_side, side_multiple

__all__ = ["TrainOptions"]


@dataclass(frozen=True)
class TrainOptions(Options):
    """Settings of a training run; defaults are the official ones unless a comment says why not."""

    # The paper trains unet_256 at 256 pixels; the labs train at 64, where the U-Net with
    # six downsamplings reaches the same 1x1 bottleneck.
    generator: GeneratorName = option("unet_64", help="generator architecture (unet_N needs sides that are multiples of N)")
    ngf: int = option(64, low=1, high=512, help="generator width (channels of its first layer)")
    discriminator: DiscriminatorName = option("patch70", help="PatchGAN receptive field: pixel (1x1), patch16, patch70, patch286")
    ndf: int = option(64, low=1, high=512, help="discriminator width (channels of its first layer)")
    norm: Norm = option("batch", help="normalisation in the generators and discriminators")
    dropout: bool = option(True, help="dropout in the generator (pix2pix's noise)")
    gan_mode: GanMode = option("vanilla", help="GAN loss: vanilla (cross-entropy) or lsgan (least squares)")
    size: int = option(64, low=8, cap="train_size", help="side of the training images in pixels")
    batch_size: int = option(1, low=1, high=64, help="images (pairs, or images of each domain) per iteration")
    steps: int = option(1000, low=1, cap="train_steps", help="training iterations")
    lr: float = option(2e-4, low=0.0, high=1.0, help="Adam learning rate")
    beta1: float = option(0.5, low=0.0, high=0.9999, help="Adam beta1")
    decay_fraction: float = option(0.5, low=0.0, high=1.0, help="share of the steps over which the learning rate decays linearly to 0 at the end")
    n_train: int = option(256, low=1, high=100_000, help="training images (per domain): drawn from a procedural set, or the first ones of a folder")
    seed: int = option(0, low=0, high=2**63 - 1, help="seed of weights, data, order, dropout and pool")
    preview_every: int = option(50, low=1, help="steps between preview images in the progress reports")
    snapshots: tuple[int, ...] = option((), low=0, help="steps at which to keep a copy of the generators (0: before training)")
    precision: Precision = option("fp32", help="fp32, or bf16 autocast where the CPU or GPU has it")

    @property
    def adversarial(self) -> bool:
        """Whether a discriminator is trained (pix2pix with L1 alone has none)."""
        return True

    def check(self) -> None:
        name = type(self).__name__
        multiple = side_multiple(self.generator)
        if self.size % multiple:
            raise OptionError(f"{name}.size: {self.generator} takes sides that are multiples of {multiple}, got {self.size}")
        if self.adversarial and patch_side(self.discriminator, self.size) < 1:
            raise OptionError(f"{name}.size: the {self.discriminator} discriminator needs larger images than {self.size} pixels")
        late = [s for s in self.snapshots if s > self.steps]
        if late:
            raise OptionError(f"{name}.snapshots: step {late[0]} is after the last step ({self.steps})")
