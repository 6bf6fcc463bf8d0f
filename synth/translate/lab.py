"""Our own small translation models (``weights/lab/``): the lecture's loss ablations, trained here.

The official pix2pix and CycleGAN checkpoints come from one host that is often
unreachable, and none of them shows the lecture's two arguments about losses. These
models do, with no download: trained by :mod:`synth.train` (``python -m synth train``,
the exact command is in each file's metadata and in its manifest entry) on the
procedural sets of :mod:`synth.datasets` at 64 pixels on one CPU core, stored as
float16 safetensors in ``weights/lab/`` and verified against the manifest's sha256.

* pix2pix (Isola et al. 2017, section 4.2, Table 1, Fig. 4) on ``maps`` (map ->
  aerial) and ``colour`` (grey -> colour), one generator per objective: ``l1``
  (blurry, the "unstructured" average), ``cgan`` and ``cgan+l1`` (sharp); the
  conditional GAN ones also ship their 70x70 PatchGAN discriminator, whose patch
  logits show which parts of (x, G(x)) it calls fake.
* CycleGAN (Zhu et al. 2017, section 5.1.4, Table 4, Fig. 7) on ``coats`` (brown ->
  striped animals and back), G and F per objective: ``gan`` (G(x) need not
  correspond to x), ``gan+cycle`` and ``gan+cycle+identity``.

Registry names (the tabs use them; :func:`lab_models` lists them by experiment):

==========================================  =====================================
``lab/maps-l1`` ... ``lab/colour-cgan+l1``  pix2pix generators (task "translate")
``lab/maps-cgan/D`` ...                     their discriminators (task "discriminator"):
                                            concat(x, y) in [-1, 1] -> patch logits
``lab/horse2zebra-gan`` ...                 CycleGAN G (brown -> striped)
``lab/zebra2horse-gan`` ...                 CycleGAN F, each the other's ``reverse``
``NAME@STEP``                               the generator after STEP training steps
                                            (:func:`snapshot`); ``@0`` is the seeded
                                            initialisation, built, not shipped
==========================================  =====================================

:func:`measure_pix2pix` and :func:`measure_cyclegan` score them on held-out samples
of their set (a seed not used in training) with :mod:`synth.datasets.measures`, as
the issues ask and as ``benchmarks/lab_models.py`` prints.

References
----------
Isola, Zhu, Zhou & Efros. Image-to-Image Translation with Conditional Adversarial
Networks. CVPR 2017. https://arxiv.org/abs/1611.07004

Zhu, Park, Isola & Efros. Unpaired Image-to-Image Translation using Cycle-Consistent
Adversarial Networks. ICCV 2017. https://arxiv.org/abs/1703.10593
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn

from ..models import ModelSpec, load_strict, read_state_dict

__all__ = [
    "HELD_OUT_SEED",
    "LabModel",
    "MODELS",
    "lab_generators",
    "lab_models",
    "lab_model",
    "snapshot",
    "trained_side",
    "measure_pix2pix",
    "measure_cyclegan",
    "measure_cycle",
]

#: Seed of the held-out samples the models are measured on (training used seed 0).
HELD_OUT_SEED = 1000
#: Side of the training images, pixels.
SIZE = 64

_P2P_CITATION = "Isola, Zhu, Zhou & Efros. Image-to-Image Translation with Conditional Adversarial Networks. CVPR 2017"
_CG_CITATION = "Zhu, Park, Isola & Efros. Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial Networks. ICCV 2017"

#: What the tabs call each objective.
LOSS_TITLES = {
    "l1": "L1 only",
    "cgan": "cGAN only",
    "cgan+l1": "cGAN + L1",
    "gan": "GAN only",
    "gan+cycle": "GAN + cycle",
    "gan+cycle+identity": "GAN + cycle + identity",
}
#: What each direction translates, for titles.
_DIRECTIONS = {"maps": "map → aerial", "colour": "grey → colour", "G": "brown → striped coat", "F": "striped → brown coat"}
_CYCLE_NAMES = {"G": "horse2zebra", "F": "zebra2horse"}


@dataclass(frozen=True)
class _Run:
    """One training run as it was done: objective, networks, seed, steps and kept snapshots.

    ``file`` is the manifest entry (and ``weights/FILE.safetensors``) of its final
    checkpoint; ``FILE@STEP`` those of its snapshots. The architectures and the seed
    are what ``python -m synth train`` recorded in the files' metadata
    (``tests/test_lab_models.py`` checks they agree), so the step-0 model can be
    built without a file.
    """

    family: Literal["pix2pix", "cyclegan"]
    data: str
    loss: str
    steps: int
    snapshots: tuple[int, ...]  # intermediate steps that ship (0 is built, the final is the file)
    generator: dict[str, Any]
    discriminator: dict[str, Any] | None
    seed: int = 0

    @property
    def file(self) -> str:
        return f"lab/{self.data}-{self.loss}"

    @property
    def steps_kept(self) -> tuple[int, ...]:
        return (0, *self.snapshots, self.steps)


def _generator(name: str, ngf: int, norm: str, dropout: bool) -> dict[str, Any]:
    return {"kind": "generator", "name": name, "ngf": ngf, "norm": norm, "dropout": dropout}


def _discriminator(in_channels: int, norm: str) -> dict[str, Any]:
    return {"kind": "discriminator", "name": "patch70", "in_channels": in_channels, "ndf": 32, "norm": norm}


# The recipes: the official layouts (U-Net with batch norm and dropout for pix2pix, ResNet
# with instance norm for CycleGAN, 70x70 PatchGANs), narrowed to fit 5 MB and a CPU. The
# maps U-Net is 8 channels wide; colour needs 12 to tell objects from their ground.
_RUNS: tuple[_Run, ...] = (
    *(
        _Run("pix2pix", data, loss, 4000, (250, 1000), _generator("unet_64", ngf, "batch", True), None if loss == "l1" else _discriminator(6, "batch"))
        for data, ngf in (("maps", 8), ("colour", 12))
        for loss in ("l1", "cgan", "cgan+l1")
    ),
    *(
        _Run("cyclegan", "coats", loss, 20000, (2000, 10000), _generator("resnet_6blocks", 16, "instance", False), _discriminator(3, "instance"))
        for loss in ("gan", "gan+cycle", "gan+cycle+identity")
    ),
)


@dataclass(frozen=True)
class LabModel:
    """One of our trained generators as the tabs show it.

    Attributes
    ----------
    name
        Registry name of the final generator, e.g. ``"lab/maps-cgan+l1"``.
    family
        ``"pix2pix"`` or ``"cyclegan"``.
    data
        The procedural set trained on: ``"maps"``, ``"colour"`` or ``"coats"``.
    loss
        The objective: ``"l1"``, ``"cgan"``, ``"cgan+l1"``, ``"gan"``,
        ``"gan+cycle"`` or ``"gan+cycle+identity"``.
    title
        What the tab shows, e.g. ``"cGAN + L1"``.
    discriminator
        Registry name of the discriminator trained with it, or ``None``.
    reverse
        Registry name of the generator of the opposite direction (CycleGAN's F for G
        and G for F), or ``None``.
    snapshots
        Training steps with a registered generator ``NAME@STEP`` (:func:`snapshot`),
        ascending; the last is the final model, ``NAME`` itself.
    size
        Side of the training images, pixels.
    """

    name: str
    family: Literal["pix2pix", "cyclegan"]
    data: str
    loss: str
    title: str
    discriminator: str | None
    reverse: str | None
    snapshots: tuple[int, ...]
    size: int

    @property
    def caption(self) -> str:
        """A longer title for model lists, e.g. ``"map → aerial (lab, cGAN + L1)"``."""
        if self.family == "pix2pix":
            direction = _DIRECTIONS[self.data]
        else:
            direction = _DIRECTIONS["G" if "/horse2zebra-" in self.name else "F"]
        return f"{direction} (lab, {self.title})"


def _lab_model(run: _Run, network: str) -> LabModel:
    if run.family == "pix2pix":
        name, reverse = f"lab/{run.data}-{run.loss}", None
        discriminator = f"{name}/D" if run.discriminator is not None else None
    else:
        other = "F" if network == "G" else "G"
        name, reverse, discriminator = f"lab/{_CYCLE_NAMES[network]}-{run.loss}", f"lab/{_CYCLE_NAMES[other]}-{run.loss}", None
    return LabModel(name, run.family, run.data, run.loss, LOSS_TITLES[run.loss], discriminator, reverse, run.steps_kept, SIZE)


#: (model, its run, the network's name in the checkpoint) for every lab generator.
_GENERATORS: tuple[tuple[LabModel, _Run, str], ...] = tuple(
    (_lab_model(run, network), run, network) for run in _RUNS for network in (("G",) if run.family == "pix2pix" else ("G", "F"))
)
_BY_NAME = {model.name: (model, run, network) for model, run, network in _GENERATORS}


def lab_generators() -> list[LabModel]:
    """Every lab generator's final model (CycleGAN's G and F both), in the lecture's order."""
    return [model for model, _, _ in _GENERATORS]


