"""Text a submission chose, made safe to print on the instructor's terminal.

A file name or an error message may hold control characters: a carriage return or
"cursor up, erase line" rewrites the lines already printed (a fake "0 file(s)
rejected"), an OSC sequence sets the window title or plants a hyperlink. Every line the
``course`` command prints goes through :func:`safe`: every C0 and C1 control character
but the newline and the tab (and DEL) is written as a visible escape, ``\\x1b`` or
``\\u009b``, so nothing in it can act on the terminal, and the text stays readable.

Example::

    print(safe(f"rejected {name}: {reason}"))
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe(text) -> str:
    """``text`` with every control character (C0 and C1, DEL, and the Unicode line
    separators and bidirectional overrides that reorder what is shown) escaped."""
    return _CONTROL.sub(_escape, str(text))


def safe_print(*parts, **kwargs) -> None:
    """``print`` with every part made :func:`safe`."""
    print(*(safe(p) for p in parts), **kwargs)


class SafeStream:
    """A text stream that writes everything :func:`safe` - what ``course`` prints goes
    through one (``sys.stdout`` and ``sys.stderr`` while a command runs). ``raw`` is the
    stream itself, for the progress bar's own carriage returns."""

    def __init__(self, raw):
        self.raw = raw

    def write(self, text: str) -> int:
        self.raw.write(safe(text))
        return len(text)

    def flush(self) -> None:
        self.raw.flush()

    def isatty(self) -> bool:
        return hasattr(self.raw, "isatty") and self.raw.isatty()

    def __getattr__(self, name):
        return getattr(self.raw, name)
