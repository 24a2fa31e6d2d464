"""Axis-aligned 2-D slices of a latent space, every point drawn in its own RGB color."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Circle


def default_slices(latent_dim: int) -> list[tuple[int, int]]:
    """[1, 0] (the hue plane, red on dim 0 pointing up), then [1, d] for every further dim."""
    if latent_dim < 2:
        raise ValueError(f"need at least 2 latent dims to draw a slice; got {latent_dim}")
    return [(1, 0)] + [(1, d) for d in range(2, latent_dim)]


def theme(dark: bool) -> tuple[str, str]:
    """(background, foreground) colors of the light or dark variant of every figure."""
    return ("#111111", "white") if dark else ("white", "black")


def _as_numpy(x) -> np.ndarray:
    return x.detach().float().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x, dtype=float)


def fitted_limit(xy: np.ndarray) -> float:
    """Half-width of a square view around the points `xy` [N, 2]: 10% margin, at least 1.2 (the unit circle)."""
    return max(1.2, float(np.abs(xy).max()) * 1.1) if len(xy) else 1.2


class SlicePanel:
    """One slice, x = latent dim `dims[0]`, y = `dims[1]`, over a unit disk and dashed axes.

    The decoration is drawn once; `update` only moves the points, so a figure redrawn at every
    capture pays for its axes once.

    Args:
        ax: The matplotlib Axes to draw into.
        colors: RGB in [0, 1] of every point, [N, 3] (fixed for the panel's life).
        dims: (x dim, y dim).
        size: Marker area.
        dark: Dark background variant.
        labels: Axis labels, ticks and the '[x, y]' title; off for thumbnails.
    """

    def __init__(self, ax, colors: np.ndarray, dims: tuple[int, int], size: float = 60.0, dark: bool = False,
                 labels: bool = True):
        self.ax, self.dims = ax, (int(dims[0]), int(dims[1]))
        self.limit: float | None = None
        fg = theme(dark)[1]
        ax.add_patch(Circle((0, 0), 1.0, facecolor=fg, alpha=0.06, edgecolor=fg, linestyle="--", linewidth=0.8))
        ax.axhline(0, color=fg, linewidth=0.5, linestyle="--", alpha=0.4)
        ax.axvline(0, color=fg, linewidth=0.5, linestyle="--", alpha=0.4)
        # Draw the brightest points last so dark colors don't hide the wheel's rim.
        self.order = np.argsort(colors.sum(axis=1), kind="stable")
        self.points = ax.scatter(np.zeros(len(colors)), np.zeros(len(colors)), c=colors[self.order].clip(0, 1),
                                 s=size, alpha=0.7, linewidths=0)
        ax.set_aspect("equal")
        if labels:
            ax.set_xlabel(f"dim {dims[0]}", color=fg)
            ax.set_ylabel(f"dim {dims[1]}", color=fg)
            ax.set_title(f"[{dims[0]}, {dims[1]}]", color=fg)
            ax.tick_params(colors=fg, labelsize=8)
        else:
            ax.set_xticks([])
            ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_color(fg)
            spine.set_alpha(0.3)

    def update(self, latents: np.ndarray, limit: float | None = None) -> None:
        """Move the points to `latents` [N, E]; the square view is ±`limit`, by default fitted to them (≥ 1.2)."""
        xy = latents[self.order][:, list(self.dims)]
        self.points.set_offsets(xy)
        self.set_view(fitted_limit(xy) if limit is None else limit)

    def set_view(self, limit: float) -> None:
        """Show the square ±`limit` in both dims."""
        if limit != self.limit:  # setting limits costs more than moving the points
            self.limit = limit
            self.ax.set_xlim(-limit, limit)
            self.ax.set_ylim(-limit, limit)


def draw_slice(ax, latents: np.ndarray, colors: np.ndarray, dims: tuple[int, int], size: float = 60.0,
               dark: bool = False, labels: bool = True) -> None:
    """One slice of `latents` [N, E] into `ax` (see `SlicePanel`)."""
    SlicePanel(ax, colors, dims, size=size, dark=dark, labels=labels).update(latents)


def plot_latent_slices(latents, colors, slices: Sequence[tuple[int, int]] | None = None, title: str | None = None,
                       dark: bool = False, size: float = 60.0) -> Figure:
    """Figure with one panel per slice of `latents` [N, E], points colored by `colors` [N, 3].

    Args:
        latents: Latent vectors, tensor or array [N, E].
        colors: RGB in [0, 1] of each point, [N, 3].
        slices: Pairs (x dim, y dim); default `default_slices(E)`.
        title: Figure title.
        dark: Dark background variant.
        size: Marker area.
    """
    z, rgb = _as_numpy(latents), _as_numpy(colors)
    if z.ndim != 2 or rgb.shape != (z.shape[0], 3):
        raise ValueError(f"latents must be [N, E] and colors [N, 3]; got {list(z.shape)} and {list(rgb.shape)}")
    slices = list(slices) if slices is not None else default_slices(z.shape[1])
    for pair in slices:
        if len(pair) != 2 or not all(0 <= d < z.shape[1] for d in pair):
            raise ValueError(f"slice {list(pair)} is out of range for latent_dim {z.shape[1]}")
    bg, fg = theme(dark)
    fig = Figure(figsize=(4.2 * len(slices), 4.6), facecolor=bg)
    axes = fig.subplots(1, len(slices), squeeze=False)[0]
    for ax, pair in zip(axes, slices):
        ax.set_facecolor(bg)
        draw_slice(ax, z, rgb, pair, size=size, dark=dark)
    if title:
        fig.suptitle(title, color=fg)
    # Fixed margins in inches (tight_layout would cost as much as drawing the figure).
    width, height = fig.get_size_inches()
    fig.subplots_adjust(left=0.6 / width, right=1 - 0.15 / width, bottom=0.55 / height,
                        top=1 - (0.75 if title else 0.45) / height, wspace=0.75 * len(slices) / width)
    return fig
