"""Ready for a lecture hall and a public Space: no CUDA at import, no network offline,
preload, queue lanes, per-session state, a reset per tab, ZeroGPU decorator order,
and a smoke run of the load benchmark."""

from __future__ import annotations

import importlib
import io
import ipaddress
import os
import socket
import sys
import types

import gradio as gr
import pytest
import torch
from gradio_client import Client

import app as app_module
from demos.jobs import lanes
from synth import runtime

TOY = ("ring", None, "gaussian", "non-saturating", 0.002, 0.002, 0)
RESET_LABEL = "↺ Reset this tab"


@pytest.fixture(scope="module")
def built() -> gr.Blocks:
    """The whole app, built with CUDA made unusable: any call to it fails the build."""

    def no_cuda(*args, **kwargs):
        raise AssertionError("CUDA was touched while building the app")

    with pytest.MonkeyPatch.context() as patch:
        for name in ("is_available", "init", "_lazy_init", "device_count", "current_device"):
            patch.setattr(torch.cuda, name, no_cuda)
        return app_module.build_app()


def test_building_the_app_does_not_touch_cuda(built: gr.Blocks) -> None:
    assert not torch.cuda.is_initialized()
    assert len(built.fns) > 20


def test_every_tab_has_one_reset_button(built: gr.Blocks) -> None:
    buttons = [b for b in built.blocks.values() if isinstance(b, gr.Button) and b.value == RESET_LABEL]
    assert len(buttons) == len(app_module.TABS)


def test_every_queued_event_runs_in_a_lane(built: gr.Blocks) -> None:
    """No event falls back to a queue of its own: tabs that compete for the CPU share limits."""
    limits = lanes()
    # (``unload`` is Gradio's: it runs when a page is closed and only stops that session's jobs)
    queued = [fn for fn in built.fns.values() if fn.fn is not None and fn.queue and not fn.is_cancel_function and fn.name != "on_unload"]
    assert queued
    strays = [fn.name for fn in queued if fn.concurrency_id not in limits]
    assert not strays, f"events outside the lanes {sorted(limits)}: {strays}"
    assert all(fn.concurrency_limit == limits[fn.concurrency_id] for fn in queued)


def test_cpu_count_is_the_affinity_capped_by_the_cgroup_quota(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime.os, "sched_getaffinity", lambda pid: set(range(8)))
    for quota, expected in (("200000 100000", 2), ("max 100000", 8), ("50000 100000", 1), ("broken", 8)):
        monkeypatch.setattr(runtime, "open", lambda path, text=quota: io.StringIO(text + "\n"), raising=False)
        assert runtime.cpu_count() == expected, quota


def test_cpu_configuration() -> None:
    before = torch.get_num_threads()
    try:
        assert runtime.set_threads(1)[0] == 1
    finally:
        torch.set_num_threads(before)
    assert runtime.tune_malloc() is (sys.platform == "linux")
    assert lanes(2) == {"optimise": 1, "pyramid": 1, "translate": 1, "train": 1, "quick": 2, "interactive": 4}


# ---------------------------------------------------------------- offline: no outside socket
def _loopback(address) -> bool:
    if not isinstance(address, tuple):  # AF_UNIX path
        return True
    host = str(address[0])
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback or ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


def test_offline_startup_and_preload_open_no_outside_socket(monkeypatch, offline_weights) -> None:
    """Build, preload (load + warm every cached model) and launch with every outside connection refused."""
    from synth.cache import MODEL_CACHE
    from synth.preload import preload, summary

    for key, value in app_module.OFFLINE_ENV.items():
        monkeypatch.setenv(key, value)
    attempts: list[object] = []
    real_connect, real_connect_ex, real_getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo

    def connect(self, address):
        if not _loopback(address):
            attempts.append(address)
            raise OSError(f"test: no network in offline mode ({address})")
        return real_connect(self, address)

    def connect_ex(self, address):
        if not _loopback(address):
            attempts.append(address)
            raise OSError(f"test: no network in offline mode ({address})")
        return real_connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if host not in (None, "localhost") and not _loopback((host,)):
            attempts.append(host)
            raise OSError(f"test: no DNS in offline mode ({host})")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    MODEL_CACHE.clear()
    lines: list[str] = []
    results = preload(log=lines.append)
    text = summary(results)
    demo = app_module.build_app()
    demo.queue(max_size=4)
    try:
        demo.launch(server_name="127.0.0.1", server_port=None, prevent_thread_lock=True, quiet=True)
    finally:
        demo.close()
    MODEL_CACHE.clear()
    assert not attempts, f"outside connections attempted: {attempts}"
    ready = {r.name for r in results if r.status == "ready"}
    assert {"vgg16-caffe", "dcgan/faces-64", "cyclegan/vintage", "random-multiscale"} <= ready
    assert not [r for r in results if r.status == "failed"]
    missing = [r.name for r in results if r.status == "missing"]
    if missing:  # on this machine the hub files are never downloaded
        assert "python -m synth weights download" in text and missing[0] in text


