"""Figures of parameter transitions (ex 1.4): easings, retargeting with momentum, a reactive change."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from .latent_slices import theme

# One color per easing, the same in every figure.
EASING_COLORS = {"minjerk": "#1f77b4", "linear": "#ff7f0e", "step-end": "#2ca02c"}


def _style(fig: Figure, fg: str, bg: str) -> None:
    for ax in fig.axes:
        ax.set_facecolor(bg)
        ax.tick_params(colors=fg, labelsize=8)
        ax.grid(True, color=fg, alpha=0.12, linewidth=0.5)
        for spine in ax.spines.values():
            spine.set_color(fg)
            spine.set_alpha(0.3)
        legend = ax.get_legend()
        if legend is not None:
            legend.get_frame().set_facecolor(bg)
            for text in legend.get_texts():
                text.set_color(fg)


def plot_easings(curves: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
                 starts: Sequence[tuple[str, np.ndarray]], dark: bool = False) -> Figure:
    """Value, velocity and acceleration of each easing, and minimum jerk from several starting states.

    Args:
        curves: Easing name -> (value, velocity, acceleration) per step, for the same transition.
        starts: (label, values per step) of minimum-jerk transitions from different starting states.
        dark: Dark background variant.
    """
    bg, fg = theme(dark)
    fig = Figure(figsize=(13, 7.2), facecolor=bg)
    grid = fig.add_gridspec(3, 2, width_ratios=[1.0, 1.0], left=0.07, right=0.98, top=0.9, bottom=0.08,
                            hspace=0.15, wspace=0.18)
    rows = [fig.add_subplot(grid[i, 0]) for i in range(3)]
    for ax in rows[:2]:
        ax.sharex(rows[2])
        ax.tick_params(labelbottom=False)
    for name, (value, velocity, acceleration) in curves.items():
        steps = np.arange(len(value))
        for ax, series in zip(rows, (value, velocity, acceleration)):
            ax.plot(steps, series, color=EASING_COLORS.get(name), label=name, linewidth=1.8,
                    drawstyle="steps-post" if name == "step-end" else "default")
    for ax, label in zip(rows, ("value", "velocity / step", "acceleration / step²")):
        ax.set_ylabel(label, color=fg)
    rows[0].legend(fontsize=8, loc="upper left")
    rows[0].set_title("one transition, three easings (step-end jumps at the end)", color=fg, fontsize=10)
    rows[2].set_xlabel("step", color=fg)
    ax = fig.add_subplot(grid[:, 1])
    for label, values in starts:
        ax.plot(np.arange(len(values)), values, label=label, linewidth=1.8)
    ax.axhline(1.0, color=fg, alpha=0.4, linestyle="--", linewidth=0.8)
    ax.set_title("minimum jerk from any state: every curve reaches 1 at rest", color=fg, fontsize=10)
    ax.set_xlabel("step", color=fg)
    ax.set_ylabel("value", color=fg)
    ax.legend(fontsize=8, title="start (value, velocity per transition)", title_fontsize=8)
    ax.get_legend().get_title().set_color(fg)
    fig.suptitle("Parameter transitions: easings (m1-spec §4.4)", color=fg)
    _style(fig, fg, bg)
    return fig


def plot_retargeting(curves: Mapping[str, tuple[np.ndarray, np.ndarray]], targets: Sequence[tuple[int, float]],
                     dark: bool = False) -> Figure:
    """A value retargeted several times in flight, per easing: value and velocity over the steps.

    Args:
        curves: Easing name -> (value, velocity) per step.
        targets: (step, new target) of every `set` call.
        dark: Dark background variant.
    """
    bg, fg = theme(dark)
    fig = Figure(figsize=(11, 6.4), facecolor=bg)
    top, bottom = fig.subplots(2, 1, sharex=True)
    fig.subplots_adjust(left=0.08, right=0.98, top=0.88, bottom=0.09, hspace=0.1)
    for name, (value, velocity) in curves.items():
        steps = np.arange(len(value))
        style = {"color": EASING_COLORS.get(name), "label": name, "linewidth": 1.8,
                 "drawstyle": "steps-post" if name == "step-end" else "default"}
        top.plot(steps, value, **style)
        bottom.plot(steps, velocity, **style)
    for step, target in targets:
        for ax in (top, bottom):
            ax.axvline(step, color=fg, alpha=0.35, linestyle=":", linewidth=1)
        top.annotate(f"→ {target:g}", (step, target), xytext=(3, 4), textcoords="offset points", color=fg,
                     fontsize=8)
        top.plot([step], [target], marker="_", color=fg, markersize=12)
    top.set_ylabel("value", color=fg)
    bottom.set_ylabel("velocity / step", color=fg)
    bottom.set_xlabel("step", color=fg)
    top.legend(fontsize=8, loc="lower right")
    fig.suptitle("Retargeting mid-transition: minimum jerk keeps its velocity, linear jumps", color=fg)
    _style(fig, fg, bg)
    return fig


def plot_reactive_run(monitor: tuple[str, np.ndarray, np.ndarray], threshold: float, value: str,
                      planned: np.ndarray, played: np.ndarray, effect: tuple[str, np.ndarray, np.ndarray] | None,
                      fired_at: int | None, dark: bool = False) -> Figure:
    """A schedule that reacted to a metric during a real training run.

    Args:
        monitor: (name, steps, values) of the watched metric.
        threshold: The trigger threshold.
        value: Name of the scheduled value that was retargeted.
        planned: The value per step as the dopesheet planned it.
        played: The value per step as training played it.
        effect: (name, steps, values) of a metric the change should move, or None.
        fired_at: The step the change started at (None if it never fired).
        dark: Dark background variant.
    """
    bg, fg = theme(dark)
    rows = 3 if effect is not None else 2
    fig = Figure(figsize=(11, 2.5 * rows + 1.0), facecolor=bg)
    axes = fig.subplots(rows, 1, sharex=True)
    fig.subplots_adjust(left=0.09, right=0.98, top=1 - 0.7 / (2.5 * rows + 1), bottom=0.5 / (2.5 * rows + 1),
                        hspace=0.12)
    name, steps, values = monitor
    axes[0].plot(steps, values, color="#1f77b4", marker="o", markersize=3, linewidth=1.4, label=name)
    axes[0].axhline(threshold, color="#d62728", linestyle="--", linewidth=1, label=f"threshold {threshold:g}")
    axes[0].set_yscale("log")
    axes[0].set_ylabel(name, color=fg)
    axes[0].legend(fontsize=8)
    steps_all = np.arange(len(played))
    axes[1].plot(np.arange(len(planned)), planned, color=fg, alpha=0.45, linestyle="--", linewidth=1.4,
                 label="planned (dopesheet)")
    axes[1].plot(steps_all, played, color="#ff7f0e", linewidth=1.8, label="played")
    axes[1].set_ylabel(value, color=fg)
    axes[1].legend(fontsize=8, loc="upper left")
    if effect is not None:
        name, steps, values = effect
        axes[2].plot(steps, values, color="#2ca02c", marker="o", markersize=3, linewidth=1.4)
        axes[2].set_ylabel(name, color=fg)
    if fired_at is not None:
        for ax in axes:
            ax.axvline(fired_at, color="#d62728", linestyle=":", linewidth=1.2)
        axes[0].annotate(f"fired at step {fired_at}", (fired_at, threshold), xytext=(5, 8), textcoords="offset points",
                         color="#d62728", fontsize=9)
    axes[-1].set_xlabel("step", color=fg)
    axes[-1].set_xlim(0, len(played) - 1)
    title = (f"Reactive transition: {value} retargeted when {monitor[0]} fell below {threshold:g}"
             if fired_at is not None else f"Reactive transition: {monitor[0]} never crossed {threshold:g}")
    fig.suptitle(title, color=fg)
    _style(fig, fg, bg)
    return fig
