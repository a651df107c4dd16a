"""Record the expected values of the public checks into ``course_utils/recorded/``.

The files are what a student's copy of the course (and a grading kernel, which cannot
see this package) compares with. Built models and computed values come from the live
reference; measured values (a training run, ``MEASURED``) are kept from the existing
file unless ``measure=True`` runs them again (minutes). Each file says which library
versions computed it.

    .venv/bin/python -m course_reference.record              # every assignment
    .venv/bin/python -m course_reference.record inception --measure
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from course_utils.checks.expected_values import RECORDED, versions

from . import BUILDERS, MEASURED, VALUES, compute, keys


def record(
    assignment: str,
    folder: Path = RECORDED,
    wanted: list[str] | None = None,
    measured_from: Path | None = None,
    measure: bool = False,
) -> Path:
    """Write ``folder/<assignment>.json``: the values of ``wanted`` (default: every key
    of the assignment). Measured values are copied from ``measured_from/<assignment>.json``
    (default: ``folder``) with the versions that measured them, unless ``measure``."""
    folder, source = Path(folder), Path(measured_from or folder)
    names = keys(assignment) if wanted is None else sorted(wanted)
    values = {k: compute(k) for k in names if k in BUILDERS or k in VALUES}
    payload = {"recorded_with": versions(), "values": values}
    measured = [k for k in names if k in MEASURED]
    if measured:
        if measure:
            payload["values"].update({k: compute(k) for k in measured})
            payload["measured_with"] = versions()
        else:
            path = source / f"{assignment}.json"
            old = json.loads(path.read_text()) if path.is_file() else {}
            missing = [k for k in measured if k not in old.get("values", {})]
            if missing:
                raise KeyError(
                    f"{path} holds no measured value for {', '.join(missing)}; record it "
                    "with measure=True (python -m course_reference.record --measure)"
                )
            payload["values"].update({k: old["values"][k] for k in measured})
            payload["measured_with"] = old.get("measured_with", old.get("recorded_with", {}))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{assignment}.json"
    part = path.with_name(f".{path.name}.part")
    part.write_text(json.dumps(payload, indent=1, sort_keys=True) + "\n")
    os.replace(part, path)
    return path


def record_all(measure: bool = False) -> list[Path]:
    """Re-record every assignment (run after changing a reference)."""
    return [record(a, measure=measure) for a in sorted({k.split(".")[0] for k in keys()})]


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m course_reference.record",
        description="Write course_utils/recorded/<assignment>.json from the reference "
        "solutions: the expected values the public checks compare with.",
    )
    parser.add_argument("assignments", nargs="*", help="assignment names (default: all)")
    parser.add_argument(
        "--measure", action="store_true", help="also re-run the measured values (training)"
    )
    args = parser.parse_args(argv)
    names = args.assignments or sorted({k.split(".")[0] for k in keys()})
    for name in names:
        print(record(name, measure=args.measure))
    return 0


if __name__ == "__main__":
    sys.exit(main())
