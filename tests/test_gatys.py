"""Gram-matrix texture synthesis: the statistics against naive loops, the engine's
contracts (seeds, callbacks, stopping early, range, sizes, periodicity), and one real synthesis."""

from __future__ import annotations

import pytest
import torch

from synth import create_model
from synth.features import FeatureExtractor
from synth.gatys import HIGH_TO_LOW, HighToLowOptions, TextureLoss, TextureOptions, gram_loss, gram_matrix, high_to_low, synthesize
from synth.histograms import match_histogram
from synth.images import save_image
from synth.optimize import Objective, optimize
from synth.options import OptionError
from synth.progress import Progress, StopEarly


def naive_gram(features: torch.Tensor) -> torch.Tensor:
    _, channels, height, width = features.shape
    gram = torch.zeros(channels, channels, dtype=torch.float64)
    for i in range(channels):
        for j in range(channels):
            total = 0.0
            for x in range(height):
                for y in range(width):
                    total += float(features[0, i, x, y]) * float(features[0, j, x, y])
            gram[i, j] = total / (height * width)
    return gram


def test_gram_matrix_equals_the_double_loop() -> None:
    features = torch.randn(1, 5, 4, 3, dtype=torch.float64)
    torch.testing.assert_close(gram_matrix(features)[0], naive_gram(features))


def test_gram_matrix_gradient_is_autograds_of_the_product() -> None:
    """The one-product backward, (S + S^T) F / M, against autograd through F F^T / M (float64)."""
    features = torch.randn(2, 5, 4, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(gram_matrix, (features,))
    weights = torch.randn(2, 5, 5, dtype=torch.float64)  # a loss whose S = dL/dG is not symmetric
    (gram_matrix(features) * weights).sum().backward()
    ours, features.grad = features.grad, None
    flat = features.reshape(2, 5, 12)
    (torch.bmm(flat, flat.transpose(1, 2)) / 12 * weights).sum().backward()
    torch.testing.assert_close(ours, features.grad)


def test_gram_matrix_of_bfloat16_features_sums_in_float32_and_returns_their_gradient_dtype() -> None:
    features = torch.randn(1, 8, 16, 16)
    low = features.bfloat16().requires_grad_()
    gram = gram_matrix(low)
    assert gram.dtype == torch.float32
    torch.testing.assert_close(gram, gram_matrix(low.detach().float()))  # exact: the sum ran in float32
    gram.square().sum().backward()
    assert low.grad is not None and low.grad.dtype == torch.bfloat16
    wide = low.detach().float().requires_grad_()
    gram_matrix(wide).square().sum().backward()
    torch.testing.assert_close(low.grad.float(), wide.grad, rtol=2e-2, atol=2e-2 * float(wide.grad.abs().max()))


def test_texture_loss_equals_the_double_loop() -> None:
    layers = {"a": torch.randn(1, 4, 3, 3, dtype=torch.float64), "b": torch.randn(1, 6, 2, 5, dtype=torch.float64)}
    targets = {k: torch.randn(1, v.shape[1], 3, 4, dtype=torch.float64) for k, v in layers.items()}
    weights = {"a": 0.3, "b": 2.0}
    for norm in ("relative", "gatys"):
        loss = TextureLoss({k: gram_matrix(v) for k, v in targets.items()}, weights, norm=norm)
        got = loss(layers)
        for layer, features in layers.items():
            g, t = naive_gram(features), naive_gram(targets[layer])
            n = features.shape[1]
            squared = sum(float(g[i, j] - t[i, j]) ** 2 for i in range(n) for j in range(n))
            if norm == "relative":
                expected = squared / sum(float(t[i, j]) ** 2 for i in range(n) for j in range(n))
            else:  # Gatys et al. Eq. 4 with unnormalised Grams: 1/(4 N^2 M^2) sum (G - A)^2
                m = features.shape[2] * features.shape[3]
                expected = sum(float(g[i, j] * m - t[i, j] * m) ** 2 for i in range(n) for j in range(n)) / (4 * n**2 * m**2)
            assert float(got[layer]) == pytest.approx(weights[layer] * expected, rel=1e-5)  # float32 Grams
    with pytest.raises(ValueError, match="norm"):
        gram_loss(torch.ones(1, 2, 2), torch.ones(1, 2, 2), norm="l1")  # type: ignore[arg-type]


def test_match_histogram_gives_the_reference_values() -> None:
    source, reference = torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8) ** 3
    out = match_histogram(source, reference)
    for c in range(3):
        assert torch.equal(out[0, c].flatten().sort().values, reference[0, c].flatten().sort().values)
        assert torch.equal(out[0, c].flatten().argsort(), source[0, c].flatten().argsort())  # order kept


