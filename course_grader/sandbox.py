"""Isolation of the code a submission runs: the grading kernel in a sandbox.

nbgrader runs a submission's notebook in an IPython kernel with the grader's rights.
Here every grading kernel is started through a kernelspec whose command is:

    bwrap (bubblewrap: namespaces)  ->  python launcher.py exec (limits, user)
        ->  python -m ipykernel_launcher (the kernel)

(``launcher.py`` is this package's one file the sandbox sees: it imports nothing of
the course.)

- **files**: a new mount namespace holding only the operating system (read-only), the
  Python environment and the course package (read-only), an empty ``/tmp`` and the one
  folder the notebook runs in (its submission and the released assignment files). No
  source notebook, no gradebook, no other submission is in reach;
- **network**: a new network namespace with nothing but its own loopback; the kernel
  talks to nbgrader over Unix sockets (``KernelManager.transport = "ipc"``);
- **processes**: a new PID namespace; the kernel dies with nbgrader;
- **limits** (:class:`Limits`, set with ``setrlimit`` before the kernel starts): address
  space and CPU time of each process, processes and threads, size of a written file, open
  files, no core dumps; wall time per cell and per notebook are nbgrader's cell timeout
  and the batch's notebook timeout;
- **user**: when the grader runs as root, the kernel switches to an unused unprivileged
  uid of its own (so the process limit counts only its processes), after handing it the
  notebook's folder; ``no_new_privs`` is set.

Where bubblewrap is missing or cannot work (another OS, user namespaces switched off),
:func:`probe` says exactly which protections are missing; ``course autograde`` prints it,
and ``--isolation require`` refuses to grade without them.

Example::

    iso = probe()
    print(iso.describe())
    write_kernelspec(Path("course/jupyter"), iso, Limits(), workdir, ipc_dir)
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

CELL_TIMEOUT_S = 900  # one cell may train a network; nbgrader's 30 s default cannot
NOTEBOOK_TIMEOUT_S = 3600  # one whole notebook
LAUNCHER = Path(__file__).resolve().parent / "launcher.py"
# where the sandbox sees it: outside any package folder, so that nothing of
# course_grader is importable (or even there) inside
LAUNCHER_INSIDE = "/opt/course-sandbox/launcher.py"
INSTALL_HINT = "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap)"
# the environment a grading kernel sees: nothing of the grader's own (tokens, keys...)
KEPT_ENV = (
    "LANG",
    "LC_ALL",
    "TZ",
    "COURSE_BUDGET",
    "COURSE_DATA_DIR",
    "TF_CPP_MIN_LOG_LEVEL",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
    "OMP_NUM_THREADS",
    "KERAS_BACKEND",
    "CUDA_VISIBLE_DEVICES",
    "PYTHONHASHSEED",
)
_ETC = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "nsswitch.conf",
    "passwd",
    "group",
    "alternatives",
    "fonts",
    "matplotlibrc",
)


@dataclass(frozen=True)
class Limits:
    """What one grading kernel may use. Memory and CPU are per process (setrlimit);
    processes count threads too (TensorFlow starts dozens)."""

    memory_mb: int = 12288  # address space, not RAM: TensorFlow reserves ~2.5 GB at start
    cpu_s: int = 3600
    processes: int = 512
    file_mb: int = 512
    open_files: int = 1024
    cell_s: int = CELL_TIMEOUT_S
    notebook_s: int = NOTEBOOK_TIMEOUT_S

    def rlimits(self) -> dict[str, int]:
        mb = 1024 * 1024
        return {
            "RLIMIT_AS": self.memory_mb * mb,
            "RLIMIT_CPU": self.cpu_s,
            "RLIMIT_NPROC": self.processes,
            "RLIMIT_FSIZE": self.file_mb * mb,
            "RLIMIT_NOFILE": self.open_files,
            "RLIMIT_CORE": 0,
        }

    def describe(self) -> str:
        return (
            f"memory {self.memory_mb} MB and CPU {self.cpu_s} s per process, "
            f"{self.processes} processes/threads, files up to {self.file_mb} MB, "
            f"{self.cell_s} s per cell, {self.notebook_s} s per notebook"
        )


def limits_for(source: Path, base: Limits | None = None) -> Limits:
    """The limits for the assignment whose source folder is ``source``: ``base`` (the
    defaults) with what its notebooks' metadata sets under ``course.limits``, e.g.
    ``{"course": {"limits": {"cell_s": 60, "memory_mb": 4096}}}`` for a light notebook."""
    import dataclasses

    limits = base or Limits()
    names = {f.name for f in dataclasses.fields(Limits)}
    for path in sorted(Path(source).glob("*.ipynb")):
        try:
            meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
        except (OSError, ValueError):
            continue
        wanted = (meta.get("course") or {}).get("limits") or {}
        unknown = set(wanted) - names
        if unknown:
            raise ValueError(
                f"{path}: unknown limits {sorted(unknown)} in metadata course.limits "
                f"(known: {sorted(names)})"
            )
        limits = dataclasses.replace(limits, **{k: int(v) for k, v in wanted.items()})
    return limits


@dataclass
class Isolation:
    """What this machine can do to isolate a grading kernel (see :func:`probe`)."""

    bwrap: str | None = None  # path of a working bubblewrap, or None
    as_root: bool = False  # the grader runs as root: the kernel switches user
    limits: bool = True  # setrlimit is available (POSIX)
    missing: list[str] = field(default_factory=list)  # protections not available, why

    @property
    def isolated(self) -> bool:
        return self.bwrap is not None

    def describe(self) -> str:
        have = []
        if self.bwrap:
            have.append("files (only a copy of the assignment's), network, processes (bubblewrap)")
        if self.limits:
            have.append("limits")
        if self.limits and self.as_root:
            have.append("an unprivileged user of its own")
        text = "isolation: " + (", ".join(have) if have else "none")
        if self.missing:
            text += "\n  MISSING: " + "\n  MISSING: ".join(self.missing)
        return text


def _bwrap_works(bwrap: str, as_root: bool) -> str:
    """'' when ``bwrap`` can make the namespaces we use here, else its error."""
    try:
        done = subprocess.run(
            [bwrap, *_namespaces(as_root), "--ro-bind", "/", "/", "true"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    return "" if done.returncode == 0 else (done.stderr.strip() or f"exit {done.returncode}")


def probe(mode: str = "auto") -> Isolation:
    """What isolation grading kernels get here. ``mode``: "auto" (the most this machine
    can do), "off" (none: trusted code only), "require" (raise unless fully isolated)."""
    if mode not in ("auto", "off", "require"):
        raise ValueError(f"isolation mode {mode!r}: use auto, require or off")
    posix = sys.platform != "win32"
    iso = Isolation(as_root=posix and os.geteuid() == 0, limits=posix)
    if mode == "off":
        iso.limits = False
        iso.missing.append("isolation switched off (--isolation off): trusted code only")
        return iso
    if not sys.platform.startswith("linux"):
        iso.missing.append(
            f"files, network, processes: bubblewrap needs Linux (this is {sys.platform}); "
            "grade untrusted submissions on a Linux machine"
        )
    else:
        bwrap = shutil.which("bwrap")
        if bwrap is None:
            iso.missing.append(f"files, network, processes: no bubblewrap - {INSTALL_HINT}")
        else:
            error = _bwrap_works(bwrap, iso.as_root)
            if error:
                iso.missing.append(
                    f"files, network, processes: bubblewrap cannot make namespaces here "
                    f"({error}); allow unprivileged user namespaces, or grade as root"
                )
            else:
                iso.bwrap = bwrap
    if iso.bwrap and not iso.as_root:
        iso.missing.append(
            "user: the kernel runs as you (not root, so no other user to switch to); its "
            "process limit is set that far above what your own processes use now"
        )
    if not posix:
        iso.missing.append("limits: no setrlimit on Windows")
    if mode == "require" and not iso.isolated:
        raise RuntimeError(
            "isolation required, but this machine cannot provide it:\n  " + iso.describe()
        )
    return iso


def _namespaces(as_root: bool) -> list[str]:
    # as root, no user namespace: it would map root only, and the kernel could not switch
    # to an unprivileged uid; without root, bubblewrap needs one
    if as_root:
        return [
            "--unshare-ipc",
            "--unshare-pid",
            "--unshare-net",
            "--unshare-uts",
            "--unshare-cgroup-try",
        ]
    return ["--unshare-all"]


def _tasks_of_this_user() -> int:
    """Processes and threads this user runs now: RLIMIT_NPROC counts them all, so a
    kernel that keeps the user's uid gets its limit on top of them."""
    import psutil

    uid, count = os.getuid(), 0
    for proc in psutil.process_iter(["uids", "num_threads"]):
        uids = proc.info.get("uids")
        if uids is not None and uids.real == uid:
            count += proc.info.get("num_threads") or 1
    return count


