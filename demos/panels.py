"""Panels every tab shares: which weights are here, the "Models in memory" panel, and Reset.

UI only; the data comes from :mod:`synth.weights` and :mod:`synth.cache`.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from typing import Any

import gradio as gr

from demos.components import Radio
from synth.cache import MODEL_CACHE
from synth.runtime import device, precision_summary
from synth.translate.lab import LabModel
from synth.weights import default_store

__all__ = ["availability_markdown", "cache_panel", "generators_header", "missing_weights", "models_in_memory", "reset_button"]


def availability_markdown(names: Iterable[str]) -> str:
    """One line per checkpoint: usable here or not, and the command that fetches it.

    Uses only remembered host probes, so it never blocks a page load.
    """
    store = default_store()
    lines = []
    for name in names:
        status = store.availability(name)
        mark = "✅" if status.cached else ("⬇️" if status.reachable else "⚠️")
        lines.append(f"- {mark} `{name}`: {status.message}")
    return "\n".join(lines)


def generators_header(intro: str) -> tuple[gr.Markdown, gr.Markdown]:
    """A translation tab's introduction, then an empty status line and a collapsed "which
    generators are downloaded" list, for the tab to fill on page load (returned in that order)."""
    gr.Markdown(intro)
    status = gr.Markdown()
    with gr.Accordion("Which generators are downloaded", open=False):
        availability = gr.Markdown()
    return status, availability


def missing_weights(names: Iterable[str]) -> tuple[list[str], str]:
    """The checkpoints among ``names`` that cannot be used here (not cached, host not known to
    answer), and the one command that fetches them all. Never blocks on the network."""
    store = default_store()
    missing = [name for name in names if not store.availability(name).usable]
    return missing, f"`python -m synth weights download {' '.join(missing)}`"


def models_in_memory() -> str:
    """What the model cache holds: each model's device, dtype, precision, memory and load time, and the counters."""
    stats = MODEL_CACHE.stats()
    rows = [f"| `{m.name}` | {m.device} | {m.dtype} | {m.precision} | {m.bytes / 2**20:.1f} MB | {m.load_seconds:.2f} s |" for m in stats.models]
    header = "| model | device | weights | computes in | memory | load time |\n|---|---|---|---|---|---|\n"
    table = header + "\n".join(rows) if rows else "_No model loaded yet: models load on first use._"
    return (
        f"{table}\n\nComputing on **{device()}** ({precision_summary(device())}) · **{stats.bytes / 2**20:.1f} MB** of {stats.budget / 2**30:.1f} GB budget · "
        f"hits {stats.hits} · misses {stats.misses} · evictions {stats.evictions} · "
        f"loads {stats.loads} ({stats.load_seconds:.1f} s in total)"
    )


def _free_memory() -> str:
    MODEL_CACHE.clear()
    return models_in_memory()


def cache_panel(app: gr.Blocks, *, admin: bool = False) -> None:
    """A small "Models in memory" panel: what is loaded, its bytes, hit/miss/evict counters.

    "Free memory" empties the model cache for every visitor, so it exists only in
    lecture mode (``admin``: ``app.py --admin`` or ``--preload`` on a trusted machine);
    on a public Space the panel only reads (a public, input-free endpoint).
    """
    with gr.Accordion("Models in memory", open=False):
        info = gr.Markdown()
        with gr.Row():
            refresh = gr.Button("Refresh", size="sm")
            if admin:
                release = gr.Button("Free memory", size="sm", variant="stop")
                release.click(_free_memory, outputs=info, queue=False, api_name="free_memory")
        refresh.click(models_in_memory, outputs=info, queue=False, api_name="models_in_memory")
    app.load(models_in_memory, outputs=info, queue=False, api_name="models_on_load")


_NOT_RESET = (gr.Button, gr.Dataset)


def reset_button(demo: gr.Blocks, tab: str, label: str = "↺ Reset this tab") -> gr.Button:
    """A small button that puts the tab back as a new visitor sees it.

    Call it last inside ``with gr.Blocks() as demo:``. It collects every component
    the tab's events read or write (except buttons, examples and what the page fills
    on load, such as availability notes) and, when clicked, stops the tab's running
    events, sets those components back to their initial values in the browser and
    resets the tab's ``gr.State`` for this session only (state lives per session;
    nothing of a visitor is kept at module level). ``api_name`` is ``<tab>_reset``.
    Reads ``demo.fns`` (see demos/serving.py on the Gradio internals we use).
    """
    loaded, used, queued = set(), [], []
    for block_fn in demo.fns.values():
        triggers = {event for _, event in block_fn.targets}
        if "load" in triggers:
            loaded.update(id(c) for c in block_fn.outputs)
            continue
        for component in [*block_fn.inputs, *block_fn.outputs]:
            if not isinstance(component, _NOT_RESET) and all(component is not seen for seen in used):
                used.append(component)
        if block_fn.fn is not None and block_fn.queue:
            queued.append(block_fn.get_config())
    fields = [c for c in used if id(c) not in loaded and not isinstance(c, gr.State)]
    states = [c for c in used if isinstance(c, gr.State)]
    initial_fields = json.dumps([c.value for c in fields])
    initial_states = [copy.deepcopy(c.value) for c in states]

    def fresh_states() -> Any:
        values = copy.deepcopy(initial_states)
        return values[0] if len(values) == 1 else values

    button = gr.Button(label, size="sm", variant="secondary")
    event = button.click(None, None, fields, js=f"() => {initial_fields}", cancels=queued, api_name=False, queue=False)
    if states:
        event.then(fresh_states, None, states, api_name=f"{tab}_reset", queue=False)
    return button


# ------------------------------------------------------------------ the lab's time-lapse
#: The time-lapse radio's value for the final models (the others are training steps).
FINAL = "final"


def snapshot_radio(models: Iterable[LabModel]) -> Radio:
    """The time-lapse of the lab's loss experiments: the final models, or the training steps all ``models`` kept."""
    steps = sorted({step for model in models for step in model.snapshots[:-1]})
    return Radio([FINAL, *map(str, steps)], value=FINAL, label="Models after how many training steps (a time-lapse)")


def snapshot_step(value: str) -> tuple[int | None, str]:
    """The radio's ``value`` as the experiments' ``step`` (``None``: the final models) and in words."""
    if value == FINAL:
        return None, "the final models"
    return int(value), f"the models after {value} training steps"
