"""The precision policy of :mod:`synth.runtime` and its quality guards (issue 15).

The policy (``SYNTH_PRECISION=fp32|bf16|auto``) is resolved per device and per
architecture; these tests pin the setting with ``monkeypatch`` (conftest runs every
other test in float32), so they assert the same on a CPU with or without bfloat16
units: ``bf16`` forces bfloat16 autocast even where it is emulated, and ``auto`` is
checked with the hardware detection replaced.

The quality guards run each engine in float32 and under the bfloat16 policy and
compare what a user gets: the loss of the result, evaluated in float32, for neural
textures and style transfer; the images themselves for the translation and GAN
generators (mean absolute difference at most 1/255, maximum at most 8/255). Their
results are written to ``artifacts/precision-*.png`` to be looked at side by side.
"""

from __future__ import annotations

import platform

import pytest
import torch
import torch.nn.functional as F

from synth import runtime
from synth.cache import ModelCache
from synth.examples import example_path
from synth.features import VGG, FeatureExtractor, RandomMultiScale
from synth.gan.dcgan import DCGANGenerator
from synth.gatys import HIGH_TO_LOW, TextureLoss, gram_matrix, synthesize
from synth.images import load_image, resize, save_image
from synth.models import list_models, model_spec
from synth.style import CONTENT_LAYERS, STYLE_LAYERS, ContentLoss, fit_side, transfer
from synth.translate.resnet import ResnetGenerator
from synth.translate.unet import UnetGenerator
from synth.weights import default_store

BF16 = runtime.Policy("cpu", torch.bfloat16)


@pytest.fixture
def bf16(monkeypatch):
    monkeypatch.setenv("SYNTH_PRECISION", "bf16")


# ---------------------------------------------------------------- the policy
def test_the_setting_defaults_to_auto_and_refuses_other_values(monkeypatch):
    monkeypatch.delenv("SYNTH_PRECISION")
    assert runtime.precision_setting() == "auto"
    monkeypatch.setenv("SYNTH_PRECISION", " BF16 ")
    assert runtime.precision_setting() == "bf16"
    monkeypatch.setenv("SYNTH_PRECISION", "fp8")
    with pytest.raises(ValueError, match="SYNTH_PRECISION must be one of fp32, bf16, auto; got 'fp8'"):
        runtime.precision_setting()


def test_fp32_keeps_every_architecture_in_float32_and_contiguous(monkeypatch):
    monkeypatch.setattr(runtime, "_cpu_has_bf16", lambda: True)
    for model in (VGG(16), UnetGenerator(), ResnetGenerator(), DCGANGenerator()):
        assert runtime.policy(model, "cpu") == runtime.FP32
    assert runtime.FP32.describe() == "float32"
    x = torch.rand(1, 3, 8, 8)
    assert runtime.FP32.layout(x) is x


def test_bf16_follows_the_measured_table(bf16):
    assert runtime.policy(VGG(16), "cpu") == BF16
    assert runtime.policy(ResnetGenerator(), "cpu") == BF16
    assert runtime.policy(DCGANGenerator(), "cpu") == runtime.Policy("cpu", torch.bfloat16, channels_last=True)
    # Measured slower (random filters of 55x55) or failing the quality guard (U-Net-256, below).
    assert runtime.policy(RandomMultiScale(filters_per_size=1), "cpu") == runtime.FP32
    assert runtime.policy(UnetGenerator(ngf=4), "cpu") == runtime.FP32
    assert runtime.policy(torch.nn.Linear(2, 2), "cpu") == runtime.FP32  # not in the table
    assert runtime.policy(DCGANGenerator(), "cpu").describe() == "bf16 autocast, channels_last"


