"""The request gate: an ASGI middleware in front of every Gradio call (issue 11).

It reads a request's JSON before Gradio does, to disarm file references that are not
uploads, refuse malformed click data, cap a session's waiting events and let a new run
of a tab replace the session's running one (:class:`RequestGate`). Reads Gradio's queue
bookkeeping (``Blocks._queue.pending_event_ids_session``; pinned Gradio minor version,
canary in ``tests/test_serving.py``).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from itertools import zip_longest
from pathlib import Path
from typing import Any

import gradio as gr

from .components import allowed_roots
from .jobs import JOB_TABS, JOBS, SESSION_EVENTS

__all__ = ["JOIN_BYTES", "RequestGate", "app_kwargs", "sanitise_files"]

#: Largest body a request to join the queue may have (the inputs of one event as JSON).
JOIN_BYTES = 8 * 2**20

_CALLS = re.compile(r"/(queue/join|run/[^/]+|api/[^/]+|call/(v2/)?[^/]+)/?$")


def _outside(path: Any) -> bool:
    """Whether a file reference in a request names anything but an upload of this server or an example."""
    if not isinstance(path, str) or "://" in path or len(path) > 4096:
        return True
    real = Path(os.path.realpath(path))
    return not any(real.is_relative_to(root) for root in allowed_roots())


def sanitise_files(arguments: list | dict) -> bool:
    """Disarm every file reference among a request's arguments that is not an upload of this server.

    Gradio copies a file named with upload metadata into its cache from anywhere the
    server can read (and fetches a URL), before any component sees it. A top-level
    argument keeps its path but loses the metadata, so the component refuses it with
    :data:`demos.components.REFUSED_PATH`; a reference nested in an argument is replaced
    by nothing (an image editor's background or composite) or dropped from its list (its
    layers), so the editor is empty. Returns whether anything changed.
    """
    changed = False

    def disarmed(value: Any) -> bool:
        return isinstance(value, dict) and ("path" in value or "url" in value) and _outside(value.get("path"))

    def nested(value: Any) -> Any:
        nonlocal changed
        if disarmed(value):
            changed = True
            return None
        if isinstance(value, dict):
            return {key: nested(item) for key, item in value.items()}
        if isinstance(value, list):  # an editor's layers: a list of files, dropped from it
            kept = [nested(item) for item in value if not disarmed(item)]
            changed = changed or len(kept) != len(value)
            return kept
        return value

    keys = range(len(arguments)) if isinstance(arguments, list) else list(arguments)
    for key in keys:
        value = arguments[key]  # type: ignore[index]
        if disarmed(value):
            arguments[key] = {"path": value.get("path") if isinstance(value.get("path"), str) else None}  # type: ignore[index]
            changed = True
        else:
            arguments[key] = nested(value)  # type: ignore[index]
    return changed


class RequestGate:
    """ASGI middleware in front of every Gradio call (``queue/join``, ``run/*``, ``api/*``, ``call/*``).

    Before Gradio reads a request it:

    * disarms file references that are not uploads of this server (:func:`sanitise_files`);
    * refuses event data without the click's ``index`` and ``value`` for an event that
      reads a click (HTTP 422; Gradio would fail on it with a traceback);
    * refuses a queued call (HTTP 429, our message) when its session already has
      :data:`SESSION_EVENTS` events waiting or running; a call without a session (a
      raw ``/call/``) is given one per client address, so the cap holds for it too;
    * stops the session's running job of the same tab, so that a new Run replaces the
      old one instead of waiting behind it (a lane runs one job at a time on 2 cores).

    The inputs themselves are checked later by the components, as for every call.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        match = _CALLS.search(scope.get("path", "")) if scope["type"] == "http" and scope.get("method") == "POST" else None
        if match is None:
            await self.app(scope, receive, send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > JOIN_BYTES:
                await _answer(send, 413, f"The request is larger than {JOIN_BYTES // 2**20} MB; upload files instead of sending them inline.")
                return
        try:
            request = json.loads(body)
        except ValueError:
            request = None
        if isinstance(request, dict):
            refusal, body = self._inspect(scope, request, match.group(1), body)
            if refusal:
                await _answer(send, *refusal)
                return
            scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k != b"content-length"] + [(b"content-length", str(len(body)).encode())]}
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    @staticmethod
    def _inspect(scope: dict, request: dict, route: str, body: bytes) -> tuple[tuple[int, str] | None, bytes]:
        v2 = route.startswith("call/v2/")
        arguments = request if v2 else request.get("data")
        changed = isinstance(arguments, (list, dict)) and sanitise_files(arguments)
        queued = route == "queue/join" or route.startswith("call/")
        if queued and not v2 and not isinstance(request.get("session_hash"), str):
            client = scope.get("client") or ("unknown", 0)
            request["session_hash"] = f"client-{client[0]}"
            changed = True
        if changed:
            body = json.dumps(request).encode()
        try:
            blocks = scope["app"].get_blocks()
            index = request.get("fn_index")
            if isinstance(index, int) and not isinstance(index, bool):
                fn = blocks.fns.get(index)
            else:
                name = route.rsplit("/", 1)[-1]
                fn = next((f for f in blocks.fns.values() if f.api_name == name), None)
        except (AttributeError, KeyError, TypeError):
            return None, body
        if fn is None:
            return None, body
        inputs = list(getattr(fn, "inputs", ()))
        if isinstance(arguments, list) and disarm_misshapen_files(inputs, arguments):
            body = json.dumps(request).encode()
        if isinstance(arguments, list) and not _picks_an_example(inputs, arguments):
            return (422, "Pick one of the examples: its position in the list, a whole number."), body
        event = request.get("event_data")
        if fn.collects_event_data and not (isinstance(event, dict) and "index" in event and "value" in event):
            return (422, "This event needs the data of a click (the cell's index and value)."), body
        session = request.get("session_hash")
        if not queued or not isinstance(session, str):
            return None, body
        pending = len(blocks._queue.pending_event_ids_session.get(session, ()))
        if pending >= SESSION_EVENTS:
            return (429, f"You already have {pending} runs waiting or running; wait for one to finish (or press Stop)."), body
        tab = JOB_TABS.get(str(fn.api_name))
        if tab is not None:
            JOBS.supersede(session, tab)
        return None, body


def _picks_an_example(inputs: list, arguments: list) -> bool:
    """Whether every examples list among an event's inputs gets the position of one of its samples
    (Gradio indexes the samples with whatever comes: null, 2.5 or 99 end in its own traceback)."""
    for component, value in zip_longest(inputs, arguments):  # a missing argument is no position either
        if isinstance(component, gr.Dataset) and not (
            isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(component.samples or ())
        ):
            return False
    return True


def _file_like(value: Any) -> bool:
    return value is None or isinstance(value, dict)


def _editor_like(value: Any) -> bool:
    """Null, or an image editor's payload whose background, composite and layers are each file-like."""
    if value is None:
        return True
    if not isinstance(value, dict) or not isinstance(layers := value.get("layers") or [], list):
        return False
    return all(map(_file_like, [value.get("background"), value.get("composite"), *layers]))


def disarm_misshapen_files(inputs: list, arguments: list) -> bool:
    """Replace each file argument that is neither null nor a file object (an image editor's parts
    included) by a reference to nothing, in place; whether any was.

    Gradio's own model check would refuse some of them with its generic error and a logged
    traceback before any of our components sees them; disarmed, they get the components'
    one message ("please upload an image"), like every other reference to a stranger's file.
    """
    changed = False
    for index, (component, value) in enumerate(zip(inputs, arguments)):
        if isinstance(component, gr.ImageEditor):
            if not _editor_like(value):
                arguments[index], changed = None, True
        elif isinstance(component, (gr.Image, gr.File)) and not _file_like(value):
            arguments[index], changed = {"path": None}, True
    return changed


async def _answer(send: Callable, status: int, detail: str) -> None:
    payload = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})


def app_kwargs() -> dict[str, Any]:
    """What ``launch(app_kwargs=...)`` needs: the :class:`RequestGate` middleware."""
    from starlette.middleware import Middleware

    return {"middleware": [Middleware(RequestGate)]}


