"""A student's result as plain data, the only form a check compares.

Example::

    plain((3, np.int64(4), [0.5])) == [3, 4, [0.5]]
"""

from __future__ import annotations

import numpy as np

_PLAIN = (int, float, str, bool, type(None))


def article(word: str) -> str:
    """'a Conv2D', 'an AveragePooling2D'."""
    return ("an " if word[:1].upper() in "AEIOU" else "a ") + word


def plain(value):
    """``value`` as plain data - lists, dicts with string keys, and the exact types int,
    float, str, bool and None - to compare with (or record as) an expected value.

    Tuples become lists and numpy scalars their Python value. Anything else becomes the
    string ``"<a Name object>"``, which equals no expected value: an object whose
    ``__eq__`` says yes to everything (or an int subclass that does) earns nothing,
    because the comparison never calls its code."""
    if isinstance(value, tuple | list):
        return [plain(v) for v in list(value)]
    if isinstance(value, dict):
        return {k if type(k) in _PLAIN else str(k): plain(v) for k, v in dict(value).items()}
    if isinstance(value, np.generic) and type(value).__module__ == "numpy":
        return plain(value.item())
    if type(value) in _PLAIN:
        return value
    return f"<{article(type(value).__name__)} object>"


def close(got, want, rtol: float = 1e-9, atol: float = 1e-12) -> bool:
    """``got == want`` for plain data, floats compared with a tolerance (a float recorded
    on one machine and computed on another may differ in its last digit)."""
    if isinstance(want, float) or isinstance(got, float):
        if isinstance(got, bool) or isinstance(want, bool):
            return got == want
        if not isinstance(got, int | float) or not isinstance(want, int | float):
            return False
        return bool(np.isclose(got, want, rtol=rtol, atol=atol))
    if isinstance(want, list):
        return (
            isinstance(got, list)
            and len(got) == len(want)
            and all(close(g, w, rtol, atol) for g, w in zip(got, want, strict=True))
        )
    if isinstance(want, dict):
        return (
            isinstance(got, dict)
            and got.keys() == want.keys()
            and all(close(got[k], want[k], rtol, atol) for k in want)
        )
    return type(got) is type(want) and got == want