def test_auto_uses_bf16_only_where_the_cpu_has_it(monkeypatch):
    monkeypatch.setenv("SYNTH_PRECISION", "auto")
    monkeypatch.setattr(runtime, "_cpu_has_bf16", lambda: False)
    assert runtime.precision("cpu") == "fp32" and runtime.policy(VGG(16), "cpu") == runtime.FP32
    monkeypatch.setattr(runtime, "_cpu_has_bf16", lambda: True)
    assert runtime.precision("cpu") == "bf16" and runtime.policy(VGG(16), "cpu") == BF16
    monkeypatch.setenv("SYNTH_PRECISION", "bf16")
    monkeypatch.setattr(runtime, "_cpu_has_bf16", lambda: False)
    assert runtime.precision("cpu") == "bf16"  # forced: bfloat16 is emulated where the CPU lacks it


def test_bf16_detection_agrees_with_the_cpu_flags():
    try:
        with open("/proc/cpuinfo") as handle:
            flags = {flag for line in handle if line.startswith(("flags", "Features")) for flag in line.split(":", 1)[1].split()}
    except OSError:
        flags = set()
    wanted = {"avx512_bf16", "amx_bf16"} if platform.machine().lower() in ("x86_64", "amd64") else {"bf16"}
    assert runtime.bf16_supported("cpu") == bool(wanted & flags)


def test_the_cuda_branch_is_conservative_and_asks_cuda_only_when_bf16_is_forced(monkeypatch):
    def no_cuda() -> bool:
        raise AssertionError("CUDA was asked")

    monkeypatch.setattr(torch.cuda, "is_bf16_supported", no_cuda)
    monkeypatch.setenv("SYNTH_PRECISION", "auto")
    assert runtime.precision("cuda") == "fp32" and runtime.policy(VGG(16), "cuda") == runtime.Policy("cuda")
    assert runtime.default_dtype(torch.device("cuda"), half_ok=True) == torch.float16  # as before the policy
    monkeypatch.setenv("SYNTH_PRECISION", "fp32")
    assert runtime.default_dtype(torch.device("cuda"), half_ok=True) == torch.float32
    monkeypatch.setenv("SYNTH_PRECISION", "bf16")
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: True)
    assert runtime.default_dtype(torch.device("cuda"), half_ok=True) == torch.float32
    assert runtime.policy(DCGANGenerator(), "cuda") == runtime.Policy("cuda", torch.bfloat16)  # channels_last: measured on CPUs only
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: False)
    assert runtime.policy(VGG(16), "cuda") == runtime.Policy("cuda")


def test_the_table_names_registered_architectures():
    """Every row of LAYOUTS is the class of a registered model (a misspelt row would be silently float32)."""
    classes = set()
    for name in list_models():
        build = model_spec(name).build
        target = getattr(build, "func", build)  # functools.partial of a class, or of a builder
        classes.add(target.__name__ if isinstance(target, type) else type(build()).__name__)  # a builder: build it (cheap ones)
    assert set(runtime.LAYOUTS) <= classes


def test_explicit_autocast_for_the_trainers():
    with runtime.autocast("bf16", torch.device("cpu")):
        assert torch.mm(torch.ones(2, 2), torch.ones(2, 2)).dtype == torch.bfloat16
    with runtime.autocast("fp32", torch.device("cpu")):
        assert torch.mm(torch.ones(2, 2), torch.ones(2, 2)).dtype == torch.float32
    with pytest.raises(ValueError, match="precision must be 'fp32' or 'bf16', got 'fp16'"):
        runtime.autocast("fp16", torch.device("cpu"))  # type: ignore[arg-type]


