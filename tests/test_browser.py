"""The student's and the instructor's view in a real browser: JupyterLab and nbgrader,
end to end, in headless Chromium driven by Playwright.

- **student**: JupyterLab on a workspace of released notebooks, as ``make lab`` opens it
  (formgrader off). For every assignment: its answers are filled in (the first one typed
  through the editor, the others written by the contents API as a student's saved work),
  Run All Cells, save; then every code cell ran without an error, every image output is
  shown as an image, and each public check printed its success message. For one
  assignment (:data:`VALIDATED`), Validate then says "Success!", and the untouched
  release, validated, names its failing test cells: Validate executes the notebook
  again, and what it would find for the others (every test cell passes when solved and
  fails when untouched, in the kernel as in the checker) the round trip and the catalog
  prove for every assignment (tests/test_assignments.py, tests/test_catalog.py).
- **instructor**: the formgrader lists every assignment, and after ``course autograde``
  of an example submission (the others are graded by ``make grade``,
  tests/test_grade_demo.py) and a scripted one shows their scores, and runs no script.
- **the harness itself**: a released notebook with a broken cell fails the student flow.

Screenshots of every step go to ``build/browser/``. A console error (or an uncaught page
error) from the course's pages fails the test. Needs Chromium (Debian: ``apt-get install
chromium``) and Playwright (a dev dependency); run alone with ``make browser``.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from course_grader.course import find_assignments, write_config
from course_grader.release import prepare_workspace, release
from helpers import FIXTURES, REPO, TEST_JOBS

pytestmark = pytest.mark.slow

SHOTS = REPO / "build" / "browser"
ASSIGNMENTS = find_assignments(REPO)
VALIDATED = "classic_networks"  # the assignment whose Validate button is clicked
RUN_TIMEOUT_MS = 15 * 60 * 1000  # Run All, or Validate, of one notebook (quick budget)
HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
PANEL = ".jp-NotebookPanel:visible"  # the notebook shown now (not a tab behind it)


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    exe = chromium()
    if exe is None:
        message = "no Chromium here (Debian: apt-get install chromium)"
        if os.environ.get("COURSE_REQUIRE_BROWSER"):
            pytest.fail(f"COURSE_REQUIRE_BROWSER is set, but {message}")
        pytest.skip(message)
    with playwright.sync_playwright() as p:
        # as root (CI, containers) Chromium refuses its own sandbox
        args = ["--no-sandbox"] if os.geteuid() == 0 else []
        b = p.chromium.launch(executable_path=exe, args=args)
        yield b
        b.close()


# --------------------------------------------------------------------------- servers
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A JupyterLab server on ``root`` (no token: only this machine's loopback)."""

    def __init__(self, root: Path, settings: Path, log: Path, student: bool, cwd: Path):
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        _lab_settings(settings)
        argv = [
            str(Path(sys.executable).parent / "jupyter"),
            "lab",
            "--no-browser",
            f"--port={self.port}",
            "--ip=127.0.0.1",
            f"--ServerApp.root_dir={root}",
            "--IdentityProvider.token=",
            "--ServerApp.password=",
            f"--LabApp.user_settings_dir={settings}",
            f"--LabApp.workspaces_dir={settings.parent / 'workspaces'}",
        ]
        if not student:  # the instructor's own server: no news prompt here either
            argv += [
                "--LabApp.news_url=None",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            ]
        if os.geteuid() == 0:
            argv.append("--allow-root")
        env = {**os.environ, "COURSE_BUDGET": "quick"}
        if student:  # the student's JupyterLab, as `make lab` and the bundle start it
            env["JUPYTER_CONFIG_PATH"] = str(REPO / "jupyter" / "student")
        self.log = log.open("wb")
        # started, like `make lab`, from the course directory: Validate reads its
        # nbgrader_config.py there (the cell timeout a training cell needs)
        self.proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/api/status", timeout=2)
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.5)
        self.close()
        raise RuntimeError(f"JupyterLab did not start: see {log}")

    def shut_down_kernels(self) -> int:
        """Shut down every kernel this server runs (each notebook a test opens starts
        one, 1-3 GB with TensorFlow: left running, they add up to the machine's memory),
        through the REST API with the server's own XSRF cookie. Returns how many."""
        import http.cookiejar

        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        opener.open(f"{self.url}/lab", timeout=30).read()  # sets the _xsrf cookie
        xsrf = next((c.value for c in jar if c.name == "_xsrf"), "")
        kernels = json.loads(opener.open(f"{self.url}/api/kernels", timeout=30).read())
        for kernel in kernels:
            request = urllib.request.Request(
                f"{self.url}/api/kernels/{kernel['id']}",
                method="DELETE",
                headers={"X-XSRFToken": xsrf},
            )
            opener.open(request, timeout=60).read()
        return len(kernels)

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def _lab_settings(folder: Path) -> None:
    """Every cell in the page (no windowing: the test reads all of them). The news
    question and the instructor panels are switched off by the student's own settings
    (jupyter/student/), not here: the test sees what a student sees."""
    settings = {
        "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    }
    for name, value in settings.items():
        path = folder / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))


