"""Reading what the student's kernel answered: every file size-capped, opened without
following links, arrays without pickle, JSON parsed into plain data only.

A kernel may write anything into its exchange folder; nothing here trusts it. An answer
that is missing, too large, of the wrong shape or not what it claims is a failed case
with a message, never an error of the grader.

Example::

    answers = read_answers(folder)                  # {question id: dict}
    array = read_array(folder, answers["q2"]["array"], (2, 10, 4, 4, 2))
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import numpy as np

MAX_ANSWERS_BYTES = 50_000_000
MAX_ARRAY_BYTES = 200_000_000
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,200}$")


class BadAnswer(ValueError):
    """An answer the checker cannot use; the message says why, for the student."""


def read_file(folder: Path, name, max_bytes: int) -> bytes:
    """The bytes of the regular file ``folder/name``: a plain name (no folder, no link),
    at most ``max_bytes``."""
    if not isinstance(name, str) or not _NAME.match(name) or name in (".", ".."):
        raise BadAnswer(f"the kernel named an answer file {str(name)[:80]!r}")
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(Path(folder) / name, flags)
    except OSError as exc:
        raise BadAnswer(f"the answer file {name} cannot be read ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise BadAnswer(f"the answer file {name} is not a file")
        if info.st_size > max_bytes:
            raise BadAnswer(
                f"the answer file {name} is {info.st_size:,} bytes (at most {max_bytes:,})"
            )
        chunks, left = [], max_bytes + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > max_bytes:
            raise BadAnswer(f"the answer file {name} grew past {max_bytes:,} bytes")
        return data
    finally:
        os.close(fd)


def read_answers(folder: Path) -> dict:
    """``answers.json`` of a request folder: ``{question id: answer dict}`` (empty when the
    kernel wrote none)."""
    try:
        data = read_file(folder, "answers.json", MAX_ANSWERS_BYTES)
    except BadAnswer:
        return {}
    try:
        answers = json.loads(data)
    except (ValueError, RecursionError):
        return {}
    if not isinstance(answers, dict):
        return {}
    return {k: v for k, v in answers.items() if isinstance(k, str) and isinstance(v, dict)}


def read_array(folder: Path, name, shape: tuple | None = None) -> np.ndarray:
    """A float64 array from an ``.npy`` answer (no pickle); with ``shape``, its header is
    read first and a different shape is a :class:`BadAnswer` that says both."""
    import io

    data = read_file(folder, name, MAX_ARRAY_BYTES)
    stream = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            found_shape, _, dtype = np.lib.format.read_array_header_1_0(stream)
        else:
            found_shape, _, dtype = np.lib.format.read_array_header_2_0(stream)
        if dtype.hasobject:
            raise BadAnswer("the answer is an array of Python objects")
        if shape is not None and tuple(found_shape) != tuple(shape):
            raise BadAnswer(f"shape {tuple(shape)} expected, found {tuple(found_shape)}")
        stream.seek(0)
        array = np.load(stream, allow_pickle=False)
    except BadAnswer:
        raise
    except Exception as exc:  # noqa: BLE001 - not an .npy file after all
        raise BadAnswer(f"the answer is not an array ({type(exc).__name__})") from None
    try:
        return np.asarray(array, dtype="float64")
    except (TypeError, ValueError):
        raise BadAnswer(f"the answer is an array of {array.dtype}, not numbers") from None


def read_weights(folder: Path, name, count: int) -> list[np.ndarray]:
    """The ``count`` arrays ``w0 ... w{count-1}`` of an ``.npz`` answer (no pickle)."""
    import io
    import zipfile

    data = read_file(folder, name, MAX_ARRAY_BYTES)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(i.file_size for i in archive.infolist()) > MAX_ARRAY_BYTES:
                raise BadAnswer("the weights unpack to more than the checker reads")
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            if sorted(npz.files) != sorted(f"w{i}" for i in range(count)):
                raise BadAnswer(f"{len(npz.files)} weight arrays, {count} expected")
            return [np.asarray(npz[f"w{i}"], dtype="float64") for i in range(count)]
    except BadAnswer:
        raise
    except Exception as exc:  # noqa: BLE001
        raise BadAnswer(f"the weights cannot be read ({type(exc).__name__})") from None
