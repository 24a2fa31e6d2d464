"""Distributions over a seed sweep: one box plot per metric, the selected run marked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure


def plot_sweep_boxes(rows: Sequence[Mapping[str, float]], columns: Sequence[tuple[str, bool]],
                     selected: int | None = None, title: str | None = None) -> Figure:
    """Horizontal box plots of `columns` over the runs, each run a dot, the selected one a star.

    Args:
        rows: One mapping per run (e.g. per seed), holding every column.
        columns: (metric name, log scale?) pairs, e.g. [("score", False), ("val_recon", True)].
        selected: Index of the chosen run, marked in red.
        title: Figure title.
    """
    fig = Figure(figsize=(4.0 * len(columns), 2.6))
    axes = fig.subplots(1, len(columns), squeeze=False)[0]
    jitter = np.random.default_rng(0).uniform(-0.12, 0.12, len(rows))  # fixed: figures are reproducible
    for ax, (name, log) in zip(axes, columns):
        values = np.array([float(row[name]) for row in rows])
        ax.boxplot(values, vert=False, widths=0.5, showfliers=False)
        ax.scatter(values, 1 + jitter, s=9, color="C0", alpha=0.6, zorder=3)
        if selected is not None:
            ax.scatter([values[selected]], [1], marker="*", s=160, color="C3", zorder=4,
                       label=f"selected ({values[selected]:.4g})")
            ax.legend(loc="lower right", fontsize=8)
        if log and (values > 0).all():
            ax.set_xscale("log")
        ax.set_yticks([])
        ax.set_title(f"{name}  (n = {len(values)})", fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
