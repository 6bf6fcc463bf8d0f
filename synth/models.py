"""One registry, one factory: :func:`create_model` is how every model is made.

Each model family lives in its own module and declares its models as data, a tuple
``MODELS`` of :class:`ModelSpec` (architecture builder, manifest entries of its
weights, and a loader that maps the checkpoint's keys and loads them strictly).
:data:`FAMILIES` lists those modules explicitly; later tabs append to it. Nothing is
registered by import side effects, and no family module is imported before a model
is asked for.
"""

from __future__ import annotations

import difflib
import importlib
import pickle
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from . import runtime
from .weights import WeightStore, default_store

__all__ = [
    "FAMILIES",
    "ModelSpec",
    "UnknownModel",
    "create_model",
    "list_models",
    "model_spec",
    "register",
    "read_state_dict",
    "load_strict",
]

#: Modules that define ``MODELS: tuple[ModelSpec, ...]``, in display order.
FAMILIES: list[str] = ["synth.features", "synth.ghiasi", "synth.gan.models", "synth.translate.models", "synth.translate.lab"]

Loader = Callable[[nn.Module, Sequence[Path]], None]


class UnknownModel(ValueError):
    """A model name that is not in the registry; the message suggests close names."""


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """Read a checkpoint without executing code: safetensors, or ``torch.load(weights_only=True)``.

    A file that is not one of these, or a pickle of anything but tensors (which
    ``weights_only`` refuses to unpickle), raises a ``ValueError`` that names the file.
    """
    path = Path(path)
    if path.suffix == ".safetensors":
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            return load_file(str(path))
        except SafetensorError as err:
            raise ValueError(f"{path.name}: not a readable safetensors file ({err})") from None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        found = re.search(r"Unsupported global: GLOBAL ([\w.]+)", str(err))
        what = f" (it holds a {found.group(1)} object)" if found else ""
        raise ValueError(
            f"{path.name}: torch.load(weights_only=True) refused it{what}; expected a PyTorch file holding a "
            "state dict of tensors only (no code from a checkpoint is ever run)"
        ) from None
    except Exception as err:  # a malformed file: the zip reader's RuntimeError, the unpickler's EOFError, struct.error, ...
        reason = (str(err).splitlines() or [type(err).__name__])[0][:120]
        raise ValueError(f"{path.name}: not a readable PyTorch checkpoint ({reason})") from None
    if not isinstance(state, dict):
        raise ValueError(f"{path.name}: expected a dict of tensors, got {type(state).__name__}")
    return state


def load_strict(model: nn.Module, state: dict[str, torch.Tensor]) -> None:
    """``load_state_dict(strict=True)`` with a ``ValueError`` that lists what differs (keys, then shapes)."""
    expected = model.state_dict()
    missing, unexpected = _diff_keys(expected, state)
    if missing or unexpected:
        raise ValueError(
            f"checkpoint does not fit {type(model).__name__}: "
            f"missing {missing[:5]}{'...' if len(missing) > 5 else ''}, "
            f"unexpected {unexpected[:5]}{'...' if len(unexpected) > 5 else ''}"
        )
    wrong = [key for key, value in state.items() if tuple(value.shape) != tuple(expected[key].shape)]
    if wrong:
        key = wrong[0]
        raise ValueError(
            f"checkpoint does not fit {type(model).__name__}: {key} is {tuple(state[key].shape)} in the checkpoint, "
            f"{tuple(expected[key].shape)} in the model ({len(wrong)} tensors differ in shape)"
        )
    model.load_state_dict(state, strict=True)


def _diff_keys(expected: dict, got: dict) -> tuple[list[str], list[str]]:
    return sorted(set(expected) - set(got)), sorted(set(got) - set(expected))


def load_single_file(model: nn.Module, paths: Sequence[Path]) -> None:
    """Default loader: one state-dict file, loaded strictly."""
    (path,) = paths
    load_strict(model, read_state_dict(path))


