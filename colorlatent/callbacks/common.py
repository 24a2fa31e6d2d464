"""Helpers shared by the callbacks: probe latents, the probe colors, the schedule, image summaries."""

from __future__ import annotations

import io

import lightning as L
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image
from tensorboard.compat.proto.summary_pb2 import Summary

from ..data import ColorSet, make_dataset
from ..logs import tensorboard_writers
from ..schedule.callback import ScheduleCallback

# Probe colors when neither the callback nor the data module names any.
DEFAULT_PROBE = "rgb-8"


@torch.no_grad()
def encode_in_eval(pl_module: L.LightningModule, rgb: torch.Tensor) -> torch.Tensor:
    """Latents in eval mode without gradients, restoring the module's previous mode."""
    was_training = pl_module.training
    pl_module.eval()
    try:
        return pl_module.encode(rgb.to(pl_module.device))
    finally:
        pl_module.train(was_training)


def probe_colors(trainer: L.Trainer, name: str | None) -> ColorSet:
    """The color set `name`, or by default the data module's validation colors (else `rgb-8`)."""
    if name is not None:
        return make_dataset(name)
    val_set = getattr(trainer.datamodule, "val_set", None) if trainer.datamodule is not None else None
    return val_set if isinstance(val_set, ColorSet) else make_dataset(DEFAULT_PROBE)


def find_schedule(trainer: L.Trainer) -> ScheduleCallback | None:
    """The trainer's ScheduleCallback, if it has one (read only: its phases and table)."""
    return next((cb for cb in trainer.callbacks if isinstance(cb, ScheduleCallback)), None)


def add_png(writer, tag: str, image: tuple[bytes, int, int], step: int) -> None:
    """Write an already encoded PNG `(bytes, width, height)` as an image summary with a SummaryWriter.

    This is the summary `SummaryWriter.add_figure` writes, minus the rendering: a figure drawn
    once (in a worker process, see `RenderWorker`) gives both the PNG file and the summary.
    """
    png, width, height = image
    # colorspace is informative only (TensorBoard decodes the PNG); ours are RGB(A) or palette.
    value = Summary.Value(tag=tag, image=Summary.Image(height=height, width=width, colorspace=3,
                                                       encoded_image_string=png))
    writer._get_file_writer().add_summary(Summary(value=[value]), step)


def log_png(trainer: L.Trainer, tag: str, image: tuple[bytes, int, int], step: int) -> None:
    """`add_png` on every TensorBoard logger of the trainer (other loggers are skipped)."""
    for writer in tensorboard_writers(trainer):
        add_png(writer, tag, image, step)


def render(figure: Figure, dpi: float) -> Image.Image:
    """Draw `figure` at `dpi` into an RGB image (the figure keeps that dpi)."""
    canvas = figure.canvas if isinstance(figure.canvas, FigureCanvasAgg) else FigureCanvasAgg(figure)
    figure.set_dpi(dpi)
    canvas.draw()
    return Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")


def palette_of(image: Image.Image) -> Image.Image:
    """A 256-color palette for `image` (and for frames that look like it), as a palette image.

    Median cut on a quarter-size copy: fast, and unlike the fast octree method it keeps large
    faint areas such as the unit disk.
    """
    small = image.resize((max(1, image.width // 4), max(1, image.height // 4)), Image.Resampling.NEAREST)
    return small.quantize(256)


def reduce_colors(image: Image.Image, palette: Image.Image | None = None) -> Image.Image:
    """`image` with a 256-color palette, for TensorBoard and GIF frames.

    About a third of the PNG bytes, and every byte logged costs the training process time:
    TensorBoard's event writer checksums records in pure Python (~0.1 µs per byte here: ~7 ms
    for a 70 KB image, ~17 ms for a full-color 200 KB one).

    Args:
        image: RGB image.
        palette: From `palette_of`; by default the image's own. Finding a palette costs ten
            times more than using one, so a series of similar frames should share one.
    """
    return image.quantize(palette=palette or palette_of(image), dither=Image.Dither.NONE)


def encode_png(image: Image.Image) -> tuple[bytes, int, int]:
    """PNG bytes of `image`, with its width and height."""
    buffer = io.BytesIO()
    image.save(buffer, format="png")
    return buffer.getvalue(), image.width, image.height
