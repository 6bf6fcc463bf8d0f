"""The official checkpoints' state-dict layouts (tests/reference/layouts/*.json)."""

from __future__ import annotations

import json
from pathlib import Path

LAYOUTS = Path(__file__).resolve().parent / "reference" / "layouts"


def load_layout(name: str) -> dict:
    """The layout ``name`` (e.g. ``"biggan_deep_128"``): tensor names, shapes, parameter count."""
    return json.loads((LAYOUTS / f"{name}.json").read_text())
