"""Tamper resistance inside the grading kernel: what a submission changes in the
checking machinery does not last.

nbgrader runs the tests in the same kernel as the student's code, so a submission can
patch what the tests rely on (``numpy.testing.assert_allclose = lambda *a, **k: None``,
``course_utils.checks.check_model = ...``, an input transformer that empties every later
cell, a custom exception handler that hides failures). The grading kernel loads this
module as an IPython extension before the first cell (see :mod:`course_utils.sandbox`);
it records, before any student code runs:

- the attributes of ``builtins``, of every module of numpy and course_utils and of the
  classes they define, and (``COURSE_GUARD_MODULES``, when the assignment uses them) of
  the API modules of keras and tensorflow (``keras``, ``keras.layers``, ``keras.ops``...:
  not their inner modules, whose state changes as they run);
- the code of every function in those modules and classes (``f.__code__ = ...``);
- IPython's state: input and AST transformers, custom exception handler,
  ``sys.excepthook``/``displayhook``, and the methods of the shell and kernel classes.
  (Event callbacks are left alone: matplotlib registers its own on first use; a
  callback that changes the checks is caught by the check above.)

All of it is put back **after every cell** (a patch never reaches the next cell) and
**before every test cell** (recognised by the sha256 of its source, which the grader
passes in ``COURSE_TEST_CELLS``: hashes only, so no hidden test is handed to the student's
code). A test cell during which something was changed (a student function that patches a
check while the check calls it) ends in a ``TamperingDetected`` error: 0 points.

What it cannot do: code that reads this module and removes its hooks, or walks the
garbage collector to change the checks' private objects, runs in the same process and
can still win. That takes deliberate code; the sandbox bounds what such code can reach,
and the instructor sees the code in the submission.
"""

from __future__ import annotations

import builtins
import hashlib
import importlib
import os
import sys
import types

_PACKAGES = ("numpy", "course_utils")
_SHELL_STATE = (
    "input_transformers_cleanup",
    "input_transformers_post",
    "ast_transformers",
)
_guard = None


class TamperingDetected(AssertionError):
    """The checking machinery was changed while a test cell ran."""


def _owned(module_name: str, prefixes: tuple[str, ...]) -> bool:
    return any(module_name == p or module_name.startswith(p + ".") for p in prefixes)


