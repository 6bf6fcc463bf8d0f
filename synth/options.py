"""Options as data: one frozen, validated dataclass per engine.

Every iterative engine takes its settings as one frozen dataclass deriving from
:class:`Options` (the shape of nanoGPT's config and of timm's pretrained configs): the
field's type says what it holds (``Literal[...]`` for a choice), its default is the
engine's default (with the reason in a comment where it is not obvious), and
:func:`option` records what the command line and the tabs need besides: a help text,
a range, and the cap of :mod:`synth.limits` that bounds it. Validation happens once,
when an instance is made, so an engine, the command line and the web app refuse the
same values with the same message.

Values from outside (a web request, the command line) are strangers' data: numbers
are checked to be finite and in range *before* any conversion (a 400-digit integer,
NaN, a boolean where a number belongs), choices are checked to be hashable and
listed, text is bounded, and a message quotes at most a short prefix of a bad value.

>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Demo(Options):
...     steps: int = option(100, low=1, help="optimisation steps")
>>> Demo(steps=10.0).steps
10
>>> Demo.build({"steps": -1})
Traceback (most recent call last):
...
synth.options.OptionError: Demo.steps must be at least 1, got -1
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import functools
import math
import numbers
import re
import types
import typing
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

from . import limits

__all__ = [
    "OptionError",
    "OptionInfo",
    "Options",
    "add_arguments",
    "from_arguments",
    "as_flags",
    "option",
    "shorten",
]

OptionsT = TypeVar("OptionsT", bound="Options")

#: Longest text an option takes unless its :func:`option` says otherwise.
MAX_TEXT = 200
#: Most items of a sequence option unless its :func:`option` says otherwise.
MAX_ITEMS = 64
#: Characters of a bad value quoted in a message.
PREFIX = 40


class OptionError(ValueError):
    """A value an option cannot take; the message names the option, what it takes and what came."""


def shorten(value: Any, limit: int = PREFIX) -> str:
    """A short, safe description of ``value`` for a message: at most about ``limit`` characters.

    Huge integers are described by their number of digits (``repr`` of one with more
    than 4300 digits raises, and a 1 MB string must not reach a log).
    """
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"an integer of about {int(value.bit_length() * math.log10(2)) + 1} digits"
    if isinstance(value, str):
        text = repr(value[: limit + 1])
        return text if len(value) <= limit else f"{repr(value[:limit])[:-1]}…' ({len(value):,} characters)"
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        kind = type(value).__name__
        inner = ", ".join(shorten(item, limit // 4) for item in list(value)[:3])
        more = ", …" if len(value) > 3 else ""
        return f"a {kind} of {len(value)} [{inner}{more}]"[: limit * 2]
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


@dataclass(frozen=True)
class _Spec:
    help: str = ""
    low: float | None = None
    above: float | None = None
    high: float | None = None
    cap: str | None = None
    step: float | None = None
    max_length: int = MAX_TEXT
    min_items: int = 0
    max_items: int = MAX_ITEMS
    cli: bool = True


def option(
    default: Any,
    *,
    help: str = "",  # noqa: A002 (argparse's word)
    low: float | None = None,
    above: float | None = None,
    high: float | None = None,
    cap: str | None = None,
    step: float | None = None,
    max_length: int = MAX_TEXT,
    min_items: int = 0,
    max_items: int = MAX_ITEMS,
    cli: bool = True,
) -> Any:
    """A field of an :class:`Options` dataclass with what the UI and CLI need to know.

    Parameters
    ----------
    default
        The engine's default; immutable (a tuple, not a list).
    help
        One line for ``--help`` and the UI's info text.
    low, high
        Inclusive range of a number (of each item, for a tuple).
    above
        Exclusive lower bound (a learning rate above 0, a truncation in (0, 1]).
    cap
        Name of a :class:`synth.limits.Limits` attribute ("steps", "frames", "batch")
        that bounds the value from above while caps are on.
    step
        Granularity a slider offers (UI only).
    max_length
        Longest text (of each item, for a tuple of text).
    min_items, max_items
        Length bounds of a tuple.
    cli
        Whether the command line offers it (``add_arguments``).
    """
    if isinstance(default, (list, dict, set)):
        raise TypeError(f"an option's default must be immutable (a tuple, not a {type(default).__name__})")
    if cap is not None and not hasattr(limits.DEFAULT, cap):
        raise TypeError(f"unknown cap {cap!r}; synth.limits.Limits has {', '.join(f.name for f in dataclasses.fields(limits.Limits))}")
    spec = _Spec(help, low, above, high, cap, step, max_length, min_items, max_items, cli)
    return dataclasses.field(default=default, metadata={"option": spec})


@dataclass(frozen=True)
class OptionInfo:
    """What one option takes, resolved from its type hint and :func:`option`.

    ``kind`` is ``bool``, ``int``, ``float`` or ``str``; ``choices`` the values of a
    ``Literal`` (else ``None``); ``sequence`` is true for ``tuple[X, ...]``;
    ``optional`` for ``X | None``.
    """

    owner: str
    name: str
    kind: type
    default: Any
    choices: tuple[Any, ...] | None
    optional: bool
    sequence: bool
    spec: _Spec

    @property
    def help(self) -> str:
        return self.spec.help

    @property
    def low(self) -> float | None:
        return self.spec.low

    @property
    def above(self) -> float | None:
        """Exclusive lower bound (``None``: none)."""
        return self.spec.above

    @property
    def high(self) -> float | None:
        """The upper bound in force: the option's ``high`` and its :mod:`synth.limits` cap."""
        bounds = [b for b in (self.spec.high, self.cap) if b is not None]
        return min(bounds) if bounds else None

    @property
    def cap(self) -> int | None:
        """The value of this option's cap now (``None``: no cap)."""
        return getattr(limits.current(), self.spec.cap) if self.spec.cap else None

    def expects(self) -> str:
        """What this option takes, in words."""
        if self.choices is not None:
            what = "one of " + ", ".join(repr(c) for c in self.choices)
        else:
            what = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}[self.kind]
        if self.sequence:
            what = f"a list of {what.removeprefix('a ')}"
        return what + (" (or nothing)" if self.optional else "")

    def check(self, value: Any) -> Any:
        """``value`` converted to this option's type, or :class:`OptionError` that says why not."""
        label = f"{self.owner}.{self.name}"
        if value is None:
            if self.optional:
                return None
            raise OptionError(f"{label}: expected {self.expects()}, got nothing")
        if not self.sequence:
            return self._scalar(value, label)
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            raise OptionError(f"{label}: expected {self.expects()}, got {shorten(value)}")
        if not self.spec.min_items <= len(value) <= self.spec.max_items:
            raise OptionError(f"{label}: expected {self.spec.min_items} to {self.spec.max_items} items, got {len(value)}")
        return tuple(self._scalar(item, f"{label}[{index}]") for index, item in enumerate(value))

    def _scalar(self, value: Any, label: str) -> Any:
        if self.choices is not None:
            return self._choice(value, label)
        if self.kind is bool:
            if isinstance(value, (bool, _numpy_bool())):
                return bool(value)
            raise OptionError(f"{label}: expected true or false, got {shorten(value)}")
        if self.kind is str:
            if not isinstance(value, str):
                raise OptionError(f"{label}: expected text, got {shorten(value)}")
            if len(value) > self.spec.max_length:
                raise OptionError(f"{label}: expected at most {self.spec.max_length} characters, got {shorten(value)}")
            return value
        return self._number(value, label)

    def _choice(self, value: Any, label: str) -> Any:
        assert self.choices is not None
        if isinstance(value, Hashable) and not isinstance(value, bool):
            for choice in self.choices:
                if type(value) is type(choice) and value == choice:
                    return choice
        hint = ""
        if isinstance(value, str) and len(value) <= MAX_TEXT:
            close = difflib.get_close_matches(value, [str(c) for c in self.choices], n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise OptionError(f"{label}: {shorten(value)} is not one of {', '.join(repr(c) for c in self.choices)}{hint}")

    def _number(self, value: Any, label: str) -> int | float:
        whole = self.kind is int
        if isinstance(value, (bool, _numpy_bool())) or not isinstance(value, numbers.Real):
            raise OptionError(f"{label}: expected {'a whole number' if whole else 'a number'}, got {shorten(value)}")
        if not isinstance(value, numbers.Integral):
            value = float(value)
            if not math.isfinite(value):
                raise OptionError(f"{label}: expected a finite number, got {value} (NaN or infinite)")
            if whole and not value.is_integer():
                raise OptionError(f"{label}: expected a whole number, got {shorten(value)}")
        else:
            value = int(value)
        # Compared before conversion: Python compares an int of any size with a float exactly.
        low, above, high, cap = self.spec.low, self.spec.above, self.spec.high, self.cap
        if low is not None and value < low:
            raise OptionError(f"{label} must be at least {_number_text(low)}, got {shorten(value)}")
        if above is not None and value <= above:
            raise OptionError(f"{label} must be above {_number_text(above)}, got {shorten(value)}")
        if high is not None and value > high:
            raise OptionError(f"{label} must be at most {_number_text(high)}, got {shorten(value)}")
        if cap is not None and value > cap:
            raise limits.LimitExceeded(f"{label} is {shorten(value)}; the cap is {cap:,} (python -m synth --no-limits lifts it)")
        if whole:
            return int(value)
        if isinstance(value, int) and abs(value) > 2**1000:
            raise OptionError(f"{label}: {shorten(value)} is too large")
        return float(value)


def _numpy_bool() -> type:
    import numpy as np

    return np.bool_


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _resolve(owner: str, name: str, hint: Any, default: Any, spec: _Spec) -> OptionInfo:
    optional = False
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(hint) if a is not type(None)]
        optional = len(args) < len(get_args(hint))
        if len(args) != 1:
            raise TypeError(f"{owner}.{name}: an option holds one type (or None), got {hint}")
        hint = args[0]
        origin = get_origin(hint)
    sequence = origin is tuple
    if sequence:
        args = get_args(hint)
        if len(args) != 2 or args[1] is not Ellipsis:
            raise TypeError(f"{owner}.{name}: a sequence option is tuple[X, ...], got {hint}")
        hint = args[0]
        origin = get_origin(hint)
    choices = None
    if origin is Literal:
        choices = get_args(hint)
        kinds = {type(c) for c in choices}
        if len(kinds) != 1:
            raise TypeError(f"{owner}.{name}: a choice's values share one type, got {choices}")
        (kind,) = kinds
    elif hint in (bool, int, float, str):
        kind = hint
    else:
        raise TypeError(f"{owner}.{name}: unsupported option type {hint}")
    return OptionInfo(owner, name, kind, default, choices, optional, sequence, spec)


