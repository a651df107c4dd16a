"""A class on one JupyterHub (``make hub``), end to end in Chromium: three real local
students log in at the same time, fetch the same assignment in nbgrader's Assignments
tab, work and submit; ``course watch`` (a hub service) grades each submission and
releases its feedback with no instructor step; each student fetches and opens exactly
their own feedback; the hub and the proxy are restarted halfway (nothing lost, nothing
graded twice); a student cannot read another's work (checked as that user); a
resubmission after the deadline is shown late and the on-time one stays graded.

Needs root (real users, the sandbox), Chromium, and the hub's environment
(``make hub-env``: the students' Python in ``$COURSE_HUB_SHARED``, default
``/srv/cnn-case-studies``, and the proxy in ``build/hub/``). Without them the test is
skipped, or fails where ``COURSE_REQUIRE_HUB`` is set (CI). Screenshots of every step go
to ``build/hub-browser/``; the time from each submission to its feedback is printed.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from test_browser import chromium, free_port

from course_grader.course import COURSE_ID
from course_grader.exchange import feedback_name, read_state
from helpers import REPO, fixture_course

pytestmark = pytest.mark.slow

SHARED = Path(os.environ.get("COURSE_HUB_SHARED", "/srv/cnn-case-studies"))
PROXY = REPO / "build" / "hub" / "node_modules" / ".bin" / "configurable-http-proxy"
SHOTS = REPO / "build" / "hub-browser"
STUDENTS = ["hub-ann", "hub-ben", "hub-cat"]  # a right answer, a mistake, the release
INSTRUCTOR = "hub-teacher"
RIGHT, MISTAKE, STUB = "return np.maximum(Z, 0)", "return Z", "raise NotImplementedError()"
DEADLINE_S = 180  # after the hub starts: the first submissions and the first resubmission
# come before it (at 100 s a slow two-core machine sent ben's resubmission 10 s late)


def _missing() -> str:
    if os.geteuid() != 0:
        return "the hub test creates local users: run it as root"
    if not chromium():
        return "no Chromium here (Debian: apt-get install chromium)"
    for path in (SHARED / "venv" / "bin" / "jupyterhub-singleuser", PROXY):
        if not path.exists():
            return f"no {path}: run 'make hub-env' first"
    return ""


def _user(name: str, password: str) -> Path:
    """A real local user with a fresh, private home; returns the home."""
    if subprocess.run(["id", "-u", name], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", name], check=True)
    subprocess.run(["pkill", "-u", name], capture_output=True)  # a previous run's server
    home = Path(f"/home/{name}")
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir()
    shutil.chown(home, name, name)
    os.chmod(home, 0o700)
    subprocess.run(["chpasswd"], input=f"{name}:{password}", text=True, check=True)
    return home


def _as(user: str, *cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(["runuser", "-u", user, "--", *cmd], capture_output=True, text=True)


class Hub:
    """``jupyterhub -f jupyter/hub/jupyterhub_config.py`` as ``make hub`` runs it, on a
    course of its own, with free ports."""

    def __init__(self, top: Path, course: Path, exchange: Path, log: Path):
        self.port, self.course, self.log_path = free_port(), course, log
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "COURSE_HUB_SHARED": str(SHARED),
            "COURSE_HUB_COURSE": str(course),
            "COURSE_HUB_STATE": str(top / "state"),
            "COURSE_EXCHANGE": str(exchange),
            "COURSE_HUB_PORT": str(self.port),
            "COURSE_HUB_API_PORT": str(free_port()),
            "COURSE_HUB_FORMGRADER_PORT": str(free_port()),
            "COURSE_HUB_STUDENTS": " ".join(STUDENTS),
            "COURSE_HUB_INSTRUCTORS": INSTRUCTOR,
            "COURSE_HUB_WATCH_ARGS": "--interval 1 --jobs 2",
        }
        self.proc = None
        self.start()

    def start(self) -> None:
        log = self.log_path.open("ab")
        cmd = [str(Path(sys.executable).parent / "jupyterhub"), "-f"]
        cmd.append(str(REPO / "jupyter" / "hub" / "jupyterhub_config.py"))
        self.proc = subprocess.Popen(
            cmd, cwd=self.course, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and self.proc.poll() is None:
            if self.serves():
                return
            time.sleep(0.3)
        raise RuntimeError(f"the hub did not start: see {self.log_path}")

    def serves(self) -> bool:
        """Whether the hub answers through its proxy."""
        import urllib.request

        try:
            urllib.request.urlopen(f"{self.url}/hub/api", timeout=2)
            return True
        except OSError:
            return False

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


class FeedbackClock(threading.Thread):
    """When each feedback page first appears in the exchange (polled every 0.2 s)."""

    def __init__(self, folder: Path):
        super().__init__(daemon=True)
        self.folder, self.seen, self.running = folder, {}, True

    def run(self) -> None:
        while self.running:
            if self.folder.is_dir():
                for p in self.folder.glob("*.html"):
                    self.seen.setdefault(p.name, time.time())
            time.sleep(0.2)


@pytest.fixture(scope="module")
def hub_class():
    missing = _missing()
    if missing:
        if os.environ.get("COURSE_REQUIRE_HUB"):
            pytest.fail(f"COURSE_REQUIRE_HUB is set, but {missing}")
        pytest.skip(missing)
    # every user can reach the exchange; only root the course (solutions, all the work)
    top = Path(tempfile.mkdtemp(prefix="course-hub-", dir="/tmp"))
    os.chmod(top, 0o755)
    course = fixture_course(top / "course")
    os.chmod(course, 0o700)
    exchange = top / "exchange"
    due = float(int(time.time()) + DEADLINE_S)  # whole seconds, as --due is given
    subprocess.run(
        [
            str(Path(sys.executable).parent / "course"),
            "release",
            "--exchange",
            str(exchange),
            "--due",
            time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(due)),
        ],
        cwd=course,
        check=True,
        capture_output=True,
    )
    passwords = {u: secrets.token_hex(8) for u in [*STUDENTS, INSTRUCTOR]}
    homes = {u: _user(u, pw) for u, pw in passwords.items()}
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob("*.png"):
        old.unlink()
    hub = Hub(top, course, exchange, top / "hub.log")
    clock = FeedbackClock(exchange / COURSE_ID / "feedback")
    clock.start()
    yield dict(
        hub=hub,
        course=course,
        exchange=exchange,
        pw=passwords,
        homes=homes,
        clock=clock,
        due=due,
    )
    clock.running = False
    hub.stop()
    subprocess.run(["pkill", "-f", str(PROXY)], capture_output=True)
    for u in passwords:
        subprocess.run(["pkill", "-u", u], capture_output=True)
    shutil.copy(top / "hub.log", SHOTS / "hub.log")
    shutil.rmtree(top, ignore_errors=True)


class Student:
    """One student's browser: their own context (cookies), screenshots per step."""

    def __init__(self, browser, hub: Hub, name: str, password: str):
        self.name, self.hub, self.password, self.step = name, hub, password, 0
        self.context = browser.new_context(viewport={"width": 1300, "height": 800})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def shot(self, what: str) -> None:
        self.step += 1
        self.page.screenshot(path=SHOTS / f"{self.name}-{self.step}-{what}.png")

    def log_in(self) -> None:
        self.page.goto(f"{self.hub.url}/hub/login")
        self.page.fill("#username_input", self.name)
        self.page.fill("#password_input", self.password)
        self.page.click("#login_submit", no_wait_after=True)

    def open_assignments(self) -> None:
        self.page.wait_for_selector(".jp-LabShell", timeout=180_000)
        self.page.click(".lm-MenuBar-itemLabel:text-is('Nbgrader')")
        self.page.click(".lm-Menu-itemLabel:has-text('Assignment List')")
        self.page.wait_for_selector("text=Released assignments", timeout=60_000)

    def click(self, label: str, timeout: float = 60_000) -> None:
        """Click the Assignments tab's button ``label``, with the tab in front: after a
        reload, JupyterLab may restore another tab (a feedback page) over it."""
        button = self.page.locator(f"button:text-is('{label}')").first
        button.wait_for(timeout=timeout)
        self.page.locator(".lm-TabBar-tabLabel:text-is('Assignments')").first.click()
        button.click()

    def resubmit(self, clock: FeedbackClock, pages: int) -> list[str]:
        """Submit again from a fresh tab; once the exchange holds ``pages`` feedback
        pages, return the texts of both of this student's submissions' pages."""
        self.page.reload()
        self.open_assignments()
        self.click("Submit")
        _wait(lambda: len(clock.seen) >= pages, 120, f"{self.name}'s new feedback", 1)
        self.page.reload()
        self.open_assignments()
        return self.feedback_pages(expected=2)

    def feedback_pages(self, expected: int = 1) -> list[str]:
        """Fetch Feedback, then open every submission's feedback page from the tab (its
        "view feedback" shows the folder, where the page opens in JupyterLab's HTML
        viewer); returns their texts, once the tab lists ``expected`` of them."""
        self.click("Fetch Feedback")
        links = self.page.locator("a:has-text('view feedback')")
        _wait(lambda: links.count() == expected, 60, f"{expected} feedback link(s)")
        texts = []
        for i in range(links.count()):
            self.page.locator(".lm-TabBar-tabLabel:text-is('Assignments')").first.click()
            links.nth(i).click()  # the file browser goes to that submission's feedback
            item = self.page.locator(".jp-DirListing-item:has-text('fixture.html')").first
            item.wait_for(timeout=30_000)
            item.dblclick()  # JupyterLab's HTML viewer opens the page
            frame = self.page.frame_locator(".jp-HTMLViewer:visible iframe")
            frame.locator("h1").first.wait_for(timeout=60_000)
            texts.append(frame.locator("body").inner_text())
        return texts


