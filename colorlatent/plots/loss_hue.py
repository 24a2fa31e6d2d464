"""Reconstruction error as a function of hue, drawn in the colors themselves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure


def plot_loss_vs_hue(cube, results: Mapping[str, torch.Tensor], value_levels: Sequence[int] | None = None,
                     title: str | None = None) -> Figure:
    """MSE against hue at full saturation, one curve per value level, one panel per result.

    Each curve's segments take the color they measure, so a peak's hue reads at a glance.
    Panels share the y axis (0 to the largest error of any result), as in the reference's
    stacked result figure.

    Args:
        cube: An HSV `ColorCube` (hue, saturation, value axes).
        results: Name -> per-point MSE, shaped like the cube ([n_h, n_s, n_v]) or flat.
        value_levels: Indices on the value axis to draw (default: 5 levels, every fifth from
            the brightest, e.g. 23, 18, 13, 8, 3 on a 24-level axis).
        title: Figure title.
    """
    if cube.space != "hsv":
        raise ValueError(f"plot_loss_vs_hue needs an HSV cube; got a {cube.space!r} cube")
    n_h, n_s, n_v = cube.shape
    if value_levels is None:
        step = max(1, n_v // 5)
        value_levels = [n_v - 1 - step * i for i in range(5) if n_v - 1 - step * i >= 0]
    hue_deg = cube.coords[0].double().cpu().numpy() * 360
    colors = cube.rgb[:, -1].float().cpu().numpy()  # [n_h, n_v, 3] at S = max
    curves = {tag: mse.reshape(n_h, n_s, n_v)[:, -1].float().cpu().numpy() for tag, mse in results.items()}
    top = max(float(c[:, value_levels].max()) for c in curves.values()) * 1.05 or 1.0
    fig = Figure(figsize=(4.0 * len(curves), 3.4))
    axes = fig.subplots(1, len(curves), sharey=True, squeeze=False)[0]
    for ax, (tag, mse) in zip(axes, curves.items()):
        for level in value_levels:
            points = np.stack([hue_deg, mse[:, level]], axis=1)
            segments = np.stack([points[:-1], points[1:]], axis=1)
            ax.add_collection(LineCollection(segments, colors=colors[:-1, level].clip(0, 1), linewidths=1.6))
        ax.set_xlim(hue_deg.min(), hue_deg.max())
        ax.set_ylim(0, top)
        ax.set_xticks([0, 60, 120, 180, 240, 300, 360])
        ax.set_xlabel("hue (degrees), S = 1")
        ax.set_title(tag)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("MSE")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
