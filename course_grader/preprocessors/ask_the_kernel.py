"""Execute the notebook, then ask its kernel the trusted checker's questions.

nbgrader's ``Execute`` runs every cell in the (sandboxed) kernel. This subclass then,
with the same kernel still running, hands it the checker's request folders one at a
time (copied into the exchange folder the kernel can see only now) and runs
``course_utils.oracle.answer`` on each, silently and with a time limit. The kernel
writes its answers as plain files next to the request; the checker, outside, reads and
judges them. Nothing the kernel does here decides anything by itself: a kernel that
answers nothing, or nonsense, earns nothing.

Configured by the grader per submission (``course_grader.autograde.worker``); without a
plan it is nbgrader's ``Execute`` exactly.
"""

import json
import shutil
from pathlib import Path

import nbformat
from nbgrader.preprocessors import Execute
from traitlets import Unicode


class AskTheKernel(Execute):
    plan = Unicode("", help="the checker's plan.json (groups of questions); '' asks nothing").tag(
        config=True
    )
    requests = Unicode("", help="the folder holding the plan's request folders").tag(config=True)
    exchange = Unicode(
        "", help="the folder the kernel sees, where each request is copied when it is asked"
    ).tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        from nbclient import NotebookClient

        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        with self.setup_kernel():
            info_msg = self.wait_for_reply(self.kc.kernel_info())
            self.nb.metadata["language_info"] = info_msg["content"]["language_info"]
            for index, cell in enumerate(self.nb.cells):
                self.preprocess_cell(cell, resources, index)
            if self.plan:
                self.ask()
        self.set_widgets_metadata()
        return self.nb, self.resources

    def ask(self) -> None:
        """Each group of the plan: its request into the exchange folder, then the oracle."""
        groups = json.loads(Path(self.plan).read_text())
        cell_timeout = self.timeout
        asked = []
        for group in groups:
            source = Path(self.requests) / group["folder"]
            target = Path(self.exchange) / group["folder"]
            shutil.copytree(source, target)
            for path in [target, *target.rglob("*")]:  # the kernel's own user writes here
                path.chmod(0o777 if path.is_dir() else 0o666)
            code = f"__import__('course_utils.oracle').oracle.answer({str(target)!r})"
            cell = nbformat.v4.new_code_cell(code)
            self.timeout = int(min(group.get("timeout_s", cell_timeout), cell_timeout or 1e9))
            # nbclient writes a cell's outputs back by its index: the question is a cell of
            # the notebook while it runs, and is taken out again after
            self.nb.cells.append(cell)
            try:
                self.execute_cell(cell, len(self.nb.cells) - 1, store_history=False)
                asked.append({"grade_id": group["grade_id"], "outputs": _errors(cell)})
            except Exception as exc:  # noqa: BLE001 - a dead kernel answers no more
                asked.append({"grade_id": group["grade_id"], "stopped": repr(exc)[:300]})
                break
            finally:
                self.nb.cells.pop()
                self.timeout = cell_timeout
        (Path(self.exchange) / "asked.json").write_text(json.dumps(asked))


def _errors(cell) -> list[str]:
    return [
        f"{out.get('ename', '')}: {str(out.get('evalue', ''))[:300]}"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