class Guard:
    """The recorded state and the hooks that put it back."""

    def __init__(self, shell, extra: tuple[str, ...], test_hashes: set[str]):
        self.shell = shell
        self.packages = _PACKAGES
        self.test_hashes = test_hashes
        self.modules: dict[str, tuple[object, dict]] = {}
        self.classes: dict[type, dict] = {}
        self.in_test = False
        imported = []
        for name in (*_PACKAGES, "numpy.testing", "course_utils.checks", *extra):
            try:
                imported.append(importlib.import_module(name))
            except ImportError:  # course_utils.reference: not in a student's copy
                pass
        self._record_modules()
        for module in imported:  # API modules of keras and tensorflow: their dicts only
            self.modules.setdefault(module.__name__, (module, dict(vars(module))))
        # the tables of course_utils (reference.BUILDERS, checks.HINTS...): their contents
        self.contents = {
            (name, key): _copy(value)
            for name, (module, attrs) in self.modules.items()
            if _owned(name, ("course_utils",))
            for key, value in attrs.items()
            if type(value) in (dict, list) and key.isupper()  # constants, not caches
        }
        self.shell_lists = {name: list(getattr(shell, name)) for name in _SHELL_STATE}
        self.custom = (shell.custom_exceptions, shell.CustomTB)
        self.sys_hooks = {k: getattr(sys, k) for k in ("excepthook", "displayhook")}
        self.instance_keys = set(vars(shell))
        kernel = getattr(shell, "kernel", None)
        self.kernel = kernel
        self.kernel_keys = set(vars(kernel)) if kernel is not None else set()
        self.handlers = dict(getattr(kernel, "shell_handlers", {}) or {})
        for obj in (shell, kernel):
            if obj is not None:
                for cls in type(obj).__mro__:
                    if cls is not object:
                        self.classes.setdefault(cls, dict(vars(cls)))
        # the code inside each function (``f.__code__ = ...`` keeps the object the same)
        self.functions = {}
        for attrs in [a for _, a in self.modules.values()] + list(self.classes.values()):
            for value in attrs.values():
                fn = getattr(value, "__func__", value)  # classmethod, staticmethod
                if isinstance(fn, types.FunctionType):
                    self.functions[id(fn)] = (fn, fn.__code__, fn.__defaults__, fn.__kwdefaults__)

    def _record_modules(self) -> None:
        names = [m for m in list(sys.modules) if _owned(m, self.packages)]
        self.modules["builtins"] = (builtins, dict(vars(builtins)))
        for name in names:
            module = sys.modules.get(name)
            if module is None or not hasattr(module, "__dict__"):
                continue
            attrs = dict(vars(module))
            self.modules[name] = (module, attrs)
            for value in attrs.values():
                if isinstance(value, type) and _owned(
                    getattr(value, "__module__", "") or "", self.packages
                ):
                    self.classes.setdefault(value, dict(vars(value)))

    # ------------------------------------------------------------------ restoring
    def restore(self) -> list[str]:
        """Put everything back; return what had been changed (empty: nothing)."""
        changed = []
        for name, (module, _) in self.modules.items():
            if name != "builtins" and sys.modules.get(name) is not module:
                sys.modules[name] = module  # replaced, or deleted to be imported anew
                changed.append(f"sys.modules[{name!r}]")
        for name, (module, attrs) in self.modules.items():
            current = vars(module)
            for key, value in attrs.items():
                if current.get(key, _MISSING) is not value:
                    current[key] = value
                    changed.append(f"{name}.{key}")
        for (name, key), saved in self.contents.items():
            value = self.modules[name][1][key]
            if not _same(value, saved):
                value.clear()
                (value.update if isinstance(value, dict) else value.extend)(saved)
                changed.append(f"{name}.{key}[...]")
        for cls, attrs in self.classes.items():
            current = vars(cls)
            # Python adds some dunders itself (``__annotations__`` on first reading):
            # only a new method counts
            for key in [k for k in current if k not in attrs and _kept(k, current[k])]:
                try:
                    delattr(cls, key)
                    changed.append(f"{cls.__qualname__}.{key}")
                except (AttributeError, TypeError):
                    pass
            for key, value in attrs.items():
                if current.get(key, _MISSING) is not value and _kept(key, value):
                    try:
                        setattr(cls, key, value)
                        changed.append(f"{cls.__qualname__}.{key}")
                    except (AttributeError, TypeError):
                        pass
        for fn, code, defaults, kwdefaults in self.functions.values():
            if (
                fn.__code__ is not code
                or fn.__defaults__ is not defaults
                or fn.__kwdefaults__ is not kwdefaults
            ):
                fn.__code__, fn.__defaults__, fn.__kwdefaults__ = code, defaults, kwdefaults
                changed.append(f"{fn.__module__}.{fn.__qualname__}.__code__")
        shell = self.shell
        for name, items in self.shell_lists.items():
            current = getattr(shell, name)
            if type(current) is not list or current != items:
                setattr(shell, name, list(items))
                changed.append(f"shell.{name}")
        if (shell.custom_exceptions, shell.CustomTB) != self.custom:
            shell.custom_exceptions, shell.CustomTB = self.custom
            changed.append("shell.set_custom_exc")
        for key, value in self.sys_hooks.items():
            if getattr(sys, key) is not value:
                setattr(sys, key, value)
                changed.append(f"sys.{key}")
        for obj, keys in ((shell, self.instance_keys), (self.kernel, self.kernel_keys)):
            if obj is None:
                continue
            own = vars(obj)
            for key in [k for k in own if k not in keys and callable(getattr(type(obj), k, 0))]:
                del own[key]  # an instance attribute hiding a method of the class
                changed.append(f"{type(obj).__name__}.{key}")
        handlers = getattr(self.kernel, "shell_handlers", None)
        if self.handlers and handlers != self.handlers:
            self.kernel.shell_handlers = dict(self.handlers)
            changed.append("kernel.shell_handlers")
        return changed

    # ------------------------------------------------------------------ hooks
    def pre_run_cell(self, info) -> None:
        self.restore()
        code = getattr(info, "raw_cell", "") or ""
        self.in_test = hashlib.sha256(code.encode()).hexdigest() in self.test_hashes

    def post_run_cell(self, result) -> None:
        changed = self.restore()
        if self.in_test and changed:
            self.in_test = False
            error = TamperingDetected(
                "the checking code was changed while this test ran ("
                + ", ".join(sorted(set(changed))[:5])
                + "); that earns no points."
            )
            result.error_in_exec = error
            try:
                raise error
            except TamperingDetected:
                self.shell.showtraceback()
        self.in_test = False


_MISSING = object()


def _kept(key: str, value) -> bool:
    """Whether a class attribute is kept as recorded: everything but the dunders Python
    and libraries set by themselves (a dunder *method* is kept: ``__eq__``...)."""
    if not (key.startswith("__") and key.endswith("__")):
        return True
    return callable(value) and key != "__init_subclass__"


def _copy(value):
    return dict(value) if isinstance(value, dict) else list(value)


def _same(value, saved) -> bool:
    """Same items, by identity (``==`` could run the student's own ``__eq__``)."""
    if len(value) != len(saved):
        return False
    if isinstance(value, dict):
        return all(k in value and value[k] is v for k, v in saved.items())
    return all(a is b for a, b in zip(value, saved, strict=True))


def cell_hash(source: str) -> str:
    """The hash by which the guard knows a test cell (sha256 of its exact source)."""
    return hashlib.sha256(source.encode()).hexdigest()


def load_ipython_extension(shell) -> None:
    """Record the state and hook the shell (called once, before the first cell)."""
    global _guard
    if _guard is not None:
        return
    extra = tuple(p for p in os.environ.pop("COURSE_GUARD_MODULES", "").split(",") if p)
    hashes = {h for h in os.environ.pop("COURSE_TEST_CELLS", "").split(",") if h}
    _guard = Guard(shell, extra, hashes)
    shell.events.register("pre_run_cell", _guard.pre_run_cell)
    shell.events.register("post_run_cell", _guard.post_run_cell)
