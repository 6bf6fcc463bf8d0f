"""Image Synthesis Lab: the image-synthesis lecture, made runnable.

One tab per idea of the lecture; each tab is ``demos/<tab>.py:create_demo()`` and all
the work is done by the :mod:`synth` package. Starting the app loads no model (they
load on first use, into the shared model cache) unless ``--preload`` asks for it.

    python app.py [--port 7860] [--host 127.0.0.1] [--share]
    python app.py --preload --offline      # lecture mode (after: python -m synth weights download --all)
"""

from __future__ import annotations

import os
import sys

#: What ``--offline`` sets. huggingface_hub reads HF_HUB_OFFLINE once, when gradio
#: imports it, so these must be in the environment before the imports below.
OFFLINE_ENV = {
    "SYNTH_OFFLINE": "1",
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
}


def go_offline() -> None:
    """Never open a network socket: weights from the local cache only, no hub, no analytics."""
    os.environ.update(OFFLINE_ENV)


if __name__ == "__main__" and "--offline" in sys.argv[1:]:
    go_offline()

import argparse  # noqa: E402
import importlib  # noqa: E402
import logging  # noqa: E402

import gradio as gr  # noqa: E402

from demos.gate import app_kwargs  # noqa: E402
from demos.jobs import QUEUE_SIZE, lanes, stop_jobs_on_unload  # noqa: E402
from demos.panels import cache_panel  # noqa: E402
from demos.serving import allowed_paths, check_handlers  # noqa: E402
from synth import runtime  # noqa: E402

#: (tab label, module): the tabs, in lecture order.
TABS: list[tuple[str, str]] = [
    ("Pyramid textures", "demos.pyramid_texture"),
    ("Neural textures", "demos.neural_texture"),
    ("Style transfer", "demos.style_transfer"),
    ("GAN latent space", "demos.gan_latent"),
    ("pix2pix", "demos.pix2pix"),
    ("CycleGAN", "demos.cyclegan"),
]

INTRO = """# 🎨 Image Synthesis Lab
The image-synthesis lecture, made runnable: from **Heeger & Bergen's** steerable-pyramid
textures to **Gatys'** neural textures and style transfer, **GAN** latent spaces and
**pix2pix / CycleGAN** translation. Every tab runs on a CPU; pick an example and press Run.
"""


def build_app(*, admin: bool = False) -> gr.Blocks:
    """Assemble the tabs; no model is loaded here and CUDA is not touched.

    ``admin`` (lecture mode on a trusted machine) adds what affects every visitor, such
    as "Free memory"; a public Space never has it. Every server-side handler is a
    public, validated API endpoint (:func:`demos.serving.check_handlers` refuses to
    build otherwise).
    """
    # Built outside the app's context: a Blocks created inside another renders itself there.
    demos = [(label, importlib.import_module(module).create_demo()) for label, module in TABS]
    with gr.Blocks(title="Image Synthesis Lab") as app:
        gr.Markdown(INTRO)
        with gr.Tabs():
            for label, demo in demos:
                with gr.Tab(label):
                    demo.render()
        cache_panel(app, admin=admin)
        stop_jobs_on_unload(app)
    check_handlers(app)
    return app


def configure_cpu(threads: int | None = None) -> str:
    """Torch threads and glibc malloc for serving; returns a one-line description.

    ``threads=None`` (a shared server): one torch thread per job when the queue's
    lanes let more CPU-heavy jobs run at once than there are cores (always, from 2
    cores up), so concurrent jobs do not preempt each other's OpenMP teams. A lecture
    with one presenter passes ``--threads 0``: every core for the one job at a time.
    """
    cores = runtime.cpu_count()
    heavy = sum(limit for name, limit in lanes(cores).items() if name != "interactive")
    intra = cores if threads == 0 else threads or max(1, cores // heavy)
    intra, interop = runtime.set_threads(intra, interop=1)
    malloc = os.environ.get("SYNTH_TUNE_MALLOC", "1") != "0" and runtime.tune_malloc()
    return f"{cores} cores, {intra} torch thread(s) per job, lanes {lanes(cores)}, malloc tuned: {malloc}, {runtime.precision_summary('cpu')}"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Serve the Image Synthesis Lab.")
    parser.add_argument("--port", type=int, default=None, help="default 7860 (or GRADIO_SERVER_PORT)")
    parser.add_argument("--host", default=None, help="default 127.0.0.1 (or GRADIO_SERVER_NAME); 0.0.0.0 to serve a network")
    parser.add_argument("--share", action="store_true", help="also serve through a public gradio.live link")
    parser.add_argument("--preload", action="store_true", help="lecture mode: load and warm every downloaded model before serving (implies --admin)")
    parser.add_argument("--admin", action="store_true", help="lecture mode on a trusted machine: show controls that affect every visitor (Free memory)")
    parser.add_argument("--offline", action="store_true", help="never use the network (SYNTH_OFFLINE=1, HF_HUB_OFFLINE=1, no analytics)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads per job; 0 = all cores (one presenter); default: chosen for many users")
    parser.add_argument("--precision", choices=runtime.PRECISIONS, help="fp32, bf16 or auto (bf16 where the CPU has it); default: SYNTH_PRECISION or auto")
    args = parser.parse_args(argv)
    if args.offline and args.share:
        parser.error("--share needs the network; drop --offline or --share")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.offline:
        go_offline()
    if args.precision:
        os.environ["SYNTH_PRECISION"] = args.precision
    # One line per refused request (which handler, what), tracebacks only for our bugs.
    log = logging.getLogger("synth")
    log.setLevel(logging.INFO)
    log.addHandler(logging.StreamHandler())
    log.handlers[-1].setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s"))
    log.propagate = False
    print(f"Image Synthesis Lab: {configure_cpu(args.threads)}", flush=True)
    app = build_app(admin=args.admin or args.preload)
    if args.preload:
        from synth.preload import preload, summary

        print("Preloading the models of every tab (lecture mode) ...", flush=True)
        print(summary(preload(log=lambda line: print("  " + line, flush=True))), flush=True)
    app.queue(max_size=QUEUE_SIZE, default_concurrency_limit=1)
    app.launch(
        server_name=args.host,
        server_port=args.port,
        share=args.share,
        allowed_paths=allowed_paths(),
        max_file_size="50mb",
        app_kwargs=app_kwargs(),
    )


if __name__ == "__main__":
    main()
