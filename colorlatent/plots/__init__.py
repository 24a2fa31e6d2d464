"""Matplotlib figures (built on `matplotlib.figure.Figure`, no pyplot state)."""

from .latent_slices import default_slices, plot_latent_slices

__all__ = ["plot_latent_slices", "default_slices"]
