"""synth.options: validation at the boundary, the command line generated from the dataclass."""

from __future__ import annotations

import argparse
from dataclasses import FrozenInstanceError, dataclass
from typing import Literal

import pytest

from synth.limits import LimitExceeded
from synth.options import OptionError, Options, add_arguments, as_flags, from_arguments, option, shorten
from synth.progress import Progress

Optimizer = Literal["lbfgs", "adam"]


@dataclass(frozen=True)
class Example(Options):
    steps: int = option(100, low=1, cap="steps", help="loss evaluations")
    lr: float = option(0.5, low=0, high=10, help="learning rate")
    rate: float = option(0.1, above=0, high=1, help="a share in (0, 1]")
    optimizer: Optimizer = option("lbfgs", help="optimiser")
    layers: tuple[str, ...] = option(("relu1_1", "relu2_1"), min_items=1, max_items=4, max_length=16)
    sizes: tuple[int, ...] | None = option(None, low=16)
    tileable: bool = False
    note: str = option("", max_length=20)

    def check(self) -> None:
        if self.sizes is not None and list(self.sizes) != sorted(self.sizes):
            raise OptionError("sizes must increase")


def test_defaults_and_conversion() -> None:
    options = Example(steps=10.0, layers=["relu3_1"], sizes=[32, 64])
    assert options.steps == 10 and type(options.steps) is int
    assert options.layers == ("relu3_1",) and options.sizes == (32, 64)
    assert Example().lr == 0.5 and type(Example(lr=2).lr) is float
    with pytest.raises(FrozenInstanceError):
        options.steps = 5  # type: ignore[misc]


