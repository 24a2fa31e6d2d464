"""LatentSliceCallback: the final latent space as axis-aligned slices, as PNG and in TensorBoard."""

from __future__ import annotations

from pathlib import Path

import lightning as L
import numpy as np
from lightning.pytorch.utilities import rank_zero_only

from ..data import make_dataset
from ..plots import plot_latent_slices
from .common import encode_in_eval, encode_png, log_png, reduce_colors, render
from .drawing import DrawingCallback


class LatentSliceRenderer:
    """Child-process side of `LatentSliceCallback`: draws each variant once, for the file and TensorBoard.

    Args:
        colors: RGB of the probe points, [N, 3].
        slices: Latent dim pairs to plot (None: the default slices).
        out_dir: Run directory.
        filename: Light PNG name; the dark one is `<stem>-dark.png`.
        dpi: Resolution.
    """

    def __init__(self, colors: np.ndarray, slices, out_dir: Path, filename: str, dpi: float):
        self.colors, self.slices = colors, slices
        self.out_dir, self.filename, self.dpi = Path(out_dir), filename, dpi

    def render(self, step: int, latents: np.ndarray, title: str) -> tuple[int, tuple[bytes, int, int], list[str]]:
        """Write both PNGs; return the step, the light figure as a palette PNG for TensorBoard, and the file names."""
        names = [self.filename, f"{Path(self.filename).stem}-dark.png"]
        for dark, name in zip((False, True), names):
            image = render(plot_latent_slices(latents, self.colors, self.slices, title=title, dark=dark), self.dpi)
            (self.out_dir / name).write_bytes(encode_png(image)[0])
            if not dark:
                logged = encode_png(reduce_colors(image))
        return step, logged, names


class LatentSliceCallback(DrawingCallback):
    """At the end of training, plots axis-aligned slices of the latents of a probe color set.

    The figure is written to `<log_dir>/<filename>` (light) and `<stem>-dark.png`, and logged to
    TensorBoard as `latent/slices` at the final step. It is drawn in a child process while the
    other callbacks finish, on rank zero; nothing runs during the sanity check.

    Args:
        colors: The probe colors, a data set name (default: the RGB 8x8x8 grid).
        slices: Latent dim pairs to plot; default [1, 0], [1, 2], ... (the hue plane first).
        filename: PNG file name inside the run directory.
        tag: TensorBoard image tag.
        dpi: Resolution of the PNG files.
    """

    def __init__(self, colors: str = "rgb-8", slices: list[tuple[int, int]] | None = None,
                 filename: str = "latent-slices.png", tag: str = "latent/slices", dpi: float = 110):
        super().__init__()
        self.colors, self.slices, self.filename, self.tag, self.dpi = colors, slices, filename, tag, dpi
        self.paths: list[Path] = []

    @rank_zero_only
    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # Started now, while the process is small and idle, so the end of training only sends numbers.
        if trainer.sanity_checking:
            return
        self._rgb = make_dataset(self.colors).rgb
        log_dir = Path(trainer.log_dir or ".")
        log_dir.mkdir(parents=True, exist_ok=True)
        self.start_worker(LatentSliceRenderer(self._rgb.numpy(), self.slices, log_dir, self.filename, self.dpi),
                          name="colorlatent-latent-slices")

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self._worker is None:
            return
        z = encode_in_eval(pl_module, self._rgb).float().cpu().numpy()
        self.submit("render", trainer.global_step, z, f"{self.colors} latents after {trainer.global_step} steps")

    def on_result(self, trainer: L.Trainer, method: str, value) -> None:
        step, image, names = value
        log_png(trainer, self.tag, image, step)
        self.paths = [Path(trainer.log_dir or ".") / name for name in names]
