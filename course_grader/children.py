"""Child processes that start without the caller's main script."""

from __future__ import annotations

import contextlib
import sys


@contextlib.contextmanager
def main_module_hidden():
    """multiprocessing re-runs the caller's main script in every child it starts from
    a fork server; a child here needs nothing from it (and a script without an
    ``if __name__ == "__main__"`` guard would start its batch again), so the script is
    hidden from it while the child starts."""
    main = sys.modules.get("__main__")
    saved = dict(vars(main)) if main is not None else {}
    try:
        if main is not None:
            main.__dict__.pop("__file__", None)
            main.__spec__ = None
        yield
    finally:
        if main is not None:
            for key in ("__file__", "__spec__"):
                main.__dict__.pop(key, None)
                if key in saved:
                    main.__dict__[key] = saved[key]
