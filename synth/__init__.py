"""The Image Synthesis Lab inference package.

Everything the app's tabs do is a function here, usable from Python and from the
command line (``python -m synth --help``). No Gradio import anywhere in the package.

>>> import synth
>>> texture = synth.heeger_bergen.synthesize(image, iterations=5)   # doctest: +SKIP
>>> model = synth.get_model("dcgan/faces-64")                       # doctest: +SKIP
"""

from __future__ import annotations

from .cache import MODEL_CACHE, get_model
from .images import InvalidImage, load_image
from .models import UnknownModel, create_model, list_models
from .weights import WeightsUnavailable

__all__ = [
    "MODEL_CACHE",
    "InvalidImage",
    "UnknownModel",
    "WeightsUnavailable",
    "create_model",
    "get_model",
    "list_models",
    "load_image",
]
__version__ = "0.1.0"
