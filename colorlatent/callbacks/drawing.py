"""DrawingCallback: the life cycle shared by callbacks that draw their figures in a `RenderWorker`."""

from __future__ import annotations

import warnings
from typing import Any

import lightning as L

from .worker import RenderWorker


class DrawingCallback(L.Callback):
    """Base for callbacks whose figures are drawn in a child process.

    A subclass starts its worker (`start_worker`) on rank zero, submits jobs while training runs,
    and handles each finished job in `on_result`. The base collects results without waiting
    (`collect`), waits for the rest at the end of fit (as late as possible, so the drawing
    overlaps the other callbacks' end of training), warns about failed jobs, and kills the
    child when training fails. On ranks other than zero no worker exists and every hook is a no-op.
    """

    _worker: RenderWorker | None = None

    def start_worker(self, renderer: Any, name: str) -> RenderWorker:
        """Start the child process that runs `renderer`'s methods."""
        self._worker = RenderWorker(renderer, name=name)
        return self._worker

    def submit(self, method: str, *args: Any) -> None:
        """Queue `renderer.method(*args)` (ignored when no worker runs, e.g. on other ranks)."""
        if self._worker is not None:
            self._worker.submit(method, *args)

    def collect(self, trainer: L.Trainer) -> None:
        """Handle the jobs finished so far, without waiting."""
        if self._worker is not None:
            for method, value in self._worker.results():
                self.on_result(trainer, method, value)

    def on_result(self, trainer: L.Trainer, method: str, value: Any) -> None:
        """Handle the return value of a finished `renderer.method` job (log it, remember files)."""

    def on_fit_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self._worker is None:
            return
        worker, self._worker = self._worker, None
        for method, value in worker.close():
            self.on_result(trainer, method, value)
        if worker.errors:
            warnings.warn(f"{type(self).__name__}: drawing failed:\n" + "\n".join(worker.errors), stacklevel=1)

    def on_exception(self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException) -> None:
        self.teardown(trainer, pl_module, "fit")

    def teardown(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        if self._worker is not None:
            self._worker.kill()
            self._worker = None
