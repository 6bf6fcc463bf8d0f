"""Registry entries of the translation generators: pix2pix (U-Net-256) and CycleGAN (ResNet-9).

Every name is also the manifest key of its weights (``weights/manifest.toml``): the
official files of junyanz/pytorch-CycleGAN-and-pix2pix (BSD) from
``efrosgans.eecs.berkeley.edu``, and ``cyclegan/vintage`` from the PyPI wheel
vintagify 0.1.2 (MIT), whose generator has affine InstanceNorm.

Loaders are key filters in the manner of timm's ``checkpoint_filter_fn``, so the
model code stays that of the official architecture:

* :func:`drop_legacy_instance_norm_keys`: CycleGAN files saved with PyTorch < 0.4
  carry ``running_mean`` / ``running_var`` (and later ``num_batches_tracked``) for
  InstanceNorm layers that track no statistics; the official loader deletes them
  before loading (``__patch_instance_norm_state_dict`` in ``models/base_model.py``),
  and so do we, then everything else loads strictly;
* :func:`add_missing_batch_norm_counts`: pix2pix files saved before PyTorch 0.4.1
  have no BatchNorm ``num_batches_tracked``; PyTorch itself fills in 0 when it
  loads such files, and so do we;
* :func:`load_vintagify`: vintagify names the residual branch ``block`` where the
  official code says ``conv_block``; indices and shapes are otherwise the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import torch
from torch import nn

from ..models import ModelSpec, load_strict, read_state_dict
from .lab import lab_generators
from .resnet import ResnetGenerator
from .unet import UnetGenerator

__all__ = [
    "MODELS",
    "Translator",
    "TRANSLATORS",
    "translators",
    "drop_legacy_instance_norm_keys",
    "add_missing_batch_norm_counts",
    "mend_official",
    "load_official",
    "load_vintagify",
]

_LEGACY_SUFFIXES = ("running_mean", "running_var", "num_batches_tracked")


def drop_legacy_instance_norm_keys(model: nn.Module, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``state`` without the InstanceNorm statistics that ``model`` does not track.

    Only keys of the form ``<instance-norm module>.{running_mean, running_var,
    num_batches_tracked}`` that ``model`` lacks are dropped; anything else that does
    not fit is left for the strict load to report.
    """
    norms = {name for name, module in model.named_modules() if isinstance(module, nn.InstanceNorm2d)}
    expected = model.state_dict().keys()

    def legacy(key: str) -> bool:
        owner, _, leaf = key.rpartition(".")
        return leaf in _LEGACY_SUFFIXES and owner in norms and key not in expected

    return {key: value for key, value in state.items() if not legacy(key)}


def add_missing_batch_norm_counts(model: nn.Module, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``state`` with ``num_batches_tracked = 0`` for BatchNorm layers saved before PyTorch 0.4.1.

    Files saved before that version have running statistics but no batch counter;
    PyTorch's own ``BatchNorm._load_from_state_dict`` fills in 0 for them (the
    counter only matters for training with ``momentum=None``).
    """
    state = dict(state)
    for name, module in model.named_modules():
        if isinstance(module, nn.BatchNorm2d) and module.track_running_stats:
            if f"{name}.running_mean" in state and f"{name}.num_batches_tracked" not in state:
                state[f"{name}.num_batches_tracked"] = torch.tensor(0, dtype=torch.long)
    return state


def mend_official(model: nn.Module, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """An official generator's ``state`` with its legacy norm keys mended for ``model`` (both filters above)."""
    return add_missing_batch_norm_counts(model, drop_legacy_instance_norm_keys(model, state))


def load_official(model: nn.Module, paths: Sequence[Path]) -> None:
    """Load an official pix2pix/CycleGAN generator file strictly (legacy norm keys mended first)."""
    (path,) = paths
    load_strict(model, mend_official(model, read_state_dict(path)))


def load_vintagify(model: nn.Module, paths: Sequence[Path]) -> None:
    """Load vintagify's ``G_A2B_epoch33.pth`` (``model.N.block.M`` -> ``model.N.conv_block.M``) strictly."""
    (path,) = paths
    state = {key.replace(".block.", ".conv_block."): value for key, value in read_state_dict(path).items()}
    load_strict(model, state)