def test_the_cache_keeps_float32_and_bf16_models_apart(monkeypatch):
    cache = ModelCache(lambda name, device, dtype: DCGANGenerator(ngf=4).eval(), budget=10**9)
    float32 = cache.get("dcgan", "cpu", torch.float32)
    monkeypatch.setenv("SYNTH_PRECISION", "bf16")
    policy = cache.get("dcgan", "cpu", torch.float32)
    assert policy is not float32 and cache.get("dcgan", "cpu", torch.float32) is policy
    assert policy.main[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert float32.main[0].weight.is_contiguous() and not float32.main[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert {(m.precision, m.dtype) for m in cache.stats().models} == {("float32", "float32"), ("bf16 autocast, channels_last", "float32")}


def test_features_come_in_bf16_and_the_losses_in_float32(bf16):
    extractor = FeatureExtractor(VGG(16).eval().requires_grad_(False), ("conv1_1", "pool2"))
    image = torch.rand(1, 3, 32, 32)
    features = extractor(image)
    assert {f.dtype for f in features.values()} == {torch.bfloat16}
    loss = TextureLoss.of(extractor, image.flip(-1))
    assert {t.dtype for t in loss.targets.values()} == {torch.float32}
    assert {v.dtype for v in loss(features).values()} == {torch.float32}


# ---------------------------------------------------------------- quality guards
def _vgg_available() -> None:
    default_store().fetch("vgg16-caffe", progress=False)


def test_bf16_texture_objective_and_gradient_match_float32_along_a_run():
    """At every 10th image of a float32 run (brick, 64 px, the deepest layer set), the bfloat16
    loss is within 3 % of float32's and the gradient points the same way (measured: within
    0.4 %, cosine >= 0.985)."""
    from synth.cache import get_model

    _vgg_available()
    layers = HIGH_TO_LOW[-1]
    example = load_image(example_path("brick"), max_side=64)
    images: list[torch.Tensor] = []
    synthesize(example, size=(64, 64), steps=30, halvings=0, seed=0, init="noise", callback=lambda p: images.append(p.image))
    model = get_model("vgg16-caffe")
    for image in images:
        values = []
        for policy in (runtime.FP32, BF16):
            extractor = FeatureExtractor(model, layers, policy=policy)
            x = image.clone().requires_grad_(True)
            loss = sum(TextureLoss.of(extractor, example)(extractor(x)).values())
            loss.backward()
            values.append((float(loss.detach()), x.grad.flatten()))
        (exact, grad), (rounded, rounded_grad) = values
        assert abs(rounded / exact - 1) <= 0.03
        assert float(F.cosine_similarity(grad, rounded_grad, dim=0)) >= 0.95


@pytest.fixture
def one_thread():
    """One torch thread: the trajectories are chaotic, and a reduction split over two threads
    rounds differently, so the seeds' mean would depend on the machine's core count."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_bf16_textures_end_within_3_percent_of_float32_on_average(monkeypatch, artifacts, one_thread):
    """Fixed seeds 0-2, brick at 64 px, 50 steps of the default schedule: the mean final loss
    (evaluated in float32) under bfloat16 at most 3 % above float32's.

    One seed alone cannot tell: texture synthesis from noise is chaotic. Float32 itself ends
    5-11 % away from its own final loss when the example is perturbed by 1e-7, and the
    bfloat16/float32 ratio of single seeds spreads 0.85-1.16 here (6 seeds: mean ratio 1.00;
    these three: 0.95), while per evaluation (the test above) the objectives differ by under
    0.4 %. So this guards against a systematic loss, not against one unlucky trajectory.
    """
    from synth.cache import get_model

    _vgg_available()
    example = load_image(example_path("brick"), max_side=64)
    results: dict[str, list[torch.Tensor]] = {}
    for mode in ("fp32", "bf16"):
        monkeypatch.setenv("SYNTH_PRECISION", mode)
        results[mode] = [synthesize(example, size=(64, 64), steps=50, seed=seed) for seed in range(3)]
    save_image(torch.cat([torch.cat(images, dim=-1) for images in results.values()], dim=-2), artifacts / "precision-texture-fp32-bf16.png")
    assert not torch.equal(results["fp32"][0], results["bf16"][0])
    monkeypatch.setenv("SYNTH_PRECISION", "fp32")
    extractor = FeatureExtractor(get_model("vgg16-caffe"), HIGH_TO_LOW[-1], policy=runtime.FP32)
    loss = TextureLoss.of(extractor, example)
    with torch.no_grad():
        means = {mode: sum(float(sum(loss(extractor(image)).values())) for image in images) / len(images) for mode, images in results.items()}
    assert means["bf16"] <= 1.03 * means["fp32"], means


def test_bf16_style_transfer_ends_within_3_percent_of_float32(monkeypatch, artifacts):
    """A fixed run that converges (48 then 96 px, 60 steps from the content): final losses, both
    evaluated in float32, within 3 % (measured 1.1 %; 0.7 % after 100 steps; float32 itself moves
    0.6-0.9 % when the content is perturbed by 1e-6)."""
    _vgg_available()
    content, style = load_image(example_path("chelsea")), load_image(example_path("swirls"))
    results = {}
    for mode in ("fp32", "bf16"):
        monkeypatch.setenv("SYNTH_PRECISION", mode)
        results[mode] = transfer(content, style, sizes=(48, 96), steps=60)
    save_image(torch.cat([results["fp32"], results["bf16"]], dim=-1), artifacts / "precision-style-fp32-bf16.png")
    assert not torch.equal(results["fp32"], results["bf16"])  # the policy did something

    from synth.cache import get_model

    monkeypatch.setenv("SYNTH_PRECISION", "fp32")
    extractor = FeatureExtractor(get_model("vgg16-caffe"), CONTENT_LAYERS + STYLE_LAYERS, policy=runtime.FP32)
    height, width = results["fp32"].shape[-2:]
    with torch.no_grad():
        target = extractor(resize(content, (width, height)))
        grams = extractor(fit_side(style, max(height, width)).clamp(0, 1))
        content_loss = ContentLoss({layer: target[layer] for layer in CONTENT_LAYERS})
        style_loss = TextureLoss({layer: gram_matrix(grams[layer]) for layer in STYLE_LAYERS})
        losses = {mode: float(content_loss(extractor(image)) + 2.0 * sum(style_loss(extractor(image)).values())) for mode, image in results.items()}
    assert losses["bf16"] <= 1.03 * losses["fp32"]


def _check_images(name: str, exact: torch.Tensor, rounded: torch.Tensor, artifacts) -> None:
    save_image(torch.cat([exact, rounded], dim=-1), artifacts / f"precision-{name}-fp32-bf16.png")
    difference = (exact - rounded).abs()
    assert float(difference.mean()) <= 1 / 255 and float(difference.max()) <= 8 / 255, (float(difference.mean()) * 255, float(difference.max()) * 255)


@pytest.mark.parametrize("example", ["chelsea", "coffee"])
def test_bf16_cyclegan_vintage_output_within_one_grey_level(example, monkeypatch, artifacts):
    from synth.translate import translate

    default_store().fetch("cyclegan/vintage", progress=False)
    image = load_image(example_path(example), max_side=256)
    outputs = []
    for mode in ("fp32", "bf16"):
        monkeypatch.setenv("SYNTH_PRECISION", mode)
        outputs.append(translate(image, "cyclegan/vintage"))
    assert not torch.equal(*outputs)
    _check_images(f"vintage-{example}", *outputs, artifacts)


def test_random_unet_policy_output_within_one_grey_level(monkeypatch, artifacts):
    """pix2pix's U-Net-256 in paper mode with random weights: the guard holds because the policy
    keeps it in float32 (bfloat16 autocast measured 1.24/255 mean and 12.9/255 max here)."""
    from synth.translate import translate

    torch.manual_seed(0)
    net = UnetGenerator().eval().requires_grad_(False)
    image = load_image(example_path("map"), max_side=256)
    outputs = []
    for mode in ("fp32", "bf16"):
        monkeypatch.setenv("SYNTH_PRECISION", mode)
        outputs.append(translate(image, net))
    _check_images("unet-random", *outputs, artifacts)


def test_bf16_dcgan_faces_within_one_grey_level(monkeypatch, artifacts):
    from synth.gan import generate

    default_store().fetch("dcgan/faces-64", progress=False)
    outputs = []
    for mode in ("fp32", "bf16"):
        monkeypatch.setenv("SYNTH_PRECISION", mode)
        outputs.append(generate.sample("dcgan/faces-64", n=16).images)
    assert not torch.equal(*outputs)
    _check_images("dcgan", *(torch.cat(list(batch), dim=-1)[None] for batch in outputs), artifacts)
