"""The timeline figure: every scheduled value over the run, phases as bands, actions as markers."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox, TransformedBbox

from .latent_slices import theme

# Values spanning more than this ratio (all positive) get a log axis: a learning-rate warm-up
# from 1e-8 to 1e-2 is a flat line on a linear one.
LOG_RATIO = 100.0


def _log_scale(values: np.ndarray) -> bool:
    positive = values[values > 0]
    return len(positive) == len(values) and positive.max() / positive.min() > LOG_RATIO


def plot_timeline(names: Sequence[str], table, phases: Sequence[tuple[str, int, int]] = (),
                  actions: Sequence[tuple[int, Sequence[str]]] = (), title: str | None = None,
                  planned=None, dark: bool = False) -> Figure:
    """One panel per scheduled value, against the step, sharing the x axis.

    Args:
        names: Value names, one per table column (`lr`, regularizer weights, data parameters).
        table: Values at every step, [steps, len(names)]; row t is step t.
        phases: (name, first step, last step) of each phase instance, drawn as alternating bands
            in a strip above the values (and faintly behind them when there are several).
        actions: (step, action names) of each row that fires actions, drawn as dotted lines
            across every panel and named above the phase strip.
        title: Figure title.
        planned: Another table like `table` (e.g. the schedule before a callback changed it),
            drawn dashed behind it in the panels where the two differ.
        dark: Dark background variant.
    """
    table = np.asarray(table, dtype=float)
    if table.ndim != 2 or table.shape[1] != len(names):
        raise ValueError(f"table must be [steps, {len(names)}] (one column per name); got {list(table.shape)}")
    if not len(names):
        raise ValueError("plot_timeline needs at least one scheduled value")
    bg, fg = theme(dark)
    steps = np.arange(len(table))
    rows = len(names)
    headroom = 0.75 if actions else 0.55  # room for the title, and for action names when there are some
    height = 1.25 * rows + 0.75 + headroom
    fig = Figure(figsize=(10, height), facecolor=bg)
    grid = fig.add_gridspec(rows + 1, 1, height_ratios=[0.3] + [1.0] * rows, left=0.09, right=0.97,
                            top=1 - headroom / height, bottom=0.45 / height, hspace=0.12)
    strip = fig.add_subplot(grid[0], facecolor=bg)
    axes = [fig.add_subplot(grid[i + 1], facecolor=bg) for i in range(rows)]
    for ax in axes[:-1]:
        ax.sharex(axes[-1])
        ax.tick_params(labelbottom=False)
    strip.sharex(axes[-1])
    band = "#ffffff" if dark else "#000000"
    for j, (phase, start, end) in enumerate(phases):
        shade = 0.10 if j % 2 == 0 else 0.03
        strip.axvspan(start, end + 1, color=band, alpha=shade, linewidth=0)
        label = strip.text(start, 0.5, f" {phase}", color=fg, fontsize=8, va="center", ha="left")
        # A name wider than its phase is cut at the phase's end instead of running into the next one.
        label.set_clip_box(TransformedBbox(Bbox([[start, 0], [end + 1, 1]]), strip.transData))
        label.set_clip_on(True)
        for ax in axes:
            if j % 2 == 0 and len(phases) > 1:
                ax.axvspan(start, end + 1, color=band, alpha=0.05, linewidth=0)
    for step, fired in actions:
        strip.text(step, 1.08, "▼ " + ", ".join(fired), transform=strip.get_xaxis_transform(), color="#d62728",
                   fontsize=8, va="bottom", ha="center")
        for ax in axes:
            ax.axvline(step, color="#d62728", linestyle=":", linewidth=1.2)
    strip.set_ylim(0, 1)
    strip.set_yticks([])
    strip.tick_params(labelbottom=False, bottom=False)
    strip.text(-0.01, 0.5, "phase", transform=strip.transAxes, color=fg, fontsize=8, ha="right", va="center")
    for i, (ax, name) in enumerate(zip(axes, names)):
        if planned is not None and not np.array_equal(planned[:, i], table[:, i]):
            ax.plot(np.arange(len(planned)), planned[:, i], color=fg, alpha=0.45, linestyle="--", linewidth=1.2,
                    label="planned")
            ax.plot(steps, table[:, i], color="#ff7f0e", linewidth=1.6, label="played")
            ax.legend(fontsize=7, loc="best", facecolor=bg, edgecolor=fg, labelcolor=fg)
        else:
            ax.plot(steps, table[:, i], color="#6fb7ff" if dark else "#1f77b4", linewidth=1.6)
        if _log_scale(table[:, i]) and (planned is None or _log_scale(planned[:, i])):
            ax.set_yscale("log")
        else:
            # Plain numbers: an offset or a x1e-3 label above the axis would run into the panel above.
            ax.ticklabel_format(axis="y", style="plain", useOffset=False)
        ax.text(0.005, 0.92, name, transform=ax.transAxes, color=fg, fontsize=9, va="top",
                bbox={"facecolor": bg, "edgecolor": "none", "alpha": 0.7, "pad": 1.5})
        ax.tick_params(colors=fg, labelsize=8)
        ax.grid(True, color=fg, alpha=0.12, linewidth=0.5)
    for ax in [strip, *axes]:
        for spine in ax.spines.values():
            spine.set_color(fg)
            spine.set_alpha(0.3)
    axes[-1].set_xlabel("step", color=fg)
    axes[-1].set_xlim(0, max(len(table) - 1, 1))
    if title:
        fig.suptitle(title, color=fg, y=0.995, va="top")
    return fig
