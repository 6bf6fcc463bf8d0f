"""The longest job one visitor can ask for: every optimisation and training endpoint at its sliders' maxima.

Starts ``python app.py --offline`` on 127.0.0.1 and calls each endpoint once, alone, with
the largest values its controls accept, through ``gradio_client`` (the app gives each
job one torch thread, as on a shared Space). Each job must finish, or stop with its
result so far, within the time budget of ``synth.limits`` (90 s on a public Space):
the table says how long it took and whether the budget stopped it.

    python benchmarks/worst_case.py [--only style_transfer_run ...]

Prints a markdown table (README, "Reliability").
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from gradio_client import Client, handle_file
from load import free_port, start_app  # the sibling benchmark (python benchmarks/worst_case.py puts benchmarks/ on the path)

from synth import limits
from synth.examples import example_path

ALL_LAYERS = ["conv1_1", "relu1_1", "pool1", "relu2_1", "pool2", "relu3_1", "pool3", "relu4_1", "pool4", "relu5_1", "pool5"]
STYLE_LAYERS = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]


def _file(name: str):
    return handle_file(str(example_path(name)))


#: (endpoint, keyword arguments at the controls' maxima, how to tell the budget stopped it).
MAXIMA: list[tuple[str, dict, str]] = [
    ("pyramid_texture", dict(path=_file("gravel"), scales=6, orientations=8, iterations=20, ratio=2.0, edges="periodic", seed=0, max_side=512), ""),
    ("neural_texture_run", dict(path=_file("brick"), backbone="vgg16-caffe", layers=ALL_LAYERS, steps=400, size=384, seed=0, tileable=True,
                                histogram=True, halvings=3, optimizer="lbfgs", pooling="avg"), "time budget"),  # fmt: skip
    ("neural_texture_high_to_low", dict(path=_file("brick"), backbone="vgg16-caffe", steps=400, size=384, seed=0, pooling="avg"), "time budget"),
    ("style_transfer_run", dict(content_path=_file("chelsea"), style_path=_file("swirls"), style2_path=_file("stained-glass"), blend2=0.5, mode="gatys",
                                size=512, ratio=4.0, steps=300, preserve_colors="histogram", init="content", halvings=2, style_scale=2.0,
                                tv_weight=10.0, optimizer="lbfgs", backbone="vgg16-caffe", content_layer="relu4_2", style_layers=STYLE_LAYERS,
                                seed=0, strength=1.0), "time budget"),  # fmt: skip
    ("gan_interpolate", dict(model="dcgan/faces-64", class_choice="(random class per cell)", truncation=1.0, seed_a=1, seed_b=2, method="slerp",
                             steps=120, loop=True), ""),  # fmt: skip
    ("cyclegan_translate", dict(path=_file("astronaut"), model="cyclegan/vintage", side=1024, show_cycle=False), ""),
    ("pix2pix_train_live", dict(data="maps", steps=600), "time budget"),
    ("cyclegan_train_live", dict(losses="gan+cycle+identity", steps=600), "time budget"),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", help="endpoints to run (default: all)")
    args = parser.parse_args()
    port = free_port()
    process = start_app(port, [], Path(tempfile.mkdtemp(prefix="synth_worst_")) / "app.log")
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        print(f"Each endpoint alone at its controls' maxima; budget {limits.DEFAULT.seconds:.0f} s per job.\n")
        print("| endpoint | wall s | stopped by the budget | last status |")
        print("|---|---:|---|---|")
        for endpoint, kwargs, marker in MAXIMA:
            if args.only and endpoint not in args.only:
                continue
            start = time.perf_counter()
            try:
                result = client.predict(**kwargs, api_name=f"/{endpoint}")
                texts = [r for r in (result if isinstance(result, (list, tuple)) else [result]) if isinstance(r, str) and not r.startswith("/")]
                status = texts[-1][:80].replace("|", "/") if texts else ""
                error = ""
            except Exception as err:  # reported, not raised: the table is the result
                status, error = "", f"error: {str(err)[:60]}"
            seconds = time.perf_counter() - start
            stopped = "yes" if marker and marker in status else "no"
            print(f"| `{endpoint}` | {seconds:.1f} | {stopped} | {error or status} |", flush=True)
    finally:
        process.terminate()
        process.wait(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
