"""Checkpoints of our trainers: safetensors files that say how they were made.

A checkpoint holds the tensors of each network under a prefix (``G.``, ``D.`` for
pix2pix; ``G.``, ``F.``, ``D_A.``, ``D_B.`` for CycleGAN; a training snapshot holds the
generators only) and, as safetensors metadata (text), everything needed to rebuild and
to retrain it:

==================  ==============================================================
``format``          :data:`FORMAT`
``trainer``         ``pix2pix`` or ``cyclegan``
``architectures``   JSON: per network, the generator or discriminator name, widths, norm, dropout
``options``         JSON: every hyper-parameter (the trainer's options, ``to_dict()``)
``data``            the procedural set's name or the folder trained on
``seed``, ``steps`` the seed and the number of iterations done
``command``         the exact command line, when trained from ``python -m synth train``
``synth_version``   the version of this package
``dtype``           ``float32``, or ``float16`` when stored at half size (loaded as float32)
==================  ==============================================================

Files are written atomically (a temporary file in the same folder, then
``os.replace``), so a crash or a bad value never leaves half a file. Loading rebuilds
each architecture from the metadata and loads its tensors strictly; a file that is
not ours, or whose tensors do not fit, is refused with a ``ValueError`` naming it.

:func:`load_generator` also takes a generator saved by the official training code
(``latest_net_G.pth``: ``torch.load(weights_only=True)``, legacy keys mended as for
the published checkpoints), given its architecture.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from ..models import load_strict, read_state_dict
from ..translate.layers import Norm
from .networks import GENERATORS, GeneratorName, build_discriminator, build_generator

__all__ = ["FORMAT", "Checkpoint", "build_network", "save_checkpoint", "write_checkpoint", "load_checkpoint", "load_generator"]

FORMAT = "synth.train/1"


def build_network(spec: Mapping[str, Any]) -> nn.Module:
    """The network an ``architectures`` entry describes, with fresh weights."""
    if spec.get("kind") == "generator":
        return build_generator(spec["name"], ngf=int(spec["ngf"]), norm=spec["norm"], dropout=bool(spec["dropout"]))
    if spec.get("kind") == "discriminator":
        return build_discriminator(spec["name"], int(spec["in_channels"]), ndf=int(spec["ndf"]), norm=spec["norm"])
    raise ValueError(f"unknown network kind {spec.get('kind')!r}; expected 'generator' or 'discriminator'")


def _atomic_save(tensors: dict[str, Tensor], metadata: dict[str, str], path: Path) -> Path:
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        save_file(tensors, tmp, metadata=metadata)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_checkpoint(
    path: str | os.PathLike,
    states: Mapping[str, Mapping[str, Tensor]],
    *,
    architectures: Mapping[str, Mapping[str, Any]],
    trainer: str,
    options: Mapping[str, Any],
    data: str,
    steps: int,
    command: str | None = None,
    half: bool = False,
) -> Path:
    """Write ``states`` (network name -> ``state_dict``) with their metadata to ``path``, atomically.

    ``half=True`` stores floating-point tensors as float16 (half the size; they load
    back as float32); a value float16 cannot hold is refused.
    """
    from .. import __version__

    tensors: dict[str, Tensor] = {}
    for name, state in states.items():
        if name not in architectures:
            raise ValueError(f"network {name!r} has no architecture")
        for key, value in state.items():
            value = value.detach().cpu()
            if half and value.is_floating_point():
                value = value.half()
                if not torch.isfinite(value).all():
                    raise ValueError(f"{name}.{key} has values beyond float16's range; save it without half=True")
            tensors[f"{name}.{key}"] = value.contiguous().clone()
    metadata = {
        "format": FORMAT,
        "trainer": trainer,
        "architectures": json.dumps({name: dict(architectures[name]) for name in states}),
        "options": json.dumps(dict(options)),
        "data": str(data),
        "seed": str(options.get("seed", "")),
        "steps": str(int(steps)),
        "command": command or "",
        "synth_version": __version__,
        "dtype": "float16" if half else "float32",
    }
    return _atomic_save(tensors, metadata, Path(path))


def save_checkpoint(path: str | os.PathLike, result: Any, *, step: int | None = None, half: bool = False, command: str | None = None) -> Path:
    """Write a trainer's result (:class:`~synth.train.pix2pix.Pix2PixResult` or
    :class:`~synth.train.cyclegan.CycleGANResult`) to ``path``: all its networks, or with
    ``step`` its snapshot of that step (the generators)."""
    if step is None:
        states = {name: net.state_dict() for name, net in result.networks().items()}
        steps = result.steps
    else:
        if step not in result.snapshots:
            raise ValueError(f"no snapshot at step {step}; the run kept {sorted(result.snapshots) or 'none'}")
        states, steps = result.snapshots[step], step
    return write_checkpoint(
        path,
        states,
        architectures=result.architectures(),
        trainer=result.trainer,
        options=result.options.to_dict(),
        data=result.data,
        steps=steps,
        command=command,
        half=half,
    )


@dataclass(frozen=True)
class Checkpoint:
    """A loaded checkpoint: its networks (CPU, float32, ``eval()``, no gradients) and how they were made."""

    path: Path
    networks: dict[str, nn.Module]
    trainer: str
    architectures: dict[str, dict[str, Any]]
    options: dict[str, Any]
    data: str
    steps: int
    command: str
    version: str
    dtype: str

    def __getitem__(self, name: str) -> nn.Module:
        return self.networks[name]

    @property
    def seed(self) -> int:
        return int(self.options["seed"])


def _metadata(path: Path) -> dict[str, str]:
    from safetensors import SafetensorError, safe_open

    if not path.is_file():
        raise ValueError(f"no such file: {str(path)!r}")
    try:
        with safe_open(str(path), framework="pt") as handle:
            return handle.metadata() or {}
    except SafetensorError as err:
        raise ValueError(f"{path}: not a readable safetensors file ({err})") from None


def load_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Rebuild and load every network of a checkpoint written by :func:`write_checkpoint`.

    Raises
    ------
    ValueError
        The file is missing, not safetensors, has no metadata of ours, or its tensors do
        not fit the architecture its metadata names; the message names the file.
    """
    path = Path(path)
    metadata = _metadata(path)
    if metadata.get("format") != FORMAT:
        raise ValueError(
            f"{path}: not a checkpoint of synth's trainers (expected safetensors metadata format={FORMAT!r}, "
            f"got {metadata.get('format')!r}); an official generator file loads with --netG"
        )
    try:
        architectures = json.loads(metadata["architectures"])
        options = json.loads(metadata["options"])
        steps = int(metadata["steps"])
    except (KeyError, ValueError) as err:
        raise ValueError(f"{path}: damaged metadata ({err})") from None
    state = read_state_dict(path)
    networks: dict[str, nn.Module] = {}
    for name, spec in architectures.items():
        prefix = f"{name}."
        own = {key[len(prefix) :]: value.float() if value.is_floating_point() else value for key, value in state.items() if key.startswith(prefix)}
        try:
            net = build_network(spec)
            load_strict(net, own)
        except (ValueError, KeyError, TypeError) as err:
            raise ValueError(f"{path}: network {name} does not fit its recorded architecture {spec}: {err}") from None
        networks[name] = net.eval().requires_grad_(False)
    stray = sorted(key for key in state if key.split(".", 1)[0] not in architectures)
    if stray:
        raise ValueError(f"{path}: tensors of no recorded network: {stray[:3]}")
    return Checkpoint(
        path=path,
        networks=networks,
        trainer=metadata.get("trainer", ""),
        architectures=architectures,
        options=options,
        data=metadata.get("data", ""),
        steps=steps,
        command=metadata.get("command", ""),
        version=metadata.get("synth_version", ""),
        dtype=metadata.get("dtype", "float32"),
    )


