"""Training: pix2pix and CycleGAN, faithful to the papers and the official code's defaults.

* :mod:`.pix2pix`: :func:`train_pix2pix` (Isola et al. 2017), paired data;
* :mod:`.cyclegan`: :func:`train_cyclegan` (Zhu et al. 2017), unpaired data;
* :mod:`.networks`: generators and discriminators by name, official initialisation;
* :mod:`.discriminators`: the PatchGANs and :func:`receptive_field`;
* :mod:`.losses` and :mod:`.pool`: the loss terms and the history of generated images;
* :mod:`.data`: procedural sets and folders as training data;
* :mod:`.engine`: random streams, Adam, the schedule, precision and the loop;
* :mod:`.checkpoint`: safetensors checkpoints with their recipe in the metadata.

References
----------
Isola, Zhu, Zhou & Efros. Image-to-Image Translation with Conditional Adversarial
Networks. CVPR 2017. https://arxiv.org/abs/1611.07004

Zhu, Park, Isola & Efros. Unpaired Image-to-Image Translation using Cycle-Consistent
Adversarial Networks. ICCV 2017. https://arxiv.org/abs/1703.10593
"""

from __future__ import annotations

from .checkpoint import Checkpoint, load_checkpoint, load_generator, save_checkpoint
from .cyclegan import CycleGANOptions, CycleGANResult, train_cyclegan
from .discriminators import receptive_field
from .losses import GANLoss, cycle_loss, identity_loss, l1_loss
from .networks import build_discriminator, build_generator
from .pix2pix import Pix2PixOptions, Pix2PixResult, train_pix2pix
from .pool import ImagePool

__all__ = [
    "Checkpoint",
    "CycleGANOptions",
    "CycleGANResult",
    "GANLoss",
    "ImagePool",
    "Pix2PixOptions",
    "Pix2PixResult",
    "build_discriminator",
    "build_generator",
    "cycle_loss",
    "identity_loss",
    "l1_loss",
    "load_checkpoint",
    "load_generator",
    "receptive_field",
    "save_checkpoint",
    "train_cyclegan",
    "train_pix2pix",
]
