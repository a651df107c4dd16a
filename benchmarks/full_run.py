"""Run an assignment notebook with its full training budget (the figures its text quotes).

    .venv/bin/python benchmarks/full_run.py benchmark_tricks [--out build/full]
        [--stop-after "the recipe loses"]    # up to the first cell that holds this text

The solved source notebook is executed top to bottom without ``COURSE_BUDGET`` (so every
``budget.pick`` takes its ``full`` value). What each cell prints is echoed here as it
comes, with the cell's number and the seconds since the start, and the executed notebook
is saved after every cell to ``OUT/<assignment>.ipynb`` (written to a temporary file and
renamed), so a run stopped after an hour keeps what it measured. A measuring tool, not
part of ``make bench``: a full run of benchmark_tricks takes over an hour on two cores.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def save(nb, path: Path) -> None:
    """Write ``nb`` to ``path`` whole or not at all."""
    partial = path.with_suffix(".ipynb.partial")
    nbformat.write(nb, partial)
    partial.replace(path)


class EchoingClient(NotebookClient):
    """A notebook client that also prints what the kernel prints, as it comes: a cell
    that trains for half an hour shows each row of its table when it is measured."""

    def output(self, outs, msg, display_id, cell_index):
        if msg["msg_type"] == "stream" and msg["content"].get("name") == "stdout":
            print(msg["content"].get("text", ""), end="", flush=True)
        return super().output(outs, msg, display_id, cell_index)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignment", help="a folder of notebooks/, e.g. benchmark_tricks")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "full")
    parser.add_argument("--timeout", type=int, default=4 * 3600, help="seconds per cell")
    parser.add_argument(
        "--stop-after",
        metavar="TEXT",
        help="stop after the first code cell whose source holds TEXT (the rest is not run)",
    )
    args = parser.parse_args(argv)
    source = ROOT / "notebooks" / args.assignment / f"{args.assignment}.ipynb"
    if not source.is_file():
        parser.error(f"{source} does not exist: name a folder of notebooks/")
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / source.name
    nb = nbformat.read(source, 4)
    if args.stop_after:
        code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
        last = next((i for i in code if args.stop_after in nb.cells[i].source), None)
        if last is None:
            parser.error(f"no code cell of {source.name} holds {args.stop_after!r}")
        nb.cells = nb.cells[: last + 1]
    # stopped with kill: leave through the finally below, which saves, and nbclient's
    # clean-up, which stops the kernel
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    os.environ.pop("COURSE_BUDGET", None)  # the kernel inherits this process's environment
    start = time.perf_counter()

    def after_cell(cell, cell_index, **_):
        print(f"[cell {cell_index} done, {time.perf_counter() - start:.0f} s]", flush=True)
        save(client.nb, target)

    client = EchoingClient(
        nb,
        timeout=args.timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(source.parent)}},
        on_cell_executed=after_cell,
    )
    try:
        client.execute()
    finally:
        save(client.nb, target)
        print(f"{target}: {time.perf_counter() - start:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
