"""The process-wide model cache: load once, keep on the device, evict least recently used.

Loading a checkpoint takes seconds; a forward pass of a cached model takes
milliseconds. :class:`ModelCache` keeps models keyed by (name, device, dtype,
precision), where precision is :func:`synth.runtime.precision` on that device (so
``SYNTH_PRECISION=fp32`` never shares a model whose layout the bfloat16 policy
changed), and stores each in the memory layout of its :func:`synth.runtime.policy`:

* one load per key, even when many requests arrive at once (a lock per key: the
  others wait for the first load and then share the model);
* least-recently-used eviction when the models' bytes exceed a budget
  (``SYNTH_CACHE_BYTES``, e.g. ``4G``); evicted models are dropped and CUDA's cached
  blocks released;
* hit / miss / eviction / load-time counters, readable from code and shown in the
  app, because "GPU model caching" is a feature users check.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from . import runtime

__all__ = ["CacheStats", "CachedModel", "ModelCache", "model_bytes", "parse_bytes", "MODEL_CACHE", "get_model"]

DEFAULT_BUDGET = 6 * 2**30

#: (name, device, dtype, precision) of a cached model.
Key = tuple[str, str, str, str]


def parse_bytes(text: str) -> int:
    """``"1500000"``, ``"512M"``, ``"4G"`` -> bytes."""
    text = text.strip().upper().removesuffix("B").removesuffix("I")
    scale = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}.get(text[-1:], 1)
    number = text[:-1] if scale > 1 else text
    try:
        value = int(float(number) * scale)
    except ValueError:
        raise ValueError(f"expected a byte count like 4G, 512M or 1000000; got {text!r}") from None
    if value <= 0:
        raise ValueError(f"a byte budget must be positive; got {text!r}")
    return value


def model_bytes(model: nn.Module) -> int:
    """Bytes held by a model's parameters and buffers (plus ``extra_bytes`` if it declares any)."""
    tensors = list(model.parameters()) + list(model.buffers())
    return sum(t.numel() * t.element_size() for t in tensors) + int(getattr(model, "extra_bytes", 0))


@dataclass(frozen=True)
class CachedModel:
    """One model in memory, for the cache panel."""

    name: str
    device: str
    dtype: str
    bytes: int
    load_seconds: float
    precision: str  # what it computes in: synth.runtime.Policy.describe()


@dataclass(frozen=True)
class CacheStats:
    hits: int
    misses: int
    evictions: int
    loads: int
    load_seconds: float
    bytes: int
    budget: int
    models: tuple[CachedModel, ...]


class ModelCache:
    """Get-or-load models by (name, device, dtype, precision) under a byte budget.

    Parameters
    ----------
    loader
        ``loader(name, device=..., dtype=...) -> nn.Module``; default
        :func:`synth.models.create_model`.
    budget
        Byte budget; default ``SYNTH_CACHE_BYTES`` or 6 GiB.
    """

    def __init__(self, loader: Callable[..., nn.Module] | None = None, budget: int | None = None) -> None:
        if loader is None:
            from .models import create_model as loader
        env = os.environ.get("SYNTH_CACHE_BYTES")
        self.loader = loader
        self.budget = budget or (parse_bytes(env) if env else DEFAULT_BUDGET)
        self._models: OrderedDict[Key, tuple[nn.Module, CachedModel]] = OrderedDict()
        self._key_locks: dict[Key, threading.Lock] = {}
        self._lock = threading.Lock()
        self.hits = self.misses = self.evictions = self.loads = 0
        self.load_seconds = 0.0

    def get(self, name: str, device: str | torch.device | None = None, dtype: torch.dtype | None = None) -> nn.Module:
        """The model ``name`` on ``device`` in ``dtype``, loading it at most once.

        The model is stored in the memory layout of its :func:`synth.runtime.policy`
        (channels_last where that family measured faster under bfloat16).
        """
        dev = runtime.device(device)
        if dtype is None:
            from .models import model_spec

            dtype = runtime.default_dtype(dev, half_ok=model_spec(name).half_ok)
        key = (name, str(dev), str(dtype).removeprefix("torch."), runtime.precision(dev))
        with self._lock:
            if key in self._models:
                return self._hit(key)
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._models:  # loaded by another thread while we waited
                    return self._hit(key)
                self.misses += 1
            start = time.perf_counter()
            model = self.loader(name, device=dev, dtype=dtype)
            policy = runtime.policy(model, dev)
            if policy.channels_last:
                model.to(memory_format=torch.channels_last)
            seconds = time.perf_counter() - start
            info = CachedModel(name, key[1], key[2], model_bytes(model), seconds, policy.describe())
            with self._lock:
                self._models[key] = (model, info)
                self.loads += 1
                self.load_seconds += seconds
                self._evict_over_budget(keep=key)
        return model

    def _hit(self, key: Key) -> nn.Module:
        self.hits += 1
        self._models.move_to_end(key)
        return self._models[key][0]

    def _evict_over_budget(self, keep: Key) -> None:
        while self._total() > self.budget and len(self._models) > 1:
            oldest = next(iter(self._models))
            if oldest == keep:
                break
            self._drop(oldest)
            self.evictions += 1

    def _drop(self, key: Key) -> None:
        model, _ = self._models.pop(key)
        if key[1].startswith("cuda"):
            del model
            torch.cuda.empty_cache()

    def _total(self) -> int:
        return sum(info.bytes for _, info in self._models.values())

    def clear(self) -> int:
        """Drop every model ("free memory"); returns how many were dropped."""
        with self._lock:
            count = len(self._models)
            for key in list(self._models):
                self._drop(key)
            return count

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(
                hits=self.hits,
                misses=self.misses,
                evictions=self.evictions,
                loads=self.loads,
                load_seconds=self.load_seconds,
                bytes=self._total(),
                budget=self.budget,
                models=tuple(info for _, info in reversed(self._models.values())),
            )


#: The one cache the app and the command line share.
MODEL_CACHE = ModelCache()


def get_model(name: str, device: str | torch.device | None = None, dtype: torch.dtype | None = None) -> nn.Module:
    """``MODEL_CACHE.get``: the cached model ``name`` (see :func:`synth.models.create_model`)."""
    return MODEL_CACHE.get(name, device, dtype)
