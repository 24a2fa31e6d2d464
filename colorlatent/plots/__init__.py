"""Matplotlib figures (built on `matplotlib.figure.Figure`, no pyplot state)."""

from .animation import GifAnimation
from .blit import Blitter
from .latent_slices import default_slices, plot_latent_slices
from .phase_history import Capture, PhaseHistoryFigure, plot_phase_history, thumbnail_indices
from .timeline import plot_timeline

__all__ = [
    "Blitter", "Capture", "GifAnimation", "PhaseHistoryFigure", "default_slices", "plot_latent_slices", "plot_phase_history",
    "plot_timeline", "thumbnail_indices",
]
