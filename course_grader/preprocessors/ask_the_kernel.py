"""Execute the notebook, asking its kernel the trusted checker's questions as it goes.

nbgrader's ``Execute`` runs every cell in the (sandboxed) kernel. This subclass, right
after each graded test cell has run, hands the kernel that exercise's request folder
(copied into the exchange folder the kernel can see only now) and runs
``course_utils.oracle.answer`` on it, silently and with a time limit: the kernel is
asked in the state the test cell saw, so what a later cell does (redefines a name the
answer reads, or wrecks the kernel) does not change the answers to an earlier exercise.
Any exercise not asked that way (its test cell missing) is asked after the last cell.
The kernel writes its answers as plain files next to the request; the checker,
outside, reads and judges them. Nothing the kernel does here decides anything by
itself: a kernel that answers nothing, or nonsense, earns nothing.

Configured by the grader per submission (``course_grader.autograde.worker``), which
starts the notebook while the checker is still writing its questions: the plan is read
when the first test cell has run, waiting for it if need be. Without a plan it is
nbgrader's ``Execute`` exactly.
"""

import json
import shutil
import time
from pathlib import Path

import nbformat
from nbgrader.preprocessors import Execute
from traitlets import Float, Unicode


class AskTheKernel(Execute):
    plan = Unicode("", help="the checker's plan.json (groups of questions); '' asks nothing").tag(
        config=True
    )
    requests = Unicode("", help="the folder holding the plan's request folders").tag(config=True)
    exchange = Unicode(
        "", help="the folder the kernel sees, where each request is copied when it is asked"
    ).tag(config=True)
    plan_wait_s = Float(
        0.0, help="seconds to wait for the plan to appear (the checker writes it meanwhile)"
    ).tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        from nbclient import NotebookClient

        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        self._groups = None  # read from the plan when first needed
        self._asked: list[dict] = []
        self._dead = False
        try:
            with self.setup_kernel():
                info_msg = self.wait_for_reply(self.kc.kernel_info())
                self.nb.metadata["language_info"] = info_msg["content"]["language_info"]
                for index, cell in enumerate(self.nb.cells):
                    self.preprocess_cell(cell, resources, index)
                    meta = cell.get("metadata", {}).get("nbgrader") or {}
                    gid = meta.get("grade_id")
                    # a graded cell (the test cells): only these have questions
                    if gid and meta.get("grade") and cell.cell_type == "code":
                        self.ask(gid)
                for group in self.groups():  # a test cell that was not there to run
                    self.ask(group["grade_id"])
        finally:
            if self.plan:
                (Path(self.exchange) / "asked.json").write_text(json.dumps(self._asked))
        self.set_widgets_metadata()
        return self.nb, self.resources

    _groups: list[dict] | None = None

    def groups(self) -> list[dict]:
        """The plan's groups of questions, read when first needed: the checker writes
        the plan while the notebook runs, so this waits (``plan_wait_s`` at most) for
        the file to appear; none if it does not, or without a plan."""
        if not self.plan:
            return []
        if self._groups is None:
            path = Path(self.plan)
            deadline = time.monotonic() + self.plan_wait_s
            while not path.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            self._groups = json.loads(path.read_text()) if path.exists() else []
        return self._groups

    def ask(self, grade_id: str) -> None:
        """The group of questions for ``grade_id`` (if any, and not asked yet): its
        request into the exchange folder, then the oracle, with the group's time limit."""
        group = next((g for g in self.groups() if g["grade_id"] == grade_id), None)
        if group is None or any(a["grade_id"] == grade_id for a in self._asked):
            return
        if self._dead:
            self._asked.append({"grade_id": grade_id, "stopped": "the kernel had died"})
            return
        source = Path(self.requests) / group["folder"]
        target = Path(self.exchange) / group["folder"]
        shutil.copytree(source, target)
        for path in [target, *target.rglob("*")]:  # the kernel's own user writes here
            path.chmod(0o777 if path.is_dir() else 0o666)
        code = f"__import__('course_utils.oracle').oracle.answer({str(target)!r})"
        cell = nbformat.v4.new_code_cell(code)
        cell_timeout = self.timeout
        self.timeout = int(min(group.get("timeout_s", cell_timeout), cell_timeout or 1e9))
        # nbclient writes a cell's outputs back by its index: the question is a cell of
        # the notebook while it runs, and is taken out again after
        self.nb.cells.append(cell)
        try:
            self.execute_cell(cell, len(self.nb.cells) - 1, store_history=False)
            self._asked.append({"grade_id": grade_id, "outputs": _errors(cell)})
        except Exception as exc:  # noqa: BLE001 - a dead kernel answers no more
            self._asked.append({"grade_id": grade_id, "stopped": repr(exc)[:300]})
            self._dead = "DeadKernel" in type(exc).__name__
        finally:
            self.nb.cells.pop()
            self.timeout = cell_timeout


def _errors(cell) -> list[str]:
    return [
        f"{out.get('ename', '')}: {str(out.get('evalue', ''))[:300]}"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