@functools.cache
def _infos(cls: type) -> dict[str, OptionInfo]:
    hints = typing.get_type_hints(cls)
    out = {}
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        default = f.default if f.default is not dataclasses.MISSING else None
        out[f.name] = _resolve(cls.__name__, f.name, hints[f.name], default, f.metadata.get("option", _Spec()))
    return out


class Options:
    """Base of every engine's options; subclasses are ``@dataclass(frozen=True)``.

    Every field is checked and converted when an instance is made (a whole float
    becomes an int, a list a tuple); :meth:`check` adds rules between fields.
    """

    def __post_init__(self) -> None:
        for name, info in self.info().items():
            object.__setattr__(self, name, info.check(getattr(self, name)))
        self.check()

    def check(self) -> None:
        """Rules that involve several fields; raise :class:`OptionError`. Default: none."""

    @classmethod
    def info(cls) -> dict[str, OptionInfo]:
        """Every option by name, with its type, default, range and help (for CLI and UI)."""
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"{cls.__name__} must be a dataclass")
        return _infos(cls)

    @classmethod
    def _known(cls, names: Sequence[str]) -> None:
        known = cls.info()
        unknown = [name for name in names if name not in known]
        if unknown:
            name = str(unknown[0])
            close = difflib.get_close_matches(name, list(known), n=1) if len(name) <= MAX_TEXT else []
            hint = f" (did you mean {close[0]!r}?)" if close else f"; known: {', '.join(known)}"
            raise OptionError(f"{cls.__name__} has no option {shorten(name)}{hint}")

    @classmethod
    def build(cls: type[OptionsT], values: Mapping[str, Any] | None = None, /, **changes: Any) -> OptionsT:
        """An instance from untrusted ``values`` (and ``changes``), unknown names refused."""
        merged = {**(values or {}), **changes}
        cls._known(list(merged))
        return cls(**merged)

    @classmethod
    def of(cls: type[OptionsT], options: OptionsT | None, changes: Mapping[str, Any]) -> OptionsT:
        """What an engine runs with: ``options`` (default: the defaults) with ``changes`` applied.

        Engines take ``options=None, **changes`` so that both ``synthesize(x, opts)``
        and ``synthesize(x, steps=50)`` read well.
        """
        if options is not None and not isinstance(options, cls):
            raise TypeError(f"expected {cls.__name__}, got {type(options).__name__}")
        if not changes:
            return options if options is not None else cls()
        return options.replace(**changes) if options is not None else cls.build(changes)

    def replace(self: OptionsT, **changes: Any) -> OptionsT:
        """A copy with ``changes``, validated."""
        self._known(list(changes))
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values (tuples as lists), for checkpoint metadata and logs."""
        return {name: list(v) if isinstance(v, tuple) else v for name, v in ((n, getattr(self, n)) for n in self.info())}

    @classmethod
    def from_dict(cls: type[OptionsT], data: Mapping[str, Any]) -> OptionsT:
        """The inverse of :meth:`to_dict` (validated; unknown names refused)."""
        return cls.build(data)


# ------------------------------------------------------------------ command line
def _parse_item(kind: type, text: str) -> Any:
    return kind(text.strip())


def _list_of(kind: type):
    def parse(text: str) -> tuple:
        try:
            return tuple(_parse_item(kind, part) for part in text.split(",") if part.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected comma-separated {kind.__name__} values, got {text[:PREFIX]!r}") from None

    parse.__name__ = f"list of {kind.__name__}"
    return parse


def add_arguments(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup,
    cls: type[Options],
    *,
    skip: Sequence[str] = (),
    flags: Mapping[str, str] | None = None,
) -> None:
    """Add one ``--flag`` per option of ``cls`` (``dest`` = the option's name).

    Types, choices, help and the default shown come from the dataclass: booleans become ``--x / --no-x``,
    tuples comma-separated lists. Only the flags given on the command line land in
    the namespace (``argparse.SUPPRESS``), so the defaults stay the dataclass's: a
    verb may even build a subclass with other defaults from the same flags.
    ``skip`` leaves options out (the verb sets them itself); ``flags`` renames a flag.
    """
    cls._known(list(skip))
    for name, info in cls.info().items():
        if name in skip or not info.spec.cli:
            continue
        flag = (flags or {}).get(name) or "--" + name.replace("_", "-")
        default = info.default
        shown = ",".join(str(v) for v in default) if isinstance(default, tuple) else default
        help_text = info.help if default is None else f"{info.help} (default: {shown})".lstrip()  # a None default is the help's to explain
        kwargs: dict[str, Any] = {"dest": name, "default": argparse.SUPPRESS, "help": help_text.replace("%", "%%")}
        if info.kind is bool and not info.sequence:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, **kwargs)
            continue
        if info.sequence:
            kwargs["type"] = _list_of(info.kind)
            kwargs["metavar"] = "A,B,..."
        else:
            kwargs["type"] = info.kind
            if info.choices is not None:
                kwargs["choices"] = info.choices
        parser.add_argument(flag, **kwargs)


_LABEL = re.compile(r"\b[A-Z]\w*Options\.([a-z_]\w*)")


def as_flags(message: str) -> str:
    """``message`` with every ``XOptions.name`` written as the flag ``--name``, for the command line.

    Engines name their option classes ``...Options``; nothing else in a message (a file
    name like ``bad.png``) is touched.
    """
    return _LABEL.sub(lambda match: "--" + match.group(1).replace("_", "-"), message)


def from_arguments(cls: type[OptionsT], namespace: argparse.Namespace, /, **changes: Any) -> OptionsT:
    """The options given on the command line (validated; the rest ``cls``'s defaults), with ``changes`` on top."""
    values = {name: getattr(namespace, name) for name in cls.info() if hasattr(namespace, name)}
    return cls.build(values, **changes)
