"""Our shipped models (``weights/lab/``, :mod:`synth.translate.lab`): the files are the ones the
manifest names, every registered model loads strictly and translates, the step-0 snapshots
are the trainer's seeded initialisation, the recorded commands are ones the command line
takes and that made these files, and a small held-out batch shows the lecture's point.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest
import torch

from synth.cli import build_parser
from synth.datasets import paired, unpaired
from synth.models import create_model, list_models, model_spec
from synth.options import from_arguments
from synth.train import train_cyclegan, train_pix2pix
from synth.train.checkpoint import load_checkpoint
from synth.train.cyclegan import CycleGANOptions
from synth.train.pix2pix import Pix2PixOptions
from synth.translate import TRANSLATORS, translate
from synth.translate.lab import _RUNS, HELD_OUT_SEED, lab_generators, lab_model, lab_models, measure_cycle, measure_cyclegan, measure_pix2pix, snapshot
from synth.weights import MANIFEST_PATH, WeightStore, load_manifest

WEIGHTS = MANIFEST_PATH.parent
LAB = {name: entry for name, entry in load_manifest().items() if name.startswith("lab/")}
NAMES = [name for name in list_models() if name.startswith("lab/")]
#: The registry's names of every run's networks, by manifest entry.
OPTIONS = {"pix2pix": Pix2PixOptions, "cyclegan": CycleGANOptions}


def _file(name: str) -> Path:
    (source,) = LAB[name].sources
    return WEIGHTS / str(source.path)


def test_the_shipped_files_are_the_manifests_and_nothing_else(tmp_path: Path) -> None:
    store = WeightStore(LAB, tmp_path / "cache", tmp_path / "lock.json", offline=True, repo_root=WEIGHTS)
    for name, entry in LAB.items():
        (source,) = entry.sources
        assert source.kind == "repo" and entry.license.startswith("MIT") and entry.citation
        path = store.cached_path(name)  # re-hashed against the manifest's sha256: WeightsUnavailable if not
        assert path == _file(name) and path.stat().st_size == source.size <= 5_000_000
    shipped = {p.relative_to(WEIGHTS).as_posix() for p in (WEIGHTS / "lab").iterdir()}
    assert shipped == {str(e.sources[0].path) for e in LAB.values()}
    used = {entry for name in NAMES for entry in model_spec(name).weights}
    assert used == set(LAB)
    # 9 runs: 9 final checkpoints (the GAN ones with their discriminators) and 18 snapshots, 59 MB in all
    assert sum(p.stat().st_size for p in (WEIGHTS / "lab").iterdir()) <= 60_000_000


def _input(name: str) -> torch.Tensor:
    """A held-out 64-px input (1, 3, 64, 64) in [0, 1] of the set and domain model ``name`` takes."""
    model = lab_model(name.removesuffix("/D"))
    if model.family == "cyclegan":
        return unpaired(model.data).sample("B" if "/zebra2horse-" in name else "A", 0, seed=HELD_OUT_SEED).image[None]
    return paired(model.data).pair(0, seed=HELD_OUT_SEED)[0][None]


@pytest.mark.parametrize("name", NAMES)
def test_every_lab_model_loads_strictly_and_runs_at_64_px(name: str) -> None:
    model = create_model(name, pretrained=True, device="cpu")  # strict: a missing, extra or misshapen tensor raises
    x = _input(name)
    if model_spec(name).task == "discriminator":  # concat(x, y) in [-1, 1] -> patch logits
        logits = model(torch.cat([x, translate(x, name.removesuffix("/D"), device="cpu")], 1) * 2 - 1)
        assert logits.shape[:2] == (1, 1) and logits.shape[-1] > 1 and torch.isfinite(logits).all()
        return
    out = translate(x, name, device="cpu")
    assert out.shape == (1, 3, 64, 64) and 0 <= out.min() and out.max() <= 1 and out.std() > 0.02


@pytest.mark.parametrize("run", _RUNS, ids=lambda run: run.file)
def test_step_0_is_the_trainers_seeded_initialisation(run) -> None:
    train = train_pix2pix if run.family == "pix2pix" else train_cyclegan
    recorded = load_checkpoint(_file(run.file)).options
    options = OPTIONS[run.family].build({**recorded, "steps": 1, "snapshots": (0,), "n_train": 1, "preview_every": 10})
    kept = train(run.data, options).snapshots[0]
    for model in lab_generators():
        if lab_model(model.name) and model.data == run.data and model.loss == run.loss:
            network = "F" if "/zebra2horse-" in model.name else "G"
            initial = create_model(snapshot(model.name, 0), device="cpu").state_dict()
            assert model_spec(snapshot(model.name, 0)).weights == ()
            assert initial.keys() == kept[network].keys()
            assert all(torch.equal(initial[key], kept[network][key]) for key in initial)


@pytest.mark.parametrize("run", _RUNS, ids=lambda run: run.file)
def test_the_recorded_command_parses_and_made_these_files(run, monkeypatch: pytest.MonkeyPatch) -> None:
    checkpoint = load_checkpoint(_file(run.file))
    command = checkpoint.command
    assert LAB[run.file].description.endswith(f"trained by: {command}")
    words = shlex.split(command)
    assert words[:3] == ["python", "-m", "synth"]
    args = build_parser().parse_args(words[3:])
    if args.no_limits:
        monkeypatch.setenv("SYNTH_LIMITS", "off")
    options = from_arguments(OPTIONS[args.trainer], args)
    assert args.trainer == run.family == checkpoint.trainer and args.data == run.data == checkpoint.data and args.half
    assert args.output == Path("weights") / f"{run.file}.safetensors"
    assert options.to_dict() == checkpoint.options and options.steps == run.steps == checkpoint.steps
    assert options.seed == run.seed and options.snapshots == run.snapshots
    assert checkpoint.architectures["G"] == checkpoint.architectures.get("F", run.generator) == run.generator
    assert [a for n, a in checkpoint.architectures.items() if n.startswith("D")] == ([] if run.discriminator is None else [run.discriminator] * (1 if run.family == "pix2pix" else 2))
    for step in run.snapshots:
        kept = load_checkpoint(_file(f"{run.file}@{step}"))
        assert kept.steps == step and kept.command == command and kept.dtype == "float16"
    assert os.path.basename(args.output) == Path(_file(run.file)).name


def test_the_api_the_tabs_use() -> None:
    assert [m.loss for m in lab_models("maps")] == ["l1", "cgan", "cgan+l1"]
    assert [m.title for m in lab_models("colour")] == ["L1 only", "cGAN only", "cGAN + L1"]
    coats = lab_models("coats")
    assert [m.name for m in coats] == ["lab/horse2zebra-gan", "lab/horse2zebra-gan+cycle", "lab/horse2zebra-gan+cycle+identity"]
    for model in lab_generators():
        assert TRANSLATORS[model.name].family == model.family and TRANSLATORS[model.name].reverse == model.reverse
        if model.reverse:
            assert TRANSLATORS[model.reverse].reverse == model.name
        if model.discriminator:
            assert model_spec(model.discriminator).task == "discriminator"
        assert model.snapshots[0] == 0 and list(model.snapshots) == sorted(set(model.snapshots)) and len(model.snapshots) == 4
        assert snapshot(model.name, model.snapshots[-1]) == model.name and model.size == 64
        assert all(snapshot(model.name, s) in NAMES for s in model.snapshots)
    assert lab_models("maps")[0].discriminator is None and lab_models("maps")[2].discriminator == "lab/maps-cgan+l1/D"
    with pytest.raises(ValueError, match="snapshots at steps"):
        snapshot("lab/maps-l1", 1)
    with pytest.raises(ValueError, match="no lab models"):
        lab_models("horses")


def test_a_small_held_out_batch_shows_the_lecture_s_point() -> None:
    """Eight held-out samples (seed 1000; training used 0): the direction of the headline numbers."""
    l1, gan = (measure_pix2pix(f"lab/maps-{loss}", n=8) for loss in ("l1", "cgan+l1"))
    assert l1["hf_ratio"] < 0.5 < gan["hf_ratio"]
    l1, gan = (measure_pix2pix(f"lab/colour-{loss}", n=8) for loss in ("l1", "cgan+l1"))
    assert l1["colourfulness_ratio"] < gan["colourfulness_ratio"]
    alone, cycled = (measure_cyclegan(f"lab/horse2zebra-{losses}", n=8) for losses in ("gan", "gan+cycle"))
    assert alone["domain_b_share"] >= 0.9 and cycled["domain_b_share"] >= 0.9  # both make zebras...
    assert cycled["iou"] > alone["iou"] + 0.03 and cycled["attributes"] > alone["attributes"]  # ...only one keeps the horse
    assert cycled["cycle_error"] < 0.8 * alone["cycle_error"]


def test_a_checkpoint_file_scores_as_its_registry_name() -> None:
    """measure_cycle on the G and F of a shipped checkpoint (how benchmarks/lab_models.py --checkpoint scores
    a run) gives the registry model's numbers: the same networks, loaded two ways."""
    run = load_checkpoint(_file("lab/coats-gan+cycle"))
    assert measure_cycle(run["G"], run["F"], size=run.options["size"], n=4) == measure_cyclegan("lab/horse2zebra-gan+cycle", n=4)
    with pytest.raises(ValueError, match="not a lab CycleGAN G"):
        measure_cyclegan("lab/zebra2horse-gan+cycle", n=4)
