"""The public app as an outside client sees it (issue 11): raw HTTP and gradio_client against the
running server. No server file is read through any input, no output is taken back as an input,
nothing hidden is callable, and one session cannot hold a lane or the queue."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from demos.components import REFUSED_PATH
from synth.examples import example_path
from tests import bad_inputs as corpus
from tests.conftest import AppServer


def _join(url: str, fn_index: int, data: list, session: str, event_data: dict | None = None) -> httpx.Response:
    body = {"data": data, "fn_index": fn_index, "session_hash": session, "event_data": event_data, "trigger_id": None}
    return httpx.post(f"{url}gradio_api/queue/join", json=body, timeout=30)


def _events(url: str, session: str, seconds: float = 60) -> list[dict]:
    """The queue's messages for ``session`` until its stream closes."""
    import json

    messages = []
    with httpx.stream("GET", f"{url}gradio_api/queue/data", params={"session_hash": session}, timeout=seconds) as response:
        for line in response.iter_lines():
            if line.startswith("data:"):
                message = json.loads(line[5:])
                messages.append(message)
                if message.get("msg") == "close_stream":
                    break
    return messages


def _fn_index(client: Client, api_name: str) -> int:
    return next(d["id"] for d in client.config["dependencies"] if d.get("api_name") == api_name)


def test_a_bare_path_gets_one_message_whatever_it_names(client: Client, tmp_path: Path) -> None:
    outside = tmp_path / "photo.png"
    Image.new("RGB", (64, 64), (10, 200, 30)).save(outside)
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    paths = [str(outside), str(text), str(tmp_path / "missing.png"), "/etc/hostname", str(tmp_path)]
    for endpoint, (param, settings) in corpus.IMAGE_ENDPOINTS.items():
        messages = set()
        for path in paths:
            with pytest.raises(Exception) as caught:
                client.predict(**{**settings, param: {"path": path}}, api_name=endpoint)
            messages.add(str(caught.value))
        assert messages == {REFUSED_PATH}, endpoint
    # a real upload of the same image works
    result = client.predict(**{**corpus.IMAGE_ENDPOINTS["/pyramid_texture"][1], "path": handle_file(str(outside))}, api_name="/pyramid_texture")
    assert Path(result[0]).is_file()


def test_a_gallery_naming_a_server_file_is_never_read(app_server: AppServer, client: Client) -> None:
    """The GAN grid lives on the server: re-roll takes no gallery, and a forged one changes nothing."""
    reroll = _fn_index(client, "gan_reroll")
    forged = [[{"image": {"path": "/etc/hostname"}, "caption": "seed 0"}]] * 3
    session = "forged-gallery"
    assert _join(app_server.url, reroll, forged, session).status_code == 200
    messages = _events(app_server.url, session)
    completed = [m for m in messages if m.get("msg") == "process_completed"]
    assert completed and not completed[0]["success"]
    assert "Sample a grid first" in completed[0]["output"]["error"]
    assert "/etc/hostname" not in str(messages)


@pytest.mark.parametrize(
    "event_data, says",
    [
        ({"index": -1, "value": None}, "No such cell"),
        ({"index": "3", "value": None}, "No such cell"),
        ({"index": [0, 1], "value": None}, "No such cell"),
        ({"index": 99, "value": None}, "No such cell"),
        ({"index": 1}, "needs the data of a click"),
        ("cell 1", "needs the data of a click"),
        (None, "needs the data of a click"),
    ],
)
def test_a_bad_selected_index_is_refused(app_server: AppServer, client: Client, event_data: dict, says: str) -> None:
    session = f"select-{event_data!r}"
    sample = _fn_index(client, "gan_sample")
    select = _fn_index(client, "gan_select")
    _join(app_server.url, sample, ["dcgan/faces-64", "(random class per cell)", 0, 1.0, 2], session)
    assert any(m.get("msg") == "process_completed" and m["success"] for m in _events(app_server.url, session))
    answer = httpx.post(
        f"{app_server.url}gradio_api/run/predict",
        json={"data": [None, None], "fn_index": select, "session_hash": session, "event_data": event_data},
        timeout=30,
    ).json()
    assert says in str(answer.get("error") or answer.get("detail")), answer


def test_nothing_hidden_is_callable_by_index(app_server: AppServer, client: Client) -> None:
    """Every server-side handler is a public endpoint; what is not public runs in the browser or is Gradio's
    example loader; the model cache can't be emptied from outside."""
    names = {d.get("api_name") for d in client.config["dependencies"]}
    assert "free_memory" not in names
    hidden = [d for d in client.config["dependencies"] if d.get("api_visibility", "public") != "public"]
    assert hidden
    for dependency in hidden:
        data = [None] * len(dependency.get("inputs", []))
        answer = httpx.post(
            f"{app_server.url}gradio_api/run/predict", json={"data": data, "fn_index": dependency["id"], "session_hash": "probe"}, timeout=30
        ).json()
        if str(dependency.get("api_name", "")).startswith("load_example"):  # refused by the gate, not Gradio's TypeError
            assert answer["detail"].startswith("Pick one of the examples"), (dependency, answer)
            loaded = httpx.post(
                f"{app_server.url}gradio_api/run/predict", json={"data": [0], "fn_index": dependency["id"], "session_hash": "probe"}, timeout=30
            ).json()
            assert loaded.get("data"), (dependency, loaded)
        elif dependency.get("backend_fn"):
            assert str(dependency.get("api_name", "")).startswith("on_unload"), dependency
        else:
            assert not answer.get("data"), (dependency, answer)
    table = client.predict(api_name="/models_in_memory")
    assert "budget" in table


