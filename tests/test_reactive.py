"""Changing a schedule while it plays: ScheduleCallback.override and the momentum of a retarget."""

import numpy as np
import pytest

from colorlatent import ReactiveTransition, ScheduleCallback
from colorlatent.callbacks.reactive import momentum_transition

SHEET = [{"STEP": 0, "lr": 0.01, "w::linear": 0.0}, {"STEP": 10, "w::linear": 1.0}]


def test_override_rewrites_the_table_from_a_step_on_and_holds_the_last_value():
    schedule = ScheduleCallback(SHEET)
    schedule.override("w", 4, [0.5, 0.25])
    column = schedule.table[:, schedule.names.index("w")]
    np.testing.assert_allclose(column, [0, 0.1, 0.2, 0.3, 0.5, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25])
    assert [schedule.values_at(s)["w"] for s in (3, 4, 5, 10, 99)] == pytest.approx([0.3, 0.5, 0.25, 0.25, 0.25])
    assert all(schedule.values_at(s)["lr"] == 0.01 for s in range(11))  # other values untouched


def test_override_past_the_end_grows_the_table():
    schedule = ScheduleCallback(SHEET)
    schedule.override("w", 12, [2.0, 3.0])
    assert len(schedule.table) == 14
    assert [schedule.values_at(s)["w"] for s in (10, 11, 12, 13, 50)] == [1.0, 1.0, 2.0, 3.0, 3.0]
    assert schedule.values_at(13)["lr"] == 0.01


def test_override_errors_name_the_problem():
    schedule = ScheduleCallback(SHEET)
    with pytest.raises(ValueError, match=r"cannot override 'x': not a scheduled value; scheduled: \['lr', 'w'\]"):
        schedule.override("x", 0, [1.0])
    with pytest.raises(ValueError, match="start >= 0 and at least one value; got start=-1"):
        schedule.override("w", -1, [1.0])


def test_minimum_jerk_retarget_starts_with_the_current_velocity():
    ramp = np.linspace(0.0, 1.0, 101)  # 0.01 per step
    values = momentum_transition(ramp, 10, target=0.5, duration=20)
    # y0 = 0.1, v0 = 0.01/step, a0 = 0: c = (0.1, 0.2, 0, 2.8, -4.4, 1.8) in tau = t/20
    assert values[0] == 0.1 and values[-1] == 0.5 and len(values) == 21
    assert values[10] == pytest.approx(0.33125, abs=1e-12)
    assert values[1] - values[0] == pytest.approx(0.0103230625, abs=1e-12)
    # linear and step-end ignore momentum
    assert momentum_transition(ramp, 10, 0.5, 20, "linear")[10] == pytest.approx(0.3)
    assert list(momentum_transition(ramp, 10, 0.5, 20, "step-end")[[0, 19, 20]]) == [0.1, 0.1, 0.5]


def test_log_space_retarget_interpolates_the_logarithm():
    flat = np.full(50, 1e-4)
    values = momentum_transition(flat, 5, target=1e-2, duration=10, interpolator="linear", log=True)
    assert values[5] == pytest.approx(1e-3)  # halfway in ln: the geometric mean
    assert values[0] == 1e-4 and values[-1] == 1e-2


def test_retarget_past_the_schedule_end_starts_at_rest():
    values = momentum_transition(np.array([0.0, 1.0, 2.0]), 7, target=4.0, duration=2, interpolator="linear")
    assert list(values) == [2.0, 3.0, 4.0]


def test_reactive_transition_checks_its_arguments():
    with pytest.raises(ValueError, match=r"interpolator='cubic' is not allowed"):
        ReactiveTransition("w", "val/recon_mse", 0.1, 1.0, interpolator="cubic")
    with pytest.raises(ValueError, match="duration must be a non-negative number of steps; got -1"):
        ReactiveTransition("w", "val/recon_mse", 0.1, 1.0, duration=-1)
