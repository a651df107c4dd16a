"""The first program of a grading kernel, inside the sandbox: set the limits, hand the
kernel's folders to its own unprivileged user and become that user, then run the kernel.

    python launcher.py exec [--limits JSON] [--uid U --own PATH ...] -- CMD ...
    python launcher.py cgroup --version v1|v2 --name N --memory-mb M --pids P -- CMD ...

(``cgroup`` runs first, outside the sandbox and as root: it puts itself, and so every
process the kernel will start, into a cgroup of its own, then runs the sandbox.)

This file is the only one of the grader that a grading kernel's sandbox sees (bound
read-only by :mod:`course_grader.sandbox`): it imports nothing but the standard library.
"""

import argparse
import contextlib
import json
import os
import resource
import sys


def run(argv: list[str]) -> None:
    """Set the limits, hand each ``--own`` folder to ``--uid``, become it, exec CMD."""
    p = argparse.ArgumentParser(prog="launcher.py exec")
    p.add_argument("--limits", default="{}", help="JSON {RLIMIT_NAME: value}")
    p.add_argument("--uid", type=int, help="an unprivileged uid to become")
    p.add_argument("--own", action="append", default=[], help="a folder to hand to it")
    p.add_argument("cmd", nargs=argparse.REMAINDER)
    args = p.parse_args(argv)
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if args.uid is not None:
        for top in args.own:
            os.chown(top, args.uid, args.uid)
            for folder, dirs, files in os.walk(top):
                for name in dirs + files:
                    with contextlib.suppress(OSError):  # a read-only mount inside
                        os.lchown(os.path.join(folder, name), args.uid, args.uid)
    for name, value in json.loads(args.limits).items():
        resource.setrlimit(getattr(resource, name), (value, value))
    if args.uid is not None:
        os.setgroups([])
        os.setgid(args.uid)
        os.setuid(args.uid)
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS
    os.execv(cmd[0], cmd)


def cgroup(argv: list[str]) -> None:
    """Create the cgroup(s) ``--name`` with the limits, move into them, exec CMD."""
    p = argparse.ArgumentParser(prog="launcher.py cgroup")
    p.add_argument("--version", choices=("v1", "v2"), required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--memory-mb", type=int, required=True)
    p.add_argument("--pids", type=int, required=True)
    p.add_argument("cmd", nargs=argparse.REMAINDER)
    args = p.parse_args(argv)
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    memory = str(args.memory_mb * 1024 * 1024)
    root = "/sys/fs/cgroup"
    if args.version == "v1":
        settings = [
            (f"{root}/memory/{args.name}", {"memory.limit_in_bytes": memory}),
            (f"{root}/pids/{args.name}", {"pids.max": str(args.pids)}),
        ]
    else:
        settings = [
            (f"{root}/{args.name}", {"memory.max": memory, "memory.swap.max": "0",
                                      "pids.max": str(args.pids)}),
        ]  # fmt: skip
    for folder, limits in settings:
        os.makedirs(folder, exist_ok=True)
        for name, value in limits.items():
            with contextlib.suppress(FileNotFoundError):  # memory.swap.max: no swap here
                with open(os.path.join(folder, name), "w") as fh:
                    fh.write(value)
        with open(os.path.join(folder, "cgroup.procs"), "w") as fh:
            fh.write(str(os.getpid()))
    os.execv(cmd[0], cmd)


if __name__ == "__main__":
    commands = {"exec": run, "cgroup": cgroup}
    if sys.argv[1:2] == [] or sys.argv[1] not in commands:
        sys.exit("usage: python launcher.py exec|cgroup ... -- CMD")
    commands[sys.argv[1]](sys.argv[2:])
