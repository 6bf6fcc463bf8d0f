"""Cold vs warm latency of one model per tab through the model cache.

cold = the first ``synth.cache.get_model(name)`` in a fresh process (reading the file
from the local weights cache, building, strict loading) plus the first forward pass;
warm = the same two calls again (a cache hit and a forward pass whose kernels ran
once). Both are shown for ``get_model`` alone and for the whole click (``get_model``
plus the forward pass). The goal is warm <= cold / 10. Each row runs in its own
process, so nothing is warm by accident (the file itself may be in the OS page cache).

Models whose official file is not downloadable here (pix2pix) are timed with random
weights written to a local file of the same architecture and loaded by the same
loader, so the load cost is the real one.

    python benchmarks/cache_latency.py [--repeats 3]

Prints a markdown table (the warm time is the best of ``--repeats``). A new tab adds
one :class:`Case` to :data:`CASES`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Case:
    tab: str
    model: str
    input: str  # what the forward pass gets, for the table
    forward: Callable  # (model) -> None


def _vgg(model) -> None:
    import torch

    model(torch.rand(1, 3, 128, 128))


def _dcgan(model) -> None:
    import torch

    model(torch.randn(16, model.nz))


def _translator(side: int) -> Callable:
    def forward(model) -> None:
        import torch

        model(torch.rand(1, 3, side, side) * 2 - 1)

    return forward


def _ghiasi(model) -> None:
    import torch

    model.stylize(torch.rand(1, 3, 384, 384), model.style_vector(torch.rand(1, 3, 256, 256)))


#: One model per tab (the one its default click uses).
CASES: list[Case] = [
    Case("Neural textures", "vgg16-caffe", "1×3×128×128 to pool5", _vgg),
    Case("Style transfer (fast)", "style/ghiasi", "style 256², content 384²", _ghiasi),
    Case("GAN latent space", "dcgan/faces-64", "16 latents", _dcgan),
    Case("pix2pix", "pix2pix/map2sat", "1×3×256×256", _translator(256)),
    Case("CycleGAN", "cyclegan/vintage", "1×3×256×256", _translator(256)),
]


def _local_random_weights(name: str, folder: Path) -> Callable:
    """A cache loader for ``name`` that reads random weights of its architecture from a local file."""
    import torch

    from synth import runtime
    from synth.models import load_strict, model_spec, read_state_dict

    spec = model_spec(name)
    path = folder / (name.replace("/", "_") + ".pt")
    torch.save(spec.build().state_dict(), path)

    def load(model_name, device=None, dtype=None):
        model = spec.build()
        load_strict(model, read_state_dict(path))
        return model.to(device=runtime.device(device), dtype=dtype).eval().requires_grad_(False)

    return load


def measure(index: int, repeats: int) -> dict:
    """One row, in this process."""
    import torch

    from synth.cache import MODEL_CACHE, ModelCache
    from synth.models import model_spec
    from synth.weights import default_store

    case = CASES[index]
    store = default_store()
    cached = all(store.availability(entry).cached for entry in model_spec(case.model).weights)
    cache = MODEL_CACHE
    if not cached:
        cache = ModelCache(loader=_local_random_weights(case.model, Path(tempfile.mkdtemp(prefix="synth_cache_latency_"))))

    def click() -> tuple[float, float]:
        """(get_model alone, get_model + forward) in seconds."""
        start = time.perf_counter()
        model = cache.get(case.model)
        got = time.perf_counter()
        with torch.inference_mode():
            case.forward(model)
        return got - start, time.perf_counter() - start

    cold_get, cold = click()
    warm_get, warm = min(click() for _ in range(repeats))
    stats = cache.stats()
    return {
        "cold": cold, "warm": warm, "cold_get": cold_get, "warm_get": warm_get, "hits": stats.hits, "misses": stats.misses,
        "weights": "local cache" if cached else "random, local file",
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--row", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.row is not None:
        print(json.dumps(measure(args.row, args.repeats)))
        return
    import torch

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU; each row in a fresh process\n")
    print("| tab | model | weights | get_model cold s | get_model warm ms | + forward on | click cold s | click warm s | click warm / cold |")
    print("|---|---|---|---:|---:|---|---:|---:|---:|")
    for index, case in enumerate(CASES):
        out = subprocess.run([sys.executable, __file__, "--row", str(index), "--repeats", str(args.repeats)], capture_output=True, text=True, cwd=ROOT)
        if out.returncode:
            print(f"| {case.tab} | `{case.model}` | failed: {out.stderr.strip().splitlines()[-1][:120]} | | | | | | |")
            continue
        row = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"| {case.tab} | `{case.model}` | {row['weights']} | {row['cold_get']:.3f} | {row['warm_get'] * 1000:.3f} | {case.input} | "
            f"{row['cold']:.2f} | {row['warm']:.3f} | {row['warm'] / row['cold']:.2f} |"
        )
    print("\nPyramid textures: no model (pure computation), nothing to cache.")


if __name__ == "__main__":
    main()
