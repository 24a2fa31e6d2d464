"""Error against similarity to the concept's color: a straight line means a selective intervention."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from matplotlib.figure import Figure


def plot_error_vs_similarity(rgb: torch.Tensor, similarity: torch.Tensor | Mapping[str, torch.Tensor],
                             results: Mapping[str, torch.Tensor], r2: Mapping[str, float],
                             xlabel: str = "similarity to red", title: str | None = None) -> Figure:
    """Scatter of per-color MSE against similarity, one panel per plan, with a least-squares line.

    Points take their own color; alpha grows with (x + y)/2 so the informative corner (similar
    and damaged) stands out over the crowd at the origin, as in the reference.

    Args:
        rgb: Colors [N, 3].
        similarity: Similarity**k per color [N], or plan -> [N] when plans use different k.
        results: Plan -> MSE per color [N].
        r2: Plan -> R^2 shown in the legend.
        xlabel: Axis label for the similarity (name the power, e.g. "similarity² to red").
        title: Figure title.
    """
    colors = rgb.detach().float().cpu().numpy().clip(0, 1)
    fig = Figure(figsize=(4.0 * len(results), 3.8))
    axes = fig.subplots(1, len(results), squeeze=False)[0]
    for ax, (tag, mse) in zip(axes, results.items()):
        sim = similarity[tag] if isinstance(similarity, Mapping) else similarity
        x = sim.detach().double().cpu().numpy()
        y = mse.detach().double().cpu().numpy()
        alpha = np.clip(0.1 + 0.9 * (x + y) / 2, 0, 1)
        ax.scatter(x, y, c=colors, s=12, alpha=alpha, linewidths=0)
        slope, intercept = np.polyfit(x, y, 1)
        xs = np.array([x.min(), x.max()])
        ax.plot(xs, slope * xs + intercept, color="black", linewidth=1, label=f"R² = {r2[tag]:.3f}")
        ax.set_xlabel(xlabel)
        ax.set_title(tag)
        ax.legend(loc="upper left", fontsize=9)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("MSE")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
