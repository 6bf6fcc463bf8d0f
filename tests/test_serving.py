"""demos.components and demos.serving without a server: what a stranger may send, jobs, the gate,
and the canary for the Gradio internals we read (pinned minor version)."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import pytest
from gradio.utils import get_upload_folder
from PIL import Image

from demos import components, gate, jobs, serving
from synth.examples import example_path


@pytest.fixture
def uploads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "uploads"
    folder.mkdir()
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(folder))
    return folder


def _refusal(call) -> str:
    with pytest.raises(gr.Error) as caught:
        call()
    return str(caught.value.message)


def test_checked_path_accepts_uploads_and_examples_only(uploads: Path, tmp_path: Path) -> None:
    inside = uploads / "abc" / "photo.png"
    inside.parent.mkdir()
    Image.new("RGB", (4, 4)).save(inside)
    assert components.checked_path(str(inside)) == str(inside.resolve())
    assert components.checked_path(str(example_path("gravel"))).endswith("gravel.png")
    outside = tmp_path / "outside.png"
    Image.new("RGB", (4, 4)).save(outside)
    text = tmp_path / "notes.txt"
    text.write_text("secret")
    escape = uploads / "escape.png"
    escape.symlink_to(outside)  # a link inside the uploads to a file outside: refused after resolving
    messages = {
        _refusal(lambda p=p: components.checked_path(p))
        for p in (str(outside), str(text), "/no/such/file.png", "/etc", str(uploads / ".." / "outside.png"), str(escape), None, 42, "x" * 10_000)
    }
    assert messages == {components.REFUSED_PATH}


def test_image_components_check_every_file_they_are_given(uploads: Path) -> None:
    upload = components.ImageUpload(label="x")
    assert upload.preprocess(None) is None
    assert _refusal(lambda: upload.preprocess({"path": "/etc/hostname"})) == components.REFUSED_PATH
    editor = components.ImageEditor(type="numpy")
    for payload in (
        {"background": {"path": "/etc/hostname"}, "layers": [], "composite": None},
        {"background": None, "layers": [{"path": "/etc/passwd"}], "composite": None},
        {"background": None, "layers": [None] * 100, "composite": None},
        "not a dict",
    ):
        assert _refusal(lambda payload=payload: editor.preprocess(payload)) == components.REFUSED_PATH


@pytest.mark.parametrize(
    "value, says",
    [
        (10**400, "an integer of about 401 digits is greater than maximum value 10"),
        (-(10**400), "less than minimum value 1"),
        (float("nan"), "NaN or infinite"),
        (True, "expected a number, got True"),
        ("7", "expected a number, got '7'"),
        ([3], "expected a number"),
        (None, "expected a number, got None"),
    ],
)
def test_numbers_are_checked_before_any_conversion(value, says: str) -> None:
    slider = components.Slider(1, 10, label="Steps")
    message = _refusal(lambda: slider.preprocess(value))
    assert says in message and message.startswith("Steps:") and len(message) < 200
    number = components.Number(0, minimum=1, maximum=10, label="Seed")
    assert says.replace("Steps", "Seed") in _refusal(lambda: number.preprocess(value))
    assert slider.preprocess(4) == 4


def test_whole_number_controls_refuse_a_fraction_instead_of_truncating_it() -> None:
    index = components.Slider(0, 63, value=3, step=1, label="Held-out sample")
    assert "Held-out sample: expected a whole number, got 2.5" in _refusal(lambda: index.preprocess(2.5))
    assert index.preprocess(2) == 2 and index.preprocess(2.0) == 2
    size = components.Slider(64, 512, value=128, step=32, label="Output size")
    assert "whole number" in _refusal(lambda: size.preprocess(100.5))
    seed = components.Number(0, precision=0, minimum=0, maximum=2**63 - 1, label="Seed")
    assert "Seed: expected a whole number, got 1e-05" in _refusal(lambda: seed.preprocess(1e-5))
    fraction = components.Slider(0, 1, value=0.5, step=0.05, label="Blend")  # fractions are its values
    assert fraction.preprocess(0.35) == 0.35
    weight = components.Number(1.0, minimum=0, maximum=10, label="Weight")  # no precision: any number
    assert weight.preprocess(2.5) == 2.5


def test_choices_must_be_one_listed_hashable_value() -> None:
    dropdown = components.Dropdown(["a", "b"], value="a", label="Model")
    assert dropdown.preprocess("b") == "b"
    for bad in (["a"], {"a": 1}, "c", 1, True, "x" * 1_000_000):
        message = _refusal(lambda bad=bad: dropdown.preprocess(bad))
        assert "is not one of the choices ('a', 'b')" in message and len(message) < 200
    radio = components.Radio(["periodic", "mirror"], label="Edges")
    assert "not one of" in _refusal(lambda: radio.preprocess(["periodic"]))
    group = components.CheckboxGroup(["x", "y"], label="Layers")
    assert group.preprocess(["y"]) == ["y"]
    assert "expected a list" in _refusal(lambda: group.preprocess("x"))
    assert "expected a list" in _refusal(lambda: group.preprocess(["x"] * 3))
    multi = components.Dropdown(["x", "y"], multiselect=True, label="Many")
    assert multi.preprocess(["x", "y"]) == ["x", "y"]
    assert "not one of" in _refusal(lambda: multi.preprocess([["x"]]))


def test_text_and_booleans() -> None:
    text = components.Textbox("", max_length=8, label="Corners")
    assert text.preprocess("0,1,2,3") == "0,1,2,3"
    assert "at most 8 characters" in _refusal(lambda: text.preprocess("x" * 1_000_000))
    assert "expected text" in _refusal(lambda: text.preprocess(["0,1"]))
    default = components.Textbox("", label="Any")
    assert f"at most {components.TEXT_LIMIT} characters" in _refusal(lambda: default.preprocess("y" * 201))
    box = components.Checkbox(label="Loop")
    assert box.preprocess(False) is False
    assert "true or false" in _refusal(lambda: box.preprocess(1))


def test_a_new_job_of_a_tab_stops_the_old_one_of_the_same_session_only() -> None:
    registry = jobs.Jobs()
    with registry.running("s1", "style") as first, registry.running("s2", "style") as other, registry.running("s1", "gan") as gan:
        with registry.running("s1", "style") as second:
            assert first.is_set() and not second.is_set() and not other.is_set() and not gan.is_set()
            assert registry.supersede("s1", "style") and second.is_set()
        assert not registry.supersede("s1", "style")  # released
        assert registry.stop_session("s1") == 1 and gan.is_set() and not other.is_set()


def _join(app_scope_app, body: dict | bytes, path: str = "/gradio_api/queue/join") -> tuple[int, dict]:
    """Send one POST through RequestGate; returns (status, JSON answer or the body the app got)."""
    sent: list[dict] = []
    seen: dict = {}

    async def downstream(scope, receive, send) -> None:
        message = await receive()
        seen["body"] = message["body"]
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    chunks = [raw[i : i + 1000] for i in range(0, len(raw), 1000)] or [b""]
    messages = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]

    async def receive() -> dict:
        return messages.pop(0)

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": path, "app": app_scope_app, "headers": [(b"content-length", str(len(raw)).encode())], "client": ("10.1.2.3", 5555)}
    asyncio.run(gate.RequestGate(downstream)(scope, receive, send))
    status = sent[0]["status"]
    answer = sent[1]["body"] if status != 200 else seen["body"]
    try:
        return status, json.loads(answer)
    except ValueError:
        return status, {"raw": answer}


def test_session_gate_caps_waiting_events_and_supersedes_the_tab_job(monkeypatch: pytest.MonkeyPatch) -> None:
    pending: dict[str, set] = {"busy": {"e1", "e2", "e3"}, "calm": {"e1"}}
    fns = {
        7: SimpleNamespace(api_name="style_transfer_run", collects_event_data=False),
        8: SimpleNamespace(api_name="gan_model", collects_event_data=False),
        9: SimpleNamespace(api_name="gan_select", collects_event_data=True),
    }
    blocks = SimpleNamespace(fns=fns, _queue=SimpleNamespace(pending_event_ids_session=pending))
    app = SimpleNamespace(get_blocks=lambda: blocks)
    monkeypatch.setitem(jobs.JOB_TABS, "style_transfer_run", "style_transfer")
    registry = jobs.Jobs()
    monkeypatch.setattr(gate, "JOBS", registry)

    status, answer = _join(app, {"session_hash": "busy", "fn_index": 7, "data": []})
    assert status == 429 and "already have 3 runs waiting or running" in answer["detail"]
    with registry.running("calm", "style_transfer") as old:
        status, forwarded = _join(app, {"session_hash": "calm", "fn_index": 7, "data": ["x" * 5000]})
        assert status == 200 and forwarded["data"] == ["x" * 5000]  # the body reaches Gradio intact
        assert old.is_set()
    with registry.running("calm", "style_transfer") as other_tab_event:
        assert _join(app, {"session_hash": "calm", "fn_index": 8, "data": []})[0] == 200
        assert not other_tab_event.is_set()
    for odd in (b"not json", {"session_hash": "calm", "fn_index": "7"}, {"fn_index": True}, [1, 2]):
        assert _join(app, odd)[0] == 200  # Gradio answers malformed requests itself
    # a raw /call/ has no session: it gets one per client address, so the cap holds for it too
    pending["client-10.1.2.3"] = {"a", "b", "c"}
    assert _join(app, {"data": []}, "/gradio_api/call/style_transfer_run")[0] == 429
    assert _join(app, {"session_hash": None, "fn_index": 7}, "/gradio_api/queue/join")[0] == 429
    assert _join(app, {"data": []}, "/gradio_api/run/predict")[0] == 200  # not queued: no cap
    # a click's event data must carry the cell's index and value
    for event in (None, {"index": 1}, "cell 1", [1]):
        status, answer = _join(app, {"session_hash": "calm", "fn_index": 9, "data": [], "event_data": event}, "/gradio_api/run/predict")
        assert status == 422 and "needs the data of a click" in answer["detail"]
    assert _join(app, {"session_hash": "calm", "fn_index": 9, "data": [], "event_data": {"index": 1, "value": None}}, "/gradio_api/run/predict")[0] == 200
    status, answer = _join(app, b"[" + b"1," * (gate.JOIN_BYTES // 2) + b"1]")
    assert status == 413 and "larger than" in answer["detail"]


def test_an_examples_list_is_called_with_the_position_of_one_of_its_samples() -> None:
    examples = gr.Dataset(components=[gr.Textbox()], samples=[["a"], ["b"], ["c"]])
    fns = {0: SimpleNamespace(api_name="load_example", collects_event_data=False, inputs=[examples])}
    app = SimpleNamespace(get_blocks=lambda: SimpleNamespace(fns=fns, _queue=SimpleNamespace(pending_event_ids_session={})))
    for index in (None, 2.5, 3, -1, True, "1", [1], {"index": 1}):
        status, answer = _join(app, {"session_hash": "s", "fn_index": 0, "data": [index]}, "/gradio_api/run/predict")
        assert status == 422 and answer["detail"].startswith("Pick one of the examples"), index
    assert _join(app, {"session_hash": "s", "fn_index": 0, "data": []}, "/gradio_api/run/predict")[0] == 422  # nothing is no example either
    for index in (0, 2):
        status, forwarded = _join(app, {"session_hash": "s", "fn_index": 0, "data": [index]}, "/gradio_api/run/predict")
        assert status == 200 and forwarded["data"] == [index]


def test_file_references_that_are_not_uploads_are_disarmed(uploads: Path) -> None:
    upload = uploads / "h" / "a.png"
    upload.parent.mkdir()
    Image.new("RGB", (4, 4)).save(upload)
    meta = {"_type": "gradio.FileData"}
    arguments = [
        {"path": str(upload), "meta": meta},  # an upload: untouched
        {"path": "/etc/hostname", "meta": meta, "url": "http://x/y"},  # Gradio would copy it into its cache
        {"path": "https://internal.example/secret.png", "meta": meta},  # ... or fetch it
        {"url": "http://169.254.169.254/latest", "meta": meta},
        {"background": {"path": "/etc/passwd", "meta": meta}, "layers": [{"path": str(upload), "meta": meta}], "composite": None},
        "text",
        7,
    ]
    assert gate.sanitise_files(arguments)
    assert arguments[0] == {"path": str(upload), "meta": meta}
    assert arguments[1] == {"path": "/etc/hostname"} and arguments[2] == {"path": "https://internal.example/secret.png"}
    assert arguments[3] == {"path": None}
    assert arguments[4] == {"background": None, "layers": [{"path": str(upload), "meta": meta}], "composite": None}
    layers = [{"background": None, "layers": [{"path": "/etc/passwd", "meta": meta}, {"path": str(upload), "meta": meta}], "composite": None}]
    assert gate.sanitise_files(layers) and layers[0]["layers"] == [{"path": str(upload), "meta": meta}]
    assert arguments[5:] == ["text", 7]
    by_name = {"content_path": {"path": "/etc/shadow", "meta": meta}, "size": 64}
    assert gate.sanitise_files(by_name) and by_name == {"content_path": {"path": "/etc/shadow"}, "size": 64}
    clean = [{"path": str(upload), "meta": meta}, 3]
    assert not gate.sanitise_files(clean)


def test_check_handlers_refuses_a_hidden_server_handler() -> None:
    with gr.Blocks() as demo:
        box = gr.Textbox()
        gr.Button().click(lambda: "secret", None, box, api_name=False)
    with pytest.raises(RuntimeError, match="not public API endpoints"):
        serving.check_handlers(demo)
    with gr.Blocks() as fine:
        box = gr.Textbox()
        gr.Button().click(lambda: "ok", None, box, api_name="ok")
        gr.Button().click(None, None, box, js="() => 'browser only'")
        gr.Examples([["a"]], inputs=box)
        jobs.stop_jobs_on_unload(fine)
    serving.check_handlers(fine)


def test_image_file_is_content_addressed_in_the_upload_folder(uploads: Path) -> None:
    import numpy as np
    import torch

    red = serving.image_file(Image.new("RGB", (4, 4), (255, 0, 0)), "a.png")
    assert Path(red).is_relative_to(uploads.resolve()) and Path(red).name == "a.png"
    same = serving.image_file(torch.tensor([1.0, 0.0, 0.0]).view(1, 3, 1, 1).expand(1, 3, 4, 4), "a.png")
    assert same == red
    array = serving.image_file(np.zeros((4, 4, 3), dtype=np.uint8), "a.png")
    assert array != red and Image.open(array).getpixel((0, 0)) == (0, 0, 0)


def test_gradio_internals_we_read_are_still_there() -> None:
    """The canary for the pinned Gradio minor version (requirements.txt): fails if these move."""
    from gradio.queueing import Queue

    with gr.Blocks() as demo:
        gr.Button().click(lambda: None, None, None, api_name="x")
    assert isinstance(demo.fns, dict) and all(hasattr(fn, "api_visibility") and hasattr(fn, "targets") for fn in demo.fns.values())
    queue = Queue(live_updates=False, concurrency_count=1, update_intervals=1, max_size=None, blocks=demo, default_concurrency_limit=1)
    assert isinstance(queue.pending_event_ids_session, dict)
    assert os.path.isabs(get_upload_folder())
    assert gr.__version__.startswith("6.31.")
