"""RenderWorker: jobs run in a child process, in order; failures are reported, never hang the trainer."""

import os
import time

from colorlatent.callbacks.worker import RenderWorker


class Recorder:
    """A renderer: remembers calls, can fail or die."""

    def __init__(self):
        self.seen = []

    def add(self, x):
        self.seen.append(x)
        return (os.getpid(), list(self.seen))

    def fail(self):
        raise RuntimeError("no ink")

    def die(self):
        os._exit(3)


def test_jobs_run_in_order_in_another_process_with_state():
    worker = RenderWorker(Recorder())
    for x in range(3):
        worker.submit("add", x)
    results = worker.close()
    assert [value[1] for _, value in results] == [[0], [0, 1], [0, 1, 2]]
    assert {value[0] for _, value in results} != {os.getpid()}
    assert not worker.alive and worker.errors == []


def test_a_failing_job_is_reported_and_the_next_ones_still_run():
    worker = RenderWorker(Recorder())
    worker.submit("fail")
    worker.submit("add", 7)
    results = worker.close()
    assert [value[1] for _, value in results] == [[7]]
    assert len(worker.errors) == 1 and "RuntimeError: no ink" in worker.errors[0]


def test_a_dead_child_does_not_hang_the_parent():
    worker = RenderWorker(Recorder())
    worker.submit("die")
    worker.submit("add", 1)
    start = time.monotonic()
    assert worker.close() == []
    assert time.monotonic() - start < 10
    assert worker.errors == ["the render process exited (code 3) with 2 job(s) unfinished"]


def test_kill_stops_the_child_at_once():
    worker = RenderWorker(Recorder())
    worker.submit("add", 1)
    worker.kill()
    assert not worker.alive and worker.pending == 0