def lab_models(data: str) -> list[LabModel]:
    """The models of one experiment in the lecture's order: ``l1``, ``cgan``, ``cgan+l1``
    (``"maps"``, ``"colour"``) or ``gan``, ``gan+cycle``, ``gan+cycle+identity``
    (``"coats"``: the G's, brown -> striped; each names its F as ``reverse``)."""
    found = [model for model, _, network in _GENERATORS if model.data == data and network == "G"]
    if not found:
        raise ValueError(f"no lab models trained on {str(data)[:40]!r}; known: {', '.join(dict.fromkeys(r.data for r in _RUNS))}")
    return found


def lab_model(name: str) -> LabModel:
    """The :class:`LabModel` of a generator's registry name (final or ``NAME@STEP``)."""
    base = name.split("@", 1)[0]
    if base not in _BY_NAME:
        raise ValueError(f"{str(name)[:60]!r} is not a lab generator; known: {', '.join(_BY_NAME)}")
    return _BY_NAME[base][0]


def trained_side(name: str) -> int | None:
    """The side in pixels that lab generator ``name`` (final or ``NAME@STEP``) was trained at,
    and translates at; ``None`` for any other model."""
    found = _BY_NAME.get(name.split("@", 1)[0])
    return found[0].size if found else None


def snapshot(name: str, step: int) -> str:
    """The registry name of generator ``name`` after ``step`` training steps: ``"NAME@STEP"``,
    or ``name`` itself for the final step. ``ValueError`` for a step that was not kept."""
    model = lab_model(name)
    if step not in model.snapshots:
        raise ValueError(f"{model.name} has snapshots at steps {', '.join(map(str, model.snapshots))}, not {step}")
    return model.name if step == model.snapshots[-1] else f"{model.name}@{step}"


