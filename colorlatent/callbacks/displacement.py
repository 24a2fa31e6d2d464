"""LatentDisplacementCallback: how far the probe colors' latents move between captures."""

from __future__ import annotations

from typing import Any

import lightning as L
import torch

from ..logs import log_scalars
from .common import encode_in_eval, probe_colors


class LatentDisplacementCallback(L.Callback):
    """Tracks the mean distance the probe colors' latents move: a measure of training stability.

    Every `every_n_steps` steps, before that step's update (and at the end of training when
    it falls on that grid), the probe colors are encoded (eval mode, no gradients). The mean over the colors
    of the Euclidean distance each latent moved since the previous capture is logged as `tag`
    at the capture's step and kept in `history` as (step, displacement) pairs. Jitter shows as
    displacement that stays high while the schedule is still; a violent change as a spike.
    Nothing runs during the sanity check; the history and the last latents are in checkpoints.

    Args:
        colors: Probe color set name; default: the data module's validation colors (else rgb-8).
        every_n_steps: Spacing of the captures, in steps.
        tag: TensorBoard scalar tag.
    """

    def __init__(self, colors: str | None = None, every_n_steps: int = 10, tag: str = "latent/displacement"):
        super().__init__()
        if not isinstance(every_n_steps, int) or isinstance(every_n_steps, bool) or every_n_steps < 1:
            raise ValueError(f"every_n_steps must be a positive integer; got {every_n_steps!r}")
        self.colors, self.every_n_steps, self.tag = colors, every_n_steps, tag
        self.history: list[tuple[int, float]] = []
        self._last: torch.Tensor | None = None
        self._last_step = -1
        self._rgb: torch.Tensor | None = None

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._rgb = probe_colors(trainer, self.colors).rgb.to(pl_module.device)
        if trainer.ckpt_path is None:  # a new run (this callback may have trained before)
            self.history, self._last, self._last_step = [], None, -1

    def on_train_batch_start(self, trainer: L.Trainer, pl_module: L.LightningModule, batch, batch_idx: int) -> None:
        step = trainer.global_step
        if step % self.every_n_steps == 0 and step != self._last_step:
            self._capture(trainer, pl_module, step)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # The state after the last update, when it falls on the grid (a shorter last interval
        # would not be comparable with the others).
        step = trainer.global_step
        if step % self.every_n_steps == 0 and step != self._last_step:
            self._capture(trainer, pl_module, step)

    def _capture(self, trainer: L.Trainer, pl_module: L.LightningModule, step: int) -> None:
        latents = encode_in_eval(pl_module, self._rgb)
        if self._last is not None:
            displacement = (latents - self._last.to(latents.device)).norm(dim=-1).mean().item()
            self.history.append((step, displacement))
            log_scalars(trainer, {self.tag: displacement}, step)
        self._last, self._last_step = latents, step

    def state_dict(self) -> dict[str, Any]:
        return {"history": [list(h) for h in self.history], "step": self._last_step,
                "latents": None if self._last is None else self._last.cpu()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.history = [(int(s), float(d)) for s, d in state_dict.get("history", [])]
        self._last_step = int(state_dict.get("step", -1))
        self._last = state_dict.get("latents")