@dataclass(frozen=True)
class ModelSpec:
    """A registered model: how to build and load it, and what callers need to know about it.

    Like timm's pretrained configs, the metadata is data next to the architecture, so
    engines, tabs and tests read it here instead of testing names ("biggan/...").

    Attributes
    ----------
    name
        Stable name, e.g. ``"pix2pix/map2sat"``; also the manifest key of its weights
        unless ``weights`` says otherwise.
    build
        Returns the architecture with random weights.
    weights
        Manifest entries the pretrained model needs (empty: nothing to download).
    load
        Puts the downloaded files into the built model, strictly.
    task
        What the model is for ("features", "gan", "translate", "style", ...).
    summary
        One line for the UI: what it is, trained on what, licence.
    half_ok
        float16 is safe on CUDA.
    input_range
        Pixel range the module's ``forward`` takes: (0, 1) for feature backbones (they
        normalise inside), (-1, 1) for translation generators; ``None`` for a
        generator that takes latents.
    output_range
        Pixel range of the images a generator returns (``None``: not a generator).
    latent_dim
        Length of a generator's z (0: none).
    conditional
        The generator takes a class as well as z (BigGAN).
    num_classes
        Classes a conditional generator knows (0: none).
    default_truncation
        Truncation a sampler uses by default (1: none; Brock et al. 2019).
    layers
        Named layers of a feature backbone, input to output (what
        :class:`synth.features.FeatureExtractor` can read).
    default_layers
        The layers whose Gram matrices a texture matches by default.
    """

    name: str
    build: Callable[[], nn.Module]
    weights: tuple[str, ...] = ()
    load: Loader = load_single_file
    task: str = ""
    summary: str = ""
    half_ok: bool = False
    input_range: tuple[float, float] | None = (0.0, 1.0)
    output_range: tuple[float, float] | None = None
    latent_dim: int = 0
    conditional: bool = False
    num_classes: int = 0
    default_truncation: float = 1.0
    layers: tuple[str, ...] = ()
    default_layers: tuple[str, ...] = ()


_REGISTRY: dict[str, ModelSpec] = {}
_LOADED_FAMILIES: set[str] = set()


def register(spec: ModelSpec) -> ModelSpec:
    """Add a model (families use ``MODELS``; this is for tests and extensions)."""
    if spec.name in _REGISTRY and _REGISTRY[spec.name] is not spec:
        raise ValueError(f"model {spec.name!r} is already registered")
    _REGISTRY[spec.name] = spec
    return spec


def _registry() -> dict[str, ModelSpec]:
    for module in FAMILIES:
        if module not in _LOADED_FAMILIES:
            for spec in importlib.import_module(module).MODELS:
                register(spec)
            _LOADED_FAMILIES.add(module)
    return _REGISTRY


def list_models(task: str | None = None) -> list[str]:
    """Registered model names, optionally only those for ``task``."""
    return [name for name, spec in _registry().items() if task is None or spec.task == task]


def model_spec(name: str) -> ModelSpec:
    """The :class:`ModelSpec` of ``name``; :class:`UnknownModel` with suggestions if absent."""
    registry = _registry()
    if name not in registry:
        close = difflib.get_close_matches(str(name), registry, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; known: {', '.join(registry) or 'none'}"
        raise UnknownModel(f"unknown model {name!r}{hint}")
    return registry[name]


def create_model(
    name: str,
    pretrained: bool = True,
    device: str | torch.device | None = None,
    dtype: torch.dtype | None = None,
    *,
    store: WeightStore | None = None,
) -> nn.Module:
    """Build a registered model, load its weights strictly, freeze it, put it in eval mode.

    Parameters
    ----------
    name
        A name from :func:`list_models`.
    pretrained
        Load the published weights (downloaded and verified through the weights
        manager); ``False`` gives the same architecture with random weights.
    device, dtype
        Where the model lives; default :func:`synth.runtime.device` and float32
        (float16 on CUDA for models marked ``half_ok``).
    store
        Weights store to fetch from (default: the project manifest and cache).

    Raises
    ------
    UnknownModel
        The name is not registered.
    synth.weights.WeightsUnavailable
        The weights are not cached and cannot be downloaded; the message says which
        file is missing and the command that fetches it.
    """
    spec = model_spec(name)
    # Weights first: when they are missing, fail before building (a pix2pix U-Net is
    # 54M parameters, about a second of random initialisation and 200 MB for nothing).
    paths = [(store or default_store()).fetch(entry) for entry in spec.weights] if pretrained else []
    model = spec.build()
    if paths:
        spec.load(model, paths)
    dev = runtime.device(device)
    model.to(device=dev, dtype=dtype or runtime.default_dtype(dev, half_ok=spec.half_ok))
    model.eval()
    model.requires_grad_(False)
    return model