# ---------------------------------------------------------------- registry entries
#: The seeded stream of :func:`synth.train.engine.streams` each network is initialised from.
_INIT_STREAMS = {"G": "init_g", "F": "init_f", "D": "init_d"}


def _build(run: _Run, network: str) -> nn.Module:
    """The network as the trainer initialised it (same architecture, same seeded draws)."""
    from ..train.engine import streams
    from ..train.networks import build_discriminator, build_generator

    seed = streams(run.seed)[_INIT_STREAMS[network]]
    if network == "D":
        d = run.discriminator or {}
        return build_discriminator(d["name"], d["in_channels"], ndf=d["ndf"], norm=d["norm"], seed=seed)
    g = run.generator
    return build_generator(g["name"], ngf=g["ngf"], norm=g["norm"], dropout=g["dropout"], seed=seed)


def load_network(network: str, model: nn.Module, paths: Sequence[Path]) -> None:
    """Load the tensors of ``network`` ("G", "F" or "D") from a checkpoint of :mod:`synth.train`, strictly
    (float16 storage is loaded as float32; the file's other networks are left alone)."""
    (path,) = paths
    prefix = f"{network}."
    state = {key[len(prefix) :]: value.float() for key, value in read_state_dict(path).items() if key.startswith(prefix)}
    load_strict(model, state)


def _summary(run: _Run, what: str, step: int | None = None) -> str:
    paper = "Isola et al. 2017" if run.family == "pix2pix" else "Zhu et al. 2017"
    when = f"after {step} of {run.steps} training steps" if step is not None else f"{run.steps} training steps"
    return f"{what}: {run.family} {LOSS_TITLES[run.loss]} ({paper}), trained by this project on its procedural {run.data} set at {SIZE} px, {when}; MIT"


def _specs() -> tuple[ModelSpec, ...]:
    specs = []
    common = {"task": "translate", "half_ok": True, "input_range": (-1.0, 1.0), "output_range": (-1.0, 1.0)}
    for model, run, network in _GENERATORS:
        build, load = partial(_build, run, network), partial(load_network, network)
        for step in model.snapshots:
            name = snapshot(model.name, step)
            weights = () if step == 0 else (run.file,) if step == run.steps else (f"{run.file}@{step}",)
            summary = _summary(run, model.caption, None if step == run.steps else step)
            if step == 0:
                summary += " (the seeded initialisation: no weights)"
            specs.append(ModelSpec(name=name, build=build, weights=weights, load=load, summary=summary, **common))
        if model.discriminator is not None:
            specs.append(
                ModelSpec(
                    name=model.discriminator,
                    build=partial(_build, run, "D"),
                    weights=(run.file,),
                    load=partial(load_network, "D"),
                    task="discriminator",
                    summary=_summary(run, f"70x70 PatchGAN of {model.name}: concat(x, y) -> patch logits (sigmoid: belief that the patch is real)"),
                    half_ok=True,
                    input_range=(-1.0, 1.0),
                )
            )
    return tuple(specs)


