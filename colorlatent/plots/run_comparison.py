"""Curves of several runs on shared step axes: loss terms and latent displacement, with phase starts marked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

Curve = tuple[Sequence[int], Sequence[float]]


def plot_run_comparison(panels: Mapping[str, Mapping[str, Curve]], phase_starts: Mapping[str, Sequence[int]],
                        title: str = "", log: Sequence[str] = ()) -> Figure:
    """One row per panel, one line per run, sharing the step axis.

    Args:
        panels: {panel title: {run name: (steps, values)}}; a run missing from a panel is skipped.
        phase_starts: {run name: steps where a phase starts}, drawn as vertical lines in the
            run's color on every panel.
        title: Figure title.
        log: Titles of the panels drawn with a logarithmic value axis.
    """
    runs = list(dict.fromkeys(name for curves in panels.values() for name in curves))
    colors = {name: f"C{i}" for i, name in enumerate(runs)}
    styles = ["--", ":", "-."]
    figure = Figure(figsize=(10, 2.6 * len(panels)), layout="constrained")
    axes = figure.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    for ax, (panel, curves) in zip(axes, panels.items()):
        for name, (steps, values) in curves.items():
            values = np.asarray(values, dtype=float)
            if panel in log:
                values = np.where(values > 0, values, np.nan)  # a log axis cannot show zeros
            ax.plot(steps, values, color=colors[name], lw=0.8, alpha=0.85, label=name)
        for i, name in enumerate(runs):
            for step in phase_starts.get(name, ()):
                ax.axvline(step, color=colors[name], ls=styles[i % len(styles)], lw=0.8, alpha=0.6)
        if panel in log:
            ax.set_yscale("log")
        ax.set_title(panel, loc="left", fontsize=10)
        ax.grid(alpha=0.3)
    axes[0].legend(loc="upper right", fontsize=9)
    axes[-1].set_xlabel("step (vertical lines: phase starts)")
    if title:
        figure.suptitle(title)
    return figure
