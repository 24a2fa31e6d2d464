"""DynamicProp / LogDynamicProp: jumps, smooth transitions, retargeting with momentum."""

import math

import numpy as np
import pytest

from colorlatent.schedule import DynamicProp, LogDynamicProp

S_01 = 0.00856  # 10τ³ - 15τ⁴ + 6τ⁵ at τ = 0.1


def test_starts_at_rest():
    p = DynamicProp(3.0)
    assert (p.value, p.velocity, p.target, p.is_moving) == (3.0, 0.0, 3.0, False)


@pytest.mark.parametrize("duration", [None, 0])
def test_zero_duration_jumps(duration):
    p = DynamicProp(3.0)  # default duration 0
    p.set(5.0, duration)
    assert (p.value, p.target, p.is_moving) == (5.0, 5.0, False)


def test_smooth_transition_completes_exactly():
    p = DynamicProp(0.0)
    p.set(1.0, 10)
    assert p.value == 0.0 and p.is_moving and p.target == 1.0
    p.step()
    assert p.value == pytest.approx(S_01, rel=1e-12)
    p.step(4)
    assert p.value == pytest.approx(0.5, rel=1e-12)
    p.step(4)
    assert p.is_moving
    p.step()
    assert (p.value, p.velocity, p.is_moving) == (1.0, 0.0, False)
    p.step(100)
    assert p.value == 1.0


def test_constructor_duration_is_the_default():
    p = DynamicProp(0.0, duration=4)
    p.set(1.0)
    p.step(3)
    assert p.is_moving
    p.step()
    assert p.value == 1.0 and not p.is_moving


def test_retarget_mid_transition_keeps_value_and_momentum():
    p = DynamicProp(0.0)
    p.set(1.0, 10)
    p.step(5)
    assert p.value == pytest.approx(0.5, rel=1e-12)
    assert p.velocity == pytest.approx(0.1875, rel=1e-12)  # S'(0.5)/T = 1.875/10
    p.set(2.0, 20)
    assert p.value == pytest.approx(0.5, rel=1e-12)  # continuous
    assert p.velocity == pytest.approx(0.1875, rel=1e-12)  # momentum kept
    assert p.target == 2.0
    # New quintic from (0.5, v0·T = 3.75, a0 = 0): b = (-2.25, -3.75, 0),
    # so (c3, c4, c5) = (-7.5, 7.5, -2.25).
    p.step()
    tau = 0.05
    expected = 0.5 + 3.75 * tau - 7.5 * tau**3 + 7.5 * tau**4 - 2.25 * tau**5
    assert p.value == pytest.approx(expected, rel=1e-12)
    p.step(18)  # clock was reset: 19 of 20 steps done
    assert p.is_moving
    p.step()
    assert (p.value, p.is_moving) == (2.0, False)


def test_shortening_duration_below_elapsed_time():
    p = DynamicProp(0.0)
    p.set(1.0, 10)
    p.step(6)
    before = p.value
    p.set(1.0, 3)  # same target, new duration: restarts from here, 3 more steps
    assert p.value == pytest.approx(before, rel=1e-12)
    p.step(2)
    assert p.is_moving
    p.step()
    assert (p.value, p.is_moving) == (1.0, False)


def test_repeated_identical_set_is_a_no_op():
    p = DynamicProp(0.0)
    p.set(1.0, 10)
    p.step(5)
    p.set(1.0, 10)  # would restart the clock if not ignored
    p.step(5)
    assert (p.value, p.is_moving) == (1.0, False)


def test_set_to_current_value_at_rest_is_a_no_op():
    p = DynamicProp(1.0)
    p.set(1.0, 10)
    assert not p.is_moving


def test_linear_prop():
    p = DynamicProp(0.0, interpolator="linear")
    p.set(10.0, 4)
    values = []
    for _ in range(5):
        p.step()
        values.append(p.value)
    assert values == [2.5, 5.0, 7.5, 10.0, 10.0]
    assert not p.is_moving


@pytest.mark.parametrize("name", ["step-end", "step"])
def test_step_end_prop(name):
    p = DynamicProp(1.0, interpolator=name)
    p.set(2.0, 3)
    values = [p.value]
    for _ in range(4):
        p.step()
        values.append(p.value)
    assert values == [1.0, 1.0, 1.0, 2.0, 2.0]


def test_log_prop_interpolates_in_log_space():
    p = LogDynamicProp(0.01)
    p.set(0.001, 10)
    p.step()
    assert p.value == pytest.approx(0.01 * 10 ** (-S_01), rel=1e-12)
    p.step(4)
    assert p.value == pytest.approx(
        math.sqrt(0.01 * 0.001), rel=1e-12
    )  # S(0.5) = 0.5: geometric mean
    assert p.velocity == pytest.approx(math.log(0.1) * 0.1875, rel=1e-12)  # in ln space
    p.step(5)
    assert (p.value, p.is_moving) == (0.001, False)


def test_log_prop_floors_zero():
    p = LogDynamicProp(0.0)
    assert p.value == 0.0
    p.set(1.0, 2)
    p.step()  # halfway between ln(1e-10) and ln(1)
    assert p.value == pytest.approx(1e-5, rel=1e-9)
    p.step()
    assert p.value == 1.0


@pytest.mark.parametrize("cls", [DynamicProp, LogDynamicProp])
def test_preview_matches_stepping(cls):
    p = cls(0.5)
    p.set(2.0, 7)
    p.step(2)
    preview = p.preview(10)
    stepped = []
    for _ in range(10):
        stepped.append(p.value)
        p.step()
    np.testing.assert_allclose(preview, stepped, rtol=1e-14)


def test_invalid_arguments():
    with pytest.raises(ValueError, match="cubic"):
        DynamicProp(0.0, interpolator="cubic")
    with pytest.raises(ValueError, match="non-negative"):
        DynamicProp(0.0).set(1.0, -1)
