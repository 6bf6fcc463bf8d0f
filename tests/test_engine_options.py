"""Every engine's options class: documented, valid by default, and cheap to make."""

from __future__ import annotations

import pytest
import torch

from synth.gan.generate import InterpolateOptions, SampleOptions, WalkOptions
from synth.gan.toy import ToyOptions
from synth.gatys import HighToLowOptions, TextureOptions
from synth.ghiasi import FastStyleOptions
from synth.heeger_bergen import HeegerBergenOptions
from synth.options import Options
from synth.style import StyleOptions
from synth.translate.inference import TranslateOptions

ENGINE_OPTIONS: list[type[Options]] = [
    HeegerBergenOptions, TextureOptions, HighToLowOptions, StyleOptions, FastStyleOptions,
    TranslateOptions, SampleOptions, InterpolateOptions, WalkOptions, ToyOptions,
]  # fmt: skip


@pytest.mark.parametrize("cls", ENGINE_OPTIONS, ids=lambda cls: cls.__name__)
def test_every_option_has_help_and_the_defaults_are_valid(cls: type[Options]) -> None:
    undocumented = [name for name, info in cls.info().items() if not info.help]
    assert not undocumented, f"{cls.__name__}: no help for {undocumented}"
    assert cls.build(cls().to_dict()) == cls()  # the defaults pass their own validation, and round-trip


def test_making_the_default_options_never_touches_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tabs read defaults at import; on a ZeroGPU Space CUDA may be touched only inside handlers."""

    def no_cuda(*args: object, **kwargs: object) -> None:
        raise AssertionError("CUDA was touched")

    for name in ("is_available", "init", "_lazy_init", "device_count", "current_device"):
        monkeypatch.setattr(torch.cuda, name, no_cuda)
    for cls in ENGINE_OPTIONS:
        cls()
    StyleOptions(sizes=(256, 512), style_scale=2.0)  # within every device's cap: no need to ask
    with pytest.raises(AssertionError, match="CUDA was touched"):
        StyleOptions(sizes=(1024,))  # above the CPU's cap: the device decides