def test_a_second_run_from_one_session_cancels_the_first(client: Client) -> None:
    texture = str(example_path("brick"))
    slow = dict(path=handle_file(texture), backbone="random-multiscale", layers=[], steps=400, size=96, seed=0, tileable=False, histogram=False, halvings=0, optimizer="adam", pooling="avg")
    first = client.submit(**slow, api_name="/neural_texture_run")
    deadline = time.monotonic() + 60
    while len(first.outputs()) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(first.outputs()) >= 2, "the first run never streamed"
    started = time.monotonic()
    second = client.submit(**{**slow, "steps": 10, "size": 64}, api_name="/neural_texture_run")
    last_of_first = first.result(timeout=60)
    stopped_after = time.monotonic() - started
    assert not str(last_of_first[2]).startswith("done"), last_of_first[2]
    assert str(second.result(timeout=120)[2]).startswith("done")
    assert stopped_after < 30


def test_one_session_cannot_fill_the_queue(app_server: AppServer, client: Client) -> None:
    session = "greedy"
    play = _fn_index(client, "gan2d_play")
    toy = ["ring", None, "gaussian", "non-saturating", 0.002, 0.002, 0, 1]
    pyramid = _fn_index(client, "pyramid_texture")
    neural = _fn_index(client, "neural_texture_show")
    upload = httpx.post(f"{app_server.url}gradio_api/upload", files={"files": open(example_path("gravel"), "rb")}).json()[0]
    image = {"path": upload, "meta": {"_type": "gradio.FileData"}}
    answers = [
        _join(app_server.url, play, [None, *toy], session),
        _join(app_server.url, pyramid, [image, 4, 4, 20, 3.0, "periodic", 0, 512], session),
        _join(app_server.url, neural, [image, "random-multiscale", "relu1", "avg"], session),
        _join(app_server.url, play, [None, *toy], session),
    ]
    try:
        assert [a.status_code for a in answers[:3]] == [200, 200, 200]
        assert answers[3].status_code == 429 and "already have 3 runs" in answers[3].json()["detail"]
        assert _join(app_server.url, play, [None, *toy], "someone-else").status_code == 200  # others are not affected
    finally:
        for owner in (session, "someone-else"):
            for answer in answers:
                if answer.status_code == 200:
                    httpx.post(f"{app_server.url}gradio_api/cancel", json={"session_hash": owner, "fn_index": play, "event_id": answer.json()["event_id"]})


def _call(url: str, api_name: str, data: list) -> str:
    """POST /gradio_api/call/<api_name> as a raw client; returns the event stream's text."""
    event = httpx.post(f"{url}gradio_api/call/{api_name}", json={"data": data}, timeout=30).json()["event_id"]
    return httpx.get(f"{url}gradio_api/call/{api_name}/{event}", timeout=120).text


def test_a_file_reference_with_upload_metadata_is_not_copied_or_fetched(app_server: AppServer, client: Client, tmp_path: Path) -> None:
    """Gradio itself copies a file named with upload metadata into its cache from anywhere (and fetches
    a URL) before a component sees it; the request gate disarms such references first."""
    secret = tmp_path / "secret.png"
    Image.new("RGB", (48, 40), (12, 34, 56)).save(secret)
    data = secret.read_bytes()
    meta = {"_type": "gradio.FileData"}
    api = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    for endpoint, (param, settings) in corpus.IMAGE_ENDPOINTS.items():
        for path in (str(secret), "/etc/hostname", "http://127.0.0.1:9/secret.png"):
            values = {**settings, param: {"path": path, "meta": meta, "orig_name": "x.png"}}
            arguments = [values.get(p["parameter_name"], p["parameter_default"]) for p in api[endpoint]["parameters"]]
            text = _call(app_server.url, endpoint.strip("/"), arguments)
            assert "event: error" in text and "Please upload an image" in text, (endpoint, path, text[:300])
    nested = {"background": {"path": str(secret), "meta": meta}, "layers": [], "composite": {"path": "/etc/hostname", "meta": meta}}
    arguments = [nested, "pix2pix/map2sat", "paper", 0, 256]
    assert "Paint a map" in _call(app_server.url, "pix2pix_translate_drawing", arguments)
    copied = [p for p in app_server.gradio_temp.rglob("*") if p.is_file() and p.stat().st_size == len(data) and p.read_bytes() == data]
    assert not copied, copied
    assert not [p for p in app_server.gradio_temp.rglob("hostname")]


def test_a_file_of_the_wrong_shape_and_a_missing_choice_get_our_messages(app_server: AppServer, client: Client) -> None:
    """A file argument that is a number or a list fails Gradio's own model check (its generic error, a
    logged traceback) before any component sees it: the gate disarms it first, so the component gives
    its one message. A null where a radio always has a value reaches no handler (it reached int(None))."""
    api = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    for endpoint, (param, settings) in corpus.IMAGE_ENDPOINTS.items():
        for bad in ("/etc/hostname", 5, [{"path": "/etc/hostname"}]):
            values = {**settings, param: bad}
            arguments = [values.get(p["parameter_name"], p["parameter_default"]) for p in api[endpoint]["parameters"]]
            text = _call(app_server.url, endpoint.strip("/"), arguments)
            assert "event: error" in text and "Please upload an image" in text, (endpoint, bad, text[:300])
    assert "Paint a map" in _call(app_server.url, "pix2pix_translate_drawing", ["abc", "pix2pix/map2sat", "paper", 0, 256])
    text = _call(app_server.url, "cyclegan_two_horses", [None])
    assert "event: error" in text and "got nothing" in text and "Something went wrong" not in text, text[:300]