_uids = itertools.count()


def fresh_uid() -> int:
    """An unprivileged uid no one else uses at the same time (per grading process and
    counter), so that the process limit of one kernel does not count another's."""
    return 200_000 + (os.getpid() % 4000) * 100 + next(_uids) % 100


def _system_binds() -> list[str]:
    args = []
    for top in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        p = Path(top)
        if p.is_symlink():
            args += ["--symlink", os.readlink(p), top]
        elif p.is_dir():
            args += ["--ro-bind", top, top]
    for name in _ETC:
        if (Path("/etc") / name).exists():
            args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    return args


def python_binds() -> list[str]:
    """The folders the kernel's Python needs: its installation, its environment, the
    student's package ``course_utils`` (read-only) and the course data - never
    ``course_reference`` or ``course_grader``."""
    import course_utils
    from course_utils.datasets import data_dir

    paths = {sys.base_prefix, sys.prefix, str(Path(course_utils.__file__).resolve().parent)}
    paths.add(str(Path(sys.executable).resolve().parent.parent))
    if data_dir().is_dir():
        paths.add(str(data_dir().resolve()))
    paths = sorted(p for p in paths if not p.startswith("/usr/") and Path(p).is_dir())
    return [p for p in paths if not any(p.startswith(q + "/") for q in paths if q != p)]


