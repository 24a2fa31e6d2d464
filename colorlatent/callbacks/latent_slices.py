"""LatentSliceCallback: the final latent space as axis-aligned slices, as PNG and in TensorBoard."""

from __future__ import annotations

from pathlib import Path

import lightning as L
from lightning.pytorch.utilities import rank_zero_only

from ..data import make_dataset
from ..logs import tensorboard_writers
from ..plots import plot_latent_slices
from .common import encode_in_eval


class LatentSliceCallback(L.Callback):
    """At the end of training, plots axis-aligned slices of the latents of a probe color set.

    The figure is written to `<log_dir>/<filename>` (light) and `<stem>-dark.png`, and logged to
    TensorBoard as `latent/slices` at the final step.

    Args:
        colors: The probe colors, a data set name (default: the RGB 8x8x8 grid).
        slices: Latent dim pairs to plot; default [1, 0], [1, 2], ... (the hue plane first).
        filename: PNG file name inside the run directory.
    """

    def __init__(self, colors: str = "rgb-8", slices: list[tuple[int, int]] | None = None,
                 filename: str = "latent-slices.png"):
        super().__init__()
        self.colors = colors
        self.slices = slices
        self.filename = filename
        self.paths: list[Path] = []

    @rank_zero_only
    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        rgb = make_dataset(self.colors).rgb
        z = encode_in_eval(pl_module, rgb)
        title = f"{self.colors} latents after {trainer.global_step} steps"
        log_dir = Path(trainer.log_dir or ".")
        log_dir.mkdir(parents=True, exist_ok=True)
        stem = Path(self.filename).stem
        self.paths = []
        for dark, name in ((False, self.filename), (True, f"{stem}-dark.png")):
            fig = plot_latent_slices(z, rgb, self.slices, title=title, dark=dark)
            path = log_dir / name
            fig.savefig(path, dpi=110, facecolor=fig.get_facecolor())
            self.paths.append(path)
            if not dark:
                for writer in tensorboard_writers(trainer):
                    writer.add_figure("latent/slices", fig, global_step=trainer.global_step)
