"""Where and how computation runs: device, precision and memory layout, seeds, ZeroGPU.

Nothing here touches CUDA at import time: on a Hugging Face ZeroGPU Space the GPU is
only attached inside functions decorated with ``spaces.GPU``, and initialising CUDA
earlier breaks that. :func:`device` is called when work starts, never at import.

Precision is a policy of this module, not an option of any engine: an engine asks
:func:`policy` for the model it runs and computes inside ``policy.autocast()`` (see
the section "Precision and memory layout" below).
"""

from __future__ import annotations

import contextlib
import functools
import os
import platform
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeVar, get_args

import torch
from torch import nn

__all__ = [
    "device",
    "default_dtype",
    "Precision",
    "PRECISIONS",
    "Mode",
    "Layout",
    "LAYOUTS",
    "Policy",
    "FP32",
    "autocast",
    "bf16_supported",
    "precision",
    "precision_summary",
    "precision_setting",
    "policy",
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
    """The dtype a model's weights are stored in: float32, or float16 on CUDA for models that
    tolerate it (``half_ok``) when the precision setting is ``auto`` (:func:`precision_setting`).

    With ``SYNTH_PRECISION=fp32`` every weight is float32; with ``bf16`` weights stay float32
    and :func:`policy` computes in bfloat16 autocast.
    """
    return torch.float16 if half_ok and dev.type == "cuda" and precision_setting() == "auto" else torch.float32


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


# ------------------------------------------------------------------ precision and memory layout
#: ``SYNTH_PRECISION`` values: float32 everywhere; bfloat16 autocast wherever the model's
#: family allows it (even on hardware without bfloat16 units: slower, for checks); or
#: bfloat16 where the hardware has it (``auto``, the default).
Precision = Literal["fp32", "bf16", "auto"]
PRECISIONS: tuple[str, ...] = get_args(Precision)
#: A precision in force (``auto`` resolved): what :func:`precision` returns and :func:`autocast` takes.
Mode = Literal["fp32", "bf16"]


@dataclass(frozen=True)
class Layout:
    """How one architecture runs under the bfloat16 policy.

    ``bf16``: its forward (and, for feature backbones, backward) passes run in bfloat16
    autocast: faster here, and a quality guard in ``tests/test_precision.py`` shows the
    result unchanged for the user. ``channels_last``: weights and activations in NHWC
    order, where that measured faster still (with bfloat16; float32 never changes).
    """

    bf16: bool = False
    channels_last: bool = False


#: What each architecture (its class name) uses under the bfloat16 policy. Measured on
#: this project's 2-core AMD EPYC (AVX512-BF16), torch 2.14, ONE thread (what the app
#: gives each job), interleaved runs, medians (min), load average 2-3 (shared machine):
#: ``python benchmarks/precision.py`` re-measures every row. Families not listed (BigGAN:
#: no weights here to guard its quality with; the ONNX style network) stay float32.
LAYOUTS: dict[str, Layout] = {
    # VGG-16 (Caffe) forward + backward to pool4 at 256 px: fp32 1.22 s (0.93), bf16 0.56 s
    # (0.48), bf16 + channels_last 0.54 s (0.49); at 512 px 5.5 / 3.1 / 3.3 s: 1.8-2.2x from
    # bfloat16, nothing certain from channels_last (it costs a layout conversion of the
    # optimised pixels and their gradient at every step), so contiguous.
    "VGG": Layout(bf16=True),
    # One layer of 55x55 (and smaller) random filters at 128 px: fp32 0.57 s, bf16 24 s (oneDNN
    # has no fast contiguous bfloat16 kernel for such large filters), bf16 + channels_last
    # 0.51 s: 1.1x is not worth a different numeric path; float32.
    "RandomMultiScale": Layout(),
    # pix2pix U-Net-256 forward at 512 px: fp32 0.73 s (0.63), bf16 0.38 s (0.37), bf16 +
    # channels_last 0.38 s (0.31), but the quality guard fails: in paper mode (batch
    # statistics of one image, dropout) the random-weight U-Net's output differs from
    # float32's by 1.24/255 on average and 12.9/255 at most on the map example (the guard:
    # 1/255 and 8/255), with the rounding spread over every level; float32.
    "UnetGenerator": Layout(),
    # CycleGAN ResNet-9 forward at 512 px: fp32 5.5 s, bf16 2.6 s, bf16 + channels_last 3.0 s
    # (channels_last slows it, as an earlier measurement found in float32).
    "ResnetGenerator": Layout(bf16=True),
    # DCGAN 64x64, a batch of 16: fp32 45 ms, bf16 28 ms, bf16 + channels_last 22 ms.
    "DCGANGenerator": Layout(bf16=True, channels_last=True),
}


@dataclass(frozen=True)
class Policy:
    """How to run one model on one device: autocast dtype (``None``: float32) and memory layout.

    Use :meth:`autocast` around the model's forward pass only: what needs float32 (Gram
    matrices, losses, normalisation statistics, the optimised pixels) is computed outside
    it or converted with ``.float()``, because autocast also lowers ``bmm`` and ``mm``.
    """

    device_type: str = "cpu"
    dtype: torch.dtype | None = None
    channels_last: bool = False

    def autocast(self) -> contextlib.AbstractContextManager:
        """A context that runs the listed ops (convolutions, matmuls) in :attr:`dtype`; nothing for float32."""
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device_type, dtype=self.dtype)

    def layout(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` (B, C, H, W) in the policy's memory layout (unchanged unless channels_last)."""
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last and x.ndim == 4 else x

    def describe(self) -> str:
        """What the panel and ``--preload`` show, e.g. "bf16 autocast, channels_last" or "float32"."""
        if self.dtype is None:
            return "float32"
        name = {torch.bfloat16: "bf16", torch.float16: "fp16"}.get(self.dtype, str(self.dtype).removeprefix("torch."))
        return f"{name} autocast" + (", channels_last" if self.channels_last else "")


#: The float32 policy on the CPU (what ``SYNTH_PRECISION=fp32`` gives every model).
FP32 = Policy()


def precision_setting() -> Precision:
    """``SYNTH_PRECISION`` (``fp32``, ``bf16`` or ``auto``; default ``auto``), checked.

    The app's and the command line's ``--precision`` set it; tests set it per test.
    """
    value = os.environ.get("SYNTH_PRECISION", "auto").strip().lower() or "auto"
    if value not in PRECISIONS:
        raise ValueError(f"SYNTH_PRECISION must be one of {', '.join(PRECISIONS)}; got {value[:20]!r}")
    return value  # type: ignore[return-value]


@functools.lru_cache(maxsize=1)
def _cpu_has_bf16() -> bool:
    checker = getattr(torch.cpu, "_is_avx512_bf16_supported", None)
    if checker is not None and checker():
        return True
    try:
        with open("/proc/cpuinfo") as handle:
            flags = next((line.split(":", 1)[1].split() for line in handle if line.startswith(("flags", "Features"))), [])
    except OSError:
        return False
    wanted = {"avx512_bf16", "amx_bf16"} if platform.machine().lower() in ("x86_64", "amd64") else {"bf16"}
    return bool(wanted & set(flags))


def bf16_supported(dev: torch.device | str = "cpu") -> bool:
    """Whether ``dev`` computes bfloat16 in hardware: AVX512-BF16 or AMX-BF16 on x86, the BF16
    extension on Arm (Linux), ``torch.cuda.is_bf16_supported()`` on CUDA (asked only then)."""
    dev = torch.device(dev)
    if dev.type == "cpu":
        return _cpu_has_bf16()
    if dev.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return False


def precision(dev: torch.device | str = "cpu") -> Mode:
    """The precision in force on ``dev``: ``fp32`` or ``bf16`` (then per family, see :data:`LAYOUTS`).

    ``auto`` is ``bf16`` on a CPU with bfloat16 units and ``fp32`` elsewhere. On CUDA
    ``auto`` stays float32 autocast-free (weights float16 for models marked ``half_ok``,
    as before): no GPU was available to measure speed or quality, so the CUDA branch is
    conservative; ``SYNTH_PRECISION=bf16`` turns bfloat16 autocast on where the GPU has it.
    """
    setting = precision_setting()
    dev = torch.device(dev)
    if setting == "fp32" or dev.type not in ("cpu", "cuda"):
        return "fp32"
    if setting == "bf16":
        return "bf16" if dev.type == "cpu" or bf16_supported(dev) else "fp32"
    return "bf16" if dev.type == "cpu" and bf16_supported(dev) else "fp32"


def precision_summary(dev: torch.device | str = "cpu") -> str:
    """The setting and what it means on ``dev``, for logs and panels: e.g. ``"precision auto: bf16 on cpu"``."""
    return f"precision {precision_setting()}: {precision(dev)} on {torch.device(dev).type}"


def policy(model: nn.Module, dev: torch.device | str | None = None) -> Policy:
    """The :class:`Policy` for ``model`` on ``dev`` (default: where its parameters are).

    :func:`precision` decides whether bfloat16 is on for the device; :data:`LAYOUTS`
    (by the model's class) whether its family uses it, and channels_last (measured on
    CPUs only; on CUDA the layout stays contiguous).
    """
    if dev is None:
        parameter = next(model.parameters(), None)
        dev = parameter.device if parameter is not None else torch.device("cpu")
    dev = torch.device(dev)
    layout = LAYOUTS.get(type(model).__name__, Layout())
    if precision(dev) == "fp32" or not layout.bf16:
        return Policy(dev.type)
    return Policy(dev.type, torch.bfloat16, layout.channels_last and dev.type == "cpu")


def autocast(mode: Mode, dev: torch.device) -> contextlib.AbstractContextManager:
    """An explicit precision for code that chooses its own (the trainers' ``precision`` option):
    nothing for ``"fp32"``, bfloat16 autocast on ``dev`` for ``"bf16"``."""
    if mode == "fp32":
        return contextlib.nullcontext()
    if mode == "bf16":
        return Policy(torch.device(dev).type, torch.bfloat16).autocast()
    raise ValueError(f"precision must be 'fp32' or 'bf16', got {mode!r}")