def _binds(binds: list[tuple[str, str, str]]) -> list[str]:
    """bubblewrap arguments binding each (option, host path, path inside), with every
    folder above it made traversable (bubblewrap makes them 0700 otherwise, which shuts
    out the unprivileged user)."""
    args, made = [], set()
    for option, source, dest in binds:
        for parent in reversed(Path(dest).parents):
            if str(parent) not in ("/", "/tmp") and str(parent) not in made:
                made.add(str(parent))
                args += ["--perms", "0755", "--dir", str(parent)]
        args += [option, source, dest]
    return args


def kernel_argv(
    iso: Isolation,
    limits: Limits,
    workdir: Path,
    ipc_dir: Path,
    env: dict,
    scratch: Path | None = None,
    tmp: Path | None = None,
    shared: tuple = (),
) -> tuple[list[str], dict]:
    """The kernelspec command (``{connection_file}`` left for jupyter_client) and its
    environment, for a kernel running the notebook in ``workdir``, talking to nbgrader
    through sockets in ``ipc_dir``.

    In the sandbox, the kernel sees the host folder ``scratch`` (default: ``workdir``
    itself) at ``workdir``, and ``tmp`` (default: an empty in-memory one) at ``/tmp``:
    nbgrader's own folder, which holds the notebook with its hidden tests put back, stays
    out of the kernel's reach when ``scratch`` is a separate copy of the assignment's
    files. ``shared``: folders the kernel may write at the same path inside (the trusted
    checker's exchange folder)."""
    scratch = scratch or workdir
    kernel_env = {k: env[k] for k in KEPT_ENV if k in env}
    kernel_env.update(
        {
            "HOME": "/tmp",
            "USER": "student",
            "LOGNAME": "student",
            "MPLBACKEND": "module://matplotlib_inline.backend_inline",
            "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    if "COURSE_DATA_DIR" in env:
        from course_utils.datasets import data_dir

        kernel_env["COURSE_DATA_DIR"] = str(data_dir().resolve())
    kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    rlimits = limits.rlimits()
    if not (iso.as_root and iso.bwrap):  # the kernel keeps this user: count on top of its
        rlimits["RLIMIT_NPROC"] += _tasks_of_this_user()  # processes and threads so far
    inside = LAUNCHER_INSIDE if iso.bwrap else str(LAUNCHER)
    launcher = [sys.executable, inside, "exec"]
    launcher += ["--limits", json.dumps(rlimits)]
    if iso.limits is False:
        launcher = []
    elif iso.as_root:  # with or without bubblewrap: never root
        # the folders it is handed, as the launcher sees them (inside the sandbox); /tmp
        # is world-writable instead (mount points of read-only folders may lie in it)
        launcher += ["--uid", str(fresh_uid()), "--own", str(workdir), "--own", str(ipc_dir)]
        for folder in shared:
            launcher += ["--own", str(folder)]
    if launcher:
        launcher.append("--")
    if not iso.bwrap:
        return [*launcher, *kernel], kernel_env
    argv = [iso.bwrap, *_namespaces(iso.as_root), "--die-with-parent", "--new-session"]
    argv += ["--clearenv"]
    for k, v in sorted(kernel_env.items()):
        argv += ["--setenv", k, v]
    argv += _system_binds() + ["--proc", "/proc", "--dev", "/dev"]
    argv += ["--perms", "1777", "--tmpfs", "/dev/shm"]  # multiprocessing's locks
    if tmp is not None:  # on disk, in the task's folder: it does not eat the RAM
        argv += ["--bind", str(tmp), "/tmp"]
    else:
        argv += ["--perms", "1777", "--tmpfs", "/tmp"]
    argv += _binds(
        [("--ro-bind", p, p) for p in python_binds()]
        + [("--ro-bind", str(LAUNCHER), LAUNCHER_INSIDE)]
        + [("--bind", str(scratch), str(workdir)), ("--bind", str(ipc_dir), str(ipc_dir))]
        + [("--bind", str(folder), str(folder)) for folder in shared]
    )
    argv += ["--chdir", str(workdir), "--"]
    return [*argv, *launcher, *kernel], {}


def write_kernelspec(
    jupyter_dir: Path,
    iso: Isolation,
    limits: Limits,
    workdir: Path,
    ipc_dir: Path,
    env: dict,
    name: str = "python3",
    scratch: Path | None = None,
    tmp: Path | None = None,
    shared: tuple = (),
) -> Path:
    """Write ``jupyter_dir/kernels/<name>/kernel.json`` (see :func:`kernel_argv`); put
    ``jupyter_dir`` first on ``JUPYTER_PATH`` and it replaces the kernel nbgrader would
    start."""
    argv, kernel_env = kernel_argv(
        iso, limits, workdir, ipc_dir, env, scratch=scratch, tmp=tmp, shared=shared
    )
    spec = {
        "argv": argv,
        "display_name": "Python 3 (grading sandbox)",
        "language": "python",
        "interrupt_mode": "message",
        "env": kernel_env,
    }
    path = Path(jupyter_dir) / "kernels" / name / "kernel.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(spec, indent=1))
    return path


def main(argv: list[str] | None = None) -> None:
    """``python -m course_grader.sandbox probe``: what isolation grading kernels get here."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["probe"]:
        iso = probe()
        print(iso.describe())
        print(json.dumps(asdict(Limits())))
    else:
        sys.exit("usage: python -m course_grader.sandbox probe")


if __name__ == "__main__":
    main()
