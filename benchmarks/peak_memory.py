"""The most memory the machine had in use while a command ran.

Sampled every ``--every`` seconds as MemTotal - MemAvailable (/proc/meminfo, Linux), so
it counts every process the command starts - kernels, browsers, servers - and whatever
else the machine runs meanwhile (the figure printed first is that baseline).

    .venv/bin/python benchmarks/peak_memory.py -- make test
    .venv/bin/python benchmarks/peak_memory.py --every 1 -- make test PYTEST_ARGS="-m 'not slow'"
"""

import argparse
import subprocess
import sys
import threading
import time
from pathlib import Path


def used_mb() -> float:
    """MemTotal - MemAvailable, in MB."""
    fields = {}
    for line in Path("/proc/meminfo").read_text().splitlines():
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0])  # kB
    return (fields["MemTotal"] - fields["MemAvailable"]) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--every", type=float, default=2.0, help="seconds between samples")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command, after --")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to measure after --")
    baseline, peak, stop = used_mb(), [0.0], threading.Event()

    def sample():
        while not stop.wait(args.every):
            peak[0] = max(peak[0], used_mb())

    thread = threading.Thread(target=sample, daemon=True)
    start = time.perf_counter()
    thread.start()
    code = subprocess.call(command)
    stop.set()
    thread.join()
    peak[0] = max(peak[0], used_mb())
    print(
        f"peak_memory: in use before {baseline:,.0f} MB, at most {peak[0]:,.0f} MB while "
        f"it ran ({peak[0] - baseline:,.0f} MB more); {time.perf_counter() - start:,.0f} s; "
        f"exit status {code}",
        file=sys.stderr,
    )
    return code


if __name__ == "__main__":
    sys.exit(main())