def _small(**options):
    texture = torch.rand(1, 3, 40, 40, generator=torch.Generator().manual_seed(1))
    defaults = dict(backbone="vgg16-caffe", layers=("conv1_1", "pool1", "pool2"), steps=12, halvings=0, size=(48, 32))
    return synthesize(texture, **{**defaults, **options})


def test_same_seed_same_image_other_seed_other_image() -> None:
    a, b, c = _small(seed=3), _small(seed=3), _small(seed=4)
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_output_size_range_and_callbacks() -> None:
    seen: list[Progress] = []
    out = _small(every=5, callback=seen.append, size=(56, 24))
    assert out.shape == (1, 3, 24, 56) and 0 <= out.min() and out.max() <= 1
    assert [p.step for p in seen] == [5, 10, 12] and all(p.total == 12 for p in seen)
    assert all(set(p.losses) == {"conv1_1", "pool1", "pool2"} and p.image.shape == (1, 3, 24, 56) for p in seen)


def test_how_often_the_callback_runs_does_not_change_the_result() -> None:
    assert torch.equal(_small(every=3, steps=20), _small(every=10, steps=20))


def test_slow_evaluations_are_reported_at_least_every_report_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    """With REPORT_SECONDS 0 every evaluation counts as slow: a report after each one (so a Stop
    or a time budget acts within one evaluation), and the same pixels as reports every 10."""
    monkeypatch.setattr("synth.optimize.REPORT_SECONDS", 0.0)
    seen: list[Progress] = []
    out = _small(every=10, steps=20, callback=seen.append)
    assert [p.step for p in seen] == list(range(1, 21))
    monkeypatch.undo()
    assert torch.equal(out, _small(every=10, steps=20))


def test_options_object_and_keywords_are_the_same_call() -> None:
    texture = torch.rand(1, 3, 40, 40, generator=torch.Generator().manual_seed(1))
    options = TextureOptions(backbone="random-multiscale", steps=4, halvings=0, size=(32, 32))
    assert torch.equal(synthesize(texture, options), synthesize(texture, backbone="random-multiscale", steps=4, halvings=0, size=(32, 32)))
    assert torch.equal(synthesize(texture, options, seed=1), synthesize(texture, options.replace(seed=1)))


def test_adam_and_coarse_to_fine_reduce_the_loss() -> None:
    for options in ({"optimizer": "adam", "lr": 0.05}, {"halvings": 1}):
        seen: list[Progress] = []
        _small(steps=40, every=10, callback=seen.append, size=(64, 64), **options)
        first_at_finest = next(p for p in seen if p.stage == seen[-1].stage)
        assert seen[-1].loss < 0.8 * first_at_finest.loss
        if "halvings" in options:
            assert [p.stage for p in seen] == ["scale 1/2 · 32×32"] * 2 + ["scale 2/2 · 64×64"] * 2
            assert [p.image.shape[-1] for p in seen] == [32, 32, 64, 64]


def test_a_callback_can_cancel() -> None:
    class Stop(Exception):
        pass

    def cancel(progress: Progress) -> None:
        raise Stop

    with pytest.raises(Stop):
        _small(every=2, callback=cancel)


def test_stop_early_returns_the_current_image_at_the_full_size() -> None:
    """StopEarly at the coarse scale: the image so far, upsampled to the output size (and histogram-matched)."""
    seen: list[Progress] = []

    def stop_at_4(progress: Progress) -> None:
        seen.append(progress)
        if progress.step >= 4:
            raise StopEarly

    out = _small(steps=40, every=2, halvings=1, size=(64, 64), histogram=True, callback=stop_at_4)
    assert [p.step for p in seen] == [2, 4] and seen[-1].stage == "scale 1/2 · 32×32"
    assert out.shape == (1, 3, 64, 64) and 0 <= out.min() and out.max() <= 1
    assert not torch.equal(out, _small(steps=40, every=2, halvings=1, size=(64, 64), histogram=True))  # not the full run


def test_bad_options_are_refused_with_the_expected_values() -> None:
    with pytest.raises(OptionError, match="unknown layers.*relu1"):
        _small(backbone="random-multiscale", layers=["pool2"])
    with pytest.raises(OptionError, match="3 layer weights"):
        _small(layer_weights=[1.0])
    with pytest.raises(ValueError, match="16 pixels"):
        synthesize(torch.rand(1, 3, 8, 8), backbone="random-multiscale")
    with pytest.raises(OptionError, match="optimizer: 'sgd' is not one of 'lbfgs', 'adam'"):
        _small(optimizer="sgd")
    with pytest.raises(OptionError, match=r"size\[1\] must be at least 16"):
        _small(size=(32, 8))
    with pytest.raises(OptionError, match="has no option 'scales'"):
        _small(scales=2)  # the coarse-to-fine count is called halvings now
    with pytest.raises(OptionError, match="own layer sets"):
        HighToLowOptions(layers=("conv1_1",))


