"""The expected values the checks compare with.

Where the instructor's reference solutions are installed (``course_reference``, which
registers itself under the entry point group ``course_utils.expected``), an expected
value is computed live from them, so a new Keras cannot silently break a check. Where
they are not (a student's copy of the course, a grading kernel's sandbox), it is read
from ``course_utils/recorded/<assignment>.json``, recorded from the same reference when
the assignment is released. Those files hold only what the public checks use: the
values of the trusted checker's hidden checks are never recorded.

``course_utils`` never imports ``course_reference``: the entry point is looked up by
name, and a provider that cannot be imported (a sandbox that does not see it) is the
same as none.

Example::

    want = expected("classic_networks.lenet5")   # {"layers": [...], "output": [...]}
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from ..guard import CheckFailure

RECORDED = Path(__file__).resolve().parent.parent / "recorded"
ENTRY_POINT_GROUP = "course_utils.expected"

_live: list[Callable | None] = []  # the provider found (or None), looked up once


def live_provider() -> Callable | None:
    """The function ``key -> value`` of an installed reference, or None.

    It raises ``KeyError`` for a key it does not compute (a measured value, which is
    always read from the recorded file)."""
    if not _live:
        from importlib.metadata import entry_points

        provider = None
        for point in entry_points(group=ENTRY_POINT_GROUP):
            try:
                provider = point.load()
            except ImportError:  # registered, but not visible here (a sandbox)
                continue
            break
        _live.append(provider)
    return _live[0]


def recorded(key: str, folder: Path | None = None):
    """The value of ``key`` in ``folder/<assignment>.json`` (default: :data:`RECORDED`)."""
    assignment = key.split(".")[0]
    path = Path(folder if folder is not None else RECORDED) / f"{assignment}.json"
    try:
        return json.loads(path.read_text())["values"][key]
    except (OSError, ValueError, KeyError) as exc:
        raise CheckFailure(
            f"the expected values for {key!r} are missing ({path}: {exc}); this copy of the "
            "course is incomplete - ask your instructor for a fresh release."
        ) from exc


def expected(key: str):
    """The expected value of ``key``: live from the reference where it is installed,
    else recorded."""
    provider = live_provider()
    if provider is not None:
        try:
            return provider(key)
        except KeyError:
            pass
    return recorded(key)


def versions() -> dict:
    """The library versions an expected value was computed with."""
    import keras
    import numpy as np

    found = {"keras": keras.__version__, "numpy": np.__version__}
    try:
        import tensorflow as tf

        found["tensorflow"] = tf.__version__
    except ImportError:  # pragma: no cover - another Keras backend
        pass
    return found
