"""RenderWorker: draws figures in a child process, so the training loop keeps its core.

A training step of the small models here takes ~1.7 ms; a full matplotlib figure 0.1-0.3 s. Ex
1.7 draws 51 phase-history figures and GIF frames (~4 s of CPU even with the savings below). In
the training process all of it would add to the run, and a thread would not help (matplotlib
holds the GIL while it draws). So a callback sends the numbers (a few KB of latents) to a
renderer object living in a child process, which draws on the other core and sends back encoded
PNGs for the callback to log. Jobs run in order, one at a time.

The drawing is only free when the other core is: on the project's 2-vCPU VM two busy processes
each run at ~55 % speed (measured with two plain Python loops), so there the child's CPU time
still slows training by about half of itself. The renderers therefore keep their work small
(redraw only the points, reuse thumbnails, 256-color PNGs).
"""

from __future__ import annotations

import atexit
import gc
import multiprocessing
import queue
import signal
import sys
import traceback
import weakref
from typing import Any

# Seconds between checks that the child is still alive while waiting for its results.
POLL_SECONDS = 0.5


# Workers still running when the interpreter exits are killed first: the child ignores the
# SIGTERM with which multiprocessing stops daemonic children before joining them.
_LIVE: weakref.WeakSet = weakref.WeakSet()


@atexit.register
def _kill_live_workers() -> None:
    for worker in list(_LIVE):
        worker.kill()


def _context():
    # fork on Linux: the child starts in milliseconds with matplotlib already imported, and it only
    # ever runs numpy and matplotlib (never torch or CUDA), the part of the parent that fork
    # copies safely. Elsewhere spawn, the platform default (a fresh interpreter, ~3 s to import).
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    return multiprocessing.get_context(method)


def _serve(renderer: Any, jobs, results) -> None:
    # Signals are the parent's business: Ctrl-C and a SIGTERM sent to the whole process group
    # (a terminal, a cluster scheduler) reach the child too, but the trainer stops gracefully on
    # them and still wants its figures finished. The parent ends the child with SIGKILL when it
    # must; if the parent itself dies, the child notices below and exits.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The forked child inherits the trainer's ~0.5 M Python objects (torch, Lightning); every full
    # garbage collection would walk them all, and building a figure triggers several (~0.2 s per
    # phase-history figure pair). None of them is the child's garbage: move them out of the
    # collector's sight (this also keeps the child from writing to, and so copying, their pages).
    gc.freeze()
    parent = multiprocessing.parent_process()
    while True:
        try:
            job = jobs.get(timeout=POLL_SECONDS)
        except queue.Empty:
            if parent is not None and not parent.is_alive():
                return
            continue
        if job is None:
            return
        method, args = job
        try:
            results.put(("ok", method, getattr(renderer, method)(*args)))
        except Exception:  # reported to the parent, which warns; the remaining jobs still run
            results.put(("error", method, traceback.format_exc()))


class RenderWorker:
    """A child process running the methods of `renderer`, in the order they are submitted.

    Args:
        renderer: The object whose methods the jobs call. It is built in the parent and copied
            into the child, so keep its constructor cheap (store arguments; build figures in a
            method called as the first job).
        name: Process name, shown by `ps`.
    """

    def __init__(self, renderer: Any, name: str = "colorlatent-render"):
        context = _context()
        self._jobs = context.Queue()
        self._results = context.Queue()
        # daemon: the child is stopped when the training process exits, even without `close`.
        self._process = context.Process(target=_serve, args=(renderer, self._jobs, self._results), name=name,
                                        daemon=True)
        self._process.start()
        _LIVE.add(self)
        self.pending = 0
        self.errors: list[str] = []

    def submit(self, method: str, *args: Any) -> None:
        """Queue `renderer.method(*args)`; returns at once."""
        self._jobs.put((method, args))
        self.pending += 1

    def results(self, wait: bool = False) -> list[tuple[str, Any]]:
        """`(method, return value)` of the jobs finished so far; with `wait`, of every submitted job.

        Failed jobs are not returned; their tracebacks collect in `errors`.
        """
        done = []
        while self.pending:
            try:
                status, method, value = self._results.get(block=wait, timeout=POLL_SECONDS if wait else None)
            except queue.Empty:
                if not wait:
                    break
                if not self._process.is_alive():
                    self.errors.append(f"the render process exited (code {self._process.exitcode}) "
                                       f"with {self.pending} job(s) unfinished")
                    self.pending = 0
                continue
            self.pending -= 1
            if status == "ok":
                done.append((method, value))
            else:
                self.errors.append(f"{method}: {value}")
        return done

    def close(self) -> list[tuple[str, Any]]:
        """Wait for every job, stop the child, and return the results not collected yet."""
        done = self.results(wait=True)
        if self._process.is_alive():
            self._jobs.put(None)
            self._process.join(timeout=30)
        self.kill()
        return done

    def kill(self) -> None:
        """Stop the child now (after an exception in training); unfinished jobs are dropped."""
        if self._process.is_alive():
            self._process.kill()  # SIGKILL: the child ignores SIGTERM (see _serve)
            self._process.join(timeout=5)
        self.pending = 0
        _LIVE.discard(self)
        self._jobs.cancel_join_thread()  # don't block the exit on jobs nobody will read
        self._jobs.close()
        self._results.close()

    @property
    def alive(self) -> bool:
        """Whether the child process is running."""
        return self._process.is_alive()
