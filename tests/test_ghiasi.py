"""Fast style transfer (Ghiasi et al. 2017) in onnxruntime: what is read from the graphs,
and the real int8 network on the lecture's pair of images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from onnx import TensorProto, helper

from synth import create_model
from synth.colors import rgb_to_yiq
from synth.ghiasi import _convention, _quantised_range, fast_transfer
from synth.images import load_image, save_image
from synth.style import fit_side
from synth.views import hstack
from synth.weights import default_store

IMAGES = Path("/work/shared/images")  # for tests and looking only: never copied into the repo


def _quantised_graph(scale: float, zero: int, dtype: int) -> onnx.GraphProto:
    """x -> Transpose -> QuantizeLinear(scale, zero) -> DequantizeLinear -> y: an input as the exporter writes it."""
    nodes = [
        helper.make_node("Transpose", ["x"], ["t"], perm=[0, 3, 1, 2]),
        helper.make_node("QuantizeLinear", ["t", "s", "z"], ["q"]),
        helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"]),
    ]
    inits = [helper.make_tensor("s", TensorProto.FLOAT, [], [scale]), helper.make_tensor("z", dtype, [], [zero])]
    return helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 8, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 8, 8])], inits,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("scale", "zero", "dtype", "expected"),
    [
        (1 / 255, 0, TensorProto.UINT8, (0.0, 1.0)),
        (1 / 255, -128, TensorProto.INT8, (0.0, 1.0)),
        (1 / 256, 0, TensorProto.UINT8, (0.0, 1.0)),  # a sigmoid output: [0, 255/256]
        (2 / 255, 128, TensorProto.UINT8, (-1.0, 1.0)),
        (1.0, 0, TensorProto.UINT8, (0.0, 255.0)),
    ],
)
def test_value_range_is_read_from_the_quantisation_next_to_a_tensor(scale, zero, dtype, expected) -> None:
    graph = _quantised_graph(scale, zero, dtype)
    low, high = _quantised_range(graph, "x")  # input side: follows the Transpose to the QuantizeLinear
    assert _convention(low, high) == expected
    assert _quantised_range(graph, "y") == pytest.approx((low, high))  # output side: its DequantizeLinear


def test_an_unusual_range_or_an_unquantised_tensor_is_refused() -> None:
    with pytest.raises(ValueError, match="none of the usual pixel ranges"):
        _convention(*_quantised_range(_quantised_graph(0.05, 0, TensorProto.UINT8), "x"))  # [0, 12.75]
    with pytest.raises(ValueError, match="no quantisation"):
        _quantised_range(_quantised_graph(1 / 255, 0, TensorProto.UINT8), "t_missing")


def test_without_weights_it_says_how_to_get_them() -> None:
    net = create_model("style/ghiasi", pretrained=False)
    with pytest.raises(ValueError, match="create_model\\('style/ghiasi'\\)"):
        net(torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32))


@pytest.fixture(scope="module")
def pair() -> tuple[torch.Tensor, torch.Tensor]:
    for name in ("style/ghiasi-predict", "style/ghiasi-transform"):
        default_store().fetch(name, progress=False)
    return load_image(IMAGES / "tubingen.jpg"), load_image(IMAGES / "starry_night.jpg")


def test_the_real_graphs_declare_what_we_feed_them(pair) -> None:
    net = create_model("style/ghiasi")
    assert net.style_input.shape == (1, 256, 256, 3) and (net.style_input.low, net.style_input.high) == (0.0, 1.0)
    assert net.content_input.shape[-1] == 3 and net.output_range == (0.0, 1.0) and net.vector_size == 100
    assert net.transformer.get_inputs()[0].shape[1:3] == ["height", "width"]  # made free in memory, any size runs


def _luminance_correlation(a: torch.Tensor, b: torch.Tensor) -> float:
    """Pearson correlation of the two images' luminance (Y of YIQ): 1 = the same picture up to brightness."""
    x, y = (rgb_to_yiq(image)[:, 0].flatten() for image in (a, b))
    x, y = x - x.mean(), y - y.mean()
    return float((x * y).sum() / (x.norm() * y.norm()))


def test_real_fast_transfer_follows_the_content_and_is_deterministic(pair, artifacts) -> None:
    content, style = pair
    out = fast_transfer(content, style, size=256)
    assert out.shape == (1, 3, 192, 256)  # tubingen is 4:3
    assert 0 <= float(out.min()) and float(out.max()) <= 1 and float(out.std()) > 0.1
    assert torch.equal(fast_transfer(content, style, size=256), out)
    odd = fast_transfer(content, style, size=130)  # 130x98: not a multiple of 4, padded and cropped back
    assert odd.shape == (1, 3, 98, 130)

    resized = fit_side(content, 256).clamp(0, 1)
    unstyled = fast_transfer(content, style, size=256, strength=0.0)  # the content's own style vector
    assert _luminance_correlation(unstyled, resized) > 0.9  # nearly the content (measured 0.92; its colours drift)
    assert _luminance_correlation(out, resized) < _luminance_correlation(unstyled, resized) - 0.1  # measured 0.70

    assert torch.equal(fast_transfer(content, [style, content], blend=(1, 0), size=256), out)
    kept = fast_transfer(content, style, size=256, preserve_colors="luminance")
    assert float((rgb_to_yiq(kept)[:, 1:] - rgb_to_yiq(resized)[:, 1:]).abs().mean()) < 0.01
    save_image(hstack([resized, out, unstyled, kept]), artifacts / "fast_style_tubingen_starry_night.png")


def test_fast_transfer_refuses_bad_options(pair) -> None:
    content, style = pair
    with pytest.raises(ValueError, match="strength"):
        fast_transfer(content, style, strength=1.5)
    with pytest.raises(ValueError, match="cap of 1024 px"):
        fast_transfer(content, style, size=3000, max_side=1024)
    with pytest.raises(ValueError, match="preserve_colors"):
        fast_transfer(content, style, preserve_colors="sepia")  # type: ignore[arg-type]
    assert np.isfinite(fast_transfer(torch.zeros(1, 3, 40, 40), style, size=None).numpy()).all()  # a flat content
