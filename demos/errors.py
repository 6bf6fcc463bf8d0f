"""Errors a visitor reads: our messages as ``gr.Error``, one log line for a user error, a traceback only for a bug."""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from typing import Any

import gradio as gr

from synth.images import InvalidImage
from synth.models import UnknownModel
from synth.options import shorten
from synth.weights import WeightsUnavailable

__all__ = ["USER_ERRORS", "handler", "require_image"]

log = logging.getLogger("synth.app")

#: Errors whose message is written for the user (``OptionError`` and ``LimitExceeded`` are ValueErrors).
USER_ERRORS = (InvalidImage, WeightsUnavailable, UnknownModel, ValueError)
#: Characters of a user error's message written to the log.
LOGGED = 160


def _convert(name: str, err: Exception) -> gr.Error:
    if isinstance(err, gr.Error):  # ours: a message for the user, not a bug
        log.info("%s: refused: %s", name, shorten(str(err.message), LOGGED))
        err.print_exception = False
        return err
    if isinstance(err, USER_ERRORS):
        log.info("%s: refused: %s", name, shorten(str(err), LOGGED))
        return gr.Error(str(err), print_exception=False)
    log.exception("unexpected error in %s", name)
    return gr.Error(f"Something went wrong ({type(err).__name__}). The server keeps running; try other settings.")


def handler(fn: Callable) -> Callable:
    """Turn our errors into readable ``gr.Error`` messages (for functions and generators).

    A user error (:data:`USER_ERRORS`, or a ``gr.Error`` we raise) is shown as it is and
    logged as one line naming the handler; anything else is a bug: logged with its
    traceback and shown as one line, and the server keeps serving.
    """
    name = fn.__name__

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def generator(*args: Any, **kwargs: Any):
            try:
                yield from fn(*args, **kwargs)
                return
            except Exception as err:
                error = _convert(name, err)
            raise error  # outside the except block: no __context__ chaining to the failed frames

        return generator

    # The gr.Error is raised outside the ``except`` block, so it does not carry the
    # original exception as its __context__: that traceback holds the handler's frames
    # (a half-built model, decoded images), and Gradio keeps the error it reports. Measured
    # with tests/test_bad_input.py: +206 MB of server memory per failed pix2pix click.
    @functools.wraps(fn)
    def function(*args: Any, **kwargs: Any):
        try:
            return fn(*args, **kwargs)
        except Exception as err:
            error = _convert(name, err)
        raise error

    return function


def require_image(path: str | None, what: str = "an image") -> str:
    """The upload's path, or a clear error when nothing was uploaded."""
    if not path:
        raise gr.Error(f"Please upload {what} or click one of the examples first.", print_exception=False)
    return path
