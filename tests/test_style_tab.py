"""The Style transfer tab end to end (gradio_client against the offline app) and its
command-line twin, in both modes."""

from __future__ import annotations

import pytest
from PIL import Image

from synth.cli import main
from synth.examples import example_path
from synth.style import STYLE_LAYERS


def test_cli_writes_both_modes_and_blends(tmp_path) -> None:
    content, style, other = (str(example_path(name)) for name in ("chelsea", "swirls", "stained-glass"))
    out = tmp_path / "gatys.png"
    assert main(["style-transfer", content, style, other, "--blend", "0.7,0.3", "-o", str(out), "--sizes", "48,96", "--steps", "6",
                 "--preserve-colors", "histogram", "--tv-weight", "1"]) == 0  # fmt: skip
    assert Image.open(out).size == (96, 64)  # chelsea is 451x300
    fast = tmp_path / "fast.jpg"
    assert main(["style-transfer", content, style, "--fast", "--sizes", "128", "--strength", "0.5", "-o", str(fast)]) == 0
    assert Image.open(fast).size == (128, 85)


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (["--blend", "1"], "2 non-negative blend weights"),
        (["--sizes", "4096"], "cap of 512 px"),
        (["--steps", "0"], "--steps must be at least 1"),
        (["--style-scale", "9"], "--style-scale must be at most 4"),
        (["--content-layers", "relu9_9", "--sizes", "32"], "unknown content layers"),
    ],
)
def test_cli_bad_options_exit_2_with_one_line(extra, says, tmp_path, capsys) -> None:
    content, style = str(example_path("chelsea")), str(example_path("swirls"))
    assert main(["style-transfer", content, style, style, "-o", str(tmp_path / "o.png"), *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and says in err and len(err.strip().splitlines()) == 1


def _inputs(content, style, *, mode="gatys", size=64, steps=10, style2=None, colors="none"):
    # content, style, style2, blend2, mode, size, log10 ratio, steps, colours, init, halvings, style scale, tv,
    # optimizer, backbone, content layer, style layers, seed, strength
    return (content, style, style2, 0.5, mode, size, 0.7, steps, colors, "content", 1, 1.0, 0.0,
            "lbfgs", "vgg16-caffe", "relu4_2", list(STYLE_LAYERS), 0, 1.0)  # fmt: skip


@pytest.mark.usefixtures("app_server")
def test_tab_runs_both_modes_refuses_a_bad_upload_and_keeps_working(client, tmp_path) -> None:
    from gradio_client import handle_file

    content, style = handle_file(str(example_path("chelsea"))), handle_file(str(example_path("swirls")))
    image, plot, status, download = client.predict(*_inputs(content, style), api_name="/style_transfer_run")
    assert Image.open(download).size == (64, 43) and status.startswith("done: 10 steps")
    assert plot["type"] == "matplotlib" and plot["plot"].startswith("data:image/")  # the loss plot, drawn

    image, _, status, download = client.predict(content, style, None, 0.5, 128, "luminance", 1.0, api_name="/style_transfer_fast")
    assert Image.open(download).size == (128, 85) and status.startswith("done: fast mode, 128×85")
    _, _, status, _ = client.predict(*_inputs(content, style, mode="fast", size=128), api_name="/style_transfer_run")  # the API's mode switch
    assert status.startswith("done: fast mode, 128×85")

    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 4)
    with pytest.raises(Exception, match="broken.jpg.*could not be read"):
        client.predict(*_inputs(handle_file(str(bad)), style), api_name="/style_transfer_run")
    with pytest.raises(Exception, match="upload a style image"):
        client.predict(*_inputs(content, None), api_name="/style_transfer_run")
    with pytest.raises(Exception, match="4096 is greater than maximum value 1024"):  # the slider's own check
        client.predict(*_inputs(content, style, size=4096), api_name="/style_transfer_run")
    with pytest.raises(Exception, match="larger than the cap of 512 px on this device"):  # the engine's, on a CPU
        client.predict(*_inputs(content, style, size=1024), api_name="/style_transfer_run")

    side_by_side, _, status = client.predict(*_inputs(content, style, steps=10, style2=handle_file(str(example_path("stained-glass")))),
                                             api_name="/style_transfer_compare")  # fmt: skip
    width, height = Image.open(side_by_side).size
    assert width > 2 * 64 and status.startswith("fast: ") and "done: 10 steps" in status
