"""Image Synthesis Lab: the image-synthesis lecture, made runnable.

One tab per idea of the lecture; each tab is ``demos/<tab>.py:create_demo()`` and all
the work is done by the :mod:`synth` package. Starting the app loads no model (they
load on first use, into the shared model cache).

    python app.py [--port 7860] [--host 127.0.0.1] [--share]
"""

from __future__ import annotations

import argparse
import importlib

import gradio as gr

from demos.common import allowed_paths, cache_panel

#: (tab label, module): the tabs, in lecture order.
TABS: list[tuple[str, str]] = [
    ("Pyramid textures", "demos.pyramid_texture"),
    ("Neural textures", "demos.neural_texture"),
    ("GAN latent space", "demos.gan_latent"),
    ("pix2pix", "demos.pix2pix"),
    ("CycleGAN", "demos.cyclegan"),
]

INTRO = """# 🎨 Image Synthesis Lab
The image-synthesis lecture, made runnable: from **Heeger & Bergen's** steerable-pyramid
textures to **Gatys'** neural textures and style transfer, **GAN** latent spaces and
**pix2pix / CycleGAN** translation. Every tab runs on a CPU; pick an example and press Run.
"""


def build_app() -> gr.Blocks:
    """Assemble the tabs; no model is loaded here."""
    # Built outside the app's context: a Blocks created inside another renders itself there.
    demos = [(label, importlib.import_module(module).create_demo()) for label, module in TABS]
    with gr.Blocks(title="Image Synthesis Lab") as app:
        gr.Markdown(INTRO)
        with gr.Tabs():
            for label, demo in demos:
                with gr.Tab(label):
                    demo.render()
        cache_panel(app)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the Image Synthesis Lab.")
    parser.add_argument("--port", type=int, default=None, help="default 7860 (or GRADIO_SERVER_PORT)")
    parser.add_argument("--host", default=None, help="default 127.0.0.1 (or GRADIO_SERVER_NAME); 0.0.0.0 to serve a network")
    parser.add_argument("--share", action="store_true", help="also serve through a public gradio.live link")
    args = parser.parse_args()
    app = build_app()
    app.queue(default_concurrency_limit=2, max_size=64)
    app.launch(
        server_name=args.host,
        server_port=args.port,
        share=args.share,
        allowed_paths=allowed_paths(),
        max_file_size="50mb",
    )


if __name__ == "__main__":
    main()
