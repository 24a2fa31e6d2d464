"""Writing to the trainer's loggers on our own cadence.

`LightningModule.log` only reaches the logger on the steps Lightning picks
((step + 1) % log_every_n_steps == 0) and costs a little on every call. Our terms are logged
every N steps at exactly `global_step`, straight to the loggers, which keeps the hot path free
of per-step logging work and host syncs.
"""

from __future__ import annotations

import lightning as L
import torch
from lightning.pytorch.loggers import TensorBoardLogger


def log_scalars(trainer: L.Trainer, metrics: dict[str, torch.Tensor | float], step: int) -> None:
    """Send scalars to every logger of the trainer (one host sync for all tensors together)."""
    if not trainer.loggers or trainer.sanity_checking:
        return
    names = list(metrics)
    values = [v.detach().float() if isinstance(v, torch.Tensor) else torch.tensor(float(v)) for v in metrics.values()]
    floats = torch.stack([v.to("cpu") for v in values]).tolist()
    for logger in trainer.loggers:
        logger.log_metrics(dict(zip(names, floats)), step=step)


def tensorboard_writers(trainer: L.Trainer) -> list:
    """The SummaryWriters of every TensorBoard logger the trainer has (others are skipped)."""
    return [lg.experiment for lg in trainer.loggers if isinstance(lg, TensorBoardLogger)]
