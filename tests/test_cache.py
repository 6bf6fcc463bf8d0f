"""The model cache (one load per key, LRU under a byte budget, counters) and the registry."""

from __future__ import annotations

import functools
import hashlib
import io
import threading
import time

import pytest
import torch
from torch import nn

import synth.models
from synth.cache import ModelCache, model_bytes, parse_bytes
from synth.models import ModelSpec, UnknownModel, create_model, model_spec, register
from synth.weights import WeightsUnavailable


class Blob(nn.Module):
    """A model that holds exactly ``size`` bytes."""

    def __init__(self, name: str, size: int) -> None:
        super().__init__()
        self.name = name
        self.register_buffer("data", torch.zeros(size, dtype=torch.uint8))


class FakeLoader:
    """``loader(name, device=, dtype=)`` that counts its calls per name."""

    def __init__(self, size: int = 100, delay: float = 0.0) -> None:
        self.size = size
        self.delay = delay
        self.calls: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, name: str, *, device: torch.device, dtype: torch.dtype) -> nn.Module:
        with self._lock:
            self.calls.append(name)
        time.sleep(self.delay)
        return Blob(name, self.size)


def counters(cache: ModelCache) -> dict[str, int]:
    stats = cache.stats()
    return {"hits": stats.hits, "misses": stats.misses, "evictions": stats.evictions, "loads": stats.loads}


def cached_names(cache: ModelCache) -> list[str]:
    """Names in the cache, most recently used first."""
    return [info.name for info in cache.stats().models]


def test_eight_threads_cause_one_load():
    loader = FakeLoader(delay=0.3)
    cache = ModelCache(loader, budget=10_000)
    barrier = threading.Barrier(8)
    models: list[nn.Module] = []

    def get() -> None:
        barrier.wait()
        models.append(cache.get("a", "cpu", torch.float32))

    threads = [threading.Thread(target=get) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert loader.calls == ["a"]
    assert len(models) == 8 and all(model is models[0] for model in models)
    assert counters(cache) == {"hits": 7, "misses": 1, "evictions": 0, "loads": 1}
    assert cache.stats().load_seconds >= 0.3


def test_lru_evicts_the_least_recently_used():
    loader = FakeLoader(size=100)
    cache = ModelCache(loader, budget=250)  # room for two

    for name in ("a", "b", "c"):
        cache.get(name, "cpu", torch.float32)

    assert cached_names(cache) == ["c", "b"]
    assert counters(cache) == {"hits": 0, "misses": 3, "evictions": 1, "loads": 3}
    assert (cache.stats().bytes, cache.stats().budget) == (200, 250)

    cache.get("a", "cpu", torch.float32)  # back again: loaded a second time, evicts b
    assert loader.calls == ["a", "b", "c", "a"]
    assert cached_names(cache) == ["a", "c"]


def test_a_hit_refreshes_recency():
    cache = ModelCache(FakeLoader(size=100), budget=250)

    first = cache.get("a", "cpu", torch.float32)
    cache.get("b", "cpu", torch.float32)
    assert cache.get("a", "cpu", torch.float32) is first  # now b is the oldest
    cache.get("c", "cpu", torch.float32)
    assert cache.get("a", "cpu", torch.float32) is first

    assert cached_names(cache) == ["a", "c"]
    assert counters(cache) == {"hits": 2, "misses": 3, "evictions": 1, "loads": 3}


def test_keys_include_device_and_dtype():
    loader = FakeLoader()
    cache = ModelCache(loader, budget=10_000)
    cache.get("a", "cpu", torch.float32)
    cache.get("a", "cpu", torch.float64)
    cache.get("a", torch.device("cpu"), torch.float32)
    assert loader.calls == ["a", "a"]
    assert {(m.device, m.dtype) for m in cache.stats().models} == {("cpu", "float32"), ("cpu", "float64")}


def test_a_model_larger_than_the_budget_is_kept_alone():
    cache = ModelCache(FakeLoader(size=500), budget=250)
    cache.get("a", "cpu", torch.float32)
    cache.get("b", "cpu", torch.float32)
    assert cached_names(cache) == ["b"]
    assert cache.stats().evictions == 1


def test_failed_load_caches_nothing_and_is_retried():
    attempts: list[str] = []

    def flaky(name: str, *, device, dtype) -> nn.Module:
        attempts.append(name)
        if len(attempts) == 1:
            raise RuntimeError("disk on fire")
        return Blob(name, 10)

    cache = ModelCache(flaky, budget=1000)
    with pytest.raises(RuntimeError, match="disk on fire"):
        cache.get("a", "cpu", torch.float32)
    assert cached_names(cache) == [] and cache.stats().loads == 0
    assert isinstance(cache.get("a", "cpu", torch.float32), Blob)
    assert attempts == ["a", "a"]


def test_clear_empties_the_cache():
    loader = FakeLoader(size=100)
    cache = ModelCache(loader, budget=1000)
    cache.get("a", "cpu", torch.float32)
    cache.get("b", "cpu", torch.float32)

    assert cache.clear() == 2
    assert cached_names(cache) == [] and cache.stats().bytes == 0
    cache.get("a", "cpu", torch.float32)
    assert loader.calls == ["a", "b", "a"]
    assert counters(cache) == {"hits": 0, "misses": 3, "evictions": 0, "loads": 3}


def test_budget_from_the_environment(monkeypatch):
    monkeypatch.setenv("SYNTH_CACHE_BYTES", "512M")
    assert ModelCache(FakeLoader()).budget == 512 * 2**20
    assert ModelCache(FakeLoader(), budget=1234).budget == 1234


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1500000", 1_500_000), ("512M", 512 * 2**20), ("4G", 4 * 2**30), ("4GiB", 4 * 2**30), ("1.5k", 1536), ("2T", 2 * 2**40)],
)
def test_parse_bytes(text, expected):
    assert parse_bytes(text) == expected


