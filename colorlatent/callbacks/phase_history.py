"""PhaseHistoryCallback: capture the probe latents while training and draw how the space formed."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import lightning as L
import numpy as np
import torch
from lightning.pytorch.utilities import rank_zero_only
from matplotlib.transforms import Bbox
from PIL import Image

from ..plots.animation import GifAnimation
from ..plots.blit import Blitter
from ..plots.latent_slices import fitted_limit
from ..plots.phase_history import THUMBNAIL_LABEL_POINTS, Capture, PhaseHistoryFigure, thumbnail_indices
from .common import encode_in_eval, encode_png, find_schedule, log_png, palette_of, probe_colors, reduce_colors
from .drawing import DrawingCallback

Moments = Literal["auto", "phases", "even", "both"]
# Evenly spaced captures by default, counting the final one. Every capture draws and logs the
# whole figure; 11 (every 1,000 steps of ex 1.7) cost 2-4 % of its training time on the 2-vCPU VM,
# 51 (the notebook's every 200 steps) about 10 % (benchmarks/callback_cost.py).
DEFAULT_CAPTURES = 11
# Extra room, as a fraction, that a growing view of the per-capture figure leaves the points.
VIEW_HEADROOM = 0.15
MOMENTS = ("auto", "phases", "even", "both")


def capture_steps(total: int, at: Moments = "auto", captures: int = DEFAULT_CAPTURES,
                  every_n_steps: int | None = None, phase_starts: list[int] = ()) -> list[int]:
    """Steps (0 ... total - 1) at which to capture latents during a run of `total` steps.

    The state after the last step is always captured too, at the end of training, so it is not
    listed; an even-spaced step closer to the end than half the spacing is dropped in its favour.

    Args:
        total: Steps in the run.
        at: `phases`: step 0 and the first step of every later phase (the latents at the end of
            each phase); `even`: every `every_n_steps` steps, or `captures` evenly spaced captures;
            `both`: the union; `auto`: `phases` when the schedule has two or more phases, else `even`.
        captures: Number of captures in `even` mode, counting the final one.
        every_n_steps: Spacing in `even` mode; overrides `captures`.
        phase_starts: First step of every phase, in order (from the dopesheet).
    """
    if at not in MOMENTS:
        raise ValueError(f"at={at!r} is not allowed; allowed: {list(MOMENTS)}")
    if captures < 2:
        raise ValueError(f"captures must be at least 2 (the start and the end); got {captures}")
    if every_n_steps is not None and every_n_steps < 1:
        raise ValueError(f"every_n_steps must be a positive integer or null; got {every_n_steps}")
    if at == "auto":
        at = "phases" if len(phase_starts) >= 2 else "even"
    steps = {0}
    if at in ("even", "both"):
        interval = every_n_steps or max(1, round(total / (captures - 1)))
        steps.update(s for s in range(0, total, interval) if total - s >= interval / 2 or s == 0)
    if at in ("phases", "both"):
        steps.update(s for s in phase_starts if 0 < s < total)
    return sorted(steps)


class PhaseHistoryRenderer:
    """Child-process side of `PhaseHistoryCallback`: keeps the captures and draws them.

    At each capture the light figure is drawn with one view for all panels that only ever grows
    (so TensorBoard's slider compares like with like, and only the points need redrawing, see
    `Blitter`); its top row, the three large slices, is the capture's GIF frame. The final PNGs
    are drawn with each panel fitted to its points.

    Args:
        colors: RGB of the probe points, [N, 3].
        latent_dim: Size of the latents.
        out_dir: Run directory for the PNG and GIF files.
        filename: Name of the light PNG; the dark one is `<stem>-dark.png`.
        animation: File name of the GIF, or None for no animation.
        slices: Large slices (see `PhaseHistoryFigure`).
        thumbnails: Thumbnail slots.
        thumbnail_slice: Slice of the thumbnails.
        fps: Frames per second of the GIF.
        dpi: Resolution of the PNGs (TensorBoard's and the files).
    """

    def __init__(self, colors: np.ndarray, latent_dim: int, out_dir: Path, filename: str, animation: str | None,
                 slices, thumbnails: int, thumbnail_slice, fps: float, dpi: float):
        self.args = dict(colors=colors, latent_dim=latent_dim, slices=slices, thumbnails=thumbnails,
                         thumbnail_slice=thumbnail_slice)
        self.out_dir, self.filename, self.animation_name = Path(out_dir), filename, animation
        self.fps, self.dpi = fps, dpi
        self.captures: list[Capture] = []

    def start(self) -> None:
        """Build the figures (both variants) while training runs, so the end only redraws them."""
        self.light = PhaseHistoryFigure(**self.args)
        self.dark = PhaseHistoryFigure(**self.args, dark=True)
        self.blitters = {figure: Blitter(figure.figure, figure.moving_artists, self.dpi)
                         for figure in (self.light, self.dark)}
        self.animation = GifAnimation(self.fps) if self.animation_name else None
        self.limit = 0.0
        self.thumbnail_pixels = {}  # capture index -> its finished thumbnail, reused when it moves slot
        self.palette = None

    def _draw(self) -> Image.Image:
        # Grow the shared view to fit the new capture; a new view or a new thumbnail means the
        # background (ticks, frames) must be redrawn too, and the thumbnails with it.
        figure, blitter = self.light, self.blitters[self.light]
        dims = sorted({d for panel in figure.panels + figure.thumbs for d in panel.dims})
        fitted = fitted_limit(self.captures[-1].latents[:, dims])
        # A new view means drawing the whole background again (~6 captures' worth): when the
        # points outgrow the view, leave them room to grow a little further.
        limit = self.limit if fitted <= self.limit else fitted * (1 + VIEW_HEADROOM)
        shown = thumbnail_indices(len(self.captures), figure.count)
        background = limit != self.limit
        self.limit = limit
        if background:
            self.thumbnail_pixels.clear()
            self.palette = None  # found anew on the next frame
            for slot in range(figure.count):  # every frame (unit disk, axes) in the new view
                figure.show_thumbnail(slot, None, limit, empty_frame=True)
        figure.show_latest(self.captures[-1], limit=limit)
        blitter.restore(background)
        # A thumbnail never changes once drawn (same capture, same view), it only moves along as
        # captures accumulate: draw it and its label once, then paste the pixels. Text is the
        # dearest thing to draw here, so this saves most of a capture's cost.
        for slot, index in enumerate(shown):
            box = self._slot(figure.thumbs[slot])
            if index in self.thumbnail_pixels:
                blitter.paste(self.thumbnail_pixels[index], box)
            else:
                figure.show_thumbnail(slot, self.captures[index], limit)
                blitter.draw([figure.thumbs[slot].points, figure.thumbs[slot].ax.title])
                self.thumbnail_pixels[index] = blitter.copy(box)
        blitter.draw([panel.points for panel in figure.panels] + [figure.title])
        image = blitter.image()
        # The frames of one view share their colors (the same points over the same background),
        # so one palette serves until the view changes.
        self.palette = self.palette or palette_of(image)
        frame = reduce_colors(image, self.palette)
        if self.animation is not None:
            self.animation.add(frame.crop((0, 0, frame.width, round(frame.height * figure.top_fraction))))
        return frame

    def _slot(self, thumb) -> Bbox:
        """A thumbnail's pixels with its label above: the axes, raised by three label lines, same size in every slot."""
        box = thumb.ax.bbox
        head = 3 * THUMBNAIL_LABEL_POINTS * self.dpi / 72
        return Bbox.from_extents(box.x0, box.y0, box.x1, box.y1 + head)

    def restore(self, captures: list[Capture]) -> None:
        """Take the captures of a resumed run's earlier part (logged then; here for the GIF and thumbnails)."""
        for capture in captures:
            self.captures.append(capture)
            self._draw()

    def capture(self, step: int, latents: np.ndarray, phase: str | None) -> tuple[int, tuple[bytes, int, int]]:
        """Add a capture; return its step and the PNG of the figure as it stands now."""
        self.captures.append(Capture(step, latents, phase))
        return step, encode_png(self._draw())

    def finish(self) -> list[str]:
        """Write the PNGs (light, dark) of the last capture, panels fitted, and the GIF; return the file names."""
        names = [self.filename, f"{Path(self.filename).stem}-dark.png"]
        for figure, name in zip((self.light, self.dark), names):
            figure.update(self.captures)
            (self.out_dir / name).write_bytes(encode_png(self.blitters[figure].render(background=True))[0])
        if self.animation is not None:
            self.animation.save(self.out_dir / self.animation_name)
            names.append(self.animation_name)
        return names


class PhaseHistoryCallback(DrawingCallback):
    """Captures the latents of a probe color set during training and draws the phase history.

    At each capture the phase-history figure (three large slices of the latest latents, a row of
    thumbnails of earlier captures, every point in its own color) is logged to TensorBoard as
    `tag`, so the image slider replays the run. At the end of training the figure is written to
    the run directory as `filename` and `<stem>-dark.png`, and the captures as an animated GIF.

    Captures happen before the optimizer step of the chosen steps (so step 0 shows the initial
    weights) and once more at the end of training. Figures are drawn in a child process
    (`RenderWorker`); the training process only encodes the probe colors, in eval mode without
    gradients, on rank zero. Nothing runs during the sanity check.

    Args:
        colors: Probe color set name; default: the data module's validation colors (else rgb-8).
        at: When to capture: `phases` (the end of each phase of the ScheduleCallback's dopesheet),
            `even` (evenly spaced), `both`, or `auto` (`phases` if the dopesheet has two or more
            phases, else `even`).
        captures: Number of evenly spaced captures, counting the final one.
        every_n_steps: Spacing of the even captures instead of `captures` (ex 1.7 used 200).
        slices: Up to three latent dim pairs drawn large; default [1, 0], [1, 2], [1, 3].
        thumbnails: Number of thumbnails of earlier captures.
        thumbnail_slice: Dim pair of the thumbnails; default the first large slice.
        animation: GIF file name in the run directory, or null for none.
        fps: Frames (captures) per second of the GIF.
        filename: PNG file name in the run directory.
        tag: TensorBoard image tag.
        dpi: Resolution of the figures (the PNG files and TensorBoard's images).
    """

    def __init__(self, colors: str | None = None, at: Moments = "auto", captures: int = DEFAULT_CAPTURES,
                 every_n_steps: int | None = None, slices: list[tuple[int, int]] | None = None,
                 thumbnails: int = 10, thumbnail_slice: tuple[int, int] | None = None,
                 animation: str | None = "latent-evolution.gif", fps: float = 8.0,
                 filename: str = "phase-history.png", tag: str = "latent/phase_history", dpi: float = 80):
        super().__init__()
        capture_steps(100, at, captures, every_n_steps)  # fail on bad arguments at construction
        self.colors, self.at, self.num_captures, self.every_n_steps = colors, at, captures, every_n_steps
        self.slices, self.thumbnails, self.thumbnail_slice = slices, thumbnails, thumbnail_slice
        self.animation, self.fps, self.filename, self.tag, self.dpi = animation, fps, filename, tag, dpi
        self.steps: list[int] = []
        self.captures: list[Capture] = []
        self.paths: list[Path] = []
        self._next = -1  # the next capture step; -1 when none is due (also on ranks other than zero)

    @rank_zero_only
    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # Other ranks never start a worker, so every later hook is a no-op there.
        if trainer.sanity_checking:
            return
        probe = probe_colors(trainer, self.colors)
        self._rgb = probe.rgb.to(pl_module.device)
        latent_dim = encode_in_eval(pl_module, self._rgb[:1]).shape[1]
        self._schedule = find_schedule(trainer)
        phases = self._schedule.sheet.phases if self._schedule is not None else []
        total = trainer.max_steps if trainer.max_steps > 0 else int(trainer.estimated_stepping_batches)
        # A resumed run keeps the captures from before the checkpoint (see `state_dict`).
        self.captures = [c for c in self.captures if c.step < trainer.global_step]
        self.steps = [s for s in capture_steps(total, self.at, self.num_captures, self.every_n_steps,
                                               [p.start for p in phases]) if s >= trainer.global_step]
        self._next = self.steps[0] if self.steps else -1
        log_dir = Path(trainer.log_dir or ".")
        log_dir.mkdir(parents=True, exist_ok=True)
        renderer = PhaseHistoryRenderer(probe.rgb.numpy(), latent_dim, log_dir, self.filename, self.animation,
                                        self.slices, self.thumbnails, self.thumbnail_slice, self.fps, self.dpi)
        self.start_worker(renderer, name="colorlatent-phase-history")
        self.submit("start")
        if self.captures:
            self.submit("restore", self.captures)

    def on_train_batch_start(self, trainer: L.Trainer, pl_module: L.LightningModule, batch, batch_idx: int) -> None:
        # Runs every step: one integer comparison unless a capture is due.
        if trainer.global_step == self._next:
            self._capture(trainer, pl_module)
            later = [s for s in self.steps if s > self._next]
            self._next = later[0] if later else -1

    def _capture(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        step = trainer.global_step
        latents = encode_in_eval(pl_module, self._rgb).float().cpu().numpy()
        # The phase the latents were last trained in: for a capture at a phase's first step,
        # the phase that just ended.
        phase = self._schedule.phase_at(max(step - 1, 0)) if self._schedule is not None else None
        self.submit("capture", step, latents, phase)
        self.captures.append(Capture(step, latents, phase))
        self.collect(trainer)

    def on_result(self, trainer: L.Trainer, method: str, value) -> None:
        if method == "capture":
            step, image = value
            log_png(trainer, self.tag, image, step)
        elif method == "finish":
            self.paths = [Path(trainer.log_dir or ".") / name for name in value]

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self._worker is None:
            return
        if not self.captures or self.captures[-1].step != trainer.global_step:
            self._capture(trainer, pl_module)
        self.submit("finish")
        self._next = -1

    def state_dict(self) -> dict[str, Any]:
        # The captures so far (a few KB each), so that a resumed run draws its whole history.
        # Tensors and plain types only: checkpoints may be loaded with weights_only=True.
        return {"captures": [{"step": c.step, "latents": torch.from_numpy(c.latents), "phase": c.phase}
                             for c in self.captures]}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.captures = [Capture(int(c["step"]), c["latents"].numpy(), c["phase"])
                         for c in state_dict.get("captures", [])]

    def teardown(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        super().teardown(trainer, pl_module, stage)
        self._next = -1
