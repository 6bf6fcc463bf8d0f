"""The networks a trainer builds, by name, initialised as the official code does.

Generators (Isola et al. 2017, appendix 6.1.1; Zhu et al. 2017, appendix 7.2):

===============  ===========================================================
``unet_64``      :class:`~synth.translate.unet.UnetGenerator`, 6 downsamplings (64-pixel images)
``unet_128``     7 downsamplings (the official ``unet_128``)
``unet_256``     8 downsamplings (pix2pix's generator)
``resnet_6blocks``  :class:`~synth.translate.resnet.ResnetGenerator`, 6 residual blocks
``resnet_9blocks``  9 residual blocks (CycleGAN's generator)
===============  ===========================================================

Discriminators: the PatchGANs of :mod:`synth.train.discriminators`.

Weights are drawn as ``init_weights(init_type="normal", init_gain=0.02)`` in the
official ``models/networks.py`` does: convolution weights from N(0, 0.02^2) and
biases 0; BatchNorm scales from N(1, 0.02^2) and shifts 0 (Radford et al. 2016's
DCGAN initialisation, which pix2pix adopts). The draws come from an explicit,
seeded ``torch.Generator``: a network is built on the ``meta`` device, allocated,
then initialised, so building never touches torch's global random state and the same
seed gives the same weights on every machine.
"""

from __future__ import annotations

from functools import partial
from typing import Literal

import torch
from torch import nn

from ..translate.layers import Norm
from ..translate.resnet import ResnetGenerator
from ..translate.unet import UnetGenerator
from .discriminators import DISCRIMINATORS, DiscriminatorName, NLayerDiscriminator, PixelDiscriminator, output_side

__all__ = [
    "GeneratorName",
    "GENERATORS",
    "build_generator",
    "build_discriminator",
    "init_weights",
    "patch_side",
    "side_multiple",
]

GeneratorName = Literal["unet_64", "unet_128", "unet_256", "resnet_6blocks", "resnet_9blocks"]

#: Generator name -> (family, depth): U-Net downsamplings or ResNet blocks.
GENERATORS: dict[str, tuple[str, int]] = {
    "unet_64": ("unet", 6),
    "unet_128": ("unet", 7),
    "unet_256": ("unet", 8),
    "resnet_6blocks": ("resnet", 6),
    "resnet_9blocks": ("resnet", 9),
}

#: Standard deviation of the initial weights (the official ``--init_gain``).
INIT_GAIN = 0.02


def _generator(seed: int | torch.Generator) -> torch.Generator:
    if isinstance(seed, torch.Generator):
        return seed
    return torch.Generator().manual_seed(int(seed))


@torch.no_grad()
def init_weights(net: nn.Module, generator: torch.Generator, gain: float = INIT_GAIN) -> nn.Module:
    """Initialise ``net`` in place as the official ``init_weights(net, "normal", gain)``.

    Convolution (and transposed convolution) weights ~ N(0, gain^2), their biases 0;
    BatchNorm weights ~ N(1, gain^2), biases 0, running statistics reset; affine
    InstanceNorm (not in the official networks) gets its defaults, 1 and 0. Drawn from
    ``generator`` in module order.
    """
    for module in net.modules():
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
            module.weight.normal_(0.0, gain, generator=generator)
            if module.bias is not None:
                module.bias.zero_()
        elif isinstance(module, nn.BatchNorm2d):
            module.reset_running_stats()
            module.weight.normal_(1.0, gain, generator=generator)
            module.bias.zero_()
        elif isinstance(module, nn.InstanceNorm2d):
            module.reset_parameters()
    return net


def _materialise(build, seed: int | torch.Generator) -> nn.Module:
    with torch.device("meta"):
        net = build()
    net = net.to_empty(device="cpu")
    return init_weights(net, _generator(seed))


def build_generator(
    name: GeneratorName,
    *,
    ngf: int = 64,
    norm: Norm = "batch",
    dropout: bool = True,
    in_channels: int = 3,
    out_channels: int = 3,
    seed: int | torch.Generator = 0,
) -> nn.Module:
    """A generator by name, with freshly initialised weights, in ``train()`` mode.

    Parameters
    ----------
    name
        One of :data:`GENERATORS`.
    ngf
        Width of the first layer (64 in the papers).
    norm
        ``"batch"`` (pix2pix) or ``"instance"`` (CycleGAN).
    dropout
        Dropout 0.5 where the official ``use_dropout`` puts it (pix2pix's noise, Isola
        et al. 2017, section 2.1; off in CycleGAN).
    in_channels, out_channels
        3 and 3 for RGB.
    seed
        Seed or ``torch.Generator`` of the initial weights.

    Returns
    -------
    nn.Module
        A :class:`~synth.translate.unet.UnetGenerator` or
        :class:`~synth.translate.resnet.ResnetGenerator` on the CPU, float32, whose
        ``state_dict()`` has the official keys for the same settings.
    """
    if name not in GENERATORS:
        raise ValueError(f"unknown generator {name!r}; expected one of {', '.join(GENERATORS)}")
    family, depth = GENERATORS[name]
    if family == "unet":
        build = partial(UnetGenerator, in_channels, out_channels, num_downs=depth, ngf=ngf, dropout=dropout, norm=norm)
    else:
        build = partial(ResnetGenerator, in_channels, out_channels, ngf=ngf, n_blocks=depth, norm=norm, dropout=dropout)
    return _materialise(build, seed)


def _discriminator(name: DiscriminatorName, in_channels: int, ndf: int, norm: Norm) -> partial:
    if name not in DISCRIMINATORS:
        raise ValueError(f"unknown discriminator {name!r}; expected one of {', '.join(DISCRIMINATORS)}")
    n_layers = DISCRIMINATORS[name]
    if n_layers is None:
        return partial(PixelDiscriminator, in_channels, ndf, norm=norm)
    return partial(NLayerDiscriminator, in_channels, ndf, n_layers, norm=norm)


def build_discriminator(
    name: DiscriminatorName,
    in_channels: int,
    *,
    ndf: int = 64,
    norm: Norm = "batch",
    seed: int | torch.Generator = 0,
) -> nn.Module:
    """A PatchGAN discriminator by name (``pixel``, ``patch16``, ``patch70``, ``patch286``).

    ``in_channels``: 6 for pix2pix (concat(x, y)), 3 for CycleGAN; other parameters as
    in :func:`build_generator`. Weights initialised as there; ``train()`` mode.
    """
    return _materialise(_discriminator(name, in_channels, ndf, norm), seed)


def patch_side(name: DiscriminatorName, side: int) -> int:
    """Side of the patch map discriminator ``name`` gives for ``side`` x ``side`` images (< 1: too small)."""
    with torch.device("meta"):
        net = _discriminator(name, 3, 1, "instance")()
    return output_side(net, side)


def side_multiple(name: GeneratorName) -> int:
    """Image sides a generator takes are multiples of this (2 ** downsamplings; 4 for the ResNets)."""
    family, depth = GENERATORS[name]
    return 2**depth if family == "unet" else ResnetGenerator.multiple