def test_tileable_synthesis_is_periodic() -> None:
    """On a torus the engine is shift-equivariant: a rolled start gives the rolled result."""
    model = create_model("random-multiscale")
    target = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    loss = TextureLoss.of(FeatureExtractor(model, ["relu1"]), target)
    start = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(1))

    def run(image: torch.Tensor, tileable: bool) -> torch.Tensor:
        objective = lambda index, size: Objective(("relu1",), loss)  # noqa: E731
        return optimize(image, objective, model, [(32, 32)], steps=8, periodic=tileable)

    shift = (5, 11)
    periodic = (run(start.roll(shift, (2, 3)), True) - run(start, True).roll(shift, (2, 3))).abs()
    assert periodic.max() < 0.01 and periodic.mean() < 1e-3  # float rounding only (measured 3e-3, 1.4e-4)
    bounded = (run(start.roll(shift, (2, 3)), False) - run(start, False).roll(shift, (2, 3))).abs()
    assert bounded.mean() > 0.02  # zero padding: the borders matter (measured 0.05)


def test_high_to_low_returns_the_five_layer_sets() -> None:
    texture = torch.rand(1, 3, 32, 32)
    seen: list[Progress] = []
    series = high_to_low(texture, steps=2, size=(32, 32), callback=seen.append)
    assert [label for label, _ in series] == [" + ".join(s) for s in HIGH_TO_LOW]
    assert [label for label, _ in series][1] == "conv1_1 + pool1"
    assert all(image.shape == (1, 3, 32, 32) for _, image in series)
    assert [p.step for p in seen] == [2, 4, 6, 8, 10] and all(p.total == 10 for p in seen)
    assert seen[1].stage == "conv1_1 + pool1 · scale 1/1 · 32×32"
    assert [list(p.views) for p in seen[:3]] == [[], ["conv1_1"], ["conv1_1", "conv1_1 + pool1"]]
    assert torch.equal(seen[2].views["conv1_1"], series[0][1])


def test_high_to_low_continues_each_set_from_the_previous_result() -> None:
    texture = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(3))
    two = {"steps": 3, "size": (32, 32), "layer_sets": HIGH_TO_LOW[:2]}
    chained, paper = high_to_low(texture, **two), high_to_low(texture, chain=False, **two)
    assert torch.equal(chained[0][1], paper[0][1])  # the first set starts from the noise either way
    alone = {"steps": 3, "size": (32, 32), "layers": HIGH_TO_LOW[1], "halvings": 0, "init": "noise"}
    assert torch.equal(chained[1][1], synthesize(texture, start=chained[0][1], **alone))
    assert torch.equal(paper[1][1], synthesize(texture, **alone))
    assert not torch.equal(chained[1][1], paper[1][1])
    with pytest.raises(ValueError, match=r"expected the start as \(1, 3, H, W\)"):
        synthesize(texture, start=torch.rand(3, 32, 32), **alone)


def test_high_to_low_stops_early_with_what_it_has() -> None:
    def stop_in_the_second_set(progress: Progress) -> None:
        if progress.step > 2:
            raise StopEarly

    series = high_to_low(torch.rand(1, 3, 32, 32), steps=2, size=(32, 32), callback=stop_in_the_second_set)
    assert [label for label, _ in series] == ["conv1_1", "conv1_1 + pool1"]  # the second is the one it was working on


def test_real_vgg16_synthesis_of_brick_reduces_the_gram_loss_100x(artifacts) -> None:
    """Real weights, real result: scikit-image's brick, 128x128, the default schedule."""
    import skimage.data

    from synth.images import load_image, resize
    from synth.weights import default_store

    default_store().fetch("vgg16-caffe", progress=False)
    example = resize(load_image(skimage.data.brick()), (128, 128))
    model = create_model("vgg16-caffe")
    extractor = FeatureExtractor(model, model.default_layers)
    loss = TextureLoss.of(extractor, example)
    noise = torch.rand(1, 3, 128, 128, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        before = float(sum(loss(extractor(noise)).values()))
    texture = synthesize(example, size=(128, 128), seed=0)  # default: 100 steps, two halvings (32, 64, 128 px)
    with torch.no_grad():
        after = float(sum(loss(extractor(texture)).values()))
    save_image(torch.cat([example, torch.ones(1, 3, 128, 8), texture], dim=3), artifacts / "neural_texture_brick.png")
    assert before / after >= 100, f"normalised Gram loss {before:.3g} -> {after:.3g}: only {before / after:.0f}x"
    # Bricks are grey: the synthesis must not invent colour.
    assert float((texture - texture.mean(1, keepdim=True)).abs().mean()) < 0.03
