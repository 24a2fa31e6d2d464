"""Latent slices with interventions applied: where each plan moves the colors, and what they decode to."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import torch
from matplotlib.figure import Figure

from .latent_slices import _as_numpy, draw_slice


def plot_intervened_latents(latents: Mapping[str, torch.Tensor], colors: torch.Tensor,
                            recon: Mapping[str, torch.Tensor], dims: tuple[int, int] = (1, 0),
                            plans: Mapping[str, Sequence] | None = None, title: str | None = None,
                            size: float = 14.0) -> Figure:
    """One slice per plan: dots filled with the true color, ringed with the decoded color.

    A ring that differs from its fill is a color the plan changed. Where a plan's intervention
    has a concept direction and a threshold (the falloff's or mapper's `start`), the cone
    alpha > start is outlined (exact angle acos(start); the reference draws an approximation).

    Args:
        latents: Plan name (e.g. `baseline`) -> latents the decoder read [N, E].
        colors: True colors [N, 3].
        recon: Plan name -> decoded colors [N, 3].
        dims: Latent dims on the x and y axes (default (1, 0): dim 0, red's axis, points up).
        plans: Plan name -> its interventions, for the cone outlines.
        title: Figure title.
        size: Marker area.
    """
    fill = _as_numpy(colors)
    fig = Figure(figsize=(3.6 * len(latents), 3.9))
    axes = fig.subplots(1, len(latents), squeeze=False)[0]
    for ax, (tag, z) in zip(axes, latents.items()):
        z = _as_numpy(z)
        draw_slice(ax, z, fill, dims, size=size, labels=True)
        ring = _as_numpy(recon[tag]).clip(0, 1)
        order = np.argsort(fill.sum(axis=1))
        ax.scatter(z[order, dims[0]], z[order, dims[1]], s=size * 1.8, facecolors="none",
                   edgecolors=ring[order], linewidths=0.8)
        for intervention in (plans or {}).get(tag, []):
            _draw_cone(ax, intervention, dims)
        ax.set_title(tag)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _draw_cone(ax, intervention, dims: tuple[int, int]) -> None:
    concept = getattr(intervention, "concept", None)
    mapper = getattr(intervention, "falloff", None) or getattr(intervention, "mapper", None)
    if concept is None or mapper is None:
        return
    starts = [a.value for a in mapper.annotations if a.role == "input" and a.space == "angular"]
    direction = concept.detach().float().cpu().numpy()[list(dims)]
    if not starts or np.linalg.norm(direction) < 1e-6:
        return
    center = math.atan2(direction[1], direction[0])
    half = math.acos(max(-1.0, min(1.0, starts[0])))
    for angle in (center - half, center + half):
        ax.plot([0, 1.1 * math.cos(angle)], [0, 1.1 * math.sin(angle)], color="0.3", linestyle=":", linewidth=1)
    ax.annotate("", xy=(1.1 * direction[0] / np.linalg.norm(direction), 1.1 * direction[1] / np.linalg.norm(direction)),
                xytext=(0, 0), arrowprops={"arrowstyle": "->", "color": "0.2", "linewidth": 1})
