"""Value checks: a student's function called on recorded cases, its results compared as
plain data (:func:`~course_utils.checks.plain.plain`) with the reference's.

Each check has two halves, as the model checks do: calling the student's function
(student code) and a judge that compares plain data only, which the trusted checker of
the grader runs on what the student's kernel answered.

Example (a test cell)::

    check_cases(conv_output_shape, "classic_networks.conv_output_shape", "Exercise 1 - ...")
"""

from __future__ import annotations

from ..guard import fail, student_code
from .calls import call_text, number_text
from .expected_values import expected
from .plain import close, plain
from .stand_ins import with_correct


def case_arguments(case: dict) -> tuple[list, dict]:
    """A recorded case's positional arguments (lists passed as tuples) and keywords."""
    args = [tuple(a) if isinstance(a, list) else a for a in case["args"]]
    return args, dict(case.get("kwargs", {}))


def judge_case(name: str, case: dict, got, exercise: str, hint: str = "") -> None:
    """Fail unless ``got`` (the student's result, any Python value) equals the case's
    ``result`` as plain data."""
    want, found = case["result"], plain(got)
    if not close(found, want):
        args, kwargs = case_arguments(case)
        # lists shown as tuples: the same message whether the value came from the
        # student's kernel as a tuple or through the checker as JSON
        want_text = tuple(want) if isinstance(want, list) else want
        got_text = tuple(found) if isinstance(found, list) else found
        fail(
            exercise,
            f"{call_text(name, args, kwargs)} should return {number_text(want_text)}, "
            f"found {number_text(got_text)}.",
            hint,
        )


def check_cases(function, key: str, exercise: str, hint: str = "", uses: tuple = ()):
    """Call the student's ``function`` on each recorded case of ``key`` and compare with
    the reference's result. A case is ``{"args": [...], "kwargs": {...}, "result": ...}``.
    The first difference fails with the call written out, the expected and the found
    result, and ``hint``. ``uses``: names of earlier exercises' functions that
    ``function`` calls, replaced by stand-ins while it runs (see
    :func:`~course_utils.checks.stand_ins.with_correct`). Returns the number of cases."""
    cases = expected(key)
    for case in cases:
        args, kwargs = case_arguments(case)
        with student_code(exercise), with_correct(function, *uses):
            got = function(*args, **kwargs)
        judge_case(function.__name__, case, got, exercise, hint)
    return len(cases)


def judge_value(got, want, exercise: str, what: str = "the result") -> None:
    """Fail unless ``got`` equals ``want`` as plain data."""
    found = plain(got)
    if not close(found, want):
        fail(exercise, f"{what} should be {want!r}, found {found!r}.")


def check_value(compute, key: str, exercise: str, what: str = "the result"):
    """Compare ``compute()`` - the student's code, a plain value (numbers, tuples,
    lists) - with the reference's. Returns the student's value."""
    want = expected(key)
    with student_code(exercise):
        value = compute()
    judge_value(value, want, exercise, what)
    return value
