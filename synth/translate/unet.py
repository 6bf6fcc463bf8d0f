"""The pix2pix generator: U-Net-256 with skip connections.

Isola, Zhu, Zhou & Efros. *Image-to-Image Translation with Conditional Adversarial
Networks.* CVPR 2017. https://arxiv.org/abs/1611.07004 (appendix 6.1.1: encoder
C64-C128-C256-C512-C512-C512-C512-C512, U-Net decoder
CD512-CD1024-CD1024-C1024-C1024-C512-C256-C128, skips between mirrored layers),
after Ronneberger, Fischer & Brox, *U-Net*, MICCAI 2015.

The module tree reproduces the official ``UnetGenerator(3, 3, 8, 64, BatchNorm2d,
use_dropout=True)`` of junyanz/pytorch-CycleGAN-and-pix2pix so that ``state_dict()``
has exactly the keys and shapes of the published checkpoints
(``../shared/reference/layouts/pix2pix_unet_256.json``). The network is built from
the inside out as nested blocks, each an ``nn.Sequential`` called ``model``:

* outermost: ``[down-conv, <inner>, ReLU, up-conv (with bias), tanh]``; returns its output;
* middle:    ``[LeakyReLU 0.2, down-conv, BN, <inner>, ReLU, up-conv, BN(, dropout 0.5)]``;
* innermost: ``[LeakyReLU 0.2, down-conv, ReLU, up-conv, BN]``;

and every block but the outermost returns ``cat([x, block(x)], dim=1)`` (the skip).
Convolutions are 4x4 with stride 2 and have no bias (BatchNorm follows) except the
outermost up-convolution. Dropout sits in the three 512-wide blocks just outside the
innermost one (the paper's "CD" layers). With ``norm="instance"`` (the official
``--norm instance``) every norm is an InstanceNorm without parameters and every
convolution has a bias; the module tree is otherwise the same.
"""

from __future__ import annotations

import torch
from torch import nn

from .layers import Dropout, Norm, norm_layer

__all__ = ["UnetBlock", "UnetGenerator"]


class UnetBlock(nn.Module):
    """One level of the U-Net: down, ``inner`` (the deeper levels), up, and a skip around it.

    Parameters
    ----------
    outer, inner
        Channels outside and inside this level.
    inner_block
        The next deeper level, or ``None`` for the innermost one.
    in_channels
        Input channels of the outermost level (the image's); default ``outer``.
    outermost
        The image-facing level: no norm, no skip, tanh output.
    dropout
        Dropout 0.5 after the up-path's norm (active in training, and at test time when
        the call asks for it).
    norm
        ``"batch"`` (pix2pix) or ``"instance"``; convolutions have biases only with the latter.
    """

    def __init__(
        self,
        outer: int,
        inner: int,
        inner_block: UnetBlock | None = None,
        *,
        in_channels: int | None = None,
        outermost: bool = False,
        dropout: bool = False,
        norm: Norm = "batch",
    ) -> None:
        super().__init__()
        self.outermost = outermost
        bias = norm == "instance"
        down = nn.Conv2d(in_channels or outer, inner, kernel_size=4, stride=2, padding=1, bias=bias)
        up_in = inner if inner_block is None else inner * 2  # the inner level returns [x, y] concatenated
        if outermost:
            up = nn.ConvTranspose2d(up_in, outer, kernel_size=4, stride=2, padding=1)
            layers: list[nn.Module] = [down, inner_block, nn.ReLU(inplace=True), up, nn.Tanh()]
        elif inner_block is None:
            up = nn.ConvTranspose2d(up_in, outer, kernel_size=4, stride=2, padding=1, bias=bias)
            layers = [nn.LeakyReLU(0.2, inplace=True), down, nn.ReLU(inplace=True), up, norm_layer(norm, outer)]
        else:
            up = nn.ConvTranspose2d(up_in, outer, kernel_size=4, stride=2, padding=1, bias=bias)
            layers = [nn.LeakyReLU(0.2, inplace=True), down, norm_layer(norm, inner), inner_block]
            layers += [nn.ReLU(inplace=True), up, norm_layer(norm, outer)]
            if dropout:
                layers.append(Dropout(0.5))
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.outermost:
            return self.model(x)
        # As in the official code, the block's in-place LeakyReLU rewrites x before the
        # concatenation, so the skip carries LeakyReLU(x); the enclosing block applies
        # ReLU to the concatenation next, and ReLU(LeakyReLU(x)) = ReLU(x), so this is
        # the paper's skip connection.
        return torch.cat([x, self.model(x)], dim=1)


class UnetGenerator(nn.Module):
    """U-Net generator of pix2pix.

    Parameters
    ----------
    in_channels, out_channels
        3 and 3 for RGB.
    num_downs
        Number of stride-2 downsamplings: 8 for U-Net-256 (a 256-pixel image becomes
        1x1 at the bottleneck).
    ngf
        Width of the outermost layer (64); widths double per level up to 8 * ngf.
    dropout
        Dropout layers in the ``num_downs - 5`` innermost 8*ngf-wide blocks (the
        published models were trained with them).
    norm
        ``"batch"`` (pix2pix's, the published models') or ``"instance"``.

    ``forward(x)``: x of shape (B, 3, H, W) in [-1, 1] with H and W multiples of
    ``2 ** num_downs`` (256); returns (B, 3, H, W) in [-1, 1].
    """

    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 3,
        *,
        num_downs: int = 8,
        ngf: int = 64,
        dropout: bool = True,
        norm: Norm = "batch",
    ) -> None:
        super().__init__()
        if num_downs < 5:
            raise ValueError(f"num_downs must be at least 5, got {num_downs}")
        self.multiple = 2**num_downs
        block = UnetBlock(ngf * 8, ngf * 8, norm=norm)
        for _ in range(num_downs - 5):
            block = UnetBlock(ngf * 8, ngf * 8, block, dropout=dropout, norm=norm)
        for scale in (4, 2, 1):
            block = UnetBlock(ngf * scale, ngf * scale * 2, block, norm=norm)
        self.model = UnetBlock(out_channels, ngf, block, in_channels=in_channels, outermost=True, norm=norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)
