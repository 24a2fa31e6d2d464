"""Playback of a dopesheet, one training step at a time.

Each prop is a :class:`DynamicProp` (or :class:`LogDynamicProp` for ``log`` columns). Whenever the
timeline reaches a step where a prop is keyed, it starts that prop's transition toward the prop's
next keyframe, timed to arrive exactly there. Before its first keyframe a prop holds its first
keyed value ("back-fill"); after its last one it stays put.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np

from colorlatent.schedule.dopesheet import Dopesheet, PropColumn
from colorlatent.schedule.transitions import DynamicProp, LogDynamicProp


@dataclass(frozen=True)
class TimelineState:
    """Everything the schedule says about one step.

    Attributes:
        step: The step number.
        phase: Name of the phase the step belongs to.
        actions: Actions fired at this step.
        props: Value of every prop, by bare name.
        is_phase_start: Whether this is the first step of its phase instance.
        is_phase_end: Whether this is the last step of its phase instance.
    """

    step: int
    phase: str
    actions: tuple[str, ...]
    props: dict[str, float]
    is_phase_start: bool
    is_phase_end: bool


class Timeline:
    """Steps through a dopesheet, producing prop values, phases and actions.

    Args:
        dopesheet: A :class:`Dopesheet`, or anything :meth:`Dopesheet.load` accepts.
    """

    def __init__(self, dopesheet: Any):
        self.dopesheet = Dopesheet.load(dopesheet)
        self._props = {c.name: self._new_prop(c) for c in self.dopesheet.columns}
        self._t = 0
        self._start_transitions()

    def _new_prop(self, column: PropColumn) -> DynamicProp:
        keyframes = self.dopesheet.keyframes(column.name)
        initial = keyframes[0].value if keyframes else 0.0
        kind = LogDynamicProp if column.space == "log" else DynamicProp
        return kind(initial, interpolator=column.interpolator)

    def _start_transitions(self) -> None:
        for name, keyframe in self.dopesheet.keyed_at(self._t).items():
            if keyframe.next_step is not None:
                self._props[name].set(keyframe.next_value, keyframe.next_step - keyframe.step)

    def __len__(self) -> int:
        """Number of steps in the schedule."""
        return len(self.dopesheet)

    @property
    def t(self) -> int:
        """Current step."""
        return self._t

    def step(self) -> None:
        """Advance one step. Past the final step props hold their last values."""
        self._t += 1
        # Clocks advance first so that transitions ending here snap to their keyed value before
        # the keyframes of this step start the next transitions from it.
        for prop in self._props.values():
            prop.step()
        self._start_transitions()

    @property
    def state(self) -> TimelineState:
        """The schedule at the current step."""
        phase = self.dopesheet.phase_at(self._t)
        return TimelineState(
            step=self._t,
            phase=phase.name,
            actions=self.dopesheet.actions_at(self._t),
            props={name: prop.value for name, prop in self._props.items()},
            is_phase_start=self._t == phase.start,
            is_phase_end=self._t == phase.end,
        )

    def phase_at(self, step: int) -> str:
        """Name of the phase at any step."""
        return self.dopesheet.phase_at(step).name

    def actions_at(self, step: int) -> tuple[str, ...]:
        """Actions fired at any step."""
        return self.dopesheet.actions_at(step)

    def table(self) -> tuple[list[str], np.ndarray]:
        """Every prop at every step, from a fresh replay (the current position is unaffected).

        Returns:
            ``(names, values)``: prop names in column order and a float64 array of shape
            ``(len(dopesheet), len(names))`` whose row t equals ``state.props`` at step t.
        """
        length = len(self.dopesheet)
        names = self.dopesheet.props
        values = np.empty((length, len(names)))
        for j, column in enumerate(self.dopesheet.columns):
            values[:, j] = self._replay(column, length)
        return names, values

    def _replay(self, column: PropColumn, length: int) -> np.ndarray:
        # Props never interact, so each is replayed alone, jumping from keyframe to keyframe and
        # filling the steps in between with the prop's vectorised preview. Stepping n times at
        # once equals n single steps, so this matches step() exactly, only faster.
        prop = self._new_prop(column)
        values = np.empty(length)
        t = 0
        for keyframe in self.dopesheet.keyframes(column.name):
            if keyframe.next_step is None:
                break
            values[t : keyframe.step] = prop.preview(keyframe.step - t)
            prop.step(keyframe.step - t)
            t = keyframe.step
            prop.set(keyframe.next_value, keyframe.next_step - keyframe.step)
        values[t:] = prop.preview(length - t)
        return values
