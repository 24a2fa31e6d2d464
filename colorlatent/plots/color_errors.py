"""Per-color reconstruction error with and without interventions, as grouped bars."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..color import named_colors


def plot_color_errors(table, title: str | None = None, floor: float = 1e-7) -> Figure:
    """Grouped bars of each named color's MSE: baseline, then every plan of the table.

    The top panel is linear (what a person sees: red at 1/3 is black); the bottom one is
    logarithmic (what stays untouched: cool hues and grays near 1e-5). A swatch of each color
    sits under its group.

    Args:
        table: An `colorlatent.evaluation.ErrorTable`.
        title: Figure title.
        floor: Smallest value drawn on the log panel (exact zeros would vanish).
    """
    columns = {"baseline": table.baseline, **table.results}
    values = {tag: mse.detach().float().cpu().numpy() for tag, mse in columns.items()}
    n, k = len(table.names), len(values)
    x = np.arange(n)
    width = 0.8 / k
    swatches = _swatches(table.names)
    fig = Figure(figsize=(max(8.0, 0.62 * n + 1.5), 6.4))
    axes = fig.subplots(2, 1, sharex=True)
    for ax, log in zip(axes, (False, True)):
        for j, (tag, mse) in enumerate(values.items()):
            color = "0.6" if tag == "baseline" else f"C{j - 1}"
            ax.bar(x + (j - (k - 1) / 2) * width, np.maximum(mse, floor) if log else mse, width,
                   label=tag, color=color)
        ax.set_ylabel("MSE (log)" if log else "MSE")
        if log:
            ax.set_yscale("log")
            ax.set_ylim(bottom=floor)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(ncols=k, fontsize=8, loc="upper right")
    axes[1].set_xticks(x, table.names, rotation=45, ha="right", fontsize=8)
    for i, rgb in enumerate(swatches):
        axes[1].add_patch(Rectangle((i - 0.4, -0.09), 0.8, 0.05, facecolor=rgb, transform=axes[1].get_xaxis_transform(),
                                    clip_on=False, linewidth=0.3, edgecolor="0.5"))
    axes[1].tick_params(axis="x", pad=12)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _swatches(names: list[str]) -> list[tuple[float, float, float]]:
    known = named_colors()
    lookup = dict(zip(known.names, known.rgb.tolist()))
    return [tuple(lookup.get(name, (0.5, 0.5, 0.5))) for name in names]
