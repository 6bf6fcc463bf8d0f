"""The Neural textures tab end to end (gradio_client against the offline app), its
command-line twin, and the feature visualisations."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from synth import create_model
from synth.cli import main
from synth.examples import example_path
from synth.feature_vis import feature_maps, filter_grid, gram_heatmap, loss_figure


def test_filter_grid_shows_the_64_conv1_1_filters_in_rgb_order() -> None:
    model = create_model("vgg16-caffe", pretrained=False)
    grid = filter_grid(model, columns=8, cell=10)
    assert grid.shape == (1, 3, 8 * 12 + 2, 8 * 12 + 2) and 0 <= grid.min() and grid.max() <= 1
    first = model.features[0].weight[0]  # BGR input channels
    expected = first.flip(0) / (2 * first.abs().max()) + 0.5
    torch.testing.assert_close(grid[0, :, 2:12, 2:12], torch.nn.functional.interpolate(expected[None], size=(10, 10), mode="nearest")[0])


def test_feature_maps_are_the_strongest_channels_and_gram_heatmap_draws() -> None:
    model = create_model("vgg16-caffe", pretrained=False)
    image = torch.rand(1, 3, 32, 32)
    grid, top = feature_maps(model, image, "relu2_1", count=8, cell=16)
    energies = [energy for _, energy in top]
    assert len(top) == 8 and energies == sorted(energies, reverse=True)
    assert grid.shape[1] == 3 and grid.shape[-1] == 4 * 18 + 2
    heatmap = gram_heatmap(model, image, "pool1", channels=16).axes[0].images[0].get_array()
    assert heatmap.shape == (16, 16) and np.allclose(heatmap, heatmap.T)  # the 16 strongest channels of a symmetric Gram
    diagonal = np.diag(heatmap)
    assert list(diagonal) == sorted(diagonal, reverse=True)  # sorted by G_ii
    lines = loss_figure([(10, {"pool1": 1.0}), (20, {"pool1": 0.5})]).axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["pool1", "total"] and list(lines[0].get_ydata()) == [1.0, 0.5]


def test_cli_writes_a_texture_and_the_high_to_low_series(tmp_path) -> None:
    source = str(example_path("wood"))
    out = tmp_path / "t.png"
    assert main(["neural-texture", source, "-o", str(out), "--steps", "4", "--size", "40x24", "--layers", "conv1_1,pool1"]) == 0
    assert Image.open(out).size == (40, 24)
    assert main(["neural-texture", source, "--high-to-low", str(tmp_path / "series"), "--steps", "2", "--size", "32x32"]) == 0
    names = sorted(p.name for p in (tmp_path / "series").iterdir())
    assert names[0] == "1_conv1_1.png" and names[-1] == "5_conv1_1+pool1+pool2+pool3+pool4.png"
    assert main(["neural-texture", source, "--high-to-low", str(tmp_path / "paper"), "--steps", "2", "--size", "32x32", "--no-chain"]) == 0
    pixels = {(run, name): np.asarray(Image.open(tmp_path / run / name)) for run in ("series", "paper") for name in names[:2]}
    assert np.array_equal(pixels["series", names[0]], pixels["paper", names[0]])  # both start from the noise
    assert not np.array_equal(pixels["series", names[1]], pixels["paper", names[1]])  # --no-chain: the second set too


def test_cli_bad_input_exits_2_with_one_line(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    assert main(["neural-texture", str(bad), "-o", str(tmp_path / "o.png")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "bad.png" in err and len(err.strip().splitlines()) == 1
    assert main(["neural-texture", str(example_path("wood")), "-o", str(tmp_path / "o.png"), "--layers", "pool9"]) == 2


@pytest.mark.usefixtures("app_server")
def test_tab_synthesises_refuses_a_bad_upload_and_keeps_working(client, tmp_path) -> None:
    from gradio_client import handle_file

    texture = handle_file(str(example_path("fur")))
    # example, backbone, layers, steps, size, seed, tileable, histogram, halvings, optimizer, pooling
    image, plot, status, download = client.predict(
        texture, "vgg16-caffe", ["conv1_1", "pool1", "pool2"], 10, 64, 0, False, False, 1, "lbfgs", "avg",
        api_name="/neural_texture_run",
    )  # fmt: skip
    assert Image.open(download).size == (64, 64) and Image.open(image).size == (384, 384)  # real size; shown x6
    assert status.startswith("done: 10 steps")

    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    with pytest.raises(Exception, match="broken.png.*could not be read"):
        client.predict(handle_file(str(bad)), "vgg16-caffe", ["conv1_1"], 10, 64, 0, False, False, 1, "lbfgs", "avg", api_name="/neural_texture_run")

    filters, maps, gram, note = client.predict(texture, "vgg16-caffe", "relu2_1", "avg", api_name="/neural_texture_show")
    assert Image.open(filters).size[0] > 200 and Image.open(maps).size[0] > 200
    assert "relu2_1" in note

    gallery, last, status = client.predict(texture, "vgg16-caffe", 10, 64, 0, "avg", api_name="/neural_texture_high_to_low")
    assert [item["caption"] for item in gallery] == ["example", "conv1_1", "conv1_1 + pool1", "conv1_1 + pool1 + pool2",
                                                     "conv1_1 + pool1 + pool2 + pool3", "conv1_1 + pool1 + pool2 + pool3 + pool4"]  # fmt: skip
    with pytest.raises(Exception, match="VGG"):
        client.predict(texture, "random-multiscale", 10, 64, 0, "avg", api_name="/neural_texture_high_to_low")

    _, _, status, download = client.predict(
        texture, "random-multiscale", [], 10, 64, 1, True, True, 1, "adam", "avg", api_name="/neural_texture_run"
    )
    assert Image.open(download).size == (64, 64) and status.startswith("done")

