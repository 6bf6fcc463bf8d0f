"""Each tab's default click, alone, through ``gradio_client``: does it finish in under a minute?

Starts ``python app.py --offline`` on 127.0.0.1 (``--app-args`` adds flags, e.g.
``--preload``), then presses every tab's main button with the UI's default settings on
its first example, one click at a time: the first click (cold: the model is loaded)
and the second (warm). A free CPU Space has 2 cores like this machine.

    python benchmarks/clicks.py [--app-args "--preload"] [--only neural_texture_run style_transfer_run]

Prints a markdown table. A new tab adds one :class:`load.Call` to :data:`CLICKS`.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path

from gradio_client import Client, handle_file
from load import RANDOM_CLASS, Call, free_port, start_app

from synth.examples import example_path
from synth.weights import default_store


def _file(name: str):
    return handle_file(str(example_path(name)))


#: The default click of every tab (the values the UI shows before anyone touches it). The optimisation
#: tabs' endpoints are called with their images only (a dict: keyword arguments; an empty image slot has
#: no default and is sent as None), so every other value is the endpoint's default, which is the
#: control's, which the tab reads from the engine's options.
CLICKS: list[Call] = [
    Call("pyramid_texture", 1, lambda rng: (_file("gravel"), 4, 4, 5, 1.0, "periodic", 0, 256)),
    Call("neural_texture_run", 1, lambda rng: {"path": _file("brick")}, needs=("vgg16-caffe",)),
    Call("neural_texture_high_to_low", 1, lambda rng: {"path": _file("brick")}, needs=("vgg16-caffe",)),
    Call("neural_texture_show", 1, lambda rng: (_file("brick"), "vgg16-caffe", "relu2_1", "avg"), needs=("vgg16-caffe",)),
    Call("style_transfer_run", 1, lambda rng: {"content_path": _file("chelsea"), "style_path": _file("swirls"), "style2_path": None}, needs=("vgg16-caffe",)),
    Call("style_transfer_fast", 1, lambda rng: (_file("chelsea"), _file("swirls"), None, 0.5, 256, "none", 1.0), needs=("style/ghiasi-predict", "style/ghiasi-transform")),
    Call("gan_sample", 1, lambda rng: ("dcgan/faces-64", RANDOM_CLASS, 0, 1.0, 16), needs=("dcgan/faces-64",)),
    Call("gan_interpolate", 1, lambda rng: ("dcgan/faces-64", RANDOM_CLASS, 1.0, 1, 2, "slerp", 30, False), needs=("dcgan/faces-64",)),
    Call("gan_walk", 1, lambda rng: ("dcgan/faces-64", RANDOM_CLASS, 1.0, "0,1,2,3", 5), needs=("dcgan/faces-64",)),
    Call("gan2d_step", 1, lambda rng: ("ring", None, "gaussian", "non-saturating", 0.002, 0.002, 0)),
    Call("pix2pix_translate", 1, lambda rng: (_file("map"), "pix2pix/map2sat", "paper", 0, 512), needs=("pix2pix/map2sat",)),
    Call("cyclegan_translate", 1, lambda rng: (_file("chelsea"), "cyclegan/vintage", 512, True), needs=("cyclegan/vintage",)),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app-args", default="")
    parser.add_argument("--only", nargs="*", help="endpoints to click (default: every tab's)")
    args = parser.parse_args()
    store = default_store()
    port = free_port()
    process = start_app(port, shlex.split(args.app_args), Path(tempfile.mkdtemp(prefix="synth_clicks_")) / "app.log")
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        print(f"Default click of each tab, one at a time (app.py --offline {args.app_args}; "
              f"SYNTH_PRECISION={os.environ.get('SYNTH_PRECISION', 'auto')}; load average {os.getloadavg()[0]:.2f}).\n")  # fmt: skip
        print("| endpoint | first click s | second click s | under a minute |")
        print("|---|---:|---:|---|")
        for call in CLICKS:
            if args.only and call.api_name not in args.only:
                continue
            if not all(store.availability(name).cached for name in call.needs):
                print(f"| `{call.api_name}` | weights not downloaded here | | |")
                continue
            times = []
            for _ in range(2):
                values = call.args(None)
                start = time.perf_counter()
                if isinstance(values, dict):
                    client.predict(**values, api_name=f"/{call.api_name}")
                else:
                    client.predict(*values, api_name=f"/{call.api_name}")
                times.append(time.perf_counter() - start)
            print(f"| `{call.api_name}` | {times[0]:.1f} | {times[1]:.1f} | {'yes' if max(times) < 60 else 'NO'} |", flush=True)
        print("\n`gan2d_play` streams frames until Pause (at most 3 minutes); its first frame is a `gan2d_step`.")
    finally:
        process.terminate()
        process.wait(timeout=20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
