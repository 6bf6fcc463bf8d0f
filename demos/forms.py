"""Controls made from an engine's options, and forms that bind them back by name.

A tab's sliders, radios and checkboxes take their range, choices and default from the
engine's :class:`synth.options.Options` dataclass (a tab may offer a narrower range than
the engine, never a wider one: :func:`slider` refuses at build time). A :class:`Form`
binds named controls to the options; an event passes them as Gradio's
``inputs_kwargs``, so a handler takes ``**values`` instead of twenty positional
arguments, and the API's parameter names are the options' names.

>>> FORM = Form(HeegerBergenOptions, scales="Scales")                            # doctest: +SKIP
>>> button.click(run, [upload], outputs, inputs_kwargs={"scales": FORM.slider("scales")})  # doctest: +SKIP
>>> def run(path, **values): options = FORM.build(values)                         # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from synth.options import OptionError, OptionInfo, Options

from .components import Checkbox, CheckboxGroup, Dropdown, Number, Radio, Slider

__all__ = ["Form", "checkbox", "checkbox_group", "dropdown", "number", "radio", "slider"]


def _info(options: type[Options], name: str) -> OptionInfo:
    info = options.info().get(name)
    if info is None:
        raise KeyError(f"{options.__name__} has no option {name!r}")
    return info


def _within(info: OptionInfo, minimum: float | None, maximum: float | None) -> tuple[float, float]:
    low = info.low if minimum is None else minimum
    high = info.high if maximum is None else maximum
    if low is None or high is None:
        raise ValueError(f"{info.owner}.{info.name}: a slider needs a range; give minimum= and maximum=")
    if (info.low is not None and low < info.low) or (info.high is not None and high > info.high):
        raise ValueError(f"{info.owner}.{info.name}: the control's range {low}..{high} goes beyond the option's {info.low}..{info.high}")
    return low, high


def slider(options: type[Options], name: str, *, label: str, minimum: float | None = None, maximum: float | None = None, step: float | None = None, **kwargs: Any) -> Slider:
    """A :class:`~demos.components.Slider` for a numeric option: its default, a range within the option's, its help as info."""
    info = _info(options, name)
    low, high = _within(info, minimum, maximum)
    step = step or info.spec.step or (1 if info.kind is int else (high - low) / 100)
    kwargs.setdefault("info", info.help or None)
    kwargs.setdefault("value", info.default)
    return Slider(low, high, step=step, label=label, **kwargs)


def number(options: type[Options], name: str, *, label: str, minimum: float | None = None, maximum: float | None = None, **kwargs: Any) -> Number:
    """A :class:`~demos.components.Number` for a numeric option (a seed: whole numbers), in a range within the option's."""
    info = _info(options, name)
    low, high = _within(info, minimum, maximum if maximum is not None or info.high is not None else 2**63 - 1)
    return Number(info.default, minimum=low, maximum=high, precision=0 if info.kind is int else None, label=label, **kwargs)


def _choices(info: OptionInfo, labels: Mapping[Any, str] | None, only: Sequence[Any] | None) -> list[tuple[str, Any]]:
    if info.choices is None:
        raise ValueError(f"{info.owner}.{info.name} is not a choice")
    values = list(only) if only is not None else list(info.choices)
    stray = [v for v in values if v not in info.choices]
    if stray:
        raise ValueError(f"{info.owner}.{info.name}: {stray} are not among its choices {info.choices}")
    return [((labels or {}).get(value, str(value)), value) for value in values]


def radio(options: type[Options], name: str, *, label: str, labels: Mapping[Any, str] | None = None, only: Sequence[Any] | None = None, **kwargs: Any) -> Radio:
    """A :class:`~demos.components.Radio` over a ``Literal`` option's choices (``labels``: what the UI shows)."""
    info = _info(options, name)
    kwargs.setdefault("value", info.default)
    return Radio(_choices(info, labels, only), label=label, **kwargs)


def dropdown(options: type[Options], name: str, *, label: str, labels: Mapping[Any, str] | None = None, only: Sequence[Any] | None = None, **kwargs: Any) -> Dropdown:
    """A :class:`~demos.components.Dropdown` over a ``Literal`` option's choices."""
    info = _info(options, name)
    kwargs.setdefault("value", info.default)
    return Dropdown(_choices(info, labels, only), label=label, **kwargs)


def checkbox(options: type[Options], name: str, *, label: str, **kwargs: Any) -> Checkbox:
    """A :class:`~demos.components.Checkbox` for a boolean option."""
    info = _info(options, name)
    if info.kind is not bool:
        raise ValueError(f"{info.owner}.{name} is not true/false")
    return Checkbox(info.default, label=label, **kwargs)


def checkbox_group(options: type[Options], name: str, *, label: str, choices: Sequence[str], value: Sequence[str] | None = None, **kwargs: Any) -> CheckboxGroup:
    """A :class:`~demos.components.CheckboxGroup` for a tuple-of-names option (``choices``: what the tab offers)."""
    info = _info(options, name)
    if not info.sequence:
        raise ValueError(f"{info.owner}.{name} is not a list")
    default = list(value if value is not None else (info.default or ()))
    return CheckboxGroup(list(choices), value=default, label=label, **kwargs)


class Form:
    """The controls of one engine's options in a tab: their labels, how to make them, how to read them back.

    ``labels`` names the options the tab shows (and what it calls them). The tab makes
    each control with :meth:`slider`, :meth:`radio`, ...; an event passes the controls
    as Gradio's ``inputs_kwargs``; the handler's ``**values`` go to :meth:`build`, which
    validates them in the options class and reports a refused value under the label
    the visitor sees. Values of controls that are not options (a log-scale slider, an
    input's size) stay with the handler.
    """

    def __init__(self, options: type[Options], **labels: str) -> None:
        for name in labels:
            _info(options, name)
        self.options = options
        self.labels = labels

    def slider(self, name: str, **kwargs: Any) -> Slider:
        return slider(self.options, name, label=self.labels[name], **kwargs)

    def number(self, name: str, **kwargs: Any) -> Number:
        return number(self.options, name, label=self.labels[name], **kwargs)

    def radio(self, name: str, **kwargs: Any) -> Radio:
        return radio(self.options, name, label=self.labels[name], **kwargs)

    def dropdown(self, name: str, **kwargs: Any) -> Dropdown:
        return dropdown(self.options, name, label=self.labels[name], **kwargs)

    def checkbox(self, name: str, **kwargs: Any) -> Checkbox:
        return checkbox(self.options, name, label=self.labels[name], **kwargs)

    def checkbox_group(self, name: str, **kwargs: Any) -> CheckboxGroup:
        return checkbox_group(self.options, name, label=self.labels[name], **kwargs)

    def build(self, values: Mapping[str, Any], **changes: Any) -> Options:
        """The options from a handler's ``values`` (only the form's options) and ``changes``, validated."""
        chosen = {name: value for name, value in values.items() if name in self.labels}
        try:
            return self.options.build(chosen, **changes)
        except OptionError as err:
            message = str(err)
            for name, label in self.labels.items():
                message = message.replace(f"{self.options.__name__}.{name}", label)
            raise OptionError(message) from None
