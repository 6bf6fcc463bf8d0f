"""Where and how computation runs: device, dtype, seeds, ZeroGPU.

Nothing here touches CUDA at import time: on a Hugging Face ZeroGPU Space the GPU is
only attached inside functions decorated with ``spaces.GPU``, and initialising CUDA
earlier breaks that. :func:`device` is called when work starts, never at import.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

import torch

__all__ = [
    "device",
    "default_dtype",
    "check_seed",
    "generator",
    "on_zero_gpu",
    "gpu",
    "cpu_count",
    "set_threads",
    "tune_malloc",
]

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


def check_seed(seed: int) -> int:
    """``seed`` as an int if it is a whole number in [0, 2**63), else a ``ValueError`` that says so.

    (torch's ``manual_seed`` answers a huge seed with "Overflow when unpacking long long".)
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, float)) or (isinstance(seed, float) and not seed.is_integer()):
        raise ValueError(f"a seed must be a whole number in [0, 2**63), got {seed!r}")
    if not 0 <= seed < 2**63:
        raise ValueError(f"a seed must be a whole number in [0, 2**63), got {seed:.6g}")
    return int(seed)


def generator(seed: int) -> torch.Generator:
    """A CPU ``torch.Generator`` seeded with ``seed`` (see :func:`check_seed`).

    Random tensors are drawn on the CPU and then moved, so the same seed gives the
    same noise on every device.
    """
    gen = torch.Generator(device="cpu")
    gen.manual_seed(check_seed(seed))
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


def gpu(duration: int | Callable[..., int] = 60) -> Callable[[F], F]:
    """Decorator: run the function on a ZeroGPU slot for up to ``duration`` seconds.

    Identity everywhere except on a ZeroGPU Space, where it is ``spaces.GPU``
    (``duration`` may then also be a function of the call's arguments). Put it on the
    *outside* of a UI handler (``@gpu(...)`` above ``@ui_errors``): ``spaces`` runs the
    function in a forked worker, passes only ``gr.Error`` messages back unchanged
    (any other exception becomes "ZeroGPU worker error") and pickles the arguments, so
    it belongs on handlers whose arguments are plain data, not on engine functions
    that take callbacks.
    """

    def decorate(fn: F) -> F:
        if not on_zero_gpu():
            return fn
        import spaces

        return spaces.GPU(duration=duration)(fn)

    return decorate


# ------------------------------------------------------------------ CPU
def cpu_count() -> int:
    """CPUs this process may really use: the affinity mask, capped by a cgroup CPU quota.

    A container (a Hugging Face CPU Space) often sees the host's cores in
    ``os.cpu_count()`` while its quota (``/sys/fs/cgroup/cpu.max``) allows two.
    """
    count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        quota, period = open("/sys/fs/cgroup/cpu.max").read().split()[:2]
        if quota != "max":
            count = min(count, max(1, int(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return max(1, count)


def set_threads(intra: int, interop: int = 1) -> tuple[int, int]:
    """Torch's intra-op (and, if not yet fixed, inter-op) thread counts; returns the counts in force.

    Concurrent requests each run their own torch ops; with ``intra`` threads each,
    ``k`` requests keep ``k * intra`` threads busy. Above the core count they
    preempt each other (OpenMP teams wait on their slowest thread), which on a 2-core
    machine made a 2-thread job several times slower for everyone. The app chooses
    ``intra`` from the core count and the queue's concurrency (see ``app.py``).
    """
    torch.set_num_threads(max(1, int(intra)))
    try:
        torch.set_num_interop_threads(max(1, int(interop)))
    except RuntimeError:  # fixed once any inter-op work ran; keep it
        pass
    return torch.get_num_threads(), torch.get_num_interop_threads()


def tune_malloc(mmap_threshold: int = 64 * 2**20, trim_threshold: int = 256 * 2**20, arenas: int | None = None) -> bool:
    """glibc ``mallopt``: serve large buffers from the heap and keep freed memory a while.

    By default glibc hands every buffer above a (dynamic, <= 32 MiB) threshold to
    ``mmap`` and returns it to the kernel on free, so each tensor of an iterative
    method is page-faulted and zeroed again at every step. Raising
    ``M_MMAP_THRESHOLD`` and ``M_TRIM_THRESHOLD`` reuses those pages. Each malloc
    arena (glibc makes up to 8 per core for a server's many threads) then keeps up to
    ``trim_threshold`` of freed memory, so ``arenas`` (``M_ARENA_MAX``, default 2 per
    core) bounds what the process holds; ``benchmarks/load.py`` measures both. No-op
    (False) where glibc is absent.
    """
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_ARENA_MAX = -1, -3, -8  # from glibc's malloc.h
    settings = [(M_ARENA_MAX, arenas or 2 * cpu_count()), (M_MMAP_THRESHOLD, mmap_threshold), (M_TRIM_THRESHOLD, trim_threshold)]
    return all(bool(mallopt(option, int(value))) for option, value in settings)
