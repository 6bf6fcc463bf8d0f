"""The loss terms of pix2pix and CycleGAN.

Isola, Zhu, Zhou & Efros. *Image-to-Image Translation with Conditional Adversarial
Networks.* CVPR 2017. https://arxiv.org/abs/1611.07004 (eqs. 1-4).

Zhu, Park, Isola & Efros. *Unpaired Image-to-Image Translation using Cycle-Consistent
Adversarial Networks.* ICCV 2017. https://arxiv.org/abs/1703.10593 (eqs. 1-3, section
4 "least-squares loss", section 5.2 identity loss).

Every term is a mean over all its elements (batch, channels, pixels, or patches of
D's output map), as ``nn.BCEWithLogitsLoss``, ``nn.MSELoss`` and ``nn.L1Loss`` of the
official code compute them. Images are on the generators' [-1, 1] scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["GanMode", "GANLoss", "l1_loss", "cycle_loss", "identity_loss"]

GanMode = Literal["vanilla", "lsgan"]


@dataclass(frozen=True)
class GANLoss:
    """The adversarial loss on a map of discriminator logits, against an all-real or all-fake target.

    ``mode="vanilla"``: the cross-entropy of Goodfellow et al. (2014) that pix2pix uses
    (Isola et al. eq. 1, ``L_cGAN = E[log D(x, y)] + E[log(1 - D(x, G(x)))]``), as binary
    cross-entropy on the logits ``p``: ``-log sigmoid(p)`` against "real",
    ``-log(1 - sigmoid(p))`` against "fake". The generator minimises it with the "real"
    target, i.e. maximises ``log D(x, G(x))`` (the non-saturating form the official
    code and Goodfellow et al. recommend).

    ``mode="lsgan"``: least squares (Mao et al. 2017), CycleGAN's choice (Zhu et al.,
    section 4): ``(p - 1)^2`` against "real", ``p^2`` against "fake"; G minimises
    ``(D(G(x)) - 1)^2``.

    The target has the shape of ``prediction`` (one label per patch of a PatchGAN).
    ``loss(prediction, real)`` returns the mean over all patches.
    """

    mode: GanMode = "vanilla"

    def __post_init__(self) -> None:
        if self.mode not in ("vanilla", "lsgan"):
            raise ValueError(f"gan mode must be 'vanilla' or 'lsgan', got {self.mode!r}")

    def __call__(self, prediction: Tensor, real: bool) -> Tensor:
        target = torch.full_like(prediction, 1.0 if real else 0.0)
        if self.mode == "vanilla":
            return F.binary_cross_entropy_with_logits(prediction, target)
        return F.mse_loss(prediction, target)

    def realness(self, prediction: Tensor) -> Tensor:
        """How real D finds each patch, in [0, 1]: ``sigmoid(p)`` (vanilla) or ``p`` clamped (lsgan)."""
        return torch.sigmoid(prediction) if self.mode == "vanilla" else prediction.clamp(0, 1)


def l1_loss(output: Tensor, target: Tensor) -> Tensor:
    """``L_L1(G) = E ||y - G(x)||_1`` (Isola et al. eq. 3), the mean absolute difference.

    pix2pix weights it by lambda = 100 in ``G* = arg min_G max_D L_cGAN(G, D) + lambda
    L_L1(G)`` (eq. 4).
    """
    return F.l1_loss(output, target)


def cycle_loss(reconstructed: Tensor, original: Tensor) -> Tensor:
    """One direction of ``L_cyc(G, F) = E ||F(G(x)) - x||_1 + E ||G(F(y)) - y||_1`` (Zhu et al. eq. 2).

    ``reconstructed`` is F(G(x)) for ``original`` x (or G(F(y)) for y); CycleGAN weights
    each direction by lambda = 10 (``lambda_A``, ``lambda_B``).
    """
    return F.l1_loss(reconstructed, original)


def identity_loss(mapped: Tensor, original: Tensor) -> Tensor:
    """One direction of ``L_identity(G, F) = E ||G(y) - y||_1 + E ||F(x) - x||_1`` (Zhu et al.
    section 5.2, after Taigman et al. 2017).

    ``mapped`` is G(y) for a real ``original`` y of G's target domain; the official code
    weights it by ``lambda_identity`` (0.5) times the cycle weight of that domain.
    """
    return F.l1_loss(mapped, original)
