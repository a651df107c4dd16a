"""The checker's process pool: callers share fewer processes than jobs, so a caller that
waits for a process must get one when another's process dies or runs out of time."""

from __future__ import annotations

import threading
import time

import pytest

from course_grader.checker.pool import CheckerFailed, Pool


class _Process:
    def __init__(self):
        self.alive = True

    def is_alive(self):
        return self.alive

    def kill(self):
        self.alive = False

    def join(self, timeout=None):
        pass


class _Connection:
    """A checker that answers ``("fast",)`` at once and never answers ``("slow",)``."""

    def send(self, message):
        self.message = message

    def poll(self, timeout):
        if self.message[0] == "slow":
            time.sleep(min(timeout, 0.3))
            return False
        return True

    def recv(self):
        return ("ok", "answered")


@pytest.fixture
def pool(monkeypatch):
    pool = Pool(size=1)
    started = []

    def start():
        started.append(_Process())
        return started[-1], _Connection()

    monkeypatch.setattr(pool, "_start", start)
    pool.started = started
    return pool


def test_a_caller_waiting_for_a_process_gets_a_new_one_when_the_busy_one_dies(pool):
    failures, answers = [], []

    def slow():
        try:
            pool.call("slow", timeout_s=0.3)
        except CheckerFailed as exc:
            failures.append(str(exc))

    first = threading.Thread(target=slow)
    first.start()
    time.sleep(0.1)  # the one process is busy: the second caller waits for it
    second = threading.Thread(target=lambda: answers.append(pool.call("fast")))
    second.start()
    first.join(5)
    second.join(5)
    assert not second.is_alive(), "the waiting caller never got a process"
    assert failures == ["the checker ran out of time (0 s)"]
    assert answers == ["answered"]
    assert len(pool.started) == 2 and not pool.started[0].alive
    assert pool.processes == 1


def test_callers_share_the_processes_there_are(pool):
    threads = [threading.Thread(target=pool.call, args=("fast",)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert len(pool.started) == 1 and pool.processes == 1
