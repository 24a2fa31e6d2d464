"""Intervention lobes (Ex 2.1): what an intervention does to every direction of a 2-D latent.

Drawn like a BRDF lobe: the concept is the "light" at the top, each unit input direction is a
"view" direction, and the curve shows where the intervention sends it (m2-spec §2.6).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from matplotlib.figure import Figure

BLUE, ORANGE, PINK = "#1f77b4", "#ff7f0e", "hotpink"


@dataclass
class Lobe:
    """One intervention evaluated on the unit circle (concept v = (1, 0) at angle 0).

    Attributes:
        theta_in: Input angles [n] in (0, 2 pi).
        theta_out: Angles of the outputs [n] in [0, 2 pi).
        r_out: Norms of the outputs [n].
        magnitude: The intervention's own per-input annotation [n] (suppression: gate strength;
            repulsion: offset |alpha - m(alpha)|).
        magnitude_name: Which annotation that is.
    """

    theta_in: np.ndarray
    theta_out: np.ndarray
    r_out: np.ndarray
    magnitude: np.ndarray
    magnitude_name: str

    @property
    def rotation_deg(self) -> np.ndarray:
        """Signed angle each input was turned by, in degrees, wrapped to (-180, 180]."""
        turn = (self.theta_out - self.theta_in + math.pi) % (2 * math.pi) - math.pi
        return np.degrees(turn)


def lobe(intervention, n: int = 360, eps: float = 1e-7) -> Lobe:
    """Apply a 2-D intervention to n unit inputs at angles linspace(eps, 2 pi - eps, n + 1)[:-1]."""
    theta = torch.linspace(eps, 2 * math.pi - eps, n + 1, dtype=torch.float64)[:-1]
    u = torch.stack([theta.cos(), theta.sin()], dim=1).float()
    with torch.no_grad():
        out = intervention(u).double()
        (name, magnitude), = intervention.annotate(u).items()
    theta_out = torch.atan2(out[:, 1], out[:, 0]) % (2 * math.pi)
    return Lobe(theta.numpy(), theta_out.numpy(), out.norm(dim=1).numpy(), magnitude.double().numpy(), name)


def plot_lobes(interventions: Sequence[tuple[str, object]], title: str | None = None) -> Figure:
    """Polar lobes (top row) and the mapper's curve against alignment (bottom row), one column each.

    Top: blue, where each unit input goes (angle, norm); orange, the annotation magnitude per
    input angle; grey segments (straight for linear kinds, bowed chords for rotations) from
    36 inputs to their outputs; dashed rays at +-acos(threshold) for angular constants and
    circles for linear ones. Bottom: suppression's gate g(clip(x, 0, 1)), or a repulsion's
    target alignment m(x) against the identity, over alignments x in [-1, 1], with the Bezier
    control handles where the mapper has them.

    Args:
        interventions: (title, intervention) pairs; each intervention acts on 2-D latents with
            concept (1, 0).
        title: Figure title.
    """
    fig = Figure(figsize=(3.6 * len(interventions), 7.4))
    grid = fig.add_gridspec(2, len(interventions), height_ratios=[1.25, 1])
    for col, (name, intervention) in enumerate(interventions):
        polar = fig.add_subplot(grid[0, col], projection="polar")
        _draw_polar(polar, intervention)
        polar.set_title(name, fontsize=9, pad=14)
        _draw_curve(fig.add_subplot(grid[1, col]), intervention)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _mapper(intervention):
    return getattr(intervention, "falloff", None) or getattr(intervention, "mapper", None)


def _draw_polar(ax, intervention) -> None:
    data = lobe(intervention)
    ax.set_theta_zero_location("N")
    rotational = intervention.kind == "rotational"
    ax.plot(data.theta_out, data.r_out, color=BLUE, linewidth=1.5)
    ax.fill(data.theta_out, data.r_out, color=BLUE, alpha=0.15)
    closed_t = np.append(data.theta_in, data.theta_in[0])
    closed_m = np.append(data.magnitude, data.magnitude[0])
    ax.plot(closed_t, closed_m, color=ORANGE, linewidth=1.2)
    ax.fill(closed_t, closed_m, color=ORANGE, alpha=0.15)
    coarse = lobe(intervention, n=36)
    if rotational:  # the closing end point, so both sides of the wedge get a chord
        end = lobe(intervention, n=1, eps=2 * math.pi - 1e-7)
        coarse = Lobe(*(np.append(getattr(coarse, f), getattr(end, f)) for f in
                        ("theta_in", "theta_out", "r_out", "magnitude")), coarse.magnitude_name)
    for t_in, t_out, r in zip(coarse.theta_in, coarse.theta_out, coarse.r_out):
        if rotational:
            turn = (t_out - t_in + math.pi) % (2 * math.pi) - math.pi
            tau = np.linspace(0, 1, 100)
            bow = 0.97 * abs(turn) / math.pi + 0.03  # long rotations dip towards the center
            f = np.abs(1 - 2 * tau) ** 2.2
            radius = (1 + (r - 1) * tau) * (f * bow + 1 - bow)
            ax.plot(t_in + turn * tau, radius, color="0.55", linewidth=0.6)
        else:
            ax.plot([t_in, t_out], [1, r], color="0.55", linewidth=0.6)
    ax.scatter(coarse.theta_out, coarse.r_out, s=10, color="white", edgecolors="0.4", linewidths=0.5, zorder=3)
    mapper = _mapper(intervention)
    for note in mapper.annotations if mapper is not None else []:
        if note.space == "angular":
            angle = math.acos(max(-1.0, min(1.0, note.value)))
            ax.plot([angle, angle], [0, 1.05], color="0.3", linestyle="--", linewidth=0.8)
            ax.plot([-angle, -angle], [0, 1.05], color="0.3", linestyle="--", linewidth=0.8)
        else:
            ring = np.linspace(0, 2 * math.pi, 200)
            ax.plot(ring, np.full_like(ring, note.value), color="0.3", linestyle="--", linewidth=0.8)
    ax.set_rmax(1.1 * max(1.0, float(data.r_out.max()), float(data.magnitude.max())))
    ax.set_rticks([0, 1])
    ax.set_thetagrids([180])
    ax.tick_params(labelsize=7)


def _draw_curve(ax, intervention) -> None:
    mapper = _mapper(intervention)
    x = torch.linspace(-1, 1, 400)
    with torch.no_grad():
        if intervention.kind == "rotational":
            y = mapper(x)
            ax.plot(x, x, color="0.4", linestyle="--", linewidth=0.8)
            ax.fill_between(x.numpy(), x.numpy(), y.numpy(), color=BLUE, alpha=0.15)
            ax.plot(x, y, color=BLUE)
            ax.set_ylabel("target alignment m(x)", fontsize=8)
            ax.set_ylim(-1.05, 1.05)
        else:
            y = mapper(x.clamp(0, 1))
            ax.plot(x, y, color=ORANGE)
            ax.set_ylabel("gate strength g(x)", fontsize=8)
            ax.set_ylim(0, max(1.0, 1.05 * float(y.max())))
    control = getattr(mapper, "control", None)
    if control is not None:
        p = control.numpy()
        ax.plot(p[:2, 0], p[:2, 1], "o-", color=PINK, markersize=3, linewidth=1)
        ax.plot(p[2:, 0], p[2:, 1], "o-", color=ORANGE, markersize=3, linewidth=1)
    c30, c60 = math.cos(math.radians(30)), math.cos(math.radians(60))
    ax.set_xticks([-1, -c30, -c60, 0, c60, c30, 1], ["-1", "-cos30°", "-cos60°", "0", "cos60°", "cos30°", "1"],
                  fontsize=6, rotation=45)
    ax.set_xticks([math.cos(math.radians(d)) for d in range(0, 181, 10)], minor=True)
    ax.set_xlabel("alignment x = h·v", fontsize=8)
    ax.grid(alpha=0.3)
    ax.tick_params(axis="y", labelsize=7)