MODELS: tuple[ModelSpec, ...] = _specs()


# ---------------------------------------------------------------- held-out measurements
def measure_pix2pix(name: str, *, n: int = 64, seed: int = HELD_OUT_SEED, mode: Literal["paper", "eval"] = "paper") -> dict[str, float]:
    """Score pix2pix generator ``name`` (final or snapshot) on ``n`` held-out pairs of its set.

    Each input is translated alone, as the tab does (:func:`synth.translate.translate`),
    in ``mode`` ``"paper"`` (dropout on with masks seeded by the pair's index, the
    image's own batch statistics: Isola et al. 2017, section 3.3) or ``"eval"``
    (running statistics, no dropout). Returns ``hf_ratio`` (high-frequency energy of
    the outputs over the targets'), ``colourfulness_ratio`` (Hasler & Suesstrunk),
    ``l1`` (mean |G(x) - y| on [0, 1]) and ``n``.
    """
    from ..datasets import paired
    from ..datasets.measures import colourfulness_ratio, high_frequency_ratio
    from .inference import translate

    model = lab_model(name)
    inputs, targets = paired(model.data).batch(range(n), seed=seed, size=model.size)
    outputs = torch.cat([translate(inputs[i : i + 1], name, mode=mode, seed=i, device="cpu") for i in range(n)])
    return {
        "hf_ratio": high_frequency_ratio(outputs, targets),
        "colourfulness_ratio": colourfulness_ratio(outputs, targets),
        "l1": float((outputs - targets).abs().mean()),
        "n": float(n),
    }


def measure_cyclegan(name: str, *, n: int = 64, seed: int = HELD_OUT_SEED) -> dict[str, float]:
    """Score CycleGAN generator ``name`` (G, brown -> striped; final or snapshot) on ``n`` held-out animals:
    :func:`measure_cycle` of it and the matching snapshot of its reverse generator F."""
    model = lab_model(name)
    if model.family != "cyclegan" or model.reverse is None or "/horse2zebra-" not in model.name:
        raise ValueError(f"{name} is not a lab CycleGAN G (brown -> striped); the measures score striped outputs")
    step = int(name.split("@", 1)[1]) if "@" in name else model.snapshots[-1]
    return measure_cycle(name, snapshot(model.reverse, step), size=model.size, n=n, seed=seed)


def measure_cycle(forward: nn.Module | str, backward: nn.Module | str, *, size: int = SIZE, n: int = 64, seed: int = HELD_OUT_SEED) -> dict[str, float]:
    """Score a pair G: brown -> striped, F: striped -> brown (modules or registry names, e.g. the
    ``G`` and ``F`` of a :func:`synth.train.checkpoint.load_checkpoint`) on ``n`` held-out ``coats`` animals.

    :func:`synth.datasets.measures.correspondence` of x and G(x) (silhouette ``iou``,
    agreement of ``animals``, ``head_side``, ``pose`` and of all three,
    ``attributes``; ``domain_b_share`` striped by :func:`~synth.datasets.measures.stripe_score`),
    plus ``cycle_error``, mean |x - F(G(x))| on [0, 1], and ``alike``: the mean
    silhouette IoU between the outputs of consecutive inputs, G(x_i) and G(x_i+1),
    beside ``alike_inputs``, the same for the inputs (a G that ignores its input draws
    alike animals: Zhu et al. 2017, section 3, "nothing forces the output to correspond
    to the input"). The animals are drawn at ``size`` pixels with ``seed``.
    """
    from ..datasets import unpaired
    from ..datasets.measures import correspondence, iou, silhouette
    from .inference import cycle

    x, _ = unpaired("coats").batch("A", range(n), seed=seed, size=size)
    turns = [cycle(x[i : i + 1], forward, backward, device="cpu") for i in range(n)]
    translated = torch.cat([t.translated for t in turns])
    scores = correspondence(x, translated)
    masks_x, masks_g = silhouette(x), silhouette(translated)
    scores["cycle_error"] = sum(t.mean_error for t in turns) / n
    scores["alike"] = iou(masks_g, masks_g.roll(1, 0))
    scores["alike_inputs"] = iou(masks_x, masks_x.roll(1, 0))
    return scores
