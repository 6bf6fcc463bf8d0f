"""Bad input, everywhere (issue 7): every API endpoint gets the corpus of tests/bad_inputs.py.

Each call gives a result or a readable error: a ``gradio_client`` exception whose
message is ours (or Gradio's own range / choice check), never "Something went
wrong", a traceback or Gradio's generic "upstream app has raised an exception".
Afterwards the server still answers a normal call, and a second identical pass
creates no file in the server's temp folders and grows its memory by little.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from gradio_client import Client, handle_file

from tests import bad_inputs as corpus
from tests.conftest import AppServer

GENERIC = re.compile(r"Something went wrong|Traceback|upstream Gradio app has raised an exception|An error occurred|error occurred", re.I)
#: Memory a second identical pass may add to the server (allocator noise, Gradio's
#: per-session bookkeeping); measured: see the README's Tests section.
RSS_GROWTH = 0.10


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS line")


def _files(*folders: Path | None) -> set[Path]:
    return {path for folder in folders if folder for path in folder.rglob("*") if path.is_file()}


#: Longest message a refusal may have: it quotes at most a short prefix of a bad value.
MESSAGE_LIMIT = 600


def _value(value: Any, files: dict[str, Path]) -> Any:
    """A case's value as the client sends it: corpus files uploaded, bare paths as ``{"path": ...}`` with no metadata."""
    if isinstance(value, str) and value.startswith(corpus.FILE):
        return handle_file(str(files[value.removeprefix(corpus.FILE)]))
    if isinstance(value, str) and value.startswith(corpus.BARE):
        name = value.removeprefix(corpus.BARE)
        return {"path": str(files[name]) if name in files else name}
    if isinstance(value, dict):
        return {key: _value(item, files) for key, item in value.items()}
    if isinstance(value, list):
        return [_value(item, files) for item in value]
    return value


def _call(client: Client, case: corpus.Case, files: dict[str, Path]) -> str | None:
    """The problem with one call, or None when it behaved."""
    kwargs = {key: _value(value, files) for key, value in case.kwargs.items()}
    if case.file is not None:
        kwargs[corpus.IMAGE_ENDPOINTS[case.endpoint][0]] = handle_file(str(files[case.file])) if case.file else None
    try:
        result = client.predict(**kwargs, api_name=case.endpoint)
    except Exception as err:  # gradio_client raises AppError (or ValueError) with the server's message
        message = str(err)
        if GENERIC.search(message) or not message.strip():
            return f"generic or empty error: {message[:300]!r}"
        if len(message) > MESSAGE_LIMIT:
            return f"a message of {len(message):,} characters (at most {MESSAGE_LIMIT}): {message[:200]!r}"
        if case.error and re.search(case.error, message, re.I):
            return None
        if case.may_fail and re.search(case.may_fail, message, re.I):
            return None
        return f"unexpected error {message[:300]!r}" + (f" (expected /{case.error}/)" if case.error else " (expected a result)")
    if case.error:
        return f"succeeded ({str(result)[:120]}) but expected an error /{case.error}/"
    return None


def _run_corpus(client: Client, files: dict[str, Path]) -> list[str]:
    problems = []
    for case in corpus.cases():
        problem = _call(client, case, files)
        if problem:
            problems.append(f"{case.endpoint} [{case.label}]: {problem}")
    return problems


def test_every_endpoint_is_in_the_corpus(client: Client) -> None:
    """A new tab must add its rows: every API endpoint with inputs is covered or excused."""
    api = client.view_api(return_format="dict", print_info=False)
    endpoints = set(api["named_endpoints"])
    covered = {case.endpoint for case in corpus.cases()}
    excused = set(corpus.NO_USER_INPUT) | {e for e in endpoints if e.endswith("_reset") and not api["named_endpoints"][e]["parameters"]}
    assert not endpoints - covered - excused, f"endpoints without bad-input rows: {sorted(endpoints - covered - excused)}"
    assert not covered - endpoints, f"rows for endpoints that no longer exist: {sorted(covered - endpoints)}"
    assert len(corpus.FILES) >= 20 and len(corpus.cases()) >= 30


def test_bad_input_gives_readable_errors_and_leaks_nothing(app_server: AppServer, tmp_path: Path) -> None:
    files = corpus.write_files(tmp_path / "corpus")
    client = Client(app_server.url, verbose=False, download_files=str(tmp_path / "downloads"))
    pid = app_server.process.pid

    log_before = app_server.log.read_text() if app_server.log else ""
    log_errors = log_before.count("unexpected error in")
    start = time.monotonic()
    problems = _run_corpus(client, files)
    first_seconds = time.monotonic() - start
    assert not problems, f"{len(problems)} of {len(corpus.cases())} calls misbehaved:\n" + "\n".join(problems)

    # A second identical pass: uploads and outputs are cached by content, so no new file.
    temp_before, rss_before = _files(app_server.gradio_temp, app_server.tmpdir), _rss_kib(pid)
    assert not _run_corpus(client, files)
    temp_after, rss_after = _files(app_server.gradio_temp, app_server.tmpdir), _rss_kib(pid)
    new_files = sorted(str(p) for p in temp_after - temp_before)
    report = (f"bad-input corpus: {len(corpus.cases())} calls, first pass {first_seconds:.0f} s; temp files "
              f"{len(temp_before)} -> {len(temp_after)}; RSS {rss_before / 1024:.0f} -> {rss_after / 1024:.0f} MiB")  # fmt: skip
    print(report)
    assert not new_files, f"the second pass left {len(new_files)} new files: {new_files[:10]}"
    assert rss_after < rss_before * (1 + RSS_GROWTH), report

    # Still serving, and no handler hit an unexpected exception (logged by demos.common.ui_errors).
    samples = client.predict(model="dcgan/faces-64", seed=3, truncation=1.0, n=2, api_name="/gan_sample")
    assert len(samples[0]) == 2
    if app_server.log:
        log = app_server.log.read_text()
        assert log.count("unexpected error in") == log_errors
        # Every refusal is one log line naming the handler; no traceback, no megabyte of text.
        new = log[len(log_before) :]
        assert "Traceback" not in new, new[new.find("Traceback") - 500 : new.find("Traceback") + 2000]
        assert max(map(len, new.splitlines()), default=0) < 1000
        assert new.count(": refused: ") >= len(corpus.cases()) // 2
