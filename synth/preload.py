"""Lecture mode: load every model that is available here and warm it with one tiny run.

The first click after a start pays for reading a checkpoint, building the model and
the first (slow) forward pass of every kernel. On stage that first click should be as
fast as the second, so ``python app.py --preload`` calls :func:`preload` before it
serves: every registered model whose weights are in the local weights cache is loaded
into the shared model cache (:mod:`synth.cache`, the same keys the tabs use) and run
once at a tiny size through its tab's engine; models whose weights are missing are
listed with the command that fetches them. Nothing is downloaded here.

Prepare a lecture where there is internet::

    python -m synth weights download --all
    python app.py --preload --offline
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

import torch

from . import runtime
from .cache import MODEL_CACHE
from .models import list_models, model_spec
from .weights import WeightsUnavailable, default_store

__all__ = ["WARMUPS", "Preloaded", "preload", "summary", "warm_pyramid"]


def _tiny(side: int = 32) -> torch.Tensor:
    """A fixed smooth test picture (1, 3, side, side) in [0, 1]: no file, no randomness."""
    ramp = torch.linspace(0, 1, side)
    return torch.stack([ramp[None, :].expand(side, side), ramp[:, None].expand(side, side), torch.full((side, side), 0.5)])[None]


def _warm_features(name: str) -> None:
    """Neural textures (and style transfer): two optimisation steps at 32 px, forward and backward."""
    from .gatys import synthesize

    synthesize(_tiny(), size=(32, 32), steps=2, halvings=0, backbone=name)


def _warm_gan(name: str) -> None:
    from .gan import generate

    generate.sample(name, n=1)


def _warm_translate(name: str) -> None:
    from .translate import translate

    translate(_tiny(64), name)


def _warm_style(name: str) -> None:
    """Style transfer's fast mode: one style vector and one 64 px rendering."""
    from .ghiasi import fast_transfer

    fast_transfer(_tiny(64), _tiny(64), size=64)


#: ModelSpec.task -> one tiny run through the engine the tab calls. A new family adds
#: one entry; a task without an entry is only loaded.
WARMUPS: dict[str, Callable[[str], None]] = {
    "features": _warm_features,
    "style": _warm_style,
    "gan": _warm_gan,
    "translate": _warm_translate,
}


def warm_pyramid() -> None:
    """The pyramid tab has no model; one tiny Heeger-Bergen run warms its FFTs and imports."""
    from . import heeger_bergen

    heeger_bergen.synthesize(_tiny(), scales=2, orientations=4, iterations=1)


@dataclass(frozen=True)
class Preloaded:
    """What :func:`preload` did with one model."""

    name: str
    status: Literal["ready", "missing", "failed"]
    seconds: float = 0.0  # load + warm-up
    detail: str = ""  # device, dtype, precision ("bf16 autocast, channels_last") and memory, or why not


def _missing_weights(name: str) -> list[str]:
    store = default_store()
    return [entry for entry in model_spec(name).weights if not store.availability(entry).cached]


def preload(names: Iterable[str] | None = None, *, warm: bool = True, log: Callable[[str], object] | None = None) -> list[Preloaded]:
    """Load (and warm) every model in ``names`` (default: all registered) whose weights are cached.

    Parameters
    ----------
    names
        Registered model names; default :func:`synth.models.list_models`.
    warm
        Also run each model once at a tiny size through its tab's engine
        (:data:`WARMUPS`), and the pyramid synthesis once.
    log
        Called with one line per model as it is done (e.g. ``print``).

    Returns
    -------
    list of Preloaded
        One entry per model: ``ready`` (in the cache, warmed), ``missing`` (weights not
        in the local cache; ``detail`` names them) or ``failed`` (the error).
    """
    results = []
    evictions = MODEL_CACHE.stats().evictions
    if warm:
        start = time.perf_counter()
        warm_pyramid()
        if log:
            log(f"ready    {'(pyramid textures: no model)':28} {time.perf_counter() - start:5.1f} s")
    for name in list(names) if names is not None else list_models():
        missing = _missing_weights(name)
        if missing:
            result = Preloaded(name, "missing", detail=" ".join(missing))
        else:
            start = time.perf_counter()
            try:
                MODEL_CACHE.get(name)
                warmup = WARMUPS.get(model_spec(name).task)
                if warm and warmup:
                    warmup(name)
            except (WeightsUnavailable, ValueError, RuntimeError) as err:
                result = Preloaded(name, "failed", time.perf_counter() - start, f"{type(err).__name__}: {err}")
            else:
                held = next((m for m in reversed(MODEL_CACHE.stats().models) if m.name == name), None)  # what the cache recorded
                detail = f"{held.device}, {held.dtype}, {held.precision}, {held.bytes / 2**20:.0f} MB" if held else "evicted at once: the cache budget is too small"
                result = Preloaded(name, "ready", time.perf_counter() - start, detail)
        results.append(result)
        if log and result.status != "missing":
            log(f"{result.status:8} {name:28} {result.seconds:5.1f} s  {result.detail}")
    evicted = MODEL_CACHE.stats().evictions - evictions
    if evicted and log:
        log(f"warning: {evicted} models were evicted again: the cache budget ({MODEL_CACHE.budget / 2**30:.1f} GB, SYNTH_CACHE_BYTES) is smaller than them all")
    return results


def summary(results: list[Preloaded]) -> str:
    """The printed lecture checklist: what is ready, what is missing and the command that fetches it."""
    ready = [r for r in results if r.status == "ready"]
    missing = [r for r in results if r.status == "missing"]
    failed = [r for r in results if r.status == "failed"]
    lines = [f"Preloaded {len(ready)} of {len(results)} models in {sum(r.seconds for r in results):.1f} s: {', '.join(r.name for r in ready) or 'none'}."]
    dev = runtime.device()
    lines.append(f"{runtime.precision_summary(dev).capitalize()} (SYNTH_PRECISION); each model's line says what it computes in.")
    for r in failed:
        lines.append(f"FAILED {r.name}: {r.detail}")
    if missing:
        entries = list(dict.fromkeys(entry for r in missing for entry in r.detail.split()))
        lines.append(f"Not available here ({len(missing)}; weights not downloaded): {', '.join(r.name for r in missing)}.")
        lines.append(f"Fetch them where there is internet: python -m synth weights download {' '.join(entries)}")
        lines.append("(or everything: python -m synth weights download --all)")
    return "\n".join(lines)
