"""A grid of one latent slice per run, to compare many runs at a glance (e.g. the ex 1.8 ablation)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from .latent_slices import _as_numpy, draw_slice, theme


def plot_slice_grid(latents: Sequence, colors, titles: Sequence[str], dims: tuple[int, int] = (1, 0),
                    ncols: int = 8, dark: bool = False, size: float = 14.0, title: str | None = None) -> Figure:
    """One panel per run: the `dims` slice of its latents, every point in its own color.

    Each panel is fitted to its own points (at least the unit circle, which is drawn dashed for
    scale), so a run whose latents are far off the unit sphere still shows its shape.

    Args:
        latents: Per run, latents [N, E] of the same probe colors.
        colors: RGB in [0, 1] of the probe colors, [N, 3].
        titles: Per run, the panel title.
        dims: (x dim, y dim) of the slice; (1, 0) is the hue plane with dim 0 pointing up.
        ncols: Panels per row.
        dark: Dark background variant.
        size: Marker area.
        title: Figure title.
    """
    if len(latents) != len(titles) or not latents:
        raise ValueError(f"need one title per run and at least one run; got {len(latents)} runs, {len(titles)} titles")
    rgb = _as_numpy(colors)
    ncols = max(1, min(ncols, len(latents)))
    nrows = math.ceil(len(latents) / ncols)
    bg, fg = theme(dark)
    fig = Figure(figsize=(2.3 * ncols, 2.4 * nrows + (0.5 if title else 0)), facecolor=bg)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False).ravel())
    for ax, z, name in zip(axes, latents, titles):
        z = _as_numpy(z)
        if z.ndim != 2 or z.shape[0] != len(rgb):
            raise ValueError(f"run {name!r}: latents must be [{len(rgb)}, E] (one per probe color); "
                             f"got {list(z.shape)}")
        ax.set_facecolor(bg)
        draw_slice(ax, z, rgb, dims, size=size, dark=dark, labels=False)
        ax.set_title(name, color=fg, fontsize=6.5)
    for ax in axes[len(latents):]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title, color=fg)
    fig.tight_layout()
    return fig
