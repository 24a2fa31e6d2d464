"""colorlatent: sparse concept anchoring for a color autoencoder, as PyTorch Lightning modules."""

__version__ = "0.1.0"

from .callbacks import (
    LatentDisplacementCallback, LatentSliceCallback, PhaseHistoryCallback, ProjectorCallback, ReactiveTransition,
    TimelineFigureCallback,
)
from .data.datamodule import ColorDataModule
from .interventions import AxisAlignedSuppression, Repulsion, Suppression, intervene, patch
from .interventions.callback import InterventionCallback
from .model import BottleneckAutoencoder
from .module import AnchoredAutoencoder
from .progress import PhaseProgressBar
from .schedule.callback import ScheduleCallback
from .surgery import ablate, prune

__all__ = [
    "AnchoredAutoencoder", "AxisAlignedSuppression", "BottleneckAutoencoder", "ColorDataModule",
    "InterventionCallback", "LatentDisplacementCallback", "LatentSliceCallback", "PhaseHistoryCallback",
    "PhaseProgressBar", "ProjectorCallback", "ReactiveTransition", "Repulsion", "ScheduleCallback", "Suppression",
    "TimelineFigureCallback", "__version__",
    "ablate", "intervene", "patch", "prune",
]
