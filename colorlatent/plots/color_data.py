"""Figures of the color data itself (ex 1.1): the RGB cube, HSV slices, the hue ring, sampling weights."""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.figure import Figure

from ..color import HUES, PRIMARIES, SECONDARIES, named_colors, vibrancy
from ..data import ColorCube, curriculum_scale, primary_secondary_focus
from .latent_slices import theme

# Screen axes of the cube views: vertical = the gray diagonal (black at the bottom, white at the
# top); horizontal and depth are the two directions orthogonal to it.
_UP = np.array([1.0, 1.0, 1.0]) / np.sqrt(3)
_ACROSS = np.array([1.0, -1.0, 0.0]) / np.sqrt(2)
_DEPTH = np.array([1.0, 1.0, -2.0]) / np.sqrt(6)


def cube_view(rgb: np.ndarray, turn: float = 0.0, elevation: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Orthographic view of RGB points with the black-white diagonal vertical on screen.

    Args:
        rgb: Points [N, 3].
        turn: Rotation of the cube about the diagonal, in degrees (180 more: the back view).
        elevation: Degrees the viewer looks down from level; the diagonal stays vertical on
            screen, but the rows of equal brightness open up into the cube's top faces.

    Returns:
        (x, y, depth) per point; larger depth is farther from the viewer.
    """
    angle, tilt = np.radians(turn), np.radians(elevation)
    across = np.cos(angle) * _ACROSS + np.sin(angle) * _DEPTH
    ahead = -np.sin(angle) * _ACROSS + np.cos(angle) * _DEPTH
    up = np.cos(tilt) * _UP + np.sin(tilt) * ahead
    depth = np.cos(tilt) * ahead - np.sin(tilt) * _UP
    centered = np.asarray(rgb, dtype=float) - 0.5
    return centered @ across, centered @ up, centered @ depth


def plot_rgb_cube(n: int = 8, turns: tuple[float, ...] = (-30.0, 150.0), elevation: float = 20.0,
                  dark: bool = False) -> Figure:
    """The n x n x n RGB grid seen from the side, black at the bottom and white at the top (ex 1.1.1).

    Args:
        n: Grid points per axis.
        turns: One view per rotation about the gray diagonal, in degrees (default a front and a back view).
        elevation: Degrees the viewer looks down (see `cube_view`).
        dark: Dark background variant.
    """
    bg, fg = theme(dark)
    axis = torch.linspace(0, 1, n, dtype=torch.float64)
    rgb = ColorCube.from_rgb(axis, axis, axis).flat_rgb().numpy()
    corners = np.array([[i, j, k] for i in (0, 1) for j in (0, 1) for k in (0, 1)], dtype=float)
    edges = [(a, b) for a in range(8) for b in range(a + 1, 8) if np.abs(corners[a] - corners[b]).sum() == 1]
    fig = Figure(figsize=(5.2 * len(turns), 5.6), facecolor=bg)
    axes = fig.subplots(1, len(turns), squeeze=False)[0]
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.86, wspace=0.05)
    for ax, turn in zip(axes, turns):
        ax.set_facecolor(bg)
        x, y, depth = cube_view(rgb, turn, elevation)
        order = np.argsort(-depth)  # far points first, so near ones are drawn on top
        # Markers about as wide as the grid spacing, so the near faces look solid and hide the inside.
        ax.scatter(x[order], y[order], c=rgb[order], s=(160 / n) ** 2, linewidths=0)
        cx, cy, _ = cube_view(corners, turn, elevation)
        for a, b in edges:
            ax.plot([cx[a], cx[b]], [cy[a], cy[b]], color=fg, alpha=0.25, linewidth=0.8, zorder=0)
        for name, corner in (("black", (0, 0, 0)), ("white", (1, 1, 1)), ("red", (1, 0, 0)),
                             ("green", (0, 1, 0)), ("blue", (0, 0, 1))):
            px, py, pdepth = cube_view(np.array([corner], dtype=float), turn, elevation)
            if pdepth[0] > 0.05:  # a corner behind the cube is hidden; don't label it
                continue
            ax.annotate(name, (px[0], py[0]), xytext=(0, -14 if name == "black" else 10),
                        textcoords="offset points", ha="center", color=fg, fontsize=8)
        ax.set_title(f"turned {turn:g}° about the gray diagonal, seen from {elevation:g}° above", color=fg,
                     fontsize=10)
        ax.set_aspect("equal")
        ax.set_xlim(-1.0, 1.0)
        ax.set_ylim(-1.05, 1.05)
        ax.set_axis_off()
    fig.suptitle(f"RGB cube, {n}×{n}×{n} points, black→white diagonal vertical", color=fg)
    return fig


def plot_hsv_slices(n_hues: int = 36, n_levels: int = 10, dark: bool = False) -> Figure:
    """Slices through an HSV cube: hue x value at S = 1, hue x saturation at V = 1, S x V squares.

    Args:
        n_hues: Hues (every 360 / n_hues degrees); 36 is the `hsv-cube` data set.
        n_levels: Saturation and value levels, linspace(0, 1, n_levels).
        dark: Dark background variant.
    """
    bg, fg = theme(dark)
    hues = torch.arange(n_hues, dtype=torch.float64) / n_hues
    levels = torch.linspace(0, 1, n_levels, dtype=torch.float64)
    cube = ColorCube.from_hsv(hues, levels, levels).rgb.numpy()  # [hue, saturation, value, 3]
    fig = Figure(figsize=(13, 7.4), facecolor=bg)
    grid = fig.add_gridspec(2, 6, height_ratios=[1.0, 1.0], left=0.05, right=0.99, top=0.9, bottom=0.07,
                            hspace=0.45, wspace=0.35)
    extent_hue = (-0.5 * 360 / n_hues, 360 - 0.5 * 360 / n_hues, -0.5 / (n_levels - 1), 1 + 0.5 / (n_levels - 1))
    for col, (title, image, ylabel) in enumerate((
            ("hue × value (S = 1)", cube[:, -1, :, :].transpose(1, 0, 2), "value"),
            ("hue × saturation (V = 1)", cube[:, :, -1, :].transpose(1, 0, 2), "saturation"))):
        ax = fig.add_subplot(grid[0, 3 * col:3 * col + 3], facecolor=bg)
        ax.imshow(image, origin="lower", aspect="auto", extent=extent_hue, interpolation="nearest")
        ax.set_title(title, color=fg, fontsize=10)
        ax.set_xlabel("hue (degrees)", color=fg)
        ax.set_ylabel(ylabel, color=fg)
        ax.set_xticks(range(0, 361, 60))
        ax.tick_params(colors=fg, labelsize=8)
    step = n_hues // 6
    for col in range(6):
        index = col * step
        ax = fig.add_subplot(grid[1, col], facecolor=bg)
        ax.imshow(cube[index].transpose(1, 0, 2), origin="lower", extent=(0, 1, 0, 1), interpolation="nearest")
        ax.set_title(f"hue {360 * index / n_hues:g}°", color=fg, fontsize=10)
        ax.set_xlabel("saturation", color=fg, fontsize=8)
        if col == 0:
            ax.set_ylabel("value", color=fg, fontsize=8)
        ax.tick_params(colors=fg, labelsize=7)
    fig.suptitle(f"HSV cube: {n_hues} hues × {n_levels} saturations × {n_levels} values", color=fg)
    return fig


def plot_hsv_cylinder(n_hues: int = 36, n_levels: int = 10, values: tuple[float, ...] = (1.0, 2 / 3, 1 / 3),
                      dark: bool = False) -> Figure:
    """Top views of the HSV cylinder: one disk per value, angle = hue (red at the top), radius = saturation.

    Args:
        n_hues: Hues of the grid.
        n_levels: Saturation levels, linspace(0, 1, n_levels).
        values: V of each disk.
        dark: Dark background variant.
    """
    bg, fg = theme(dark)
    hues = torch.arange(n_hues, dtype=torch.float64) / n_hues
    saturations = torch.linspace(0, 1, n_levels, dtype=torch.float64)
    fig = Figure(figsize=(4.2 * len(values), 4.6), facecolor=bg)
    axes = fig.subplots(1, len(values), squeeze=False)[0]
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.03, top=0.84, wspace=0.08)
    for ax, value in zip(axes, values):
        cube = ColorCube.from_hsv(hues, saturations, [value])
        h, s = torch.meshgrid(hues, saturations, indexing="ij")
        angle = np.pi / 2 - 2 * np.pi * h.numpy().ravel()  # red at the top, hue increasing clockwise
        radius = s.numpy().ravel()
        ax.set_facecolor(bg)
        ax.scatter(radius * np.cos(angle), radius * np.sin(angle), c=cube.flat_rgb().numpy(), s=38, linewidths=0)
        ax.set_title(f"V = {value:.2f}", color=fg)
        ax.set_aspect("equal")
        ax.set_xlim(-1.15, 1.15)
        ax.set_ylim(-1.15, 1.15)
        ax.set_axis_off()
    fig.suptitle("HSV cylinder seen from above: angle = hue, radius = saturation", color=fg)
    return fig


def plot_hue_ring(dark: bool = False) -> Figure:
    """The 12 named hues on the color wheel (primaries large, secondaries medium, tertiaries small)."""
    bg, fg = theme(dark)
    named = named_colors()
    fig = Figure(figsize=(5.6, 5.8), facecolor=bg)
    ax = fig.add_axes((0.08, 0.05, 0.84, 0.84), facecolor=bg)
    ring = np.linspace(0, 1, 361)
    ax.plot(np.cos(np.pi / 2 - 2 * np.pi * ring), np.sin(np.pi / 2 - 2 * np.pi * ring), color=fg, alpha=0.2)
    for name, hue in HUES.items():
        rgb = named.rgb[named.names.index(name)].numpy()
        angle = np.pi / 2 - 2 * np.pi * hue
        size = 700 if name in PRIMARIES else 380 if name in SECONDARIES else 180
        ax.scatter([np.cos(angle)], [np.sin(angle)], c=[rgb], s=size, linewidths=0.6, edgecolors=fg)
        ax.text(1.27 * np.cos(angle), 1.27 * np.sin(angle), f"{name}\n{hue * 360:.0f}°", color=fg, ha="center",
                va="center", fontsize=8)
    ax.set_xlim(-1.55, 1.55)
    ax.set_ylim(-1.55, 1.55)
    ax.set_aspect("equal")
    ax.set_axis_off()
    fig.suptitle("The 12 named hues (fractions of a turn × 360°)", color=fg)
    return fig


def plot_sampling_weights(dark: bool = False) -> Figure:
    """The per-point weights of m1-spec §1.4 on the `hsv-cube` grid.

    Panels: the cube's sampling bias w(s, v) (hue-independent), vibrancy S·V, the
    primary/secondary focus over hue, and the curriculum scaling of vibrancy at several fractions.
    """
    bg, fg = theme(dark)
    levels = torch.linspace(0, 1, 10, dtype=torch.float64)
    hues = torch.arange(36, dtype=torch.float64) / 36
    cube = ColorCube.from_hsv(hues, levels, levels, dtype=torch.float64)
    fig = Figure(figsize=(13, 7.6), facecolor=bg)
    grid = fig.add_gridspec(2, 2, left=0.07, right=0.97, top=0.9, bottom=0.08, hspace=0.42, wspace=0.25)
    extent = (-0.5 / 9, 1 + 0.5 / 9, -0.5 / 9, 1 + 0.5 / 9)
    for col, (title, grid_values) in enumerate((
            (f"sampling bias w(s, v) (Σ over the cube = {cube.bias.sum().item():.0f})", cube.bias[0]),
            ("vibrancy S·V", vibrancy(cube.rgb[0])))):
        ax = fig.add_subplot(grid[0, col], facecolor=bg)
        image = ax.imshow(grid_values.numpy().T, origin="lower", extent=extent, cmap="viridis", vmin=0, vmax=1)
        ax.set_title(title, color=fg, fontsize=10)
        ax.set_xlabel("saturation", color=fg)
        ax.set_ylabel("value", color=fg)
        ax.tick_params(colors=fg, labelsize=8)
        colorbar = fig.colorbar(image, ax=ax, fraction=0.046)
        colorbar.ax.tick_params(colors=fg, labelsize=8)
    ax = fig.add_subplot(grid[1, 0], facecolor=bg)
    fine = torch.linspace(0, 1, 721, dtype=torch.float64)
    ax.plot(fine.numpy() * 360, primary_secondary_focus(fine).numpy(), color=fg, alpha=0.5, linewidth=1)
    focus = primary_secondary_focus(hues).numpy()
    ring = ColorCube.from_hsv(hues, [1.0], [1.0]).flat_rgb().numpy()
    ax.scatter(hues.numpy() * 360, focus, c=ring, s=40, linewidths=0.4, edgecolors=fg, zorder=3)
    ax.set_title("primary/secondary focus over hue (the 36 hues of the cube)", color=fg, fontsize=10)
    ax.set_xlabel("hue (degrees)", color=fg)
    ax.set_ylabel("weight", color=fg)
    ax.set_xticks(range(0, 361, 60))
    ax.tick_params(colors=fg, labelsize=8)
    ax = fig.add_subplot(grid[1, 1], facecolor=bg)
    weights = torch.linspace(0, 1, 201, dtype=torch.float64)
    for fraction in (0.0, 0.25, 0.5, 0.75, 1.0):
        ax.plot(weights.numpy(), curriculum_scale(weights, fraction).numpy(), label=f"f = {fraction:g}")
    ax.set_title("curriculum scaling of a weight (ex 1.5/1.6) at fraction f", color=fg, fontsize=10)
    ax.set_xlabel("weight (e.g. vibrancy)", color=fg)
    ax.set_ylabel("scaled weight", color=fg)
    ax.tick_params(colors=fg, labelsize=8)
    legend = ax.legend(fontsize=8, facecolor=bg, edgecolor=fg)
    for text in legend.get_texts():
        text.set_color(fg)
    for ax in fig.axes:
        for spine in ax.spines.values():
            spine.set_color(fg)
            spine.set_alpha(0.3)
    fig.suptitle("Sampling weights of the HSV cube (m1-spec §1.4)", color=fg)
    return fig
