"""How much heavy work a notebook does: the one place training cells read their budget.

Students run the ``full`` budget (the default). CI and the autograder set the
environment variable ``COURSE_BUDGET=quick`` so that every training cell runs a short
version; checks never depend on which budget ran.

Example
-------
>>> from course_utils.budget import pick
>>> epochs = pick(full=20, quick=2)  # doctest: +SKIP
"""

from __future__ import annotations

import os
from typing import TypeVar

T = TypeVar("T")

ENV_VAR = "COURSE_BUDGET"
BUDGETS = ("full", "quick")


def current() -> str:
    """Return the active budget, ``"full"`` or ``"quick"``.

    Raises
    ------
    ValueError
        If ``COURSE_BUDGET`` holds anything else (a typo must not silently train for
        an hour in CI).
    """
    value = os.environ.get(ENV_VAR, "full").strip().lower() or "full"
    if value not in BUDGETS:
        raise ValueError(
            f"{ENV_VAR}={os.environ[ENV_VAR]!r} is not a budget; use one of {BUDGETS} "
            f"(or unset it for the full budget)."
        )
    return value


def is_quick() -> bool:
    """True when the quick budget (CI, autograder) is active."""
    return current() == "quick"


def pick(full: T, quick: T) -> T:
    """Return ``full`` or ``quick`` according to the active budget."""
    return quick if is_quick() else full


def describe(**values: tuple[object, object]) -> str:
    """One line saying which budget ran and what it means, for a notebook to print.

    Each keyword is a setting given as ``(full, quick)``.

    >>> import os; os.environ.pop("COURSE_BUDGET", None) and None
    >>> describe(epochs=(20, 2))
    'Budget: full (epochs=20).'
    """
    budget = current()
    index = 1 if budget == "quick" else 0
    parts = ", ".join(f"{name}={pair[index]}" for name, pair in values.items())
    text = f"Budget: {budget} ({parts})." if parts else f"Budget: {budget}."
    if budget == "quick":
        full = ", ".join(f"{name}={pair[0]}" for name, pair in values.items())
        text += f" This is the short CI/autograder run; the full run uses {full}."
    return text
