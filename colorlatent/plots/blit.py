"""Blitter: redraw only the artists of a figure that change, over a cached background."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox
from PIL import Image


class Blitter:
    """Renders a figure whose only changes are a known set of artists, as fast as Agg allows.

    The first render (and any with `background=True`) draws everything but `artists` once and
    keeps the pixels; later renders restore them and draw just `artists` on top. For the
    phase-history figure that is ~3x less work than a full draw: ticks, labels and frames are
    most of the cost. Redraw the background whenever anything else changed (axis limits,
    visibility of axes). `copy` and `paste` move finished pixels around, e.g. a thumbnail that
    moves to another slot.

    Args:
        figure: The figure; it is drawn on an Agg canvas at `dpi`.
        artists: The artists that change between renders (set as animated: a full draw skips them).
        dpi: Resolution.
    """

    def __init__(self, figure: Figure, artists: Sequence[Artist], dpi: float):
        self.figure, self.artists = figure, list(artists)
        figure.set_dpi(dpi)
        self.canvas = FigureCanvasAgg(figure)
        for artist in self.artists:
            artist.set_animated(True)
        self._background = None

    def restore(self, background: bool = False) -> None:
        """Start a frame: the cached background, drawn anew first if `background` (or never drawn)."""
        if background or self._background is None:
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        else:
            self.canvas.restore_region(self._background)

    def draw(self, artists: Iterable[Artist]) -> None:
        """Draw `artists` on the frame (those hidden, or in hidden axes, are skipped)."""
        for artist in artists:
            if artist.get_visible() and (artist.axes is None or artist.axes.get_visible()):
                self.figure.draw_artist(artist)

    def copy(self, bbox: Bbox):
        """The frame's pixels inside `bbox` (display coordinates)."""
        return self.canvas.copy_from_bbox(bbox)

    def paste(self, region, bbox: Bbox) -> None:
        """Put pixels from `copy` back, with their lower left corner at `bbox`'s."""
        origin = self.canvas.copy_from_bbox(bbox).get_extents()  # bbox in the buffer's pixel coordinates
        self.canvas.restore_region(region, xy=(origin[0], origin[1]))

    def image(self) -> Image.Image:
        """The frame as an RGB image."""
        size = self.canvas.get_width_height()
        return Image.frombuffer("RGBA", size, self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")

    def render(self, background: bool = False) -> Image.Image:
        """The whole figure: background (redrawn if `background`) plus every changing artist."""
        self.restore(background)
        self.draw(self.artists)
        return self.image()
