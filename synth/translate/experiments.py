"""The lecture's two arguments about losses, as experiments on our own small models.

* **Why a GAN loss** (Isola et al. 2017, sec. 2.1 and Figs. 4, 6): the same input
  through the pix2pix generators trained with L1 alone, the conditional GAN loss alone
  and both. L1 can only average the many outputs that fit an input (a blurry,
  greyish "unstructured prediction"); the discriminator penalises what does not look
  real patch by patch, so the GAN's outputs are sharp and coloured. Also shown: the
  discriminator's patch map (which patches it calls fake) and the spread of the
  outputs over dropout seeds, the generator's only noise.
* **Why the cycle** (Zhu et al. 2017, sec. 3 and Fig. 7): with unpaired data a GAN
  loss alone only asks that G(x) look like the other domain, so nothing ties G(x) to x;
  the cycle loss ||F(G(x)) - x||_1 does. Each of G trained with the GAN loss alone,
  with the cycle, and with the identity loss too, on the same animal: G(x), F(G(x)),
  the silhouettes of x and G(x) and their correspondence.

Inputs are resized to the side the models were trained at (64 px); results come back
at that side, in [0, 1], for the tabs to enlarge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

import torch
import torch.nn.functional as F
from torch import Tensor

from ..cache import get_model
from ..datasets import paired, unpaired
from ..datasets.measures import (
    attributes_from_silhouette,
    colourfulness,
    colourfulness_ratio,
    correspondence,
    high_frequency_energy,
    high_frequency_ratio,
    silhouette,
)
from ..images import resize
from .inference import TranslateOptions, cycle, translate
from .lab import HELD_OUT_SEED, LabModel, lab_models, snapshot

__all__ = [
    "HELD_OUT_SEED",
    "CycleComparison",
    "CycleRow",
    "LossComparison",
    "compare_cycles",
    "compare_losses",
    "cycles_picture",
    "dropout_spread",
    "held_out",
    "losses_pictures",
    "mismatched_pair",
    "patch_map",
    "silhouette_overlay",
    "two_animals_picture",
]


def held_out(data: str, index: int, *, size: int = 64) -> tuple[Tensor, Tensor | None]:
    """A held-out sample of a procedural set: (input, target) of a paired set, (animal, None) of ``coats``.

    Both (1, 3, size, size) in [0, 1]; ``index`` picks the sample (the same on every machine).
    """
    if data == "coats":
        return unpaired(data).sample("A", index, seed=HELD_OUT_SEED, size=size).image[None], None
    source, target = paired(data).pair(index, seed=HELD_OUT_SEED, size=size)
    return source[None], target[None]


def _fit(image: Tensor, side: int) -> Tensor:
    """``image`` (1, 3, H, W) as the models saw their training data: a square of ``side`` pixels."""
    if image.ndim != 4 or image.shape[:2] != (1, 3):
        raise ValueError(f"expected an image of shape (1, 3, H, W), got {tuple(image.shape)}")
    return resize(image.float().clamp(0, 1), (side, side))


def patch_map(discriminator: torch.nn.Module, source: Tensor, output: Tensor) -> Tensor:
    """D(x, y): the probability that each patch of ``output`` is real given ``source``, at the image's size.

    The PatchGAN judges every N x N patch (70 x 70 for the 70x70 PatchGAN; Isola et al.
    2017, sec. 2.2); its logits map is smaller than the image, so it is enlarged with
    nearest-neighbour sampling. (1, 1, H, W) in [0, 1]: dark = "fake".
    """
    parameter = next(discriminator.parameters())
    pair = torch.cat([source, output], dim=1).to(device=parameter.device, dtype=parameter.dtype) * 2 - 1
    with torch.inference_mode():
        logits = discriminator(pair).float().cpu()
    return F.interpolate(torch.sigmoid(logits), size=source.shape[-2:], mode="nearest")


def dropout_spread(model: str, image: Tensor, *, seeds: int = 8) -> Tensor:
    """Per-pixel standard deviation of ``model``'s outputs over ``seeds`` dropout seeds, (1, 1, H, W).

    pix2pix's generator gets its noise only from dropout, kept on at test time (Isola
    et al. 2017, sec. 2.2: "we observe only minor stochasticity in the output"): the
    spread shows how little the outputs vary.
    """
    if seeds < 2:
        raise ValueError(f"the spread needs at least 2 seeds, got {seeds}")
    outputs = torch.cat([translate(image, model, TranslateOptions(mode="paper", seed=seed)) for seed in range(seeds)])
    return outputs.std(dim=0, keepdim=True).mean(dim=1, keepdim=True)


@dataclass(frozen=True)
class LossComparison:
    """One input through the generators of one pix2pix experiment (see :func:`compare_losses`).

    ``outputs``, ``patch_maps`` (cGAN models only), ``spread`` and ``scores`` are keyed
    by the model's title ("L1", "cGAN", "cGAN + L1"); images are at the training side.
    """

    input: Tensor
    target: Tensor | None
    models: tuple[LabModel, ...]
    outputs: dict[str, Tensor]
    patch_maps: dict[str, Tensor] = field(default_factory=dict)
    spread: dict[str, Tensor] = field(default_factory=dict)
    scores: dict[str, dict[str, float]] = field(default_factory=dict)


def compare_losses(image: Tensor, data: str, *, target: Tensor | None = None, step: int | None = None, seed: int = 0, seeds: int = 8) -> LossComparison:
    """The input through the L1, cGAN and cGAN + L1 generators of ``data`` ("maps" or "colour").

    Parameters
    ----------
    image, target
        (1, 3, H, W) in [0, 1]: the input and, where there is one, its ground truth;
        both are resized to the models' training side.
    step
        A training snapshot (one of the models' ``snapshots``); ``None``: the final models.
    seed
        Dropout seed of the shown outputs (the paper's test-time mode).
    seeds
        Dropout seeds of the spread (0 or 1: no spread).
    """
    models = tuple(lab_models(data))
    if not models or models[0].family != "pix2pix":
        raise ValueError(f"{data!r} is not a paired experiment of the lab; choose maps or colour")
    side = models[0].size
    source = _fit(image, side)
    truth = _fit(target, side) if target is not None else None
    outputs, patches, spread, scores = {}, {}, {}, {}
    # a ratio to the truth only where it is defined: an upload may be grey or flat
    detailed = truth is not None and high_frequency_energy(truth) > 0
    coloured = truth is not None and colourfulness(truth) > 0
    for model in models:
        name = model.name if step is None else snapshot(model.name, step)
        output = translate(source, name, TranslateOptions(mode="paper", seed=seed))
        outputs[model.title] = output
        if model.discriminator and step is None:
            patches[model.title] = patch_map(get_model(model.discriminator), source, output)
        if seeds >= 2:
            spread[model.title] = dropout_spread(name, source, seeds=seeds)
        score = {"colourfulness": colourfulness(output)}
        if detailed:
            score["high-frequency ratio"] = high_frequency_ratio(output, truth)
        if coloured:
            score["colourfulness ratio"] = colourfulness_ratio(output, truth)
        scores[model.title] = score
    return LossComparison(source, truth, models, outputs, patches, spread, scores)


@dataclass(frozen=True)
class CycleRow:
    """One CycleGAN variant on one animal: G(x), F(G(x)), the silhouettes' overlay and the scores."""

    translated: Tensor
    reconstructed: Tensor
    overlay: Tensor
    scores: dict[str, float]


@dataclass(frozen=True)
class CycleComparison:
    """One animal through the three CycleGAN variants, keyed by title ("GAN only", "+ cycle", "+ identity")."""

    input: Tensor
    models: tuple[LabModel, ...]
    rows: dict[str, CycleRow]


def silhouette_overlay(x: Tensor, translated: Tensor) -> Tensor:
    """G(x) with the silhouettes of x and G(x) drawn over it, (1, 3, H, W) in [0, 1].

    Where both are animal: kept; only in x (G dropped a head or a leg): red; only in
    G(x) (G added something): blue. Silhouette = not grass (:func:`synth.datasets.measures.silhouette`).
    """
    mask_x, mask_g = silhouette(x)[0, 0].bool(), silhouette(translated)[0, 0].bool()
    out = translated[0].clone()
    red, blue = torch.tensor([0.95, 0.1, 0.1])[:, None], torch.tensor([0.1, 0.35, 0.95])[:, None]
    out[:, mask_x & ~mask_g] = 0.35 * out[:, mask_x & ~mask_g] + 0.65 * red
    out[:, mask_g & ~mask_x] = 0.35 * out[:, mask_g & ~mask_x] + 0.65 * blue
    return out[None]


def compare_cycles(image: Tensor, *, data: str = "coats", step: int | None = None) -> CycleComparison:
    """x through G and back through F for each CycleGAN variant of ``data``, with the correspondence scores.

    Scores: ``iou`` of the silhouettes of x and G(x), ``attributes`` (1 if head side,
    number of animals and pose read from both silhouettes agree), ``striped`` (1 if
    G(x) is striped: domain B), ``cycle error`` mean |x - F(G(x))|.
    """
    models = tuple(lab_models(data))
    if not models or models[0].family != "cyclegan":
        raise ValueError(f"{data!r} is not an unpaired experiment of the lab; choose coats")
    x = _fit(image, models[0].size)
    rows = {}
    for model in models:
        forward = model.name if step is None else snapshot(model.name, step)
        backward = model.reverse if step is None else snapshot(str(model.reverse), step)
        turn = cycle(x, forward, backward)
        match = correspondence(x, turn.translated)
        scores = {"iou": match["iou"], "attributes": match["attributes"], "striped": match["domain_b_share"], "cycle error": turn.mean_error}
        rows[model.title] = CycleRow(turn.translated, turn.reconstructed, silhouette_overlay(x, turn.translated), scores)
    return CycleComparison(x, models, rows)


@cache  # the held-out set is fixed: the slide's pair is found once per process
def mismatched_pair(count: int = 64) -> tuple[int, int]:
    """Two of the first ``count`` held-out animals that differ in what the GAN-only generator tends
    to drop: facing opposite ways and one grazing, the other with its head up (the lecture's slide)."""
    seen: dict[tuple[str, str], int] = {}
    for index in range(count):
        image, _ = held_out("coats", index)
        attributes = attributes_from_silhouette(silhouette(image)[0])
        key = (str(attributes["head_side"]), str(attributes["pose"]))
        seen.setdefault(key, index)
        for (side, pose), other in seen.items():
            if side != key[0] and pose != key[1]:
                return other, index
    raise ValueError("no two animals with opposite head sides and poses among the held-out samples")


# ---------------------------------------------------------------- pictures (tabs and command line)
def _coloured(values: Tensor, colour_map: str, vmax: float) -> Tensor:
    """(1, 1, H, W) values in [0, vmax] through a matplotlib colour map: (1, 3, H, W) in [0, 1]."""
    from matplotlib import colormaps

    levels = (values[0, 0].float().clamp(0, vmax) / vmax).numpy()
    return torch.from_numpy(colormaps[colour_map](levels)[..., :3]).float().permute(2, 0, 1)[None]


def _row(cells: Sequence[tuple[Tensor, str]], cell: int) -> Tensor:
    from ..views import caption, enlarge, hstack

    return hstack([caption(enlarge(image[0], cell)[None], text) for image, text in cells], pad=6)


def losses_pictures(comparison: LossComparison, *, cell: int = 192) -> dict[str, Tensor]:
    """The comparison as pictures, enlarged with visible pixels: ``"outputs"`` (input, each model, the
    ground truth), ``"patch maps"`` (D's verdict per patch; red = fake, green = real) and ``"spread"``
    (per-pixel standard deviation over dropout seeds; bright = varies), each (1, 3, h, w)."""
    outputs = [(comparison.input, "input")]
    for model in comparison.models:
        score = comparison.scores[model.title].get("high-frequency ratio")
        outputs.append((comparison.outputs[model.title], model.title + (f" · sharpness {score:.2f}" if score is not None else "")))
    if comparison.target is not None:
        outputs.append((comparison.target, "ground truth"))
    pictures = {"outputs": _row(outputs, cell)}
    if comparison.patch_maps:
        pictures["patch maps"] = _row([(_coloured(m, "RdYlGn", 1.0), f"D on {title}") for title, m in comparison.patch_maps.items()], cell)
    if comparison.spread:
        pictures["spread"] = _row([(_coloured(s, "inferno", 0.1), f"{title}: spread") for title, s in comparison.spread.items()], cell)
    return pictures


def cycles_picture(comparison: CycleComparison, *, cell: int = 160) -> Tensor:
    """One row per CycleGAN variant: x, G(x), F(G(x)) and the silhouettes (red: in x only, blue: in G(x) only)."""
    from ..views import vstack

    rows = []
    for model in comparison.models:
        row = comparison.rows[model.title]
        s = row.scores
        rows.append(
            _row(
                [
                    (comparison.input, f"{model.title}: x"),
                    (row.translated, f"G(x) · IoU {s['iou']:.2f}"),
                    (row.reconstructed, f"F(G(x)) · |x - F(G(x))| {s['cycle error']:.3f}"),
                    (row.overlay, "silhouettes: red x only, blue G(x) only"),
                ],
                cell,
            )
        )
    return vstack(rows)


def two_animals_picture(first: int, second: int, *, data: str = "coats", step: int | None = None, cell: int = 160) -> Tensor:
    """The lecture's slide: two different animals through G trained with the GAN loss alone and with
    the cycle. With the GAN loss alone both become zebras that no longer match their horses."""
    from ..views import vstack

    models = tuple(lab_models(data))
    animals = [_fit(held_out(data, index)[0], models[0].size) for index in (first, second)]
    rows = []
    for model in models[:2]:
        name = model.name if step is None else snapshot(model.name, step)
        cells = []
        for number, x in enumerate(animals, 1):
            cells += [(x, f"{model.title}: horse {number}"), (translate(x, name), f"G(horse {number})")]
        rows.append(_row(cells, cell))
    return vstack(rows)
