"""ScheduleCallback: drives the learning rate and every term weight from a dopesheet."""

from __future__ import annotations

import difflib
import warnings
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np

from ..logs import log_scalars
from .dopesheet import Dopesheet, DopesheetError
from .timeline import Timeline


class ScheduleCallback(L.Callback):
    """Sets scheduled values on the module before every training step.

    The whole schedule is replayed once at fit start into a table, so a step costs one row
    lookup. Column `lr` sets the learning rate of every optimizer param group; a column named
    like a regularizer sets that term's weight (`AnchoredAutoencoder.term_weights`). Every
    value is logged as `sched/<name>` every `trainer.log_every_n_steps` steps. The value at step t is
    the dopesheet's value at t; past the sheet's end the last values hold.

    A typo in a column name must not silently leave a term at its default weight, so at fit
    start every column has to be used: `lr`, a regularizer's name, or a name listed in the
    `schedule_columns` attribute of the module, the data module or a callback that reads it. Anything
    else is an error, unless it is listed in `ignore_columns`.

    ACTION cells are dispatched at their step, before that step's update and before its values
    are set: every object among the module, its regularizers, the data module and the
    callbacks whose `schedule_actions` attribute lists the action gets
    `on_schedule_action(name, step, pl_module)` (e.g. `DriftAnchor` takes its snapshot on
    `anchor`). Each action fires exactly once: a resumed run does not fire the actions of the
    steps it resumes past (the last dispatched step is in the checkpoint). An action nobody
    handles is an error at fit start, unless it is listed in `ignore_actions`.

    Args:
        dopesheet: The schedule: a CSV file path, or a list of row mappings (YAML form), e.g.
            `[{STEP: 0, PHASE: Train, lr: 1e-8}, {STEP: "+10", lr: 0.01}]`. It must have an
            `lr` column.
        ignore_columns: Columns to ignore on purpose (not applied, not logged), e.g. when runs
            with different subsets of regularizers share one dopesheet.
        ignore_actions: Actions to leave undispatched on purpose, e.g. markers that are only
            drawn on the timeline figure.
    """

    def __init__(self, dopesheet: list[dict[str, str | int | float | None]] | str | Path,
                 ignore_columns: list[str] | None = None, ignore_actions: list[str] | None = None):
        super().__init__()
        self.sheet = Dopesheet.load(dopesheet)
        if "lr" not in self.sheet.props:
            raise DopesheetError(
                f"dopesheet has no 'lr' column (columns: {self.sheet.props}); the schedule sets the learning "
                "rate, so key it at least once, e.g. `lr: 0.001` in the first row"
            )
        self.ignore_columns = list(ignore_columns or [])
        unknown = [c for c in self.ignore_columns if c not in self.sheet.props]
        if unknown or "lr" in self.ignore_columns:
            raise ValueError(
                f"ignore_columns={self.ignore_columns}: {unknown or ['lr']} "
                f"{'are not dopesheet columns' if unknown else 'cannot be ignored'}; "
                f"the columns other than lr are {[c for c in self.sheet.props if c != 'lr']}"
            )
        self.timeline = Timeline(self.sheet)
        self.names, self.table = self.timeline.table()
        self._rows: list[dict[str, float]] = [dict(zip(self.names, map(float, row))) for row in self.table]
        self.ignore_actions = list(ignore_actions or [])
        keyed = {a for row in self.sheet.rows for a in row.actions}
        if not set(self.ignore_actions) <= keyed:
            raise ValueError(f"ignore_actions={self.ignore_actions}: {sorted(set(self.ignore_actions) - keyed)} are "
                             f"not actions of the dopesheet; its actions are {sorted(keyed)}")
        self.actions: dict[int, tuple[str, ...]] = {}  # {step: the actions to dispatch there}
        for row in self.sheet.rows:
            if dispatched := tuple(a for a in row.actions if a not in self.ignore_actions):
                self.actions[row.step] = dispatched
        self._handlers: dict[str, list[Any]] = {}
        self._fired_through = -1  # the last step whose actions were dispatched

    def values_at(self, step: int) -> dict[str, float]:
        """Every scheduled value at `step` (held constant past the end of the sheet)."""
        return self._rows[min(max(step, 0), len(self._rows) - 1)]

    def phase_at(self, step: int) -> str | None:
        return self.timeline.phase_at(min(step, len(self.sheet) - 1))

    def override(self, name: str, start: int, values) -> None:
        """From step `start` on, play `values` for the scheduled value `name`, then hold the last one.

        For callbacks that change the schedule while training runs (`ReactiveTransition`): the
        table is rewritten once, so a step still costs one row lookup. Later keyframes of `name`
        are replaced; the other values are untouched.

        Args:
            name: A scheduled value (dopesheet column).
            start: First step to change, >= 0 (the table grows if it is past the sheet's end).
            values: The values for steps `start`, `start + 1`, ...
        """
        if name not in self.names:
            raise ValueError(f"cannot override {name!r}: not a scheduled value; scheduled: {self.names}")
        values = np.asarray(values, dtype=float).ravel()
        if start < 0 or not len(values):
            raise ValueError(f"override needs start >= 0 and at least one value; got start={start}, "
                             f"{len(values)} values")
        end = start + len(values)
        if end > len(self.table):
            grow = end - len(self.table)
            self.table = np.concatenate([self.table, np.repeat(self.table[-1:], grow, axis=0)])
            self._rows += [dict(self._rows[-1]) for _ in range(grow)]
        column = self.names.index(name)
        self.table[start:end, column] = values
        self.table[end:, column] = values[-1]
        for row, value in zip(self._rows[start:], self.table[start:, column].tolist()):
            row[name] = value

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.max_steps == -1:
            trainer.fit_loop.epoch_loop.max_steps = len(self.sheet)
        self._check_columns(trainer, pl_module)
        self._handlers = self._find_handlers(trainer, pl_module)
        if trainer.ckpt_path is None:  # a new run (this callback may have trained before)
            self._fired_through = -1

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # The steps before the one a run resumes at were trained with their actions already;
        # this also covers checkpoints that do not record the last dispatched step.
        self._fired_through = max(self._fired_through, trainer.global_step - 1)

    @staticmethod
    def _participants(trainer: L.Trainer, pl_module: L.LightningModule) -> list[Any]:
        """What may read columns (`schedule_columns`) or handle actions (`schedule_actions`)."""
        return [pl_module, *getattr(pl_module, "regularizers", []), trainer.datamodule, *trainer.callbacks]

    def _find_handlers(self, trainer: L.Trainer, pl_module: L.LightningModule) -> dict[str, list[Any]]:
        handlers: dict[str, list[Any]] = {}
        for candidate in self._participants(trainer, pl_module):
            for name in getattr(candidate, "schedule_actions", ()):
                handlers.setdefault(name, []).append(candidate)
        for step, names in sorted(self.actions.items()):
            for name in names:
                if name not in handlers:
                    raise ValueError(
                        f"dopesheet action {name!r} at step {step} is not handled: nothing lists it in its "
                        f"`schedule_actions`. Handled actions: {sorted(handlers) or 'none'}. Add what handles it "
                        "(e.g. a `drift-anchor` regularizer for `anchor`), fix or remove the ACTION cell, or list it in "
                        "the ScheduleCallback's ignore_actions to leave it undispatched on purpose"
                    )
        return handlers

    def _check_columns(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        regularizers = [reg.name for reg in getattr(pl_module, "regularizers", [])]
        # e.g. the data module's focus reads data-* columns
        readers = self._participants(trainer, pl_module)
        others = ["lr", *(c for reader in readers for c in getattr(reader, "schedule_columns", ()))]
        consumers = set(regularizers) | set(others)
        clash = [c for c in self.ignore_columns if c in consumers]
        if clash:
            raise ValueError(
                f"ignore_columns lists {clash}, but the model has regularizers or readers with those names; "
                "remove them from ignore_columns (an ignored column would leave those terms at weight 1)"
            )
        for name in self.names:
            if name in consumers or name in self.ignore_columns:
                continue
            close = difflib.get_close_matches(name, sorted(consumers), n=1)
            raise ValueError(
                f"dopesheet column {name!r} is not used: no regularizer is named {name!r} and nothing else "
                f"reads it{f' (did you mean {close[0]!r}?)' if close else ''}. Regularizers: {regularizers}; "
                f"other scheduled values: {sorted(set(others))}. Fix the name, or add it to the "
                "ScheduleCallback's ignore_columns to ignore it on purpose"
            )

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx: int) -> None:
        step = trainer.global_step
        if step > self._fired_through and step in self.actions:
            for name in self.actions[step]:
                for handler in self._handlers[name]:
                    handler.on_schedule_action(name, step, pl_module)
            self._fired_through = step
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
            logged = {f"sched/{k}": v for k, v in values.items() if k not in self.ignore_columns}
            log_scalars(trainer, logged, step)

    def state_dict(self) -> dict[str, Any]:
        # Values derive from the global step, which the checkpoint already holds; the sheet is
        # stored so a resumed run can be checked against the schedule it started with.
        return {"dopesheet": self.sheet.to_rows(), "actions_fired_through": self._fired_through}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        saved = state_dict.get("dopesheet")
        if saved is not None and saved != self.sheet.to_rows():
            warnings.warn("resuming with a different dopesheet than the checkpoint was trained with", stacklevel=2)
        self._fired_through = state_dict.get("actions_fired_through", -1)
