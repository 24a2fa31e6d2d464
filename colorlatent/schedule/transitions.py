"""Scalars that move smoothly toward a target, one step at a time.

A :class:`DynamicProp` is either at rest or running one transition (a timing function from
:mod:`colorlatent.schedule.easing` plus a clock). Retargeting starts a new transition from the
current value, velocity and acceleration, so a change of mind mid-flight stays smooth.
"""

import numpy as np

from colorlatent.schedule.easing import INTERPOLATORS, TimingFunction

# Smallest value a LogDynamicProp interpolates from or to: ln(0) is undefined.
LOG_FLOOR = 1e-10


class DynamicProp:
    """A scalar that eases toward targets set with :meth:`set` as :meth:`step` is called.

    Args:
        value: Initial value, at rest.
        duration: Default transition length, used by :meth:`set` when it is given none.
        interpolator: Name of the timing function, a key of ``INTERPOLATORS``.

    Raises:
        ValueError: If the interpolator name is unknown.
    """

    def __init__(self, value: float, duration: float = 0, interpolator: str = "minjerk"):
        if interpolator not in INTERPOLATORS:
            raise ValueError(
                f"unknown interpolator {interpolator!r}; expected one of {sorted(INTERPOLATORS)}"
            )
        self.duration = duration
        self.interpolator = interpolator
        # The resting value is kept as given (not round-tripped through the space transform), so
        # a finished transition lands on exactly the requested number.
        self._rest = float(value)
        self._target = float(value)
        self._transition: TimingFunction | None = None
        self._start = float(value)
        self._clock = 0.0

    # Space transform: identity here; LogDynamicProp overrides both to interpolate ln(value).
    def _encode(self, value):
        return value

    def _decode(self, encoded):
        return encoded

    @property
    def is_moving(self) -> bool:
        """Whether a transition is running."""
        return self._transition is not None

    @property
    def target(self) -> float:
        """Value the prop is heading to (its current value when at rest)."""
        return self._target

    @property
    def value(self) -> float:
        """Current value."""
        if self._transition is None:
            return self._rest
        return float(self._transition_values(self._clock))

    @property
    def velocity(self) -> float:
        """Current rate of change per step, in the interpolation space (ln space for logs)."""
        if self._transition is None:
            return 0.0
        return float(self._transition(self._clock)[1])

    def set(self, value: float, duration: float | None = None) -> None:
        """Head toward ``value``, arriving after ``duration`` steps.

        Does nothing if already at rest at ``value``, or if the running transition already has
        this target and duration (so repeated identical requests don't restart the clock).

        Args:
            value: New target.
            duration: Steps until arrival; 0 jumps immediately. Defaults to ``self.duration``.

        Raises:
            ValueError: If the duration is negative.
        """
        duration = self.duration if duration is None else duration
        if duration < 0:
            raise ValueError(f"duration must be non-negative, got {duration}")
        value = float(value)
        if self._transition is None and value == self._rest:
            return
        if (
            self._transition is not None
            and value == self._target
            and duration == self._transition.duration
        ):
            return
        if duration == 0:
            self._rest = self._target = value
            self._transition = None
            return
        if self._transition is None:
            start, velocity, acceleration = self._encode(self._rest), 0.0, 0.0
        else:
            start, velocity, acceleration = self._transition(self._clock)
        easing = INTERPOLATORS[self.interpolator]
        self._start = self.value
        self._transition = easing(start, self._encode(value), duration, velocity, acceleration)
        self._target = value
        self._clock = 0.0

    def step(self, n: int = 1) -> None:
        """Advance the clock by ``n`` steps; a transition that reaches its end snaps and stops."""
        if self._transition is None:
            return
        self._clock += n
        if self._clock >= self._transition.duration:
            self._rest = self._target
            self._transition = None

    def preview(self, n: int) -> np.ndarray:
        """Values after 0, 1, …, n - 1 further steps, without changing the prop.

        Args:
            n: Number of steps to look ahead.

        Returns:
            Float array of length ``n``; entry i equals ``value`` after ``step(i)``.
        """
        if self._transition is None:
            return np.full(n, self._rest)
        clock = self._clock + np.arange(n)
        return np.where(
            clock >= self._transition.duration, self._target, self._transition_values(clock)
        )

    def _transition_values(self, clock):
        values = self._decode(self._transition(clock)[0])
        # At clock 0 the prop is exactly where set() found it; skip the round trip through the
        # interpolation space, which would leave e.g. exp(ln(0.01)) = 0.010000000000000004.
        return np.where(clock == 0, self._start, values)


class LogDynamicProp(DynamicProp):
    """A :class:`DynamicProp` that interpolates ``ln(value)``, for scale-like quantities.

    Values are floored at ``LOG_FLOOR`` before taking the log, so a target of 0 is approached as
    1e-10 (and reported as exactly 0 once reached).
    """

    def _encode(self, value):
        return np.log(np.maximum(value, LOG_FLOOR))

    def _decode(self, encoded):
        return np.exp(encoded)
