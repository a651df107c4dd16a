"""Submissions graded per minute: plain serial nbgrader vs `course autograde`.

One temporary course, one assignment (default: classic_networks), N submissions
(solved and blank, alternating). The same submissions are graded by

1. plain ``nbgrader autograde <a> --create --force`` - one process, one submission
   after another (what an instructor would otherwise run);
2. ``course_grader.autograde.autograde_batch(jobs=J)`` - J local processes, one writer;
3. the same on a Dask ``LocalCluster`` of J worker processes (the ``--scheduler`` path).

Each method grades every submission again (force), in turn (order reversed every
round), and the scores must agree across methods. Figures: wall time, submissions per
minute, the ratio to serial, the core-seconds the machine was busy meanwhile (how much
of the CPUs each method kept working), the peak memory of one grading kernel (sampled),
and, for ours, the trusted checker's own seconds per submission against the notebook's
(from the ledger).

`--assignment fixture` grades the test fixture (one exercise, no TensorFlow), where
what is measured is the grader's own cost per submission.

    .venv/bin/python benchmarks/autograde_throughput.py [--assignment A] [--submissions 8]
        [--jobs 2] [--rounds 1] [--no-dask]
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

from _course import course_with_submissions
from nbgrader.api import Gradebook

from course_grader.autograde import Options, autograde_batch, read_ledger
from course_grader.course import run_nbgrader

REPO = Path(__file__).resolve().parent.parent


def busy_core_seconds() -> float:
    """CPU time spent by the whole machine so far (all processes, /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class KernelPeak:
    """The largest resident memory of any one grading kernel (its process tree, sampled
    every 0.2 s) while the block runs, in MB."""

    def __enter__(self):
        import threading

        self.peak, self._stop = 0.0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        import psutil

        while not self._stop.wait(0.2):
            for proc in psutil.process_iter(["cmdline"]):
                try:
                    if "ipykernel_launcher" not in " ".join(proc.info["cmdline"] or []):
                        continue
                    tree = [proc, *proc.children(recursive=True)]
                    rss = sum(p.memory_info().rss for p in tree) / 2**20
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                self.peak = max(self.peak, rss)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        return False


def scores(course: Path, assignment: str) -> dict[str, float]:
    with Gradebook(f"sqlite:///{course / 'build' / 'gradebook.db'}") as gb:
        return {s.student.id: s.score for s in gb.assignment_submissions(assignment)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--assignment", default="classic_networks")
    parser.add_argument("--submissions", type=int, default=8)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--no-dask", action="store_true")
    args = parser.parse_args()
    a = args.assignment
    os.environ.setdefault("COURSE_BUDGET", "quick")

    with tempfile.TemporaryDirectory(prefix="bench-autograde-") as tmp:
        course = Path(tmp)
        course_with_submissions(course, a, args.submissions, blank_every=2)  # half blank

        def serial():
            run_nbgrader(course, "autograde", a, "--create", "--force")

        def ours():
            options = Options(
                assignments=[a],
                jobs=args.jobs,
                force=True,
                progress=False,
                source_directory="source",
            )
            autograde_batch(course, options)

        methods = {
            "nbgrader autograde (serial)": serial,
            f"course autograde --jobs {args.jobs}": ours,
        }
        cluster = client = None
        if not args.no_dask:
            import dask
            from distributed import Client, LocalCluster

            # workers that are not daemons may start processes: the fork server
            dask.config.set({"distributed.worker.daemon": False})
            cluster = LocalCluster(
                n_workers=args.jobs, threads_per_worker=1, processes=True, dashboard_address=None
            )
            client = Client(cluster)

            def dask():
                options = Options(
                    assignments=[a],
                    scheduler=client,
                    force=True,
                    progress=False,
                    source_directory="source",
                )
                autograde_batch(course, options)

            methods[f"course autograde on Dask ({args.jobs} workers)"] = dask

        times: dict[str, list[float]] = {name: [] for name in methods}
        busy: dict[str, list[float]] = {name: [] for name in methods}
        peaks: dict[str, float] = dict.fromkeys(methods, 0.0)
        found: dict[str, dict] = {}
        shares = []  # (checker seconds, whole grading seconds) per submission, ours
        try:
            for r in range(args.rounds):
                order = list(methods) if r % 2 == 0 else list(reversed(methods))
                for name in order:
                    start, cpu = time.perf_counter(), busy_core_seconds()
                    with KernelPeak() as peak:
                        methods[name]()
                    times[name].append(time.perf_counter() - start)
                    busy[name].append(busy_core_seconds() - cpu)
                    peaks[name] = max(peaks[name], peak.peak)
                    found[name] = scores(course, a)
                    if name.startswith("course autograde --jobs"):
                        shares += [
                            (e["checker_seconds"], e["seconds"])
                            for e in read_ledger(course).values()
                            if "checker_seconds" in e
                        ]
                    print(
                        f"round {r + 1}: {name}: {times[name][-1]:.1f} s, "
                        f"{busy[name][-1]:.0f} core-seconds busy",
                        flush=True,
                    )
        finally:
            if client is not None:
                client.close()
                cluster.close()

    n = args.submissions
    base = min(times["nbgrader autograde (serial)"])
    print(
        f"\n{a}: {n} submissions (half solved, half blank), {os.cpu_count()} CPUs, "
        f"best of {args.rounds} round(s)"
    )
    head = f"{'method':<40} {'wall s':>8} {'subs/min':>9} {'vs serial':>10} {'core-s':>7}"
    print(head + f" {'core-s/sub':>10} {'kernel MB':>10}")
    for name, ts in times.items():
        best = min(ts)
        cpu = busy[name][ts.index(best)]
        print(
            f"{name:<40} {best:8.1f} {n / best * 60:9.2f} {base / best:9.2f}x {cpu:7.0f} "
            f"{cpu / n:10.1f} {peaks[name]:10.0f}"
        )
    if shares:
        checker = sorted(c for c, _ in shares)[len(shares) // 2]
        whole = sorted(w for _, w in shares)[len(shares) // 2]
        print(
            f"the trusted checker: median {checker:.1f} s per submission of the "
            f"{whole:.1f} s its grading takes ({checker / whole:.0%}; the notebook's "
            f"execution is the rest, {checker / max(whole - checker, 1e-9):.0%} of it)"
        )
    reference = found["nbgrader autograde (serial)"]
    for name, got in found.items():
        assert got == reference, f"{name} gave other scores: {got} vs {reference}"
    print(f"scores agree across methods: {sorted(set(reference.values()))}")


if __name__ == "__main__":
    main()
