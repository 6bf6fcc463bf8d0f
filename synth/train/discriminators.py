"""The PatchGAN discriminators of pix2pix and CycleGAN, and their receptive fields.

Isola, Zhu, Zhou & Efros. *Image-to-Image Translation with Conditional Adversarial
Networks.* CVPR 2017. https://arxiv.org/abs/1611.07004 (section 2.2.2, "PatchGAN":
D classifies each N x N patch as real or fake, run convolutionally over the image;
Table 2 and Fig. 6 compare N = 1 "PixelGAN", 16, 70 and 286 "ImageGAN" on 256-pixel
images; appendix 6.1.2: C64-C128-C256-C512, 4x4 convolutions, no norm on C64,
LeakyReLU 0.2, a last convolution to one channel). CycleGAN uses the 70x70 one
(Zhu et al. 2017, appendix 7.2).

The module trees reproduce the official ``NLayerDiscriminator`` and
``PixelDiscriminator`` of junyanz/pytorch-CycleGAN-and-pix2pix (``models/networks.py``)
so that ``state_dict()`` has their keys and shapes
(``tests/reference/layouts/patchgan_70.json``): one ``nn.Sequential`` called ``model``
(``net`` for the pixel one); every convolution is 4x4 with padding 1 (1x1 without
padding for the pixel one); the first has a bias and no norm, the last outputs one
channel with a bias and no norm; those between are followed by a norm and carry a
bias only with instance norm (``use_bias`` in the official code); the first
``n_layers`` convolutions have stride 2, the last two stride 1. The official pixel
discriminator's last convolution follows ``use_bias`` too (no bias with batch norm),
and so does ours.

The output is a map of logits, one per patch: (B, 1, H', W'); for a 256-pixel input
and the 70x70 D, 30 x 30.
"""

from __future__ import annotations

from typing import Literal

from torch import nn

from ..translate.layers import Norm, norm_layer

__all__ = [
    "DiscriminatorName",
    "DISCRIMINATORS",
    "NLayerDiscriminator",
    "PixelDiscriminator",
    "receptive_field",
    "output_side",
]

DiscriminatorName = Literal["pixel", "patch16", "patch70", "patch286"]

#: The variants of Isola et al.'s Table 2 -> ``n_layers`` of :class:`NLayerDiscriminator`
#: (``None``: :class:`PixelDiscriminator`). The number in the name is the receptive
#: field, which :func:`receptive_field` computes from the layers.
DISCRIMINATORS: dict[str, int | None] = {"pixel": None, "patch16": 1, "patch70": 3, "patch286": 5}


def _leaky() -> nn.LeakyReLU:
    return nn.LeakyReLU(0.2, inplace=True)


class NLayerDiscriminator(nn.Module):
    """PatchGAN discriminator with ``n_layers`` stride-2 convolutions (3: the 70x70 PatchGAN).

    Parameters
    ----------
    in_channels
        6 for pix2pix (the input x and the output y, concatenated), 3 for CycleGAN.
    ndf
        Width of the first layer; widths double per layer up to 8 * ndf.
    n_layers
        1, 3 or 5 for the 16x16, 70x70 and 286x286 PatchGANs.
    norm
        ``"batch"`` (pix2pix) or ``"instance"`` (CycleGAN).

    ``forward(x)``: (B, in_channels, H, W) in [-1, 1] -> logits (B, 1, H', W').
    """

    def __init__(self, in_channels: int, ndf: int = 64, n_layers: int = 3, *, norm: Norm = "batch") -> None:
        super().__init__()
        if n_layers < 1:
            raise ValueError(f"n_layers must be at least 1, got {n_layers}")
        bias = norm == "instance"
        layers: list[nn.Module] = [nn.Conv2d(in_channels, ndf, kernel_size=4, stride=2, padding=1), _leaky()]
        width = ndf
        for index in range(1, n_layers + 1):
            wider = ndf * min(2**index, 8)
            stride = 2 if index < n_layers else 1  # the n_layers-th conv keeps the resolution
            layers += [nn.Conv2d(width, wider, kernel_size=4, stride=stride, padding=1, bias=bias), norm_layer(norm, wider), _leaky()]
            width = wider
        layers.append(nn.Conv2d(width, 1, kernel_size=4, stride=1, padding=1))
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x)


class PixelDiscriminator(nn.Module):
    """The 1x1 PatchGAN ("PixelGAN"): three 1x1 convolutions, one decision per pixel.

    Same parameters and output as :class:`NLayerDiscriminator`, with H' = H, W' = W.
    """

    def __init__(self, in_channels: int, ndf: int = 64, *, norm: Norm = "batch") -> None:
        super().__init__()
        bias = norm == "instance"
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, ndf, kernel_size=1),
            _leaky(),
            nn.Conv2d(ndf, ndf * 2, kernel_size=1, bias=bias),
            norm_layer(norm, ndf * 2),
            _leaky(),
            nn.Conv2d(ndf * 2, 1, kernel_size=1, bias=bias),
        )

    def forward(self, x):
        return self.net(x)


def _convolutions(module: nn.Module) -> list[nn.Conv2d]:
    """The convolutions of a plain chain of layers, in the order they run."""
    convs = []
    for name, layer in module.named_modules():
        if isinstance(layer, (nn.ConvTranspose2d, nn.MaxPool2d, nn.AvgPool2d, nn.Upsample)):
            raise ValueError(f"{type(module).__name__} is not a plain chain of convolutions ({name} is a {type(layer).__name__})")
        if isinstance(layer, nn.Conv2d):
            convs.append(layer)
    if not convs:
        raise ValueError(f"{type(module).__name__} has no convolutions")
    return convs


def receptive_field(module: nn.Module) -> int:
    """Side of the input patch that one output value of ``module`` sees, in pixels.

    Computed from the convolutions (kernel, stride, dilation), in the order they run:
    going backwards from one output value, each layer widens the field by
    ``(kernel - 1) * dilation`` times the product of the strides below it,
    ``r = 1 + sum_l (k_l - 1) d_l prod_{m<l} s_m`` (padding moves the field but does not
    change its size). For the PatchGANs: 1, 16, 70 and 286.
    """
    field, jump = 1, 1
    for conv in _convolutions(module):
        field += (conv.kernel_size[0] - 1) * conv.dilation[0] * jump
        jump *= conv.stride[0]
    return field


def output_side(module: nn.Module, side: int) -> int:
    """Side of ``module``'s output for a ``side`` x ``side`` input (0 or less: too small).

    Each convolution maps i to ``floor((i + 2p - d(k - 1) - 1) / s) + 1``.
    """
    for conv in _convolutions(module):
        if side < 1:
            return side
        kernel, stride, padding, dilation = conv.kernel_size[0], conv.stride[0], conv.padding[0], conv.dilation[0]
        side = (side + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1
    return side