def _official_generator(path: Path, net_g: GeneratorName, ngf: int | None, norm: Norm | None) -> nn.Module:
    from ..translate.models import mend_official

    if net_g not in GENERATORS:
        raise ValueError(f"unknown --netG {net_g!r}; expected one of {', '.join(GENERATORS)}")
    state = read_state_dict(path)
    family, _ = GENERATORS[net_g]
    norm = norm or ("batch" if family == "unet" else "instance")  # the official defaults of pix2pix and CycleGAN
    first = next((value for key, value in state.items() if key.endswith("weight") and value.ndim == 4), None)
    ngf = ngf or (int(first.shape[0]) if first is not None else 64)
    # Dropout leaves no tensor in a state dict, except that in a ResNet block it shifts the
    # second convolution from conv_block.5 to conv_block.6; the U-Net's has no trace.
    dropout = family == "unet" or any(".conv_block.6." in key for key in state)
    model = build_generator(net_g, ngf=ngf, norm=norm, dropout=dropout)
    try:
        load_strict(model, mend_official(model, state))
    except ValueError as err:
        raise ValueError(f"{path}: not a {net_g} generator with norm={norm}, ngf={ngf}: {err}") from None
    return model.eval().requires_grad_(False)


def load_generator(
    path: str | os.PathLike, *, net_g: GeneratorName | None = None, ngf: int | None = None, norm: Norm | None = None
) -> tuple[nn.Module, nn.Module | None]:
    """A generator from a file, and its reverse where the file has one: (G, F or ``None``).

    * A checkpoint of our trainers (``.safetensors`` with our metadata): its ``G`` (and
      a CycleGAN's ``F``); the architecture comes from the metadata.
    * A generator saved by the official training code (``latest_net_G.pth``, or its
      tensors in a ``.safetensors`` file): ``net_g`` names its architecture; ``norm``
      defaults to the official one for the family (batch for U-Nets, instance for
      ResNets), ``ngf`` to the width of the file's first convolution.

    Raises ``ValueError`` naming the file when it cannot be read, when ``weights_only``
    refuses it, or when its tensors do not fit.
    """
    path = Path(path)
    if path.suffix == ".safetensors" and _metadata(path).get("format") == FORMAT:
        checkpoint = load_checkpoint(path)
        if "G" not in checkpoint.networks:
            raise ValueError(f"{path}: the checkpoint has no generator G")
        return checkpoint["G"], checkpoint.networks.get("F")
    if not path.is_file():
        raise ValueError(f"no such file: {str(path)!r}")
    if net_g is None:
        raise ValueError(f"{path}: not a checkpoint of synth's trainers; for a generator saved by the official code give its architecture (--netG {'|'.join(GENERATORS)})")
    return _official_generator(path, net_g, ngf, norm), None

