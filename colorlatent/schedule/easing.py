"""Timing functions that carry a value from a start to a target over a fixed duration.

Each timing function is built once per transition and then evaluated at any elapsed time ``t``
(a scalar or a numpy array, so whole trajectories can be computed at once). Evaluation returns
``(value, velocity, acceleration)``, with derivatives taken per unit of ``t``; time is clamped to
``[0, duration]``.
"""

import numpy as np

# Durations shorter than this are treated as zero: the quintic's coefficients would blow up.
ZERO_DURATION = 1e-10

# How close normalised time must be to 1 for the exact target to be returned, so that rounding in
# the polynomial never leaves a finished transition a hair short of its keyed value.
_END_TOLERANCE = 1e-12


class TimingFunction:
    """Base class: a transition from ``start`` to ``target`` lasting ``duration``.

    Subclasses implement ``_evaluate`` for a non-zero duration. A zero duration holds the start
    value forever.

    Args:
        start: Value at ``t = 0``.
        target: Value at ``t = duration``.
        duration: Length of the transition (same unit as ``t``), non-negative.
        velocity: Rate of change of the value at ``t = 0`` (used only by minimum jerk).
        acceleration: Second derivative of the value at ``t = 0`` (used only by minimum jerk).
    """

    def __init__(
        self,
        start: float,
        target: float,
        duration: float,
        velocity: float = 0.0,
        acceleration: float = 0.0,
    ):
        self.start = float(start)
        self.target = float(target)
        self.duration = float(duration)
        self.initial_velocity = float(velocity)
        self.initial_acceleration = float(acceleration)

    def __call__(self, t) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Evaluate the transition.

        Args:
            t: Elapsed time, scalar or array.

        Returns:
            ``(value, velocity, acceleration)`` as arrays shaped like ``t``.
        """
        t = np.asarray(t, dtype=float)
        if abs(self.duration) < ZERO_DURATION:
            zero = np.zeros_like(t)
            return zero + self.start, zero, zero
        return self._evaluate(t)

    def _evaluate(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        raise NotImplementedError


class MinimumJerk(TimingFunction):
    """Quintic that minimises jerk, starting from any value/velocity/acceleration, ending at rest.

    In normalised time τ = t/T the value is ``Σ c_n τⁿ`` with ``c0 = y0``, ``c1 = v0·T``,
    ``c2 = a0·T²/2``; ``c3..c5`` make the value reach the target with zero velocity and
    acceleration at τ = 1. From rest this is ``y0 + (y1 - y0)·(10τ³ - 15τ⁴ + 6τ⁵)``.
    """

    def __init__(self, start, target, duration, velocity=0.0, acceleration=0.0):
        super().__init__(start, target, duration, velocity, acceleration)
        T = self.duration
        c0 = self.start
        c1 = self.initial_velocity * T
        # T * T rather than T**2: with zero acceleration a huge T must still give 0, not 0·inf.
        c2 = self.initial_acceleration * T * T / 2
        # Residual position, velocity and acceleration that c3..c5 must supply at τ = 1; the
        # closed form below is the inverse of [[1, 1, 1], [3, 4, 5], [6, 12, 20]].
        b1 = self.target - c0 - c1 - c2
        b2 = -c1 - 2 * c2
        b3 = -2 * c2
        c3 = 10 * b1 - 4 * b2 + b3 / 2
        c4 = -15 * b1 + 7 * b2 - b3
        c5 = 6 * b1 - 3 * b2 + b3 / 2
        self.coefficients = (c0, c1, c2, c3, c4, c5)

    def _evaluate(self, t):
        T = self.duration
        c0, c1, c2, c3, c4, c5 = self.coefficients
        tau = np.clip(t / T, 0.0, 1.0)
        value = c0 + tau * (c1 + tau * (c2 + tau * (c3 + tau * (c4 + tau * c5))))
        d_tau = c1 + tau * (2 * c2 + tau * (3 * c3 + tau * (4 * c4 + tau * 5 * c5)))
        dd_tau = 2 * c2 + tau * (6 * c3 + tau * (12 * c4 + tau * 20 * c5))
        done = tau >= 1.0 - _END_TOLERANCE
        return (
            np.where(done, self.target, value),
            np.where(done, 0.0, d_tau / T),
            np.where(done, 0.0, dd_tau / T / T),
        )


class Linear(TimingFunction):
    """Constant-rate transition; ignores the initial velocity and acceleration."""

    def _evaluate(self, t):
        T = self.duration
        slope = (self.target - self.start) / T
        clamped = np.clip(t, 0.0, T)
        done = clamped >= T
        value = np.where(done, self.target, self.start + clamped * slope)
        # Derivative of the clamped curve: the slope while moving, zero once arrived.
        return value, np.where(done, 0.0, slope), np.zeros_like(t)


class StepEnd(TimingFunction):
    """Hold the start value until the duration has elapsed, then jump to the target."""

    def _evaluate(self, t):
        zero = np.zeros_like(t)
        return np.where(t >= self.duration, self.target, self.start) + zero, zero, zero


# Interpolator names for dopesheet headers and DynamicProp; "step" is an alias of "step-end".
INTERPOLATORS: dict[str, type[TimingFunction]] = {
    "minjerk": MinimumJerk,
    "linear": Linear,
    "step-end": StepEnd,
    "step": StepEnd,
}
