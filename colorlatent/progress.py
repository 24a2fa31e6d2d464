"""PhaseProgressBar: one bar for the whole run, with the step, the loss and the schedule's phase."""

from __future__ import annotations

from typing import Any

import lightning as L
from lightning.pytorch.callbacks import TQDMProgressBar
from lightning.pytorch.callbacks.progress.tqdm_progress import convert_inf

from .callbacks.common import find_schedule
from .schedule.callback import ScheduleCallback


class PhaseProgressBar(TQDMProgressBar):
    """A training progress bar over global steps (not epochs), showing the current phase and loss.

    ``Train ▕███▌     ▏ 4000/10001 [00:07<00:10, 570.12it/s, loss=0.0123]``: the description
    is the ScheduleCallback's current phase (`Training` without one), the count is the global
    step out of `max_steps`, and the postfix holds the metrics logged with `prog_bar=True`.
    Lightning's default bar restarts every epoch, which for ex 1.7 (57 steps per epoch) means
    175 restarts and a terminal write per epoch.

    The bar is redrawn every `refresh_rate` steps only; between redraws a step costs one integer
    modulo, which matters when a step takes ~1.7 ms.

    Args:
        refresh_rate: Redraw every this many steps (0 disables the bar).
        process_position: Line offset of the bar, for several trainers in one terminal.
        leave: Keep the finished bar on screen.
    """

    def __init__(self, refresh_rate: int = 100, process_position: int = 0, leave: bool = True):
        super().__init__(refresh_rate=refresh_rate, process_position=process_position, leave=leave)
        self._schedule: ScheduleCallback | None = None

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        super().on_train_start(trainer, pl_module)
        self._schedule = find_schedule(trainer)
        total = trainer.max_steps if trainer.max_steps > 0 else trainer.estimated_stepping_batches
        bar = self.train_progress_bar
        bar.leave = self._leave
        bar.reset(total=convert_inf(total))
        bar.initial = trainer.global_step  # a resumed run starts where it stopped
        bar.n = trainer.global_step
        bar.set_description(self._phase(trainer.global_step), refresh=False)

    def _phase(self, step: int) -> str:
        phase = self._schedule.phase_at(step) if self._schedule is not None else None
        return phase or "Training"

    def on_train_epoch_start(self, trainer: L.Trainer, *_: Any) -> None:
        """One bar for the whole run: nothing to reset at an epoch boundary."""

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, outputs, batch,
                           batch_idx: int) -> None:
        step = trainer.global_step
        bar = self._train_progress_bar
        if bar is None or not self.is_enabled or (step % self.refresh_rate and step != bar.total):
            return
        bar.n = step
        bar.set_description(self._phase(step), refresh=False)
        bar.set_postfix(self.get_metrics(trainer, pl_module), refresh=False)
        bar.refresh()

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        """No per-epoch redraw (the parent's would write to the terminal every 57 steps in ex 1.7)."""

    def get_metrics(self, trainer: L.Trainer, pl_module: L.LightningModule) -> dict[str, Any]:
        metrics = super().get_metrics(trainer, pl_module)
        metrics.pop("v_num", None)  # the run directory is printed at the end anyway
        return metrics
