"""The lecture's loss ablations, measured on our shipped models (``weights/lab/``).

    python benchmarks/lab_models.py [--n 64] [--seed 1000] [--data maps colour coats] [--time-lapse]
    python benchmarks/lab_models.py --checkpoint RUN.safetensors [...]   # a CycleGAN of `python -m synth train cyclegan`

Loads each shipped generator by its registry name (:mod:`synth.translate.lab`) and
scores it on ``--n`` held-out samples of its procedural set, drawn with ``--seed``
(the models were trained on seed 0; 1000 is never used in training):

* pix2pix (Isola et al. 2017, Table 1, Fig. 4), per set and loss: the high-frequency
  ratio (power in the top half of the frequencies, outputs over targets) and the
  colourfulness ratio (Hasler & Suesstrunk 2003), each input translated alone as the
  tab does, in the paper's test-time mode (dropout on, the image's own batch
  statistics; dropout masks seeded by the sample's index) and in eval mode (running
  statistics, no dropout). Issue 13's goals: HF ratio L1 <= 0.5, cGAN + L1 >= 0.8;
  colourfulness ratio on ``colour`` L1 <= 0.6, cGAN + L1 >= 0.8.
* CycleGAN (Zhu et al. 2017, Table 4, Fig. 7), per objective, G = brown -> striped:
  silhouette IoU of x and G(x), agreement of the attributes read from both
  silhouettes (animals, head side, pose; all three), the share of G(x) that the
  stripe measure calls striped (domain B), the cycle error |x - F(G(x))| on [0, 1],
  and how alike the outputs are (silhouette IoU of G(x_i) with G(x_i+1), beside the
  same for the inputs). Issue 14's goals with the cycle: IoU >= 0.8, attributes >=
  0.9, domain-B share >= 0.8.

``--time-lapse`` prints the same numbers for every kept training step (0, the
snapshots, the final), so the loss difference can be seen to grow with training.
``--checkpoint`` scores CycleGAN checkpoints written by ``python -m synth train cyclegan
--data coats`` (G and F of each file) with the same measures, e.g. a recipe being tried.
Runs on the CPU with one thread (the numbers do not depend on the machine's load).
"""

from __future__ import annotations

import argparse

import torch

from synth.train.checkpoint import load_checkpoint
from synth.translate.lab import HELD_OUT_SEED, lab_models, measure_cycle, measure_cyclegan, measure_pix2pix, snapshot


def _pix2pix(data: str, n: int, seed: int, time_lapse: bool) -> None:
    print(f"\n### pix2pix on `{data}`: {n} held-out pairs, seed {seed}\n")
    print("| model | step | HF ratio (paper) | HF ratio (eval) | colourfulness ratio (paper) | colourfulness ratio (eval) | L1 (paper) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for model in lab_models(data):
        for step in model.snapshots if time_lapse else model.snapshots[-1:]:
            name = snapshot(model.name, step)
            paper = measure_pix2pix(name, n=n, seed=seed, mode="paper")
            evald = measure_pix2pix(name, n=n, seed=seed, mode="eval")
            print(
                f"| {model.title} (`{model.name}`) | {step} | {paper['hf_ratio']:.2f} | {evald['hf_ratio']:.2f} | "
                f"{paper['colourfulness_ratio']:.2f} | {evald['colourfulness_ratio']:.2f} | {paper['l1']:.3f} |",
                flush=True,
            )


def _cyclegan(data: str, n: int, seed: int, time_lapse: bool) -> None:
    print(f"\n### CycleGAN on `{data}`: {n} held-out animals of domain A (brown), seed {seed}; G = brown -> striped\n")
    print("| model | step | IoU(x, G(x)) | attributes | animals | head side | pose | domain-B share | cycle error | alike G(x) (inputs) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for model in lab_models(data):
        for step in model.snapshots if time_lapse else model.snapshots[-1:]:
            _cycle_row(f"{model.title} (`{model.name}`)", step, measure_cyclegan(snapshot(model.name, step), n=n, seed=seed))


def _cycle_row(title: str, step: int, s: dict[str, float]) -> None:
    print(
        f"| {title} | {step} | {s['iou']:.2f} | {s['attributes']:.2f} | {s['animals']:.2f} | "
        f"{s['head_side']:.2f} | {s['pose']:.2f} | {s['domain_b_share']:.2f} | {s['cycle_error']:.3f} | "
        f"{s['alike']:.2f} ({s['alike_inputs']:.2f}) |",
        flush=True,
    )


def _checkpoints(paths: list[str], n: int, seed: int) -> None:
    runs = [load_checkpoint(path) for path in paths]  # every file checked before the table starts
    for path, run in zip(paths, runs):
        if run.trainer != "cyclegan" or run.data != "coats":
            raise ValueError(f"{path}: a {run.trainer or 'unknown'} checkpoint on {run.data or 'unknown data'}; expected CycleGAN on coats")
    print(f"\n### CycleGAN checkpoints on `coats`: {n} held-out animals of domain A (brown), seed {seed}; G = brown -> striped\n")
    print("| checkpoint | step | IoU(x, G(x)) | attributes | animals | head side | pose | domain-B share | cycle error | alike G(x) (inputs) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for path, run in zip(paths, runs):
        _cycle_row(f"`{path}` ({run.options.get('losses')}, ngf {run.architectures['G'].get('ngf')})", run.steps,
                   measure_cycle(run["G"], run["F"], size=int(run.options["size"]), n=n, seed=seed))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=64, help="held-out samples per model (default 64)")
    parser.add_argument("--seed", type=int, default=HELD_OUT_SEED, help=f"seed of the held-out samples (default {HELD_OUT_SEED}; training used 0)")
    parser.add_argument("--data", nargs="+", default=["maps", "colour", "coats"], choices=["maps", "colour", "coats"])
    parser.add_argument("--time-lapse", action="store_true", help="every kept training step, not only the final models")
    parser.add_argument("--checkpoint", nargs="+", metavar="FILE", help="score these CycleGAN checkpoints of `python -m synth train cyclegan --data coats` instead")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.checkpoint:
        try:
            _checkpoints(args.checkpoint, args.n, args.seed)
        except ValueError as err:  # a missing, foreign or damaged file: its message, exit code 2
            parser.error(str(err))
        return
    for data in args.data:
        (_cyclegan if data == "coats" else _pix2pix)(data, args.n, args.seed, args.time_lapse)


if __name__ == "__main__":
    main()