@dataclass(frozen=True)
class Translator:
    """What the tabs and the command line show about a translation model.

    ``reverse`` names the generator of the opposite direction trained with it (F for
    G), which closes the cycle x -> G(x) -> F(G(x)); ``None`` where none is published.
    """

    name: str
    title: str
    family: str  # "pix2pix" or "cyclegan"
    reverse: str | None = None


_P2P = "pix2pix U-Net-256 (Isola et al. 2017), official weights, BSD"
_CG = "CycleGAN ResNet-9 (Zhu et al. 2017), official weights, BSD"
_OFFICIAL: tuple[Translator, ...] = (
    Translator("pix2pix/map2sat", "map → satellite", "pix2pix"),
    Translator("pix2pix/sat2map", "satellite → map", "pix2pix"),
    Translator("pix2pix/facades_label2photo", "facade labels → photo", "pix2pix"),
    Translator("pix2pix/edges2shoes", "edges → shoe", "pix2pix"),
    Translator("pix2pix/day2night", "day → night", "pix2pix"),
    Translator("cyclegan/horse2zebra", "horse → zebra", "cyclegan", "cyclegan/zebra2horse"),
    Translator("cyclegan/zebra2horse", "zebra → horse", "cyclegan", "cyclegan/horse2zebra"),
    Translator("cyclegan/style_monet", "photo → Monet", "cyclegan", "cyclegan/monet2photo"),
    Translator("cyclegan/monet2photo", "Monet → photo", "cyclegan", "cyclegan/style_monet"),
    Translator("cyclegan/style_vangogh", "photo → Van Gogh", "cyclegan"),
    Translator("cyclegan/style_cezanne", "photo → Cézanne", "cyclegan"),
    Translator("cyclegan/style_ukiyoe", "photo → Ukiyo-e", "cyclegan"),
    Translator("cyclegan/apple2orange", "apple → orange", "cyclegan", "cyclegan/orange2apple"),
    Translator("cyclegan/orange2apple", "orange → apple", "cyclegan", "cyclegan/apple2orange"),
    Translator("cyclegan/summer2winter_yosemite", "summer → winter (Yosemite)", "cyclegan", "cyclegan/winter2summer_yosemite"),
    Translator("cyclegan/winter2summer_yosemite", "winter → summer (Yosemite)", "cyclegan", "cyclegan/summer2winter_yosemite"),
    Translator("cyclegan/map2sat", "map → satellite (unpaired)", "cyclegan", "cyclegan/sat2map"),
    Translator("cyclegan/sat2map", "satellite → map (unpaired)", "cyclegan", "cyclegan/map2sat"),
    Translator("cyclegan/vintage", "modern → vintage photo (vintagify)", "cyclegan"),
)
#: Every translation model by name: the official ones, then ours (:mod:`synth.translate.lab`,
#: registered there, final models only; their training snapshots are in the registry too).
TRANSLATORS: dict[str, Translator] = {
    t.name: t for t in (*_OFFICIAL, *(Translator(m.name, m.caption, m.family, m.reverse) for m in lab_generators()))
}


def translators(family: str) -> list[Translator]:
    """The translation models of ``family`` ("pix2pix" or "cyclegan"), in display order."""
    return [t for t in TRANSLATORS.values() if t.family == family]


def _spec(t: Translator) -> ModelSpec:
    if t.name == "cyclegan/vintage":
        build, load = partial(ResnetGenerator, affine=True), load_vintagify
        summary = "CycleGAN ResNet-9 with affine InstanceNorm, modern → vintage (vintagify 0.1.2), MIT"
    elif t.family == "pix2pix":
        build, load, summary = UnetGenerator, load_official, _P2P
    else:
        build, load, summary = ResnetGenerator, load_official, _CG
    return ModelSpec(
        name=t.name,
        build=build,
        weights=(t.name,),
        load=load,
        task="translate",
        summary=f"{t.title}: {summary}",
        half_ok=True,
        input_range=(-1.0, 1.0),
        output_range=(-1.0, 1.0),
    )


MODELS: tuple[ModelSpec, ...] = tuple(_spec(t) for t in _OFFICIAL)
