"""What isolation costs per submission: the same grading with and without the sandbox.

One temporary course, one assignment (default: classic_networks), N solved submissions.
Each round grades all of them twice, one job at a time (so that the two runs do not
share the CPUs): with ``--isolation off`` (nbgrader's own kernel, as before the sandbox)
and with the sandbox (``auto``: bubblewrap, limits, own uid, the tamper guard, the
release's structure put back), the order of the two swapped every round. Figures: the
seconds per submission of each (median over submissions and rounds, from the grader's
own timing of each task), and the median of the per-round ratios (each round times both
back to back, so a slow moment of the machine cancels). The scores must agree.

    .venv/bin/python benchmarks/isolation_overhead.py [--assignment A] [--submissions 4]
        [--rounds 3]

``--assignment fixture_two`` grades the two-exercise test fixture (no TensorFlow), where
the overhead is the largest share (a notebook that does almost nothing).
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _course import course_with_submissions

from course_grader.autograde import Options, autograde_batch, isolation_here

REPO = Path(__file__).resolve().parent.parent


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--assignment", default="classic_networks")
    parser.add_argument("--submissions", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    a = args.assignment
    os.environ.setdefault("COURSE_BUDGET", "quick")
    iso = isolation_here("auto")
    print(iso.describe())
    if not iso.isolated:
        sys.exit("no sandbox on this machine: nothing to compare")

    with tempfile.TemporaryDirectory(prefix="bench-isolation-") as tmp:
        course = Path(tmp)
        course_with_submissions(course, a, args.submissions)  # all solved

        seconds = {"off": [], "auto": []}
        ratios, scores = [], {}
        for r in range(args.rounds):
            order = ["off", "auto"] if r % 2 == 0 else ["auto", "off"]
            wall = {}
            for mode in order:
                start = time.perf_counter()
                options = Options(
                    assignments=[a],
                    jobs=1,
                    force=True,
                    progress=False,
                    source_directory="source",
                    isolation=mode,
                )
                report = autograde_batch(course, options)
                wall[mode] = time.perf_counter() - start
                seconds[mode] += [e["seconds"] for e in report.entries]
                scores[mode] = sorted((e["key"], e["score"]) for e in report.entries)
                failed = [e for e in report.entries if e["status"] != "graded"]
                if failed:
                    sys.exit(
                        f"{mode}: {failed[0]['key']} could not be graded: {failed[0]['reason']}"
                    )
                print(f"round {r + 1}: isolation {mode}: {wall[mode]:.1f} s", flush=True)
            ratios.append(wall["auto"] / wall["off"])
        if scores["off"] != scores["auto"]:
            sys.exit(f"the scores differ: {scores}")

    off, on = statistics.median(seconds["off"]), statistics.median(seconds["auto"])
    print(f"\n{a}: {args.submissions} solved submissions x {args.rounds} rounds, one at a time")
    print(f"{'grading':<26} {'median s/submission':>20} {'mean':>7} {'min':>7} {'max':>7}")
    for label, mode in (("without isolation (off)", "off"), ("sandboxed (auto)", "auto")):
        xs = seconds[mode]
        print(
            f"{label:<26} {statistics.median(xs):>20.2f} {statistics.mean(xs):>7.2f} "
            f"{min(xs):>7.2f} {max(xs):>7.2f}"
        )
    print("per-round ratios (sandboxed / off, wall): " + ", ".join(f"{x:.3f}" for x in ratios))
    print(
        f"overhead: {on - off:+.2f} s per submission; median of per-round ratios "
        f"{statistics.median(ratios):.3f} ({(statistics.median(ratios) - 1) * 100:+.1f}%)"
    )


if __name__ == "__main__":
    main()