class Page:
    """A browser page that records console errors and saves numbered screenshots."""

    def __init__(self, browser, name: str, origin: str, forgiven: tuple[str, ...] = ()):
        self.name, self.origin, self.step, self.forgiven = name, origin, 0, forgiven
        self.page = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))

    def _console(self, msg) -> None:
        url = (msg.location or {}).get("url", "")
        if msg.type == "error" and (not url or url.startswith(self.origin)):
            self.errors.append(f"{msg.text} ({url})")

    def shot(self, what: str) -> Path:
        self.step += 1
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{self.name}-{self.step}-{what}.png"
        self.page.screenshot(path=path)
        return path

    def close(self) -> None:
        self.page.close()
        errors = [e for e in self.errors if not any(f in e for f in self.forgiven)]
        assert not errors, f"{self.name}: browser console errors: {errors}"


# --------------------------------------------------------------------------- the course
@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """Every assignment released, and a student's workspace of it (``course workspace``)."""
    root = tmp_path_factory.mktemp("browser") / "course"
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    write_config(root, "notebooks")
    release(root, ASSIGNMENTS)
    prepare_workspace(root, root / "student")
    return root


def _answers(assignment: str) -> dict[str, str]:
    """grade_id -> the source notebook's solution, without the solution markers."""
    nb = nbformat.read(REPO / "notebooks" / assignment / f"{assignment}.ipynb", 4)
    return {
        c.metadata["nbgrader"]["grade_id"]: "\n".join(
            line
            for line in c.source.splitlines()
            if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line
        )
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }


def _public_messages(nb) -> list[str]:
    """What the public part of each test cell prints when it passes."""
    found = []
    for c in nb.cells:
        meta = c.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            public = c.source.split(HIDDEN_BEGIN)[0]
            found += re.findall(r'print\(\s*"([^"]+)"\s*\)', public)
    return found


def run_student_flow(browser, lab: Lab, path: Path, name: str, typed: tuple[str, str] | None):
    """Open ``path`` (relative to the lab's root) in JupyterLab, type ``typed``
    (grade_id, code) into its cell, Run All Cells, save; return the page and the saved
    notebook. Raises AssertionError naming the first cell that failed."""
    page = Page(browser, name, lab.url)
    p = page.page
    p.goto(f"{lab.url}/lab/tree/{path.as_posix()}?reset")  # no tab of an earlier test
    p.wait_for_selector(f"{PANEL} .jp-Notebook .jp-Cell", timeout=120_000)
    p.wait_for_selector(f"{PANEL} .validate-button", timeout=60_000)
    page.shot("opened")
    if typed is not None:
        grade_id, code = typed
        on_disk = nbformat.read(lab.root / path, 4)
        index = next(
            i
            for i, c in enumerate(on_disk.cells)
            if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id
        )
        editor = p.locator(f"{PANEL} .jp-Notebook .jp-Cell").nth(index).locator(".cm-content")
        editor.click()
        p.keyboard.press("Control+a")
        p.keyboard.press("Delete")
        p.keyboard.insert_text(code)
        p.keyboard.press("Escape")
        page.shot("typed")
    # the kernel ready first: Run All on a kernel still starting shows no [*] at once
    p.wait_for_function(
        """() => [...document.querySelectorAll('.jp-StatusBar-TextItem')]
                    .some(e => e.textContent.includes('| Idle'))""",
        timeout=120_000,
    )
    p.click(".lm-MenuBar-itemLabel:text-is('Run')")
    p.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
    # started: the first code cell waits, runs or ran
    p.wait_for_function(
        """() => {
            const first = document.querySelector(
                '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt');
            return first && /\\[(\\*|\\d+)\\]/.test(first.textContent);
        }""",
        timeout=120_000,
    )
    # done: no cell waiting or running, and the kernel idle
    p.wait_for_function(
        """() => {
            const prompts = [...document.querySelectorAll(
                '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')];
            const busy = prompts.some(e => e.textContent.includes('*'));
            const status = document.querySelector('.jp-Notebook-ExecutionIndicator');
            const idle = !status || status.getAttribute('data-status') !== 'busy';
            return prompts.length > 0 && !busy && idle;
        }""",
        timeout=RUN_TIMEOUT_MS,
        polling=500,
    )
    before = (lab.root / path).stat().st_mtime_ns
    p.keyboard.press("Control+s")
    deadline = time.monotonic() + 60
    while (lab.root / path).stat().st_mtime_ns == before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert (lab.root / path).stat().st_mtime_ns != before, f"{path}: Ctrl+S saved nothing"
    page.shot("ran-all")  # the end of the notebook, as the student sees it after Run All
    if typed is not None:  # and the check after the typed answer, with its message
        cells = p.locator(f"{PANEL} .jp-Notebook .jp-Cell")
        cells.nth(index + 1).scroll_into_view_if_needed()
        page.shot("first-check")
    saved = nbformat.read(lab.root / path, 4)
    try:
        _ran_without_error(saved, path)
    except AssertionError:
        page.page.close()
        raise
    return page, saved


