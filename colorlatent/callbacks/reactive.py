"""ReactiveTransition: retarget a scheduled value when a measured metric crosses a threshold."""

from __future__ import annotations

from typing import Any, Literal

import lightning as L
import numpy as np
from lightning.pytorch.utilities import rank_zero_info

from ..logs import log_scalars
from ..schedule.easing import INTERPOLATORS
from ..schedule.transitions import LOG_FLOOR
from .common import find_schedule


def momentum_transition(series: np.ndarray, step: int, target: float, duration: int,
                        interpolator: str = "minjerk", log: bool = False) -> np.ndarray:
    """Values for steps `step` ... `step + duration` that carry `series` smoothly to `target`.

    The transition starts from the series' value, velocity and acceleration at `step` (central
    differences of the played values; for a dopesheet's minimum-jerk curves they match the
    analytic derivatives to within rounding), so a retarget in the middle of a scheduled ramp
    keeps its momentum, as `DynamicProp.set` does. `linear` and `step-end` ignore momentum.

    Args:
        series: The value at every step (a column of `ScheduleCallback.table`).
        step: The step the transition starts at; past the series' end the last value is at rest.
        target: Where the value ends.
        duration: Steps to reach `target` (0 jumps at once).
        interpolator: Easing, a key of `colorlatent.schedule.easing.INTERPOLATORS`.
        log: Interpolate ln(value) (for `log`-space columns), as `LogDynamicProp` does.
    """
    if interpolator not in INTERPOLATORS:
        raise ValueError(f"unknown interpolator {interpolator!r}; expected one of {sorted(INTERPOLATORS)}")
    if duration < 0:
        raise ValueError(f"duration must be non-negative; got {duration}")
    encode = (lambda v: np.log(np.maximum(v, LOG_FLOOR))) if log else (lambda v: np.asarray(v, dtype=float))
    y = encode(series)
    if step >= len(y):
        value, velocity, acceleration = y[-1], 0.0, 0.0
    else:
        before, after = y[max(step - 1, 0)], y[min(step + 1, len(y) - 1)]
        value = y[step]
        velocity = (after - before) / 2 if 0 < step < len(y) - 1 else 0.0
        acceleration = after - 2 * value + before if 0 < step < len(y) - 1 else 0.0
    if duration == 0:
        return np.array([float(target)])
    curve = INTERPOLATORS[interpolator](value, float(encode(target)), duration, velocity, acceleration)
    values = curve(np.arange(duration + 1))[0]
    values = np.exp(values) if log else values
    values[0] = series[min(step, len(series) - 1)]  # exactly where the schedule was (no ln/exp round trip)
    values[-1] = target
    return values


class ReactiveTransition(L.Callback):
    """Retargets one value of the ScheduleCallback when a monitored metric crosses a threshold.

    After every validation (not the sanity check), `monitor` is read from
    `trainer.callback_metrics`. The first time it is below (`mode: below`) or above `threshold`,
    the scheduled value `value` leaves its schedule: from the next step on it moves to `target`
    over `duration` steps, starting with the velocity it had (momentum-preserving minimum jerk by
    default), and holds `target` afterwards. The schedule's table is rewritten once
    (`ScheduleCallback.override`), so training steps stay table lookups.

    The step it fired at is logged as `reactive/<value>` (= `target`), kept in `fired_at`, and
    saved in checkpoints, so a resumed run replays the same change. In multi-process training
    every rank changes its schedule at the same step, decided by rank zero's metric.

    Args:
        value: Scheduled value to retarget (a dopesheet column, e.g. `reg-norm`).
        monitor: Metric to watch, e.g. `val/recon_mse`.
        threshold: Value of the metric that triggers the change.
        target: New value.
        duration: Steps of the transition.
        mode: `below`: fire when the metric is below `threshold`; `above`: above it.
        interpolator: `minjerk` (keeps momentum), `linear` or `step-end`.
    """

    def __init__(self, value: str, monitor: str, threshold: float, target: float, duration: int = 200,
                 mode: Literal["below", "above"] = "below",
                 interpolator: Literal["minjerk", "linear", "step-end"] = "minjerk"):
        super().__init__()
        if mode not in ("below", "above"):
            raise ValueError(f"mode={mode!r} is not allowed; allowed: ['below', 'above']")
        if interpolator not in INTERPOLATORS:
            raise ValueError(f"interpolator={interpolator!r} is not allowed; allowed: {sorted(INTERPOLATORS)}")
        if duration < 0:
            raise ValueError(f"duration must be a non-negative number of steps; got {duration}")
        self.value, self.monitor, self.threshold, self.target = value, monitor, float(threshold), float(target)
        self.duration, self.mode, self.interpolator = int(duration), mode, interpolator
        self.fired_at: int | None = None
        self.metric_at_fire: float | None = None

    @property
    def state_key(self) -> str:
        # Several instances may retarget different values; keep their checkpoint states apart.
        return f"ReactiveTransition[{self.value}]"

    def _schedule(self, trainer: L.Trainer):
        schedule = find_schedule(trainer)
        if schedule is None or self.value not in schedule.names:
            scheduled = schedule.names if schedule is not None else "none (no ScheduleCallback)"
            raise ValueError(f"ReactiveTransition: value {self.value!r} is not scheduled; scheduled values: "
                             f"{scheduled}")
        return schedule

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        schedule = self._schedule(trainer)  # fail before training if the value is not scheduled
        if self.fired_at is not None:  # resumed from a checkpoint taken after it fired
            self._retarget(schedule, self.fired_at)

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.sanity_checking or self.fired_at is not None or trainer.state.fn != "fit":
            return
        metrics = trainer.callback_metrics
        if self.monitor not in metrics:
            raise ValueError(f"ReactiveTransition: metric {self.monitor!r} was not logged; logged metrics: "
                             f"{sorted(metrics)}")
        metric = float(metrics[self.monitor])
        crossed = metric < self.threshold if self.mode == "below" else metric > self.threshold
        # Every rank must change its schedule at the same step; rank zero's metric decides.
        metric, crossed = trainer.strategy.broadcast((metric, crossed), src=0)
        if not crossed:
            return
        # Validation runs after the step's update, so the change starts with the next step.
        step = trainer.global_step
        self.fired_at, self.metric_at_fire = step, metric
        self._retarget(self._schedule(trainer), step)
        log_scalars(trainer, {f"reactive/{self.value}": self.target}, step)
        rank_zero_info(f"step {step}: {self.monitor} = {metric:.4g} is {self.mode} {self.threshold:g}; "
                       f"{self.value} -> {self.target:g} over {self.duration} steps")

    def _retarget(self, schedule, step: int) -> None:
        column = schedule.names.index(self.value)
        log = next(c.space == "log" for c in schedule.sheet.columns if c.name == self.value)
        values = momentum_transition(schedule.table[:, column], step, self.target, self.duration,
                                     self.interpolator, log)
        schedule.override(self.value, step, values)

    def state_dict(self) -> dict[str, Any]:
        return {"fired_at": self.fired_at, "metric_at_fire": self.metric_at_fire}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.fired_at = state_dict.get("fired_at")
        self.metric_at_fire = state_dict.get("metric_at_fire")
