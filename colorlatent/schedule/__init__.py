"""Schedules for training: dopesheets of keyframes and the timeline that plays them back."""

from colorlatent.schedule.callback import ScheduleCallback
from colorlatent.schedule.dopesheet import Dopesheet, DopesheetError, resolve_steps
from colorlatent.schedule.timeline import Timeline, TimelineState
from colorlatent.schedule.transitions import DynamicProp, LogDynamicProp

__all__ = [
    "Dopesheet",
    "DopesheetError",
    "DynamicProp",
    "LogDynamicProp",
    "Timeline",
    "TimelineState",
    "ScheduleCallback",
    "resolve_steps",
]
