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

import contextlib
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
    total_memory_mb: int = 8192  # all its processes together, RAM (a cgroup, where there is one)
    tmp_mb: int = 1024  # its /tmp (in memory, counted in total_memory_mb)
    shm_mb: int = 256  # its /dev/shm
    work_mb: int = 1024  # its working folder, where the notebook runs

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
            f"{self.total_memory_mb} MB for all its processes, "
            f"{self.processes} processes/threads, files up to {self.file_mb} MB, "
            f"/tmp {self.tmp_mb} MB, /dev/shm {self.shm_mb} MB, its folder {self.work_mb} MB, "
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
    cgroup: str | None = None  # "v1" or "v2": total memory and processes bounded
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
        if self.cgroup:
            have.append(f"total memory and processes (cgroup {self.cgroup})")
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
    iso.cgroup = cgroup_version() if iso.as_root else None
    if posix and not iso.cgroup:
        iso.missing.append(
            "total memory: no cgroup this grader can write (it needs root, or a cgroup v2 "
            "delegated to it); each process's address space is limited, not their sum"
        )
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


CGROUP_ROOT = Path("/sys/fs/cgroup")


def cgroup_version() -> str | None:
    """ "v1" where the memory and pids controllers are mounted apart and writable,
    "v2" where the unified hierarchy is writable with both controllers, else None."""
    v1 = [CGROUP_ROOT / "memory", CGROUP_ROOT / "pids"]
    if all((p / "cgroup.procs").is_file() and os.access(p, os.W_OK) for p in v1):
        return "v1"
    controllers = CGROUP_ROOT / "cgroup.controllers"
    if controllers.is_file() and os.access(CGROUP_ROOT, os.W_OK):
        found = set(controllers.read_text().split())
        if {"memory", "pids"} <= found:
            return "v2"
    return None


def cgroup_folders(name: str, version: str) -> list[Path]:
    if version == "v1":
        return [CGROUP_ROOT / "memory" / name, CGROUP_ROOT / "pids" / name]
    return [CGROUP_ROOT / name]


def cgroup_peak_mb(name: str, version: str | None) -> float | None:
    """The most memory the kernel's processes held together (its cgroup's peak), MB."""
    if not version:
        return None
    path = (
        CGROUP_ROOT / "memory" / name / "memory.max_usage_in_bytes"
        if version == "v1"
        else CGROUP_ROOT / name / "memory.peak"
    )
    try:
        return round(int(path.read_text().split()[0]) / 2**20, 1)
    except (OSError, ValueError, IndexError):
        return None


def remove_cgroup(name: str, version: str | None) -> None:
    """Remove a kernel's cgroups after it is gone (killing what is left in them)."""
    import signal
    import time

    if not version:
        return
    for folder in cgroup_folders(name, version):
        if not folder.is_dir():
            continue
        for _ in range(20):
            with contextlib.suppress(OSError):
                pids = [int(p) for p in (folder / "cgroup.procs").read_text().split()]
                for pid in pids:
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.kill(pid, signal.SIGKILL)
                folder.rmdir()
                break
            time.sleep(0.1)


_cgroups = itertools.count()


def fresh_cgroup() -> str:
    """A cgroup name no other kernel of this machine uses now."""
    return f"course-kernel-{os.getpid()}-{next(_cgroups)}"


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
    """The folders the kernel's Python needs: its installation, its environment (and the
    packages folders its path reaches), the student's package ``course_utils``
    (read-only) and the course data - never ``course_reference`` or ``course_grader``."""
    import course_utils
    from course_utils.datasets import data_dir

    paths = {sys.base_prefix, sys.prefix, str(Path(course_utils.__file__).resolve().parent)}
    paths.add(str(Path(sys.executable).resolve().parent.parent))
    # packages folders reached through a .pth line (an environment layered on another)
    paths.update(p for p in sys.path if Path(p).name in ("site-packages", "dist-packages"))
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
    cgroup: str | None = None,
) -> tuple[list[str], dict]:
    """The kernelspec command (``{connection_file}`` left for jupyter_client) and its
    environment, for a kernel running the notebook in ``workdir``, talking to nbgrader
    through sockets in ``ipc_dir``.

    In the sandbox, the kernel sees the host folder ``scratch`` (default: ``workdir``
    itself) at ``workdir``, and ``tmp`` (default: an empty in-memory one) at ``/tmp``:
    nbgrader's own folder, which holds the notebook with its hidden tests put back, stays
    out of the kernel's reach when ``scratch`` is a separate copy of the assignment's
    files. ``shared``: folders the kernel may write at the same path inside (the trusted
    checker's exchange folder). ``cgroup``: the name of the kernel's cgroup, where the
    machine has one (:func:`cgroup_version`): all its processes together get
    ``total_memory_mb`` of memory and ``processes`` processes."""
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
    enter = []  # outside the sandbox, as root: into the kernel's cgroup
    if iso.cgroup and cgroup:
        enter = [sys.executable, str(LAUNCHER), "cgroup", "--version", iso.cgroup,
                 "--name", cgroup, "--memory-mb", str(limits.total_memory_mb),
                 "--pids", str(limits.processes), "--"]  # fmt: skip
    if not iso.bwrap:
        return [*enter, *launcher, *kernel], kernel_env
    argv = [*enter, iso.bwrap, *_namespaces(iso.as_root), "--die-with-parent", "--new-session"]
    argv += ["--clearenv"]
    for k, v in sorted(kernel_env.items()):
        argv += ["--setenv", k, v]
    argv += _system_binds() + ["--proc", "/proc", "--dev", "/dev"]
    mb = 1024 * 1024
    # /dev/shm (multiprocessing's locks) and /tmp in memory, each of a bounded size
    argv += ["--perms", "1777", "--size", str(limits.shm_mb * mb), "--tmpfs", "/dev/shm"]
    argv += ["--perms", "1777", "--size", str(limits.tmp_mb * mb), "--tmpfs", "/tmp"]
    del tmp  # (the kernel's /tmp was a folder on disk, without a size)
    argv += _binds(
        [("--ro-bind", p, p) for p in python_binds()]
        + [("--ro-bind", str(LAUNCHER), LAUNCHER_INSIDE)]
        + [("--bind", str(ipc_dir), str(ipc_dir))]
        + [("--bind", str(folder), str(folder)) for folder in shared]
    )
    # its working folder: in memory, of a bounded size, with the assignment's files
    argv += ["--size", str(limits.work_mb * mb), "--tmpfs", str(workdir)]
    if scratch != workdir:
        for path in sorted(Path(scratch).rglob("*")):
            if path.is_file() and not path.is_symlink():
                inside = Path(workdir) / path.relative_to(scratch)
                argv += ["--ro-bind", str(path), str(inside)]
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
    cgroup: str | None = None,
) -> Path:
    """Write ``jupyter_dir/kernels/<name>/kernel.json`` (see :func:`kernel_argv`); put
    ``jupyter_dir`` first on ``JUPYTER_PATH`` and it replaces the kernel nbgrader would
    start."""
    argv, kernel_env = kernel_argv(
        iso, limits, workdir, ipc_dir, env, scratch=scratch, tmp=tmp, shared=shared, cgroup=cgroup
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
