"""How a check fails, and the guard against calling a function that computes the answer.

A failing check raises :class:`CheckFailure` (an ``AssertionError``, so nbgrader scores
the cell 0) whose message names the exercise, what was expected, what was found and one
hint (:func:`fail` writes it).

:func:`student_code` marks the stretch of a check that runs the student's code; inside
it, a function decorated with :func:`not_an_answer` (``course_utils.cost``, which counts
a convolution's cost, or a reference solution where one is installed) refuses to run, so
an answer that just calls it learns why it earns nothing. This is for teaching, not for
grading: grades are decided by the trusted checker outside the student's kernel, which a
patched guard cannot reach.

Example::

    with student_code("Exercise 1 - conv_output_shape"):
        got = conv_output_shape((32, 32, 1), 6, 5)
"""

from __future__ import annotations

import contextlib
import re


class CheckFailure(AssertionError):
    """A check failed; the message says where, what was expected, what was found, and a hint."""


def fail(exercise: str, text: str, hint: str = "") -> None:
    """Raise :class:`CheckFailure` with the message ``"<exercise>: <text>\\n  Hint: <hint>"``."""
    message = f"{exercise}: {text}"
    if hint:
        message += f"\n  Hint: {hint}"
    raise CheckFailure(message)


def first_line(exc: BaseException) -> str:
    """The line of an error message that says what went wrong (Keras puts "Exception
    encountered when calling ..." first, and colours the rest)."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    useful = [line for line in lines if not line.startswith("Exception encountered")]
    return (useful or lines or [""])[0][:300]


_guarded: list[str] = []  # the exercises whose student code is running now
_standing_in: list[str] = []  # stand-ins running now (they may call guarded helpers)


@contextlib.contextmanager
def student_code(exercise: str):
    """Run a student's code: within the block, a :func:`not_an_answer` function refuses
    to run, and the released stub's ``raise NotImplementedError()`` is reported as an
    exercise not written yet, not as a bug."""
    _guarded.append(exercise)
    try:
        yield
    except NotImplementedError:
        fail(
            exercise,
            "not written yet: the exercise still raises NotImplementedError.",
            "replace the `raise NotImplementedError()` line in the exercise cell with your "
            "code, run that cell, then run this check again.",
        )
    finally:
        _guarded.pop()


@contextlib.contextmanager
def standing_in(name: str):
    """Within the block a stand-in (``course_utils.checks.stand_ins``) is computing: it
    may use a guarded helper (a stand-in for ``conv_output_shape`` counts with
    ``course_utils.cost``)."""
    _standing_in.append(name)
    try:
        yield
    finally:
        _standing_in.pop()


def running_exercise() -> str | None:
    """The exercise whose student code is running now, if any."""
    return _guarded[-1] if _guarded else None


def not_an_answer(what: str):
    """Decorator factory: the decorated function refuses to run inside :func:`student_code`.

    ``what`` says what it is in the message (for example "the reference solution" or
    "course_utils.cost, which computes the answer for you")."""

    def decorate(fn):
        def wrapper(*args, **kwargs):
            if _guarded and not _standing_in:
                fail(
                    _guarded[-1],
                    f"your answer calls {fn.__name__}(), {what}; that earns no points.",
                    "write it yourself, as the exercise shows.",
                )
            return fn(*args, **kwargs)

        for attribute in ("__module__", "__name__", "__qualname__", "__doc__"):
            setattr(wrapper, attribute, getattr(fn, attribute))
        wrapper.unguarded = fn  # for the code that may call it (stand-ins, the reference)
        return wrapper

    return decorate


reference_solution = not_an_answer("the reference solution")
reference_solution.__doc__ = (
    "Mark a reference solution (``course_reference``): it refuses to run for student code."
)
