"""Timing functions: values and derivatives against hand-computed polynomials."""

import numpy as np
import pytest

from colorlatent.schedule.easing import INTERPOLATORS, Linear, MinimumJerk, StepEnd

# Rest-to-rest minimum jerk S(τ) = 10τ³ - 15τ⁴ + 6τ⁵ at a few points, by hand:
# S(0.1) = 0.01 - 0.0015 + 0.00006, S(0.5) = 1.25 - 0.9375 + 0.1875, S'(0.5) = 7.5 - 7.5 + 1.875.
S_01 = 0.00856
S_05 = 0.5
DS_05 = 1.875


def test_minjerk_from_rest_hits_ends_exactly():
    f = MinimumJerk(0.0, 1.0, 10)
    assert f(0)[0] == 0.0
    assert f(10)[0] == 1.0
    assert f(1)[0] == pytest.approx(S_01, rel=1e-12)
    assert f(5)[0] == pytest.approx(S_05, rel=1e-12)


def test_minjerk_scales_to_any_start_and_target():
    f = MinimumJerk(2.0, -4.0, 10)
    assert f(1)[0] == pytest.approx(2.0 - 6.0 * S_01, rel=1e-12)
    assert f(10)[0] == -4.0


def test_minjerk_derivatives():
    f = MinimumJerk(0.0, 1.0, 10)
    _, velocity, acceleration = f(5)
    assert velocity == pytest.approx(DS_05 / 10, rel=1e-12)
    assert acceleration == pytest.approx(0.0, abs=1e-12)  # S''(0.5) = 30 - 45 + 15
    for t in (0, 10):
        _, velocity, acceleration = f(t)
        assert velocity == pytest.approx(0.0, abs=1e-12)
        assert acceleration == pytest.approx(0.0, abs=1e-12)


def test_minjerk_clamps_time():
    f = MinimumJerk(0.0, 1.0, 10)
    assert f(15) == (1.0, 0.0, 0.0)
    assert f(-3)[0] == 0.0


def test_minjerk_initial_velocity():
    # c1 = v0·T = 1, b = (0, -1, 0) → (c3, c4, c5) = (4, -7, 3): y = τ + 4τ³ - 7τ⁴ + 3τ⁵.
    f = MinimumJerk(0.0, 1.0, 10, velocity=0.1)
    assert f(1)[0] == pytest.approx(0.1 + 0.004 - 0.0007 + 0.00003, rel=1e-12)
    assert f(1)[0] > MinimumJerk(0.0, 1.0, 10)(1)[0]  # momentum carries early values up
    assert f(0)[1] == pytest.approx(0.1, rel=1e-12)
    assert f(10) == (1.0, 0.0, 0.0)


def test_minjerk_initial_acceleration():
    # c2 = a0·T²/2 = 1, b = (0, -2, -2) → (c3, c4, c5) = (7, -12, 5): y = τ² + 7τ³ - 12τ⁴ + 5τ⁵.
    f = MinimumJerk(0.0, 1.0, 10, acceleration=0.02)
    assert f(5)[0] == pytest.approx(0.25 + 0.875 - 0.75 + 0.15625, rel=1e-12)
    assert f(0)[2] == pytest.approx(0.02, rel=1e-12)
    assert f(10)[0] == 1.0


@pytest.mark.parametrize("duration", [1e9, 1e200])
def test_minjerk_very_long_durations_stay_finite(duration):
    value, velocity, acceleration = MinimumJerk(0.0, 1.0, duration)(1.0)
    assert np.isfinite([value, velocity, acceleration]).all()
    assert 0.0 <= value < 1e-20


@pytest.mark.parametrize("cls", [MinimumJerk, Linear, StepEnd])
@pytest.mark.parametrize("duration", [0, 1e-11])
def test_zero_duration_holds_initial_value(cls, duration):
    f = cls(2.0, 5.0, duration, velocity=3.0, acceleration=1.0)
    for t in (0, 1, 100):
        assert f(t) == (2.0, 0.0, 0.0)


def test_linear():
    f = Linear(0.0, 10.0, 4)
    assert [float(f(t)[0]) for t in (-1, 0, 1, 2, 4, 10)] == [0.0, 0.0, 2.5, 5.0, 10.0, 10.0]
    assert f(1)[1] == 2.5
    assert f(4)[1] == 0.0  # arrived: at rest
    assert f(2)[2] == 0.0


def test_linear_ends_exactly_on_target():
    assert Linear(0.1, 0.3, 3)(3)[0] == 0.3  # 0.1 + (0.3 - 0.1) would be 0.30000000000000004


def test_step_end():
    f = StepEnd(1.0, 2.0, 4)
    assert [float(f(t)[0]) for t in (0, 3, 3.999, 4, 100)] == [1.0, 1.0, 1.0, 2.0, 2.0]
    assert f(2)[1:] == (0.0, 0.0)


@pytest.mark.parametrize("cls", [Linear, StepEnd])
def test_linear_and_step_end_ignore_initial_motion(cls):
    plain, moving = cls(0.0, 1.0, 4), cls(0.0, 1.0, 4, velocity=5.0, acceleration=-3.0)
    for t in (0, 1, 3, 4):
        assert moving(t)[0] == plain(t)[0]


@pytest.mark.parametrize("cls", [MinimumJerk, Linear, StepEnd])
def test_vectorised_evaluation_matches_scalar(cls):
    f = cls(0.5, -1.5, 7, velocity=0.2)
    t = np.arange(-2, 10)
    values, velocities, accelerations = f(t)
    assert values.shape == t.shape
    for i, ti in enumerate(t):
        expected = [float(x) for x in f(ti)]
        assert [values[i], velocities[i], accelerations[i]] == pytest.approx(expected, abs=1e-15)


def test_registry():
    assert INTERPOLATORS["minjerk"] is MinimumJerk
    assert INTERPOLATORS["linear"] is Linear
    assert INTERPOLATORS["step-end"] is INTERPOLATORS["step"] is StepEnd