def _ran_without_error(saved, path: Path) -> None:
    for i, c in enumerate(saved.cells):
        if c.cell_type != "code":
            continue
        errors = [o for o in c.outputs if o.output_type == "error"]
        assert not errors, (
            f"{path}: cell {i + 1} raised {errors[0].ename}: {errors[0].evalue}\n{c.source[:300]}"
        )
        assert c.execution_count is not None, (
            f"{path}: cell {i + 1} did not run (Run All stopped before it)\n{c.source[:300]}"
        )


def validate(page: Page) -> str:
    """Click nbgrader's Validate, wait for its verdict, return the dialog's text."""
    p = page.page
    p.click(f"{PANEL} .validate-button")
    p.wait_for_selector(
        ".validation-success, .validation-failed, .validation-changed, "
        ".validation-type-changed, .jp-Dialog:has-text('error running the validate')",
        timeout=RUN_TIMEOUT_MS,
    )
    page.shot("validated")
    text = p.inner_text(".jp-Dialog")
    p.click(".jp-Dialog button:has-text('Ok')")
    return text


# --------------------------------------------------------------------------- tests
@pytest.fixture(scope="module")
def student_lab(course, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("student-lab")
    lab = Lab(course / "student", tmp / "settings", tmp / "lab.log", student=True, cwd=course)
    yield lab
    lab.close()


@pytest.fixture(autouse=True)
def _kernels_shut_down(request):
    """After each test that used the student's JupyterLab, its kernels go."""
    yield
    if "student_lab" in request.fixturenames:
        request.getfixturevalue("student_lab").shut_down_kernels()


def _grade_ids(nb, solution: bool) -> list[str]:
    return [
        c.metadata["nbgrader"]["grade_id"]
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("solution" if solution else "grade")
        and bool(c.metadata["nbgrader"].get("solution")) == solution
    ]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_a_student_solves_and_runs_all(browser, student_lab, assignment):
    ws = student_lab.root
    path = Path(assignment) / f"{assignment}.ipynb"
    released = nbformat.read(ws / path, 4)
    answers = _answers(assignment)
    typed, *injected = _grade_ids(released, solution=True)
    work = copy.deepcopy(released)  # the student's saved work, all but the typed answer
    for c in work.cells:
        if c.metadata.get("nbgrader", {}).get("grade_id") in injected:
            c.source = answers[c.metadata["nbgrader"]["grade_id"]]
    nbformat.write(work, ws / path)

    page, saved = run_student_flow(
        browser, student_lab, path, f"{assignment}-student", (typed, answers[typed])
    )
    printed = "".join(
        o.get("text", "")
        for c in saved.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "stream"
    )
    messages = _public_messages(released)
    assert messages, "the public checks print no success message to look for"
    missing = [m for m in messages if m not in printed]
    assert not missing, f"{assignment}: public checks did not print {missing}"
    images = sum(
        1
        for c in saved.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "image/png" in o.get("data", {})
    )
    assert images > 0, f"{assignment}: no plot was drawn"
    shown = page.page.locator(f"{PANEL} .jp-OutputArea-output img").count()
    assert shown == images, f"{assignment}: {images} image outputs, {shown} shown as images"

    if assignment == VALIDATED:
        verdict = validate(page)
        assert "Success! Your notebook passes all the tests." in verdict, verdict
    # a student's JupyterLab: no instructor panel, no question about news
    assert page.page.locator("#nbgrader-create_assignemnt").count() == 0
    assert page.page.locator("text=get notified about official Jupyter news").count() == 0
    page.close()


def test_validate_names_the_failing_tests_of_the_untouched_release(browser, course, student_lab):
    assignment = VALIDATED
    path = Path("untouched") / assignment / f"{assignment}.ipynb"
    (student_lab.root / path).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(course / "build" / "release" / assignment / path.name, student_lab.root / path)
    page = Page(browser, f"{assignment}-untouched", student_lab.url)
    page.page.goto(f"{student_lab.url}/lab/tree/{path.as_posix()}?reset")
    page.page.wait_for_selector(f"{PANEL} .validate-button", timeout=120_000)
    verdict = validate(page)
    assert "The following cell failed:" in verdict, verdict[:2000]
    released = nbformat.read(student_lab.root / path, 4)
    tests = [c for c in released.cells if c.metadata.get("nbgrader", {}).get("grade")]
    for c in tests:
        first = next(
            ln
            for ln in c.source.splitlines()
            if ln.strip() and not ln.startswith(("#", "import", "from"))
        )
        assert first.strip() in verdict, f"{assignment}: Validate does not name {first!r}"
    assert "not written yet" in verdict, verdict[:2000]
    page.close()


def test_a_broken_cell_fails_the_student_flow(browser, student_lab):
    """The harness itself: a released notebook with a broken cell must fail it."""
    nb = nbformat.read(FIXTURES / "notebooks" / "fixture" / "fixture.ipynb", 4)
    nb.cells.insert(2, nbformat.v4.new_code_cell('raise RuntimeError("a broken cell")'))
    path = Path("broken") / "broken.ipynb"
    (student_lab.root / path).parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, student_lab.root / path)
    with pytest.raises(AssertionError, match="cell 3 raised RuntimeError: a broken cell"):
        run_student_flow(browser, student_lab, path, "broken", None)


