"""What the network "sees": first-layer filters, feature maps and Gram matrices as pictures.

Pure functions of a backbone (:mod:`synth.features`) and an image; they return images
(float tensors (1, 3, H, W) in [0, 1]) or matplotlib figures that a tab displays.

* :func:`filter_grid`: conv1_1 filters as colour patches (the lecture's "96 units of
  AlexNet's conv1" slide; VGG has 64, 3x3 each).
* :func:`feature_maps`: the channels of one layer with the most energy for an image.
* :func:`gram_heatmap`: a layer's Gram matrix (Gatys et al. 2015, Eq. 1), the texture
  statistic that :mod:`synth.gatys` matches.
* :func:`loss_figure`: per-layer losses over the optimisation steps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from matplotlib.figure import Figure
from torch import Tensor, nn

from .features import FeatureExtractor, Pooling
from .gatys import gram_matrix
from .views import enlarge, grid

__all__ = ["filter_grid", "feature_maps", "gram_heatmap", "loss_figure"]


def filter_grid(backbone: nn.Module, *, columns: int = 8, cell: int = 32) -> Tensor:
    """The first layer's filters as RGB patches, each scaled to its own range (grey = 0).

    Parameters
    ----------
    backbone
        A :mod:`synth.features` backbone (``first_filters()`` gives (3, k, k) weights in
        RGB order; the Caffe VGG's BGR filters are flipped).
    columns, cell
        Layout: patches per row, and pixels per patch.

    Returns
    -------
    Tensor
        (1, 3, H, W) in [0, 1].
    """
    filters = backbone.first_filters()
    cells = [w / (2 * w.abs().max().clamp_min(1e-12)) + 0.5 for w in filters]
    return grid([enlarge(c, cell) for c in cells], columns=columns, cell=cell, pad=2)


@torch.no_grad()
def feature_maps(backbone: nn.Module, image: Tensor, layer: str, *, count: int = 16, pooling: Pooling = "avg", cell: int = 96) -> tuple[Tensor, list[tuple[int, float]]]:
    """The ``count`` channels of ``layer`` with the most energy (mean squared activation) for ``image``.

    Parameters
    ----------
    backbone, image
        A backbone and an RGB image (1, 3, H, W) in [0, 1] on its device.
    layer
        e.g. ``"relu2_1"``.
    count
        How many channels, strongest first.

    Returns
    -------
    (Tensor, list of (channel, energy))
        A grid (1, 3, H', W') in [0, 1] of the maps (each scaled by its own maximum of
        |activation|, grey = 0 for signed conv outputs, black = 0 after a ReLU or
        pooling), and which channels they are.
    """
    features = FeatureExtractor(backbone, [layer], pooling=pooling)(image)[layer][0].float().cpu()
    energy = features.pow(2).mean(dim=(1, 2))
    top = energy.argsort(descending=True)[:count].tolist()
    signed = bool((features < 0).any())
    cells = []
    for channel in top:
        fmap = features[channel]
        scale = fmap.abs().max().clamp_min(1e-12)
        cells.append(((fmap / (2 * scale) + 0.5) if signed else fmap / scale)[None])
    columns = min(len(cells), 4 if count <= 16 else 8)
    return grid([enlarge(c, cell) for c in cells], columns=columns, cell=cell, pad=2), [(channel, float(energy[channel])) for channel in top]


@torch.no_grad()
def gram_heatmap(backbone: nn.Module, image: Tensor, layer: str, *, channels: int = 64, pooling: Pooling = "avg") -> Figure:
    """The Gram matrix of ``layer`` for ``image`` as a heatmap (the ``channels`` strongest, by G_ii)."""
    features = FeatureExtractor(backbone, [layer], pooling=pooling)(image)[layer]
    gram = gram_matrix(features)[0].cpu()
    order = gram.diagonal().argsort(descending=True)[:channels]
    shown = gram[order][:, order]
    figure = Figure(figsize=(4.6, 4.0), dpi=100)  # not pyplot's: nothing global to close
    axes = figure.add_subplot()
    limit = float(shown.abs().max().clamp_min(1e-12))
    picture = axes.imshow(shown.numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
    axes.set_title(f"Gram matrix of {layer} ({len(order)} of {gram.shape[0]} channels)", fontsize=10)
    axes.set_xlabel("channel j (sorted by G_jj)")
    axes.set_ylabel("channel i")
    figure.colorbar(picture, ax=axes, fraction=0.046, pad=0.04)
    figure.tight_layout()
    return figure


def loss_figure(history: Sequence[tuple[int, Mapping[str, float]]], *, title: str = "texture loss per layer", total: bool = True) -> Figure:
    """Per-term losses (log scale) against the step, from (step, {term: loss}) pairs; ``total`` adds their sum."""
    figure = Figure(figsize=(5.0, 3.0), dpi=100)
    axes = figure.add_subplot()
    names = list(history[0][1]) if history else []
    for name in names:
        steps = [step for step, losses in history if name in losses]
        values = [max(losses[name], 1e-12) for _, losses in history if name in losses]
        axes.plot(steps, values, label=name, linewidth=1.5)
    if history:
        if total:
            axes.plot([s for s, _ in history], [max(sum(terms.values()), 1e-12) for _, terms in history], "k--", label="total", linewidth=1.2)
        axes.set_yscale("log")
        axes.legend(fontsize=7, frameon=False, ncol=2)
    axes.set_xlabel("step (forward + backward passes)")
    axes.set_title(title, fontsize=10)
    # fixed margins: tight_layout measured 0.12 s a call, and the tabs redraw this figure
    # with every progress report while the optimisation runs
    figure.subplots_adjust(left=0.14, right=0.97, bottom=0.16, top=0.9)
    return figure
