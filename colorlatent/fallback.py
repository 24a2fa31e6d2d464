"""Fallback control: teach the decoder what a deleted concept should decode to (beyond m2-spec).

Deleting red's axis by zeroing (m2-spec §4) leaves red's latent to the renormalization: pure
red's code is almost all dim 0, so what survives is a tiny remainder whose direction, and so
what red decodes to, differs from seed to seed (on some seeds "deleted" red still decodes to
red). Fallback control fixes the outcome instead: during training a decoder-only term
||decoder(fallback) - target||^2 teaches the decoder that the direction opposite the concept
(which the anti-anchor keeps empty) decodes to mid-gray, and deletion by `surgery.redirect`
sends the concept there.
"""

from __future__ import annotations

from collections.abc import Sequence

import lightning as L
import torch


class FallbackControl(L.Callback):
    """Adds weight * ||decoder(direction) - target||^2 to the decoder's gradients every step.

    The term reaches only the decoder: it is computed from a fixed latent, not from the
    encoder, and its gradient is added after the main backward pass (before the optimizer
    step), which is the same as adding it to the loss.

    Args:
        direction: The latent the decoder should map to `target`, e.g. (-1, 0, 0, 0, 0), the
            pole opposite red. It is normalized, as the bottleneck normalizes every latent.
        target: The RGB color it should decode to (default mid-gray).
        weight: The term's weight.
    """

    def __init__(self, direction: Sequence[float] = (-1.0, 0.0, 0.0, 0.0, 0.0),
                 target: Sequence[float] = (0.5, 0.5, 0.5), weight: float = 0.1):
        super().__init__()
        if len(target) != 3:
            raise ValueError(f"FallbackControl: target must be an RGB triple, got {list(target)}")
        if weight < 0:
            raise ValueError(f"FallbackControl: weight must be >= 0, got {weight}")
        self.direction = torch.nn.functional.normalize(torch.tensor(list(direction), dtype=torch.float32), dim=0)
        self.target = torch.tensor(list(target), dtype=torch.float32)
        self.weight = float(weight)

    def loss(self, pl_module: L.LightningModule) -> torch.Tensor:
        """The term itself, ||decoder(direction) - target||^2 (mean over R, G, B)."""
        decoder = pl_module.model.decoder
        device = decoder[0].weight.device
        if self.direction.shape[0] != decoder[0].in_features:
            raise ValueError(f"FallbackControl: direction has {self.direction.shape[0]} dims but the latent has "
                             f"{decoder[0].in_features}")
        out = decoder(self.direction.to(device))
        return ((out - self.target.to(device)) ** 2).mean()

    def on_after_backward(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.weight == 0:
            return
        term = self.loss(pl_module)
        (self.weight * term).backward()
        if trainer.global_step % max(1, trainer.log_every_n_steps) == 0:
            pl_module.log("train/fallback", term.detach(), on_step=True, on_epoch=False)
