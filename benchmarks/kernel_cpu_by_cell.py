"""Where a grading kernel's CPU goes: seconds per cell of a solved notebook, and per
group of the trusted checker's questions, asked right after each graded test cell as
the grader asks them (a measuring tool, not part of `make bench`, like peak_memory.py).

The notebook runs in a plain kernel, not the sandbox, but with the reference hidden from
the public checks (they read ``course_utils/recorded/``, as in the sandbox), in the
quick budget. Each cell is followed by a silent probe cell that prints the kernel's CPU
time (all its threads) and resident memory, so the figures are CPU-seconds, which a busy
machine disturbs far less than wall time.

    .venv/bin/python benchmarks/kernel_cpu_by_cell.py [classic_networks]
"""

import os
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parent.parent


def main():
    a = sys.argv[1] if len(sys.argv) > 1 else "classic_networks"
    import course_reference
    from course_grader.checker.exercises import load
    from course_grader.checker.plan import make_plan

    nb = nbformat.read(REPO / "notebooks" / a / f"{a}.ipynb", as_version=4)
    tmp = Path(tempfile.mkdtemp(prefix="kernel-cpu-"))
    try:
        source = (REPO / "course_grader" / "checker" / "exercises" / f"{a}.py").read_text()
        groups = make_plan(load(source, a), 12345, tmp / "requests", course_reference)
        os.environ["COURSE_BUDGET"] = "quick"
        client = NotebookClient(
            nb, timeout=600, kernel_name="python3",
            resources={"metadata": {"path": str(REPO / "notebooks" / a)}},
        )  # fmt: skip
        probe = nbformat.v4.new_code_cell(
            "print(__import__('time').process_time(), "
            "__import__('psutil').Process().memory_info().rss >> 20)"
        )

        def run(cell, index):
            client.execute_cell(cell, index)
            nb.cells.append(probe)
            client.execute_cell(probe, len(nb.cells) - 1)
            nb.cells.pop()
            # a print may arrive as several stream messages: read them all
            text = "".join(o.get("text", "") for o in probe.outputs if o.output_type == "stream")
            seconds, mb = text.split()[-2:]
            probe.outputs = []
            return float(seconds), int(mb)

        totals = {"cells": 0.0, "questions": 0.0}
        with client.setup_kernel():
            # as in the sandbox: no live reference, the public checks read the recorded
            # values (fails loudly if this Keras/course_utils looks the provider up otherwise)
            hide = (
                "import course_utils.checks.expected_values as e; e._live[:] = [None]; "
                "assert e.live_provider() is None"
            )
            last, _ = run(nbformat.v4.new_code_cell(hide), 0)
            print(f"{'CPU s':>6} {'RSS MB':>7}  cell")
            for index, cell in enumerate(list(nb.cells)):
                if cell.cell_type != "code":
                    continue
                now, mb = run(cell, index)
                gid = (cell.metadata.get("nbgrader") or {}).get("grade_id", "")
                first = cell.source.splitlines()[0][:50] if cell.source else ""
                print(f"{now - last:6.2f} {mb:7d}  {index:3d} {gid:28s} {first}")
                totals["cells"] += now - last
                last = now
                group = next((g for g in groups if g["grade_id"] == gid), None)
                if group:
                    target = tmp / "exchange" / group["folder"]
                    shutil.copytree(tmp / "requests" / group["folder"], target)
                    ask = f"__import__('course_utils.oracle').oracle.answer({str(target)!r})"
                    nb.cells.append(nbformat.v4.new_code_cell(ask))
                    now, mb = run(nb.cells[-1], len(nb.cells) - 1)
                    nb.cells.pop()
                    print(f"{now - last:6.2f} {mb:7d}      the checker's questions of {gid}")
                    totals["questions"] += now - last
                    last = now
        print(
            f"\nkernel CPU: {totals['cells']:.1f} s in the notebook's cells, "
            f"{totals['questions']:.1f} s answering the checker's questions"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
