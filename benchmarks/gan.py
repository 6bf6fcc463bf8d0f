"""GAN timings: DCGAN batch 1/16/64, BigGAN-deep-128 (random weights) batch 1/8, and a
60-frame interpolation end to end (latents, rendering, GIF + MP4 encoding).

If ``pytorch-pretrained-biggan`` is installed (``pip install pytorch-pretrained-biggan``:
a benchmark-only dependency, never in requirements.txt; it keeps the installed torch
and adds boto3), its BigGAN runs on the same random weights in the same process and
the largest output difference is reported.

    python benchmarks/gan.py [--repeats 3] [--device cpu]

Prints a markdown table; each time is the best of ``--repeats`` runs after a warm-up.
"""

from __future__ import annotations

import argparse
import functools
import tempfile
import time

import torch

from synth.gan import generate, latent
from synth.models import create_model


def best_of(fn, repeats: int) -> float:
    fn()  # warm-up (caches, allocator, oneDNN kernels)
    times = []
    for _ in range(repeats):
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default=None)
    args = parser.parse_args()
    dev = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    rows: list[tuple[str, str, float, str]] = []

    dcgan = create_model("dcgan/faces-64", device=dev)
    for batch in (1, 16, 64):
        z = torch.randn(batch, 100, device=dev)
        with torch.inference_mode():
            seconds = best_of(functools.partial(dcgan, z), args.repeats)
        rows.append(("DCGAN faces-64 (real weights)", f"batch {batch}", seconds, f"{batch / seconds:.0f} img/s"))

    biggan = create_model("biggan/deep-128", pretrained=False, device=dev)
    reference = None
    try:
        import pytorch_pretrained_biggan as ppb

        reference = ppb.BigGAN(ppb.BigGANConfig()).to(dev).eval().requires_grad_(False)
        reference.load_state_dict(biggan.state_dict(), strict=True)
    except ImportError:
        pass
    for batch in (1, 8):
        z = latent.truncated_normal((batch, 128), generator=torch.Generator().manual_seed(0), truncation=0.4).to(dev)
        classes = generate.one_hot(list(range(batch))).to(dev)
        with torch.inference_mode():
            ours = best_of(functools.partial(biggan, z, classes, 0.4), args.repeats)
            note = f"{batch / ours:.2f} img/s"
            if reference is not None:
                theirs = best_of(functools.partial(reference, z, classes, 0.4), args.repeats)
                diff = (biggan(z, classes, 0.4) - reference(z, classes, 0.4)).abs().max().item()
                rows.append(("pytorch-pretrained-biggan 0.1.1, same weights", f"batch {batch}", theirs, f"{batch / theirs:.2f} img/s"))
                note += f"; x{theirs / ours:.2f} vs reference, max |diff| {diff:.1e}"
        rows.append(("BigGAN-deep-128 (ours, random weights)", f"batch {batch}", ours, note))

    def walk() -> None:
        frames = generate.interpolate("dcgan/faces-64", seeds=(1, 2), steps=31, loop=True, device=dev)
        assert frames.shape[0] == 60
        with tempfile.TemporaryDirectory() as tmp:
            latent.export_walk(frames, tmp)

    seconds = best_of(walk, args.repeats)
    rows.append(("DCGAN 60-frame A->B->A walk + GIF + MP4 + strip", "end to end", seconds, f"{60 / seconds:.0f} frames/s"))

    print(f"device: {dev} ({torch.get_num_threads()} threads), torch {torch.__version__}\n")
    print("| what | size | best time | throughput |")
    print("|---|---|---|---|")
    for what, size, seconds, note in rows:
        print(f"| {what} | {size} | {seconds * 1000:.0f} ms | {note} |")


if __name__ == "__main__":
    main()
