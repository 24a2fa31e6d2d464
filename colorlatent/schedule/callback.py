"""ScheduleCallback: drives the learning rate and every term weight from a dopesheet."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import lightning as L

from ..logs import log_scalars
from .dopesheet import Dopesheet
from .timeline import Timeline


class ScheduleCallback(L.Callback):
    """Sets scheduled values on the module before every training step.

    The whole schedule is replayed once at fit start into a table, so a step costs one row
    lookup. Column `lr` sets the learning rate of every optimizer param group; a column named
    like a regularizer sets that term's weight (`AnchoredAutoencoder.term_weights`). Every
    value is logged as `sched/<name>` every `trainer.log_every_n_steps` steps. The value at step t is
    the dopesheet's value at t; past the sheet's end the last values hold.

    Args:
        dopesheet: The schedule: a CSV file path, or a list of row mappings (YAML form), e.g.
            `[{STEP: 0, PHASE: Train, lr: 1e-8}, {STEP: "+10", lr: 0.01}]`.
    """

    def __init__(self, dopesheet: str | Path | list[dict[str, str | int | float | None]]):
        super().__init__()
        self.sheet = Dopesheet.load(dopesheet)
        self.timeline = Timeline(self.sheet)
        self.names, self.table = self.timeline.table()
        self._rows: list[dict[str, float]] = [dict(zip(self.names, map(float, row))) for row in self.table]

    def values_at(self, step: int) -> dict[str, float]:
        """Every scheduled value at `step` (held constant past the end of the sheet)."""
        return self._rows[min(max(step, 0), len(self._rows) - 1)]

    def phase_at(self, step: int) -> str | None:
        return self.timeline.phase_at(min(step, len(self.sheet) - 1))

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.max_steps == -1:
            trainer.fit_loop.epoch_loop.max_steps = len(self.sheet)
        consumers = {"lr"} | {reg.name for reg in getattr(pl_module, "regularizers", [])}
        unused = [n for n in self.names if n not in consumers]
        if unused:
            warnings.warn(
                f"dopesheet columns {unused} are not consumed by any regularizer or by lr "
                f"(consumers: {sorted(consumers)}); they have no effect",
                stacklevel=2,
            )

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx: int) -> None:
        step = trainer.global_step
        values = self.values_at(step)
        lr = values.get("lr")
        if lr is not None:
            for optimizer in trainer.optimizers:
                for group in optimizer.param_groups:
                    group["lr"] = lr
        weights = getattr(pl_module, "term_weights", None)
        if weights is not None:
            weights.update(values)
        if step % trainer.log_every_n_steps == 0:
            log_scalars(trainer, {f"sched/{k}": v for k, v in values.items()}, step)

    def state_dict(self) -> dict[str, Any]:
        # Values derive from the global step, which the checkpoint already holds; the sheet is
        # stored so a resumed run can be checked against the schedule it started with.
        return {"dopesheet": self.sheet.to_rows()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        saved = state_dict.get("dopesheet")
        if saved is not None and saved != self.sheet.to_rows():
            warnings.warn("resuming with a different dopesheet than the checkpoint was trained with", stacklevel=2)
