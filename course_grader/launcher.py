"""The first program of a grading kernel, inside the sandbox: set the limits, hand the
kernel's folders to its own unprivileged user and become that user, then run the kernel.

    python launcher.py exec [--limits JSON] [--uid U --own PATH ...] -- CMD ...

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


if __name__ == "__main__":
    if sys.argv[1:2] != ["exec"]:
        sys.exit("usage: python launcher.py exec [--limits JSON] [--uid U --own PATH] -- CMD")
    run(sys.argv[2:])
