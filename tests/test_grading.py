"""Units of course_grader.course: the stderr rule, the leak finder, the workspace copy,
and how the kernel's questions wait for the checker's plan."""

import copy
import json
import threading

import nbformat
from nbformat.v4 import new_code_cell, new_output

from course_grader.preprocessors.ask_the_kernel import AskTheKernel
from course_grader.preprocessors.forgive_stderr import ForgiveStderr
from course_grader.release import find_leaks, prepare_workspace


def _run(cell):
    cell, _ = ForgiveStderr().preprocess_cell(cell, {}, 0)
    return cell


def test_stderr_of_a_passing_cell_is_removed_and_kept_in_metadata():
    cell = new_code_cell(
        "x = 1",
        outputs=[
            new_output("stream", name="stderr", text="W tensorflow/core: noise\n"),
            new_output("stream", name="stdout", text="checks passed\n"),
        ],
    )
    cell = _run(cell)
    assert [o.name for o in cell.outputs] == ["stdout"]
    assert cell.metadata["course"]["stderr"] == "W tensorflow/core: noise\n"


def test_a_cell_that_raised_keeps_everything():
    outputs = [
        new_output("stream", name="stderr", text="noise\n"),
        new_output("error", ename="AssertionError", evalue="wrong", traceback=[]),
    ]
    cell = _run(new_code_cell("assert False", outputs=copy.deepcopy(outputs)))
    assert [o.output_type for o in cell.outputs] == ["stream", "error"]
    assert "course" not in cell.metadata


def test_release_of_nbgrader_has_no_leak(fixture_notebook_path):
    from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

    source = nbformat.read(fixture_notebook_path, as_version=4)
    released = copy.deepcopy(source)
    for pp in (ClearSolutions(), ClearHiddenTests()):
        released, _ = pp.preprocess(released, {"language": "python"})
    assert find_leaks(source, released) == []


def test_leaked_solution_and_hidden_test_are_named(fixture_notebook_path):
    source = nbformat.read(fixture_notebook_path, as_version=4)
    # an nbgrader hidden test (the course keeps none: its checker holds them)
    test = next(c for c in source.cells if c.metadata.get("nbgrader", {}).get("grade"))
    test.source += (
        "\n### BEGIN HIDDEN TESTS\nassert relu(-5.0) == 0, 'negatives'\n### END HIDDEN TESTS"
    )
    leaky = copy.deepcopy(source)
    for cell in leaky.cells:  # a release made by hand that forgot to strip anything
        cell.source = cell.source.replace("### BEGIN SOLUTION\n", "").replace(
            "### BEGIN HIDDEN TESTS\n", ""
        )
    leaks = find_leaks(source, leaky, name="fixture.ipynb")
    assert any("solution of relu" in leak and "np.maximum" in leak for leak in leaks)
    assert any("hidden test of relu_tests" in leak for leak in leaks)
    assert any("END SOLUTION" in leak for leak in leaks)


def test_workspace_never_overwrites_student_work(tmp_path):
    release = tmp_path / "build" / "release" / "a"
    release.mkdir(parents=True)
    (release / "a.ipynb").write_text("fresh release")
    student = tmp_path / "student"
    assert prepare_workspace(tmp_path, student)["copied"] == ["a/a.ipynb"]
    (student / "a" / "a.ipynb").write_text("my answers")
    (release / "a.ipynb").write_text("newer release")
    result = prepare_workspace(tmp_path, student)
    assert result == {"copied": [], "kept": ["a/a.ipynb"]}
    assert (student / "a" / "a.ipynb").read_text() == "my answers"


def test_the_questions_wait_for_the_plan_the_checker_is_still_writing(tmp_path):
    plan = tmp_path / "plan.json"
    groups = [{"grade_id": "relu_tests", "folder": "relu_tests", "timeout_s": 60}]
    ask = AskTheKernel(plan=str(plan), plan_wait_s=30)
    writer = threading.Timer(0.3, lambda: plan.write_text(json.dumps(groups)))
    writer.start()
    try:
        assert ask.groups() == groups
    finally:
        writer.cancel()


def test_a_plan_that_never_comes_asks_nothing(tmp_path):
    ask = AskTheKernel(plan=str(tmp_path / "plan.json"), plan_wait_s=0.2)
    assert ask.groups() == []
    assert AskTheKernel().groups() == []  # no plan: nbgrader's Execute, asking nothing
