"""The pix2pix and CycleGAN tabs end to end, through gradio_client against the offline app."""

from __future__ import annotations

import pytest
from gradio_client import handle_file
from PIL import Image

from synth.examples import example_path


def _error(client, *args, api_name: str) -> str:
    with pytest.raises(Exception) as caught:
        client.predict(*args, api_name=api_name)
    return str(caught.value)


def test_pix2pix_offline_explains_what_is_missing(client):
    message = _error(client, handle_file(str(example_path("map"))), "pix2pix/map2sat", "paper", 0, 256, api_name="/pix2pix_translate")
    assert "pix2pix/map2sat" in message and "python -m synth weights download pix2pix/map2sat" in message
    # the painted-map path reaches the same check (the canvas's composite is decoded by synth.images)
    drawing = {"background": handle_file(str(example_path("map"))), "layers": [], "composite": handle_file(str(example_path("map"))), "id": None}
    message = _error(client, drawing, "pix2pix/sat2map", "eval", 0, 256, api_name="/pix2pix_translate_drawing")
    assert "python -m synth weights download pix2pix/sat2map" in message
    assert "Translate an upload or a drawing first" in _error(client, "paper", 0, 256, api_name="/pix2pix_compare")


def test_cyclegan_vintage_runs_offline_then_bad_upload_then_runs_again(client, tmp_path):
    path, reconstructed, error_map, note = client.predict(
        handle_file(str(example_path("chelsea"))), "cyclegan/vintage", 256, True, api_name="/cyclegan_translate"
    )
    with Image.open(path) as image:
        assert image.size == (256, 170)  # chelsea is 451x300; max side 256 keeps the aspect ratio
    assert reconstructed is None and error_map is None
    assert "cyclegan/vintage" in note and "No reverse generator" in note

    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 this is not really a JPEG")
    message = _error(client, handle_file(str(broken)), "cyclegan/vintage", 256, False, api_name="/cyclegan_translate")
    assert "broken.jpg" in message and ("not an image" in message or "truncated" in message or "could not be read" in message)

    message = _error(client, handle_file(str(example_path("chelsea"))), "cyclegan/horse2zebra", 256, True, api_name="/cyclegan_translate")
    assert "python -m synth weights download cyclegan/horse2zebra" in message

    path, *_ = client.predict(handle_file(str(example_path("coffee"))), "cyclegan/vintage", 128, False, api_name="/cyclegan_translate")
    with Image.open(path) as image:
        assert image.size == (128, 85)


@pytest.fixture
def random_generators(monkeypatch):
    """Every named model is a small random generator of its family (no weights needed)."""
    import torch

    from synth.translate import inference
    from synth.translate.resnet import ResnetGenerator
    from synth.translate.unet import UnetGenerator

    made = {}

    def fake(model, device):
        if not isinstance(model, str):
            return model
        if model not in made:
            torch.manual_seed(len(made))
            net = UnetGenerator(ngf=8) if model.startswith("pix2pix/") else ResnetGenerator(ngf=8, n_blocks=2)
            made[model] = net.eval().requires_grad_(False)
        return made[model]

    monkeypatch.setattr(inference, "_as_model", fake)
    return made


def test_cyclegan_tab_closes_the_cycle_where_a_reverse_exists(random_generators):
    from demos.cyclegan import run_cyclegan

    steps = list(run_cyclegan(str(example_path("chelsea")), "cyclegan/horse2zebra", 64, True))
    translated, reconstructed, error_map, note = steps[-1]
    assert len(steps) == 2 and steps[0][1] is None  # G(x) is shown before the cycle is closed
    assert Image.open(translated).size == Image.open(reconstructed).size == Image.open(error_map).size == (64, 43)
    assert "cyclegan/zebra2horse" in note and "Mean |x − F(G(x))| = **0." in note
    assert set(random_generators) == {"cyclegan/horse2zebra", "cyclegan/zebra2horse"}


def test_pix2pix_tab_drawing_and_comparison(random_generators):
    from demos.pix2pix import compare_cyclegan, translate_drawing
    from synth.translate.maps import sample_map

    editor = {"background": sample_map(256), "layers": [], "composite": sample_map(256)}
    output, note, last = translate_drawing(editor, "pix2pix/map2sat", "paper", 3, 256)
    assert Image.open(output).size == (256, 256) and "seed 3" in note
    gallery = compare_cyclegan(last, "eval", 0, 256)
    assert [caption.split(":")[0] for _, caption in gallery] == ["input", "pix2pix (paired training)", "CycleGAN (unpaired training)"]
    assert set(random_generators) == {"pix2pix/map2sat", "cyclegan/map2sat"}
