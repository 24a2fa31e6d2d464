"""Callbacks for looking at the latent space while it forms, and for reacting to it.

Figures are drawn in a child process (`RenderWorker`) so that training keeps its pace; every
callback here skips the sanity check, acts on rank zero only and logs to TensorBoard loggers only.
"""

from .common import encode_in_eval
from .displacement import LatentDisplacementCallback
from .latent_slices import LatentSliceCallback
from .phase_history import PhaseHistoryCallback
from .projector import ProjectorCallback
from .reactive import ReactiveTransition
from .timeline import TimelineFigureCallback

__all__ = [
    "LatentDisplacementCallback", "LatentSliceCallback", "PhaseHistoryCallback", "ProjectorCallback", "ReactiveTransition",
    "TimelineFigureCallback", "encode_in_eval",
]
