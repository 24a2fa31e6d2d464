"""colorlatent: sparse concept anchoring for a color autoencoder, as PyTorch Lightning modules."""

__version__ = "0.1.0"

from .callbacks import LatentSliceCallback
from .data.datamodule import ColorDataModule
from .model import BottleneckAutoencoder
from .module import AnchoredAutoencoder
from .schedule.callback import ScheduleCallback

__all__ = [
    "AnchoredAutoencoder", "BottleneckAutoencoder", "ColorDataModule", "LatentSliceCallback",
    "ScheduleCallback", "__version__",
]
