"""The CycleGAN generator: ResNet with 9 residual blocks (Johnson et al.'s transformer network).

Zhu, Park, Isola & Efros. *Unpaired Image-to-Image Translation using
Cycle-Consistent Adversarial Networks.* ICCV 2017. https://arxiv.org/abs/1703.10593
(appendix 7.2: c7s1-64, d128, d256, R256 x 9, u128, u64, c7s1-3), after Johnson,
Alahi & Fei-Fei, *Perceptual Losses for Real-Time Style Transfer and
Super-Resolution*, ECCV 2016.

The module tree reproduces the official ``ResnetGenerator`` of
junyanz/pytorch-CycleGAN-and-pix2pix (``models/networks.py``) so that its
``state_dict()`` has exactly the keys and shapes of the published checkpoints
(``../shared/reference/layouts/cyclegan_resnet_9blocks.json``): one
``nn.Sequential`` called ``model`` whose indices are

====  =========================================================================
0-3   reflect-pad 3, conv 7x7 3->64, norm, ReLU
4-9   two stride-2 convs 3x3 (64->128->256), each followed by norm, ReLU
10-18 nine residual blocks ``conv_block`` = [pad, conv, norm, ReLU, pad, conv, norm]
19-24 two transposed convs 3x3 stride 2 (256->128->64), each with norm, ReLU
25-27 reflect-pad 3, conv 7x7 64->3, tanh
====  =========================================================================

Convolutions carry biases (the official code adds them whenever the norm is
InstanceNorm). The published generators use InstanceNorm without affine
parameters; ``affine=True`` gives the variant of the ``cyclegan/vintage``
checkpoint (vintagify 0.1.2, MIT), otherwise identical. As in the official code,
``norm="batch"`` puts BatchNorm in every norm's place and drops the biases of the
convolutions it follows (the last 7x7 convolution keeps its bias), and
``dropout=True`` (pix2pix trained with a ResNet) puts ``Dropout(0.5)`` after the
first ReLU of each residual block, which shifts the second convolution to
``conv_block.6``.
"""

from __future__ import annotations

import torch
from torch import nn

from .layers import Dropout, Norm, norm_layer

__all__ = ["ResnetBlock", "ResnetGenerator"]


class ResnetBlock(nn.Module):
    """x + [reflect-pad, conv 3x3, norm, ReLU, (dropout,) reflect-pad, conv 3x3, norm](x)."""

    def __init__(self, dim: int, *, affine: bool = False, norm: Norm = "instance", dropout: bool = False) -> None:
        super().__init__()
        bias = norm == "instance"
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(1),
            nn.Conv2d(dim, dim, kernel_size=3, bias=bias),
            norm_layer(norm, dim, affine=affine),
            nn.ReLU(inplace=True),
        ]
        if dropout:
            layers.append(Dropout(0.5))
        layers += [nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, kernel_size=3, bias=bias), norm_layer(norm, dim, affine=affine)]
        self.conv_block = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv_block(x)


class ResnetGenerator(nn.Module):
    """ResNet generator of CycleGAN.

    Parameters
    ----------
    in_channels, out_channels
        3 and 3 for RGB.
    ngf
        Width of the first layer (64 in every published model); the widths double
        at each of the 2 downsamplings.
    n_blocks
        Residual blocks at 1/4 resolution (9 for 256-pixel training images).
    affine
        InstanceNorm with learned scale and shift (``cyclegan/vintage``); the official
        generators have none.
    norm
        ``"instance"`` (CycleGAN's) or ``"batch"``.
    dropout
        Dropout 0.5 inside each residual block (the official ``use_dropout``; off in CycleGAN).

    ``forward(x)``: x of shape (B, 3, H, W) in [-1, 1] with H and W multiples of
    :attr:`multiple` (4); returns (B, 3, H, W) in [-1, 1].
    """

    #: Sides must be multiples of this (two stride-2 downsamplings).
    multiple = 4
    #: Smallest side: at a quarter of the size the residual blocks reflect-pad by 1,
    #: which needs at least 2 pixels (a 2-pixel-wide strip padded to 4 fails there).
    min_side = 8

    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 3,
        *,
        ngf: int = 64,
        n_blocks: int = 9,
        affine: bool = False,
        norm: Norm = "instance",
        dropout: bool = False,
    ) -> None:
        super().__init__()
        if affine and norm != "instance":
            raise ValueError("affine applies to instance norm only")
        bias = norm == "instance"
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(3),
            nn.Conv2d(in_channels, ngf, kernel_size=7, bias=bias),
            norm_layer(norm, ngf, affine=affine),
            nn.ReLU(inplace=True),
        ]
        width = ngf
        for _ in range(2):  # d128, d256
            layers += [
                nn.Conv2d(width, width * 2, kernel_size=3, stride=2, padding=1, bias=bias),
                norm_layer(norm, width * 2, affine=affine),
                nn.ReLU(inplace=True),
            ]
            width *= 2
        layers += [ResnetBlock(width, affine=affine, norm=norm, dropout=dropout) for _ in range(n_blocks)]
        for _ in range(2):  # u128, u64
            layers += [
                nn.ConvTranspose2d(width, width // 2, kernel_size=3, stride=2, padding=1, output_padding=1, bias=bias),
                norm_layer(norm, width // 2, affine=affine),
                nn.ReLU(inplace=True),
            ]
            width //= 2
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(width, out_channels, kernel_size=7), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)
