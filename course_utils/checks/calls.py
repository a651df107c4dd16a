"""Calling the student's code from a check, and writing the call out in a message.

Example::

    got = call_student("Exercise 4 - ten_crop", "ten_crop(images, 4)", ten_crop, images, 4)
"""

from __future__ import annotations

import numpy as np

from ..guard import CheckFailure, fail, first_line, student_code


def call_student(exercise: str, call: str, function, *args, hint: str = "", **kwargs):
    """``function(*args, **kwargs)`` as student code: an error in it fails the check,
    naming the ``call`` (written out) and the error."""
    with student_code(exercise):
        try:
            return function(*args, **kwargs)
        except (CheckFailure, NotImplementedError):
            raise
        except Exception as exc:  # noqa: BLE001 - any error in it is the answer's
            fail(exercise, f"{call} raised {type(exc).__name__}: {first_line(exc)}", hint)


def same_shape(exercise: str, call: str, got, want, hint: str) -> np.ndarray:
    """``got`` as a float64 array of ``want``'s shape, or a failure that says the shapes."""
    try:
        array = np.asarray(got, dtype="float64")
    except (TypeError, ValueError):
        fail(exercise, f"{call} should return an array of shape {np.shape(want)}, found "
             f"{type(got).__name__}.", hint)  # fmt: skip
    if array.shape != np.shape(want):
        fail(exercise, f"{call} should return shape {np.shape(want)}, found {array.shape}.", hint)
    return array


def number_text(value) -> str:
    """120422400 -> '120,422,400'; a tuple of ints in Python's own digit grouping,
    (120_422_400, 12_443_648), so that its commas stay separators; anything else as
    repr."""
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return f"{int(value):,}"
    if isinstance(value, tuple) and value and all(isinstance(v, int) for v in value):
        return f"({', '.join(f'{v:_}' for v in value)}{',' if len(value) == 1 else ''})"
    return repr(value)


def call_text(name: str, args, kwargs) -> str:
    """``name(arg, ..., key=value)`` as Python would write the call."""
    parts = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"