def _wait(predicate, timeout: float, what: str, every: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _work(home: Path, user: str, code: str, old: str = STUB) -> None:
    """The student's saved work: ``code`` in place of ``old`` in their own notebook."""
    nb = home / "fixture" / "fixture.ipynb"
    nb.write_text(nb.read_text().replace(old, code))
    shutil.chown(nb, user, user)


def _ledger_lines(course: Path) -> list[str]:
    path = course / "build" / "grading" / "ledger.jsonl"
    return path.read_text().splitlines() if path.is_file() else []


def test_a_class_on_one_hub(hub_class):
    from playwright.sync_api import sync_playwright

    hub, course, exchange = hub_class["hub"], hub_class["course"], hub_class["exchange"]
    homes, clock = hub_class["homes"], hub_class["clock"]
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium(),
            args=["--no-sandbox", "--disable-background-networking", "--disable-sync"],
        )
        ann, ben, cat = (Student(browser, hub, u, hub_class["pw"][u]) for u in STUDENTS)
        students = (ann, ben, cat)

        # 1. three students log in at once (three servers spawn together) and fetch
        for s in students:
            s.log_in()
        for s in students:
            s.open_assignments()
            s.shot("assignments")
        for s in students:
            s.click("Fetch")
        for s in students:
            s.page.wait_for_selector("button:text-is('Submit')", timeout=60_000)
            s.shot("fetched")
            assert (homes[s.name] / "fixture" / "fixture.ipynb").is_file()

        # 2. they work (a right answer, a typical mistake, nothing) and submit
        _work(homes[ann.name], ann.name, RIGHT)
        _work(homes[ben.name], ben.name, MISTAKE)
        for s in students:
            s.click("Submit")
        for s in students:
            s.page.wait_for_selector("text=UTC", timeout=60_000)
            s.shot("submitted")

        # 3. the hub stops halfway through grading and comes back; so does the proxy
        time.sleep(2)
        restart = time.monotonic()
        hub.stop()
        hub.start()
        restart = time.monotonic() - restart
        inbound = exchange / COURSE_ID / "inbound"
        _wait(lambda: len(clock.seen) >= 3, 120, "the feedback of the three submissions", 1)
        subprocess.run(["pkill", "-f", str(PROXY)], check=True)
        _wait(hub.serves, 60, "the hub to start the proxy again")

        # 4. each student fetches their feedback in the tab and reads their own score
        expected = {ann.name: "2 / 2", ben.name: "0 / 2", cat.name: "0 / 2"}
        for s in students:
            s.page.reload()
            s.open_assignments()
            (text,) = s.feedback_pages()
            s.shot("feedback")
            assert f"Feedback for {s.name}" in text, text[:500]
            assert f"Score: {expected[s.name]}" in text, text[:500]
            assert not [u for u in STUDENTS if u != s.name and u in text]
            if s is ben:  # the check's own message says what failed
                assert "should be [0.0, 0.0, 2.0], found [-1.0, 0.0, 2.0]" in text, text
        graded = [line for line in _ledger_lines(course) if '"status": "graded"' in line]
        assert len(graded) == 3, graded  # each submission graded once, restarts included

        # 5. nobody reads another's work, or the course: checked as that user
        ann_folder = next(p for p in inbound.iterdir() if p.name.startswith(ann.name + "+"))
        for path, cmd in [
            (homes[ann.name] / "fixture" / "fixture.ipynb", "cat"),
            (inbound, "ls"),
            (exchange / COURSE_ID / "feedback", "ls"),
            (course / "build" / "submitted" / ann.name / "fixture" / "fixture.ipynb", "cat"),
            (course / "notebooks" / "fixture" / "fixture.ipynb", "cat"),
        ]:
            proc = _as(ben.name, cmd, str(path))
            assert proc.returncode != 0 and "Permission denied" in proc.stderr, (path, proc)
        assert _as(ann.name, "ls", str(ann_folder)).returncode == 0  # her own submission
        other = ben.page.request.get(f"{hub.url}/user/{ann.name}/api/contents/fixture")
        assert other.status in (403, 404) or "login" in other.url, other.status

        # 6. ben corrects his answer before the deadline: graded again, the latest counts
        _work(homes[ben.name], ben.name, RIGHT, old=MISTAKE)
        pages = ben.resubmit(clock, pages=4)
        ben.shot("resubmission")
        assert sorted(t.split("Score: ")[1][:5] for t in pages) == ["0 / 2", "2 / 2"], pages

        # 7. the deadline passes; ann resubmits: late, shown so, the on-time one counts
        submitted = [sub.when for sub in read_state(course)]
        assert all(when < _iso(hub_class["due"]) for when in submitted), (
            "this machine took longer than DEADLINE_S to get here",
            submitted,
        )
        time.sleep(max(0.0, hub_class["due"] + 7 - time.time()))
        _work(homes[ann.name], ann.name, "return np.abs(Z)", old=RIGHT)
        pages = ann.resubmit(clock, pages=5)
        ann.shot("late-resubmission")
        assert len(pages) == 2, pages
        late = next(t for t in pages if "not graded" in t)
        assert "after the deadline" in late, late[:600]
        assert any("Score: 2 / 2" in t for t in pages), pages
        graded = [line for line in _ledger_lines(course) if '"status": "graded"' in line]
        assert len(graded) == 4, graded  # ben's twice; ann's late resubmission not at all

        # 8. the instructor's formgrader (a hub service) lists the class; no student's does
        teacher = Student(browser, hub, INSTRUCTOR, hub_class["pw"][INSTRUCTOR])
        teacher.log_in()
        teacher.page.wait_for_url("**/user/**", timeout=180_000)
        teacher.page.goto(f"{hub.url}/services/formgrader/formgrader/gradebook/fixture/fixture")
        names = teacher.page.locator("a.name-shown")  # shown on a click: anonymous at first
        names.first.wait_for(state="attached", timeout=60_000)
        teacher.shot("formgrader")
        assert sorted(names.all_text_contents()) == STUDENTS
        refused = ben.page.request.get(f"{hub.url}/services/formgrader/formgrader")
        assert refused.status == 403 or "formgrader" not in refused.url, refused.status

        for s in students:
            assert not s.errors, (s.name, s.errors)
        browser.close()

    # the time from each submission to its feedback, as the students lived it
    from datetime import datetime

    lines = [f"hub restart (stop and start again): {restart:.1f} s"]
    graded_waits = []
    for sub in sorted(read_state(course), key=lambda sub: sub.when):
        name = feedback_name(sub.secret, sub.notebooks[0])
        wait = clock.seen[name] - datetime.fromisoformat(sub.when).timestamp()
        # graded when it came: the one that counts, and one a later resubmission replaced
        graded = sub.status == "graded" or sub.reason.startswith("an older submission")
        if graded:
            graded_waits.append(wait)
        what = "graded" if graded else "not graded (late)"
        who = sub.folder.split("+")[0]
        lines.append(f"{who}, submitted {sub.when[11:19]}: {what}, its page {wait:.1f} s later")
    lines.append(
        f"graded on submission: median {statistics.median(graded_waits):.1f} s over "
        f"{len(graded_waits)} graded submissions (the first ones wait for the hub restart)"
    )
    print("\n" + "\n".join(lines))
    (SHOTS / "timings.txt").write_text("\n".join(lines) + "\n")


def _iso(seconds: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, UTC).isoformat()
