"""Backbones and the feature extractor: layouts, parity with torchvision and with the
ONNX graph the Caffe VGG-16 weights come from, truncation, periodic padding."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
import torchvision

from synth import create_model, list_models
from synth.features import (
    VGG,
    FeatureExtractor,
    average_pool,
    caffe_onnx_name,
    vgg16_caffe_from_onnx,
    vgg_checkpoint_filter,
    vgg_layer_names,
)
from synth.models import model_spec

# torchvision vgg19().features indices named in the issue, and the pools
TV_INDEX = {"relu1_1": 1, "relu2_1": 6, "relu3_1": 11, "relu4_1": 20, "relu4_2": 22, "relu5_1": 29,
            "pool1": 4, "pool2": 9, "pool3": 18, "pool4": 27, "pool5": 36}  # fmt: skip


@pytest.mark.parametrize("name", list_models("features"))
def test_every_backbone_extracts_its_default_layers(name: str) -> None:
    model = create_model(name, pretrained=False)
    assert not model.training and not any(p.requires_grad for p in model.parameters())
    extractor = FeatureExtractor(model, model.default_layers)
    features = extractor(torch.rand(1, 3, 48, 40))
    assert list(features) == list(model.default_layers)
    assert all(torch.isfinite(f).all() for f in features.values())


def test_layer_names_follow_torchvision_indices() -> None:
    names = vgg_layer_names(19)
    assert len(names) == len(torchvision.models.vgg19().features) == 37
    assert all(names[index] == layer for layer, index in TV_INDEX.items())
    assert vgg_layer_names(16)[-1] == "pool5" and "conv5_3" in vgg_layer_names(16) and "conv5_4" not in vgg_layer_names(16)


def test_vgg19_matches_torchvision_activations_exactly() -> None:
    ours = create_model("vgg19", pretrained=False)
    reference = torchvision.models.vgg19().features.eval()
    reference.load_state_dict(ours.features.state_dict())  # the same random weights
    image = torch.rand(1, 3, 64, 64)
    extractor = FeatureExtractor(ours, ["conv1_1", *TV_INDEX], pooling="max")
    got = extractor(image)
    x = ours.normalize(image)
    expected = {"conv1_1": reference[0](x)}
    with torch.no_grad():
        for index, module in enumerate(reference):
            x = module(x)
            for layer, at in TV_INDEX.items():
                if at == index:
                    expected[layer] = x.clone()
    for layer in expected:
        torch.testing.assert_close(got[layer], expected[layer], rtol=0, atol=0, msg=f"{layer} differs")
    assert (got["conv1_1"] < 0).any(), "conv1_1 must be the convolution's output, not its rectification"


def test_imagenet_normalisation_is_inside() -> None:
    model = create_model("vgg19", pretrained=False)
    image = torch.rand(1, 3, 8, 8)
    expected = (image - torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)) / torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    torch.testing.assert_close(model.normalize(image), expected)


def test_caffe_normalisation_is_bgr_0_255_mean_subtracted() -> None:
    model = create_model("vgg16-caffe", pretrained=False)
    image = torch.rand(1, 3, 8, 8)
    expected = image.flip(1) * 255 - torch.tensor([103.939, 116.779, 123.68]).view(1, 3, 1, 1)
    torch.testing.assert_close(model.normalize(image), expected, rtol=1e-6, atol=1e-4)


def test_vgg19_loads_a_torchvision_file_and_filters_timm_keys(tmp_path) -> None:
    import timm

    state = torchvision.models.vgg19().state_dict()
    path = tmp_path / "vgg19-tv.pth"
    torch.save(state, path)
    model = VGG(19)
    model_spec("vgg19").load(model, [path])
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[key])
    with torch.device("meta"):
        timm_state = timm.create_model("vgg19", pretrained=False).state_dict()
    assert any(not k.startswith("features.") for k in timm_state)  # pre_logits.*, head.*
    kept = vgg_checkpoint_filter(timm_state)
    assert {k: tuple(v.shape) for k, v in kept.items()} == {k: tuple(v.shape) for k, v in model.state_dict().items()}


def test_extractor_truncates_after_the_deepest_layer() -> None:
    model = create_model("vgg16-caffe", pretrained=False)
    assert FeatureExtractor(model, ["relu2_1", "conv1_1"]).depth == vgg_layer_names(16).index("relu2_1") + 1
    calls: list[str] = []
    hooks = [m.register_forward_hook(lambda *_, i=i: calls.append(i)) for i, m in enumerate(model.features) if isinstance(m, torch.nn.Conv2d)]
    FeatureExtractor(model, ["pool1"])(torch.rand(1, 3, 16, 16))
    for hook in hooks:
        hook.remove()
    assert calls == [0, 2]


def test_extractor_rejects_unknown_layers_with_the_known_names() -> None:
    model = create_model("random-multiscale", pretrained=False)
    with pytest.raises(ValueError, match="unknown layers.*relu1"):
        FeatureExtractor(model, ["pool4"])


def test_average_and_max_pooling() -> None:
    model = create_model("vgg16-caffe", pretrained=False)
    image = torch.rand(1, 3, 16, 16)
    relu = FeatureExtractor(model, ["relu1_2"])(image)["relu1_2"]
    torch.testing.assert_close(FeatureExtractor(model, ["pool1"], pooling="avg")(image)["pool1"], F.avg_pool2d(relu, 2))
    torch.testing.assert_close(FeatureExtractor(model, ["pool1"], pooling="max")(image)["pool1"], F.max_pool2d(relu, 2))


@pytest.mark.parametrize("name", ["vgg16-caffe", "random-multiscale"])
def test_circular_padding_makes_features_shift_equivariant(name: str) -> None:
    model = create_model(name, pretrained=False)
    layer = model.default_layers[-1]
    extractor = FeatureExtractor(model, [layer], padding="circular")
    image = torch.rand(1, 3, 64, 64)
    shift = 16  # a multiple of every pooling stride up to pool4
    moved = extractor(image.roll((shift, 2 * shift), dims=(2, 3)))[layer]
    scale = moved.shape[-1] / 64
    expected = extractor(image)[layer].roll((round(shift * scale), round(2 * shift * scale)), dims=(2, 3))
    torch.testing.assert_close(moved, expected, rtol=1e-4, atol=1e-4 * float(expected.abs().max()))
    zero = FeatureExtractor(model, [layer])
    assert not torch.allclose(zero(image.roll(shift, 3))[layer], zero(image)[layer].roll(round(shift * scale), 3), atol=1e-3)


def test_random_multiscale_is_seeded_and_needs_no_weights() -> None:
    assert model_spec("random-multiscale").weights == ()
    a, b = create_model("random-multiscale"), create_model("random-multiscale", pretrained=False)
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))
    assert [bank.weight.shape[-1] for bank in a.features[0].banks] == [3, 5, 7, 11, 15, 23, 37, 55]


def test_converter_reads_exactly_the_conv_initialisers(tmp_path) -> None:
    import onnx
    from onnx import helper, numpy_helper
    from safetensors.torch import load_file

    model = VGG(16, input_convention="caffe")
    convs = [m for m in model.features if isinstance(m, torch.nn.Conv2d)]
    names = [(b, c) for b, n in enumerate((2, 2, 3, 3, 3), start=1) for c in range(1, n + 1)]
    initialisers = [numpy_helper.from_array(torch.randn(4, 4).numpy(), "functional_1/dense_1/Cast/ReadVariableOp:0")]
    expected = {}
    for (block, conv), module in zip(names, convs):
        weight, bias = torch.randn(module.weight.shape) * 0.01, torch.randn(module.bias.shape)
        initialisers += [numpy_helper.from_array(weight.numpy(), caffe_onnx_name(block, conv, "weight")),
                         numpy_helper.from_array(bias.numpy(), caffe_onnx_name(block, conv, "bias"))]  # fmt: skip
        expected[id(module)] = (weight, bias)
    graph = helper.make_graph([], "vgg", [], [], initializer=initialisers)
    src, dst = tmp_path / "m.onnx", tmp_path / "m.safetensors"
    onnx.save(helper.make_model(graph), str(src))
    vgg16_caffe_from_onnx(src, dst)
    state = load_file(str(dst))
    model.load_state_dict(state, strict=True)
    for module in convs:
        assert torch.equal(module.weight, expected[id(module)][0]) and torch.equal(module.bias, expected[id(module)][1])

    graph = helper.make_graph([], "vgg", [], [], initializer=initialisers[:-1])
    onnx.save(helper.make_model(graph), str(src))
    with pytest.raises(ValueError, match="block5_conv3_1"):
        vgg16_caffe_from_onnx(src, dst)


def test_caffe_vgg16_matches_the_onnx_graph_on_a_real_photo(make_store) -> None:
    """Our VGG-16 with the converted weights == onnxruntime on the original graph, layer by layer."""
    import numpy as np
    import onnx
    import onnxruntime
    import skimage.data
    from onnx import helper

    from synth.images import load_image, resize
    from synth.weights import default_store

    entry = default_store().entry("vgg16-caffe")
    (source,) = entry.sources
    raw = {k: v for k, v in vars(source).items() if v is not None}
    onnx_path = make_store({"raw": {"sources": [raw]}}).fetch("raw", progress=False)  # the graph, unconverted
    model = onnx.load(str(onnx_path))
    blocks = [f"functional_1/block{b}_conv{c}_1/Relu:0" for b, n in enumerate((2, 2, 3, 3, 3), 1) for c in range(1, n + 1)]
    pools = [f"functional_1/block{b}_pool_1/MaxPool2d:0" for b in range(1, 6)]
    for name in blocks + pools:
        model.graph.output.append(helper.make_empty_tensor_value_info(name))
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])

    ours = create_model("vgg16-caffe")  # the converted file, through the weights manager
    image = resize(load_image(skimage.data.chelsea()), (240, 240))
    layers = [n for n in vgg_layer_names(16) if n.startswith("relu")] + [f"pool{b}" for b in range(1, 6)]
    got = FeatureExtractor(ours, layers, pooling="max")(image)
    feed = ours.normalize(image).permute(0, 2, 3, 1).numpy()  # the graph takes NHWC
    outputs = session.run(blocks + pools, {session.get_inputs()[0].name: feed})
    for layer, value in zip(layers, outputs):
        expected = torch.from_numpy(np.asarray(value))
        scale = float(expected.abs().max())
        assert scale > 0
        torch.testing.assert_close(got[layer], expected, rtol=1e-4, atol=1e-4 * scale, msg=f"{layer} differs")


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("shape", [(2, 3, 8, 10), (1, 4, 7, 9)])
def test_average_pool_is_avg_pool2d_bit_for_bit_with_its_gradient(dtype, shape):
    """The faster 2x2 pooling against F.avg_pool2d: the same bits forward, the same gradient, odd sides included."""
    x = torch.randn(shape).to(dtype)
    ours_in, reference_in = x.clone().requires_grad_(), x.clone().requires_grad_()
    ours, reference = average_pool(ours_in), F.avg_pool2d(reference_in, 2, 2)
    assert ours.dtype == dtype and torch.equal(ours, reference)
    weights = torch.randn(reference.shape).to(dtype)
    (ours * weights).sum().backward()
    (reference * weights).sum().backward()
    torch.testing.assert_close(ours_in.grad, reference_in.grad, rtol=0, atol=0)


def test_average_pool_under_autocast_keeps_the_activations_dtype():
    x = torch.rand(1, 4, 6, 6)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        pooled, kept = average_pool(x.bfloat16()), average_pool(x)
    assert pooled.dtype == torch.bfloat16 and torch.equal(pooled, F.avg_pool2d(x.bfloat16(), 2, 2))
    assert kept.dtype == torch.float32 and torch.equal(kept, F.avg_pool2d(x, 2, 2))