def test_the_instructor_sees_every_assignment_then_the_scores(browser, course, tmp_path):
    sys.path.insert(0, str(REPO / "examples"))
    from make_submissions import expected_scores

    course_cli = Path(sys.executable).parent / "course"
    zip_path = REPO / "examples" / "submissions" / "classic_networks.zip"
    # and one submission whose outputs and markdown carry scripts (tests/catalog/hostile.py)
    hostile = course / "build" / "submitted" / SCRIPTED / "classic_networks"
    hostile.mkdir(parents=True)
    (hostile / "classic_networks.ipynb").write_text(_scripted_submission(course))
    graded = [GRADED_EXAMPLE, SCRIPTED]  # make grade grades every example
    grade = ["autograde", f"--jobs={TEST_JOBS}", *(f"--student={s}" for s in graded)]
    for argv in (["collect", str(zip_path)], grade, ["feedback"]):
        done = subprocess.run([str(course_cli), *argv], cwd=course, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
    lab = Lab(course, tmp_path / "settings", tmp_path / "lab.log", student=False, cwd=course)
    try:
        page = Page(browser, "instructor", lab.url)
        p = page.page
        p.goto(f"{lab.url}/formgrader")
        for a in ASSIGNMENTS:
            p.wait_for_selector(f"text={a}", timeout=60_000)
        page.shot("assignments")
        p.goto(f"{lab.url}/formgrader/manage_submissions/classic_networks")
        # the scripted one is the solution with scripts added: every point
        scores = {GRADED_EXAMPLE: expected_scores()[GRADED_EXAMPLE], SCRIPTED: 8}
        for student in scores:
            p.wait_for_selector(f"text={student}", timeout=60_000)
        page.shot("submissions")
        for student, score in scores.items():
            row = p.locator("tbody tr", has_text=str(student)).inner_text()
            assert re.search(rf"\b{score:g} / 8\b", row), (student, score, row)
        page.close()
        # the scripted submission, opened in the formgrader: nothing of it runs
        # the formgrader's own script uses MathJax, which it loads from a CDN: offline
        # (as here) that fails, whatever the submission holds
        page = Page(browser, "instructor-scripted", lab.url, forgiven=("MathJax is not defined",))
        page.page.goto(f"{lab.url}/formgrader/submissions/{_submission_notebook_id(course)}/")
        page.page.wait_for_selector("text=conv_output_shape", timeout=60_000)
        page.page.wait_for_timeout(3000)  # time for a script to run, were there one
        page.shot("scripted-submission")
        assert "PWNED" not in page.page.title()
        assert not list(course.glob("PWNED*")), "a script of the submission wrote a file"
        page.close()
    finally:
        lab.close()
    # the feedback page a student gets back (course feedback): a page of the course's own
    student, score = next(iter(scores.items()))
    html = (
        course / "build" / "feedback" / str(student) / "classic_networks" / "classic_networks.html"
    )
    page = Page(browser, "feedback", "file://")
    page.page.goto(html.as_uri())
    assert f"{score:g} / 8" in page.page.inner_text(".total")
    page.shot("student-page")
    page.close()


SCRIPTED = "9999"
GRADED_EXAMPLE = "1004"  # an example submission with mistakes: 4 of 8


def _scripted_submission(course: Path) -> str:
    """classic_networks solved, with an output and a markdown cell that carry scripts
    reaching for the contents API (a file PWNED-*.txt would show that one ran)."""
    released = nbformat.read(course / "build" / "release" / "classic_networks" /
                             "classic_networks.ipynb", 4)  # fmt: skip
    answers = _answers("classic_networks")
    for c in released.cells:
        gid = c.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers:
            c.source = answers[gid]
    put = (
        "fetch('/api/contents/PWNED-by-{what}.txt', {{method: 'PUT', headers: "
        "{{'X-XSRFToken': document.cookie.replace(/.*_xsrf=([^;]*).*/, '$1')}}, "
        "body: JSON.stringify({{type: 'file', format: 'text', content: 'x'}})}})"
    )
    released.cells.insert(1, nbformat.v4.new_markdown_cell(
        f"<script>{put.format(what='markdown')}</script>"
        f"<img src=x onerror=\"{put.format(what='onerror')}\">"
    ))  # fmt: skip
    released.cells.insert(2, nbformat.v4.new_code_cell(
        "from IPython.display import HTML, Javascript, display\n"
        f"display(HTML({('<script>' + put.format(what='output') + '</script>')!r}))\n"
        "display(Javascript(\"document.title = 'PWNED'\"))"
    ))  # fmt: skip
    return nbformat.writes(released)


def _submission_notebook_id(course: Path) -> str:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'build' / 'gradebook.db'}") as gb:
        return gb.find_submission_notebook("classic_networks", "classic_networks", SCRIPTED).id