@pytest.mark.parametrize(("text", "message"), [("lots", "expected a byte count"), ("", "expected a byte count"), ("0", "must be positive"), ("-1G", "must be positive")])
def test_parse_bytes_refuses(text, message):
    with pytest.raises(ValueError, match=message):
        parse_bytes(text)


def test_model_bytes_counts_parameters_buffers_and_extra():
    model = nn.BatchNorm1d(4)  # weight, bias, running mean, running var (float32) and an int64 counter
    assert model_bytes(model) == 4 * 4 * 4 + 8
    model.extra_bytes = 1000
    assert model_bytes(model) == 4 * 4 * 4 + 8 + 1000


# ---------------------------------------------------------------- registry and create_model
class Tiny(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(3, 2)
        self.norm = nn.BatchNorm1d(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.linear(x))


def checkpoint(state: dict[str, torch.Tensor]) -> bytes:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> dict:
    """A private copy of the registry, so the models registered here vanish afterwards.

    The families are loaded first: loaded into the copy only, they would be marked
    loaded and yet be missing from the registry restored afterwards.
    """
    private = dict(synth.models._registry())
    monkeypatch.setattr(synth.models, "_REGISTRY", private)
    return private


def weights_entry(data: bytes, file: str) -> dict:
    source = {"kind": "url", "url": f"http://weights.invalid/{file}", "sha256": hashlib.sha256(data).hexdigest()}
    return {"description": "tiny", "license": "CC0", "citation": "none", "sources": [source]}


@pytest.fixture
def tiny(registry, make_store):
    """Registered tiny models and an offline store holding their weights; returns (name, state, store).

    ``testfam/tiny`` has a fitting checkpoint, ``testfam/tiny-bad`` one with an extra key,
    ``testfam/tiny-absent`` one that is not cached (fetching it raises offline).
    """
    torch.manual_seed(1)
    state = {key: value + 1.0 for key, value in Tiny().state_dict().items()}  # differs from any fresh init
    state["norm.num_batches_tracked"] = torch.tensor(7)
    good, bad = checkpoint(state), checkpoint({**state, "extra.weight": torch.zeros(1)})
    store = make_store(
        {
            "testfam/tiny-weights": weights_entry(good, "tiny.pth"),
            "testfam/bad-weights": weights_entry(bad, "bad.pth"),
            "testfam/absent-weights": weights_entry(good, "absent.pth"),
        },
        offline=True,
    )
    for name, file, data in (("tiny-weights", "tiny.pth", good), ("bad-weights", "bad.pth", bad)):
        (store.root / "testfam" / name).mkdir(parents=True)
        (store.root / "testfam" / name / file).write_bytes(data)
    register(ModelSpec("testfam/tiny", Tiny, weights=("testfam/tiny-weights",), task="test", summary="a test model"))
    register(ModelSpec("testfam/tiny-bad", Tiny, weights=("testfam/bad-weights",), task="test"))
    register(ModelSpec("testfam/tiny-absent", Tiny, weights=("testfam/absent-weights",), task="test"))
    return "testfam/tiny", state, store


def test_create_model_loads_strictly_in_eval_mode_and_frozen(tiny):
    name, state, store = tiny
    model = create_model(name, device="cpu", store=store)

    assert isinstance(model, Tiny)
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[key]), key
    assert not any(module.training for module in model.modules())
    assert not any(parameter.requires_grad for parameter in model.parameters())
    assert next(model.parameters()).dtype == torch.float32


def test_create_model_refuses_a_checkpoint_that_does_not_fit(tiny):
    _, _, store = tiny
    with pytest.raises(ValueError, match=r"does not fit Tiny: missing \[\], unexpected \['extra.weight'\]"):
        create_model("testfam/tiny-bad", device="cpu", store=store)


def test_create_model_without_pretrained_fetches_nothing(tiny):
    _, state, store = tiny
    with pytest.raises(WeightsUnavailable, match="python -m synth weights download testfam/absent-weights"):
        create_model("testfam/tiny-absent", device="cpu", store=store)
    model = create_model("testfam/tiny-absent", pretrained=False, device="cpu", store=store)
    assert isinstance(model, Tiny) and not model.training
    assert not torch.equal(model.linear.weight, state["linear.weight"])


def test_cache_loads_registered_models_through_create_model(tiny):
    name, state, store = tiny
    cache = ModelCache(functools.partial(create_model, store=store), budget=10_000)

    model = cache.get(name, "cpu")  # dtype from the spec: float32 on the CPU
    assert cache.get(name, "cpu", torch.float32) is model
    assert torch.equal(model.linear.bias, state["linear.bias"])
    assert counters(cache) == {"hits": 1, "misses": 1, "evictions": 0, "loads": 1}


def test_unknown_model_suggests_close_names(tiny):
    with pytest.raises(UnknownModel, match=r"unknown model 'testfam/tinny'; did you mean testfam/tiny") as err:
        create_model("testfam/tinny")
    assert isinstance(err.value, ValueError)
    with pytest.raises(UnknownModel, match=r"known: .*testfam/tiny"):
        model_spec("zzzzzzzzzz")


def test_register_refuses_a_second_model_with_the_same_name(tiny):
    assert synth.models.list_models(task="test") == ["testfam/tiny", "testfam/tiny-bad", "testfam/tiny-absent"]
    with pytest.raises(ValueError, match="already registered"):
        register(ModelSpec("testfam/tiny", Tiny))
