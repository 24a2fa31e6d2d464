"""TimelineFigureCallback: the schedule (every scheduled value, phases, actions) as a figure."""

from __future__ import annotations

from pathlib import Path

import lightning as L
import numpy as np
from lightning.pytorch.utilities import rank_zero_only

from ..plots.timeline import plot_timeline
from .common import encode_png, find_schedule, log_png, reduce_colors, render
from .drawing import DrawingCallback


class TimelineRenderer:
    """Child-process side of `TimelineFigureCallback`.

    Args:
        names: Scheduled value names.
        phases: (name, first step, last step) of every phase.
        actions: (step, action names) of every row with actions.
        out_dir: Run directory.
        filename: Light PNG name; the dark one is `<stem>-dark.png`.
        dark: Also write the dark variant.
        dpi: Resolution.
    """

    def __init__(self, names: list[str], phases: list[tuple[str, int, int]], actions: list[tuple[int, tuple]],
                 out_dir: Path, filename: str, dark: bool, dpi: float):
        self.names, self.phases, self.actions = names, phases, actions
        self.out_dir, self.filename, self.dark, self.dpi = Path(out_dir), filename, dark, dpi

    def render(self, step: int, table: np.ndarray, title: str,
               planned: np.ndarray | None = None) -> tuple[int, tuple[bytes, int, int], list[str]]:
        """Write the figure; return the step, the light PNG (palette) for TensorBoard and the file names."""
        names = [self.filename, f"{Path(self.filename).stem}-dark.png"][: 2 if self.dark else 1]
        for dark, name in zip((False, True), names):
            image = render(plot_timeline(self.names, table, self.phases, self.actions, title, planned, dark), self.dpi)
            (self.out_dir / name).write_bytes(encode_png(image)[0])
            if not dark:
                logged = encode_png(reduce_colors(image))
        return step, logged, names


class TimelineFigureCallback(DrawingCallback):
    """Draws the ScheduleCallback's schedule: every value over the run, phases as bands, actions as markers.

    The figure is drawn when training starts (TensorBoard tag `tag` at step 0, and `filename` in
    the run directory). If another callback changed the schedule during
    the run (e.g. `ReactiveTransition`), it is drawn again at the end, as played, at the final
    step. Drawing happens in a child process, on rank zero; without a ScheduleCallback the callback
    does nothing.

    Args:
        filename: PNG file name in the run directory.
        tag: TensorBoard image tag.
        dark: Also write a dark variant, `<stem>-dark.png` (off by default: every figure drawn
            during training competes with it for the CPU on a busy machine).
        dpi: Resolution.
    """

    def __init__(self, filename: str = "timeline.png", tag: str = "schedule/timeline", dark: bool = False,
                 dpi: float = 90):
        super().__init__()
        self.filename, self.tag, self.dark, self.dpi = filename, tag, dark, dpi
        self.paths: list[Path] = []

    @rank_zero_only
    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # Other ranks never start a worker, so every later hook is a no-op there.
        schedule = find_schedule(trainer)
        if trainer.sanity_checking or schedule is None:
            return
        sheet = schedule.sheet
        phases = [(p.name, p.start, p.end) for p in sheet.phases]
        actions = [(row.step, row.actions) for row in sheet.rows if row.actions]
        log_dir = Path(trainer.log_dir or ".")
        log_dir.mkdir(parents=True, exist_ok=True)
        self._total = trainer.max_steps if trainer.max_steps > 0 else int(trainer.estimated_stepping_batches)
        self._schedule = schedule
        self._played = self._run_table()
        self.start_worker(TimelineRenderer(schedule.names, phases, actions, log_dir, self.filename, self.dark,
                                           self.dpi), name="colorlatent-timeline")
        self.submit("render", 0, self._played, "Schedule")

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # Log the figure as soon as it is drawn, for a TensorBoard that watches a long run.
        if not trainer.sanity_checking:
            self.collect(trainer)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self._worker is None:
            return
        played = self._run_table()
        if not np.array_equal(played, self._played):
            self.submit("render", trainer.global_step, played, "Schedule as played (changed during training)",
                        self._played)

    def _run_table(self) -> np.ndarray:
        """The schedule's values over this run's steps (the last row held past the sheet's end)."""
        table = self._schedule.table[: self._total]
        missing = self._total - len(table)
        return np.concatenate([table, np.repeat(table[-1:], missing, axis=0)]) if missing > 0 else table.copy()

    def on_result(self, trainer: L.Trainer, method: str, value) -> None:
        step, image, names = value
        log_png(trainer, self.tag, image, step)
        self.paths = [Path(trainer.log_dir or ".") / name for name in names]
