"""The phase-history figure: the latest latent space, and how it got there.

Top row: three large axis-aligned slices of the latest capture. Bottom row: thumbnails of one
slice at earlier captures, picked by a geometric progression so that the fast early changes get
more thumbnails than the slow late ones (m1-spec §5.4). Every point is drawn in its own RGB color.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

from .latent_slices import SlicePanel, default_slices, theme

# Font size of the thumbnails' step labels, in points, and the characters of a phase name that
# fit above a thumbnail (longer names are cut, or they would run into their neighbours).
THUMBNAIL_LABEL_POINTS = 7
THUMBNAIL_LABEL_CHARS = 16


@dataclass(frozen=True)
class Capture:
    """The probe latents at one training step.

    Attributes:
        step: Optimizer steps taken when the latents were captured (0: the initial weights).
        latents: Latents of the probe colors, [N, E].
        phase: Schedule phase running at that step (None or '' when there is none).
    """

    step: int
    latents: np.ndarray
    phase: str | None = None

    def label(self, width: int = THUMBNAIL_LABEL_CHARS) -> str:
        """'step N', with the phase on a second line when there is one, cut to `width` characters."""
        phase = self.phase or ""
        if len(phase) > width:
            phase = phase[: width - 1].rstrip() + "…"
        return f"step {self.step}" + (f"\n{phase}" if phase else "")


def thumbnail_indices(n: int, count: int = 10) -> list[int]:
    """Indices of the captures shown as thumbnails when `n` captures exist.

    unique(floor(geomspace(10, n + 10, count, endpoint=False)) - 10): dense at the start, sparse at
    the end, and (once n is large enough) never the last capture, which is drawn large above. For
    n = 51 (ex 1.7, every 200 steps) that is captures 0, 1, 4, 7, 10, 14, 19, 25, 32, 40.
    """
    if n <= 0:
        return []
    points = np.geomspace(10, n + 10, count, endpoint=False)
    return sorted({int(i) for i in np.floor(points).astype(int) - 10})


class PhaseHistoryFigure:
    """A phase-history figure that can be redrawn for a growing list of captures.

    The axes are built once; `update` moves points and relabels thumbnails, so redrawing it at
    every capture costs one draw, not a new figure. With a fixed view (`update(..., limit=)`)
    only `moving_artists` change between captures, so a `Blitter` can redraw just those.

    Args:
        colors: RGB in [0, 1] of the probe points, [N, 3].
        latent_dim: Size of the latents.
        slices: Up to three (x dim, y dim) pairs for the large panels; default the first three of
            `default_slices` ([1, 0], [1, 2], [1, 3] for 4-D latents).
        thumbnails: Number of thumbnail slots. Unused slots stay empty, so the layout is the same
            at every capture and TensorBoard's step slider does not jump.
        thumbnail_slice: Slice drawn in the thumbnails; default the first large slice.
        dark: Dark background variant.
    """

    def __init__(self, colors, latent_dim: int, slices: Sequence[tuple[int, int]] | None = None,
                 thumbnails: int = 10, thumbnail_slice: tuple[int, int] | None = None, dark: bool = False):
        colors = np.asarray(colors, dtype=float)
        slices = [tuple(p) for p in slices] if slices is not None else default_slices(latent_dim)[:3]
        if not 1 <= len(slices) <= 3:
            raise ValueError(f"slices must list 1 to 3 dim pairs; got {len(slices)}: {slices}")
        for pair in [*slices, *([thumbnail_slice] if thumbnail_slice is not None else [])]:
            if len(pair) != 2 or not all(0 <= d < latent_dim for d in pair):
                raise ValueError(f"slice {list(pair)} is out of range for latent_dim {latent_dim}")
        if thumbnails < 1:
            raise ValueError(f"thumbnails must be at least 1; got {thumbnails}")
        self.thumbnail_slice = tuple(thumbnail_slice) if thumbnail_slice is not None else slices[0]
        self.count = thumbnails
        bg, self.fg = theme(dark)

        self.figure = fig = Figure(figsize=(12, 6.6), facecolor=bg)
        # Fixed margins instead of tight_layout, which would cost more than drawing the points.
        grid = fig.add_gridspec(2, 1, height_ratios=[3.3, 1.0], left=0.05, right=0.98, top=0.9, bottom=0.02,
                                hspace=0.4)
        top = grid[0].subgridspec(1, len(slices), wspace=0.28)  # square panels: fewer than 3 are centered
        self.panels = [SlicePanel(fig.add_subplot(top[0, i], facecolor=bg), colors, pair, size=28, dark=dark)
                       for i, pair in enumerate(slices)]
        bottom = grid[1].subgridspec(1, thumbnails, wspace=0.08)
        self.thumbs = [SlicePanel(fig.add_subplot(bottom[0, i], facecolor=bg), colors, self.thumbnail_slice,
                                  size=3, dark=dark, labels=False) for i in range(thumbnails)]
        self.title = fig.suptitle("", color=self.fg, fontsize=13)
        self.thumbs[0].ax.set_ylabel(f"history\n[{self.thumbnail_slice[0]}, {self.thumbnail_slice[1]}]",
                                     color=self.fg, fontsize=8)
        # Where a horizontal cut separates the title and large panels (with their axis labels,
        # ~0.065 of the height) from the thumbnails (with their two-line labels, ~0.05).
        panels_bottom = min(panel.ax.get_position(original=True).y0 for panel in self.panels) - 0.065
        thumbs_top = self.thumbs[0].ax.get_position(original=True).y1 + 0.05
        self.top_fraction = 1 - (panels_bottom + thumbs_top) / 2

    @property
    def moving_artists(self) -> list:
        """What `update` changes when the view is fixed: the points, the thumbnail labels, the title."""
        return ([panel.points for panel in self.panels] + [thumb.points for thumb in self.thumbs]
                + [thumb.ax.title for thumb in self.thumbs] + [self.title])

    def update(self, captures: Sequence[Capture], title: str | None = None, limit: float | None = None,
               empty_frames: bool = False) -> Figure:
        """Show `captures` (in step order; the last one large) and return the figure.

        Args:
            captures: Every capture so far.
            title: Figure title; default 'Latent space at step N · phase'.
            limit: Every panel shows ±limit; by default each is fitted to its points.
            empty_frames: Draw the frames of unused thumbnail slots (empty) instead of hiding
                them, so that a series of figures keeps the same background (see `Blitter`).
        """
        if not captures:
            raise ValueError("a phase-history figure needs at least one capture")
        self.show_latest(captures[-1], title, limit)
        shown = thumbnail_indices(len(captures), self.count)
        for slot in range(self.count):
            self.show_thumbnail(slot, captures[shown[slot]] if slot < len(shown) else None, limit, empty_frames)
        return self.figure

    def show_latest(self, capture: Capture, title: str | None = None, limit: float | None = None) -> None:
        """Draw `capture` in the large panels and name it in the title (see `update`)."""
        for panel in self.panels:
            panel.update(capture.latents, limit)
        phase = f" · {capture.phase}" if capture.phase else ""
        self.title.set_text(title or f"Latent space at step {capture.step}{phase}")

    def show_thumbnail(self, slot: int, capture: Capture | None, limit: float | None = None,
                       empty_frame: bool = False) -> None:
        """Put `capture` into thumbnail `slot`, or empty the slot when it is None (see `update`)."""
        thumb = self.thumbs[slot]
        thumb.ax.set_visible(capture is not None or empty_frame)
        thumb.points.set_visible(capture is not None)
        if capture is not None:
            thumb.update(capture.latents, limit)
        elif limit is not None:
            thumb.set_view(limit)
        thumb.ax.set_title(capture.label() if capture is not None else "", color=self.fg,
                           fontsize=THUMBNAIL_LABEL_POINTS, pad=2)


def plot_phase_history(captures: Sequence[Capture], colors, slices: Sequence[tuple[int, int]] | None = None,
                       thumbnails: int = 10, thumbnail_slice: tuple[int, int] | None = None,
                       title: str | None = None, dark: bool = False) -> Figure:
    """Phase-history figure of `captures` (in step order), points colored by `colors` [N, 3].

    Args:
        captures: Captures in step order; the last one is drawn large.
        colors: RGB in [0, 1] of the probe points, [N, 3].
        slices: Up to three (x dim, y dim) pairs for the large panels (see `PhaseHistoryFigure`).
        thumbnails: Number of thumbnail slots.
        thumbnail_slice: Slice drawn in the thumbnails; default the first large slice.
        title: Figure title; default 'Latent space at step N · phase'.
        dark: Dark background variant.
    """
    if not captures:
        raise ValueError("plot_phase_history needs at least one capture")
    figure = PhaseHistoryFigure(colors, captures[-1].latents.shape[1], slices, thumbnails, thumbnail_slice, dark)
    return figure.update(captures, title)