def test_a_console_error_fails_the_page(browser, student_lab):
    """The console check itself: an error logged by a page of the course fails."""
    page = Page(browser, "console", student_lab.url)
    page.page.goto(f"{student_lab.url}/api/status")
    page.page.evaluate("console.error('a deliberate console error')")
    with pytest.raises(AssertionError, match="a deliberate console error"):
        page.close()


def test_a_crashed_page_fails_with_a_message_that_says_so(browser):
    """The harness: the page's renderer is killed, as the kernel's OOM killer kills it
    when memory runs out (Chromium no longer opens chrome://crash from a script); the
    error Playwright raises then is one tests/conftest.py recognises, and turns into a
    failure that says the browser crashed."""
    import psutil

    from conftest import BROWSER_CRASH

    page = browser.new_page()
    page.set_content("<p>about to crash</p>")

    # every renderer of the browser: Chromium may give a new page a renderer it already
    # runs (it does when memory is short), and no other page is open by now
    def is_renderer(process):
        try:
            return "--type=renderer" in " ".join(process.cmdline())
        except psutil.Error:  # gone, or a zombie
            return False

    mine = [c for c in psutil.Process().children(recursive=True) if is_renderer(c)]
    assert mine, "no renderer process was found"
    with pytest.raises(Exception) as info:
        for process in mine:
            with contextlib.suppress(psutil.Error):
                process.kill()
        page.wait_for_timeout(1000)
        page.evaluate("1")
    assert any(words in str(info.value) for words in BROWSER_CRASH), str(info.value)
