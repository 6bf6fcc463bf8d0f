"""Where and how computation runs: device, dtype, seeds, ZeroGPU.

Nothing here touches CUDA at import time: on a Hugging Face ZeroGPU Space the GPU is
only attached inside functions decorated with ``spaces.GPU``, and initialising CUDA
earlier breaks that. :func:`device` is called when work starts, never at import.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import torch

__all__ = ["device", "default_dtype", "seed_everything", "generator", "on_zero_gpu", "gpu"]

F = TypeVar("F", bound=Callable)


def device(requested: str | torch.device | None = None) -> torch.device:
    """The device to compute on.

    Order: the argument, then the ``SYNTH_DEVICE`` environment variable, then
    ``cuda`` if available, else ``cpu``.
    """
    name = requested or os.environ.get("SYNTH_DEVICE") or ("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return torch.device(name)
    except RuntimeError:
        raise ValueError(f"unknown device {name!r}; expected 'cpu', 'cuda', 'cuda:1', 'mps', ...") from None


def default_dtype(dev: torch.device, *, half_ok: bool = False) -> torch.dtype:
    """float16 on CUDA for models that tolerate it, float32 everywhere else."""
    return torch.float16 if half_ok and dev.type == "cuda" else torch.float32


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, numpy and torch (all devices) and return a CPU generator with ``seed``.

    Prefer passing the returned generator explicitly; the global seeding covers
    library code that draws from the global generators.
    """
    seed = int(seed)
    if not 0 <= seed < 2**63:
        raise ValueError(f"seed must be in [0, 2**63), got {seed}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return generator(seed)


def generator(seed: int) -> torch.Generator:
    """A CPU ``torch.Generator`` seeded with ``seed``.

    Random tensors are drawn on the CPU and then moved, so the same seed gives the
    same noise on every device.
    """
    gen = torch.Generator(device="cpu")
    gen.manual_seed(int(seed))
    return gen


def on_zero_gpu() -> bool:
    """True on a Hugging Face ZeroGPU Space (the ``spaces`` package sets this up)."""
    if os.environ.get("SPACES_ZERO_GPU", "").lower() not in ("1", "true"):
        return False
    try:
        import spaces  # noqa: F401
    except ImportError:
        return False
    return True


def gpu(duration: int = 60) -> Callable[[F], F]:
    """Decorator: run the function on a ZeroGPU slot for up to ``duration`` seconds.

    Identity everywhere except on a ZeroGPU Space, where it is ``spaces.GPU``.
    """

    def decorate(fn: F) -> F:
        if not on_zero_gpu():
            return fn
        import spaces

        return spaces.GPU(duration=duration)(fn)

    return decorate