# ---------------------------------------------------------------- ZeroGPU decorator order
def test_zero_gpu_wraps_handlers_outside_their_error_messages(monkeypatch, tmp_path) -> None:
    """spaces.GPU passes only gr.Error through its worker (anything else becomes "ZeroGPU
    worker error"), so it must wrap ui_errors, not the other way round."""
    wrapped: list[str] = []

    def fake_gpu(duration=60):
        assert duration <= 300

        def decorate(fn):
            def worker(*args, **kwargs):
                try:
                    return fn(*args, **kwargs)
                except gr.Error:
                    raise
                except Exception as err:
                    raise gr.Error(f"ZeroGPU worker error: {type(err).__name__}") from None

            wrapped.append(fn.__name__)
            worker.__name__ = fn.__name__
            return worker

        return decorate

    monkeypatch.setenv("SPACES_ZERO_GPU", "1")
    monkeypatch.setitem(sys.modules, "spaces", types.SimpleNamespace(GPU=fake_gpu))
    modules = ["demos.pix2pix", "demos.cyclegan", "demos.gan_latent", "demos.neural_texture"]
    try:
        reloaded = {name: importlib.reload(importlib.import_module(name)) for name in modules}
        assert {"translate_upload", "run_cyclegan", "do_sample", "do_interpolate", "run", "series", "show"} <= set(wrapped)
        bad = tmp_path / "bad.png"
        bad.write_text("not an image")
        with pytest.raises(gr.Error, match="not an image"):
            reloaded["demos.pix2pix"].translate_upload(str(bad), "pix2pix/map2sat", "eval", 0, 256)
        with pytest.raises(gr.Error, match="Samples in the grid must be at least 1"):  # the control's label, not the option's name
            reloaded["demos.gan_latent"].do_sample("dcgan/faces-64", None, seed=0, truncation=1.0, n=0)
    finally:
        monkeypatch.undo()
        for name in modules:
            importlib.reload(importlib.import_module(name))


# ---------------------------------------------------------------- sessions and reset (end to end)
def _toy_step(session: Client) -> str:
    return session.predict(*TOY, api_name="/gan2d_step")[1]


def test_sessions_do_not_share_state_and_reset_clears_one(app_server) -> None:
    alice, bob = Client(app_server.url, verbose=False), Client(app_server.url, verbose=False)
    assert _toy_step(alice).startswith("step 1:")
    assert _toy_step(alice).startswith("step 2:")
    assert _toy_step(bob).startswith("step 1:"), "Bob's 2-D GAN continued Alice's"
    assert _toy_step(alice).startswith("step 3:")
    alice.predict(api_name="/gan_reset")
    assert _toy_step(alice).startswith("step 1:"), "reset did not clear the tab's state"
    assert _toy_step(bob).startswith("step 2:"), "Alice's reset cleared Bob's state"


def test_load_benchmark_smoke(app_server, capsys) -> None:
    load = importlib.import_module("benchmarks.load")
    mix = [call for call in load.MIX if call.api_name in ("gan2d_step", "gan_sample")]
    code = load.main(["--clients", "2", "--seconds", "3", "--rounds", "1", "--think", "0.2", "--url", app_server.url], mix=mix)
    table = capsys.readouterr().out
    assert code == 0, table
    assert "| `gan_sample` |" in table and "0 errors" in table


# ---------------------------------------------------------------- identical outputs of two sessions
def test_output_images_are_never_rewritten_in_place(monkeypatch, tmp_path) -> None:
    """The same image saved twice (two students, same example, same seed) must not truncate
    and rewrite the file that is being served. Gradio's own saver does (the canary below), so
    every handler returns image files written by demos.serving.image_file instead of PIL images."""
    from gradio import processing_utils
    from PIL import Image

    from demos.serving import image_file

    rewrites: list[str] = []
    real_write_bytes = type(tmp_path).write_bytes

    def spy(self, data):
        if self.exists():
            rewrites.append(str(self))
        return real_write_bytes(self, data)

    monkeypatch.setattr(type(tmp_path), "write_bytes", spy)
    image = Image.new("RGB", (8, 8), (200, 30, 30))
    processing_utils.save_pil_to_cache(image, str(tmp_path / "gradio"), format="png")
    processing_utils.save_pil_to_cache(image, str(tmp_path / "gradio"), format="png")
    assert rewrites, "Gradio's saver no longer rewrites in place: returning PIL images may be safe again"
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "ours"))
    first = image_file(image, "x.png")
    inode, mtime = os.stat(first).st_ino, os.stat(first).st_mtime_ns
    second = image_file(image, "x.png")
    assert first == second and os.stat(second).st_ino == inode and os.stat(second).st_mtime_ns == mtime
    assert Image.open(second).getpixel((0, 0)) == (200, 30, 30)
    assert image_file(Image.new("RGB", (8, 8), (0, 0, 255)), "x.png") != first


def test_no_handler_takes_more_than_six_parameters(built: gr.Blocks) -> None:
    """Handlers bind named controls to the engines' options (demos/forms.py): a few inputs and **values."""
    import inspect

    def positional(fn) -> list[str]:
        fn = inspect.unwrap(fn)
        return [p.name for p in inspect.signature(fn).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name not in ("request", "progress")]  # fmt: skip

    long = {fn.name: positional(fn.fn) for fn in built.fns.values() if fn.fn is not None and len(positional(fn.fn)) > 6}
    assert not long, long
