"""Image-to-image translation: pix2pix (paired) and CycleGAN (unpaired).

* :mod:`.unet` and :mod:`.resnet`: the official generators, key for key;
* :mod:`.models`: their registry entries and checkpoint loaders;
* :mod:`.inference`: :func:`translate` at any size, :func:`cycle` (x, G(x), F(G(x)));
* :mod:`.tiling` and :mod:`.staged`: large images in tiles without seams;
* :mod:`.layers`: per-call test-time behaviour of norms and dropout;
* :mod:`.maps`: the map palette for painting pix2pix inputs.

References
----------
Isola, Zhu, Zhou & Efros. Image-to-Image Translation with Conditional Adversarial
Networks. CVPR 2017. https://arxiv.org/abs/1611.07004

Zhu, Park, Isola & Efros. Unpaired Image-to-Image Translation using Cycle-Consistent
Adversarial Networks. ICCV 2017. https://arxiv.org/abs/1703.10593
"""

from __future__ import annotations

from .inference import CycleResult, TranslateOptions, cycle, error_image, translate
from .models import TRANSLATORS, Translator, translators
from .resnet import ResnetGenerator
from .unet import UnetGenerator

__all__ = [
    "CycleResult",
    "TranslateOptions",
    "ResnetGenerator",
    "TRANSLATORS",
    "Translator",
    "UnetGenerator",
    "cycle",
    "error_image",
    "translate",
    "translators",
]