@pytest.mark.parametrize(
    "values, message",
    [
        ({"steps": 10**400}, r"cap is 1,000"),  # a 400-digit integer: no OverflowError
        ({"lr": 10**400}, r"at most 10, got an integer of about 401 digits"),
        ({"lr": -(10**400)}, r"at least 0"),
        ({"steps": float("nan")}, r"NaN or infinite"),
        ({"lr": float("inf")}, r"NaN or infinite"),
        ({"steps": True}, r"whole number, got True"),
        ({"lr": False}, r"expected a number, got False"),
        ({"steps": 2.5}, r"whole number"),
        ({"steps": "100"}, r"whole number, got '100'"),
        ({"steps": 0}, r"at least 1"),
        ({"steps": 5000}, r"the cap is 1,000"),
        ({"optimizer": ["adam"]}, r"is not one of 'lbfgs', 'adam'"),  # unhashable where a name belongs
        ({"optimizer": {"a": 1}}, r"is not one of"),
        ({"optimizer": "adma"}, r"did you mean 'adam'"),
        ({"optimizer": 1}, r"is not one of"),
        ({"rate": 0}, r"Example.rate must be above 0, got 0"),
        ({"rate": -(10**400)}, r"rate must be above 0, got an integer of about 401 digits"),
        ({"layers": "relu1_1"}, r"expected a list of text"),
        ({"layers": []}, r"1 to 4 items"),
        ({"layers": ["x" * 17]}, r"at most 16 characters"),
        ({"sizes": [64, 32]}, r"sizes must increase"),
        ({"sizes": [8]}, r"at least 16"),
        ({"tileable": 1}, r"true or false"),
        ({"note": None}, r"got nothing"),
        ({"nope": 1}, r"has no option 'nope'"),
    ],
)
def test_bad_values_are_refused_with_a_readable_message(values: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Example.build(values)


def test_cap_is_a_limit_and_can_be_lifted(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(LimitExceeded, match="--no-limits"):
        Example(steps=1001)
    monkeypatch.setenv("SYNTH_LIMITS", "off")
    assert Example(steps=1001).steps == 1001
    assert Example.info()["steps"].high is not None and Example.info()["steps"].high > 1001


def test_a_huge_string_is_never_echoed_whole() -> None:
    huge = "x" * 1_000_000
    with pytest.raises(OptionError) as caught:
        Example(optimizer=huge)  # type: ignore[arg-type]
    assert len(str(caught.value)) < 200 and "1,000,000 characters" in str(caught.value)
    with pytest.raises(OptionError) as caught:
        Example.build({huge: 1})
    assert len(str(caught.value)) < 300
    assert len(shorten(list(range(10**5)))) < 100


def test_of_replace_and_round_trip() -> None:
    base = Example(steps=20)
    assert Example.of(None, {}) == Example()
    assert Example.of(base, {}) is base
    assert Example.of(base, {"lr": 1}).steps == 20 and Example.of(base, {"lr": 1}).lr == 1.0
    assert Example.of(None, {"steps": 3}).steps == 3
    with pytest.raises(TypeError):
        Example.of(object(), {})  # type: ignore[arg-type]
    with pytest.raises(OptionError, match="has no option"):
        base.replace(step=3)
    again = Example.from_dict(base.to_dict())
    assert again == base and base.to_dict()["layers"] == ["relu1_1", "relu2_1"]


def test_info_describes_every_option() -> None:
    info = Example.info()
    assert list(info) == ["steps", "lr", "rate", "optimizer", "layers", "sizes", "tileable", "note"]
    assert info["rate"].above == 0 and info["rate"].low is None and info["lr"].above is None
    assert info["optimizer"].choices == ("lbfgs", "adam") and info["optimizer"].kind is str
    assert info["sizes"].optional and info["sizes"].sequence and info["sizes"].kind is int
    assert info["lr"].low == 0 and info["lr"].high == 10 and info["steps"].high == 1000
    assert "one of 'lbfgs', 'adam'" in info["optimizer"].expects()


def test_command_line_is_generated_from_the_dataclass() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser, Example, skip=["note"])
    args = parser.parse_args(["--steps", "7", "--layers", "relu4_1,relu5_1", "--tileable", "--sizes", "32,64", "--optimizer", "adam"])
    options = from_arguments(Example, args)
    assert options == Example(steps=7, layers=("relu4_1", "relu5_1"), tileable=True, sizes=(32, 64), optimizer="adam")
    assert from_arguments(Example, parser.parse_args([])) == Example()
    with pytest.raises(SystemExit):
        parser.parse_args(["--optimizer", "sgd"])
    with pytest.raises(SystemExit):
        parser.parse_args(["--note", "x"])  # skipped
    with pytest.raises(OptionError, match="at least 1"):
        from_arguments(Example, parser.parse_args(["--steps", "0"]))
    assert "loss evaluations (default: 100)" in parser.format_help()
    assert "(default: None)" not in parser.format_help()  # a None default is the help text's to explain


@dataclass(frozen=True)
class FewerOptions(Example):
    steps: int = option(10, low=1, cap="steps", help="loss evaluations")


def test_only_given_flags_reach_the_namespace_so_another_class_keeps_its_defaults() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser, Example)
    assert vars(parser.parse_args([])) == {}
    assert from_arguments(FewerOptions, parser.parse_args([])).steps == 10  # its default, not Example's
    assert from_arguments(FewerOptions, parser.parse_args(["--steps", "3"])).steps == 3
    assert from_arguments(FewerOptions, parser.parse_args(["--no-tileable"])).tileable is False


def test_messages_name_the_flag_on_the_command_line() -> None:
    with pytest.raises(OptionError) as caught:
        FewerOptions(tileable=1)  # type: ignore[arg-type]
    assert as_flags(str(caught.value)) == "--tileable: expected true or false, got 1"
    assert as_flags("StyleOptions.lr must be at most 10; TextureOptions.layer_weights[0] too") == "--lr must be at most 10; --layer-weights[0] too"
    assert as_flags("cannot read bad.png: Example.lr") == "cannot read bad.png: Example.lr"  # only ...Options classes


def test_bad_declarations_fail_at_definition() -> None:
    with pytest.raises(TypeError, match="immutable"):
        option([1, 2])
    with pytest.raises(TypeError, match="unknown cap"):
        option(1, cap="minutes")


def test_progress_fraction_and_loss() -> None:
    progress = Progress(step=5, total=20, losses={"a": 1.5, "b": 0.5})
    assert progress.fraction == 0.25 and progress.loss == 2.0
    assert Progress(step=0, total=0).fraction == 1.0 and Progress(step=3, total=2).fraction == 1.0
    assert Progress(step=1, total=1).loss == 0.0 and not Progress(step=1, total=1).views
