"""Fallback control: teach the decoder what a deleted concept should decode to (beyond m2-spec).

Deleting red's axis by zeroing (m2-spec §4) leaves red's latent to the renormalization: pure
red's code is almost all dim 0, so what survives is a tiny remainder whose direction, and so
what red decodes to, differs from seed to seed (on some seeds "deleted" red still decodes to
red). Fallback control fixes the outcome instead: `surgery.redirect` reflects every code across
the plane orthogonal to the concept's axis (red's +e0 goes to -e0, which the anti-anchor keeps
empty), and during training a decoder-only term teaches the decoder what reflected codes mean:

- a *cap* around the pole opposite the concept decodes to the target (mid-gray). A cap, not
  the pole alone: the anchor leaves red's code up to ~15-20 degrees off +e0, so its reflection
  lands as far off -e0, and a decoder taught only at -e0 decoded it to reddish grays on some
  seeds (red's rise fell below 0.2 on 3 of 60);
- with `mirror`, every training color's reflected code decodes to the color itself unless it
  falls inside the cap. Without this a gray cap bends the decoder around it and moves colors
  that sit slightly off the plane (black's code has ~0.2-0.3 on dim 0): their reflections then
  decoded wrongly, and grays changed by ~2-5e-2 after redirection.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import lightning as L
import torch

from .logs import log_scalars


class FallbackControl(L.Callback):
    """Adds weight * (cap term + mirror term) to the decoder's gradients each training step.

    The terms reach only the decoder: they are computed from fixed or detached latents, not
    through the encoder, and their gradient is added after the main backward pass (before the
    optimizer step), which is the same as adding them to the loss. It works on a single
    `AnchoredAutoencoder` and on a seed stack (`colorlatent.vectorized.SeedStackModule`) alike,
    giving every model of the stack exactly the gradient of its own single run.

    Args:
        direction: The pole the decoder should map to `target`, e.g. (-1, 0, 0, 0, 0), opposite
            red. It is normalized, as the bottleneck normalizes every latent.
        target: The RGB color the cap should decode to (default mid-gray).
        weight: The terms' weight.
        cap_degrees: Half-angle of the cap around `direction`; 0 teaches the pole alone. The cap
            term is the mean of (decoder(p) - target)^2 over the pole and `points` unit latents
            at angles spread evenly over (0, cap_degrees] in random directions, fixed for the run.
        points: Number of cap latents besides the pole (ignored when `cap_degrees` is 0).
        seed: Seed of the points' directions (its own generator: the run's streams are untouched).
        mirror: Also teach, on every training batch, that each color's code reflected across the
            plane orthogonal to `direction` (what `surgery.redirect` does to it) decodes to the
            color itself, or to `target` where the reflection falls inside the cap.

    Two dopesheet columns (`ScheduleCallback`) may time the terms: `fallback` sets the weight at
    each step instead of `weight`, and `fallback-mirror` scales the mirror term (default 1),
    e.g. to hold it at 0 while the anchor forms.
    """

    schedule_columns = ("fallback", "fallback-mirror")

    def __init__(self, direction: Sequence[float] = (-1.0, 0.0, 0.0, 0.0, 0.0),
                 target: Sequence[float] = (0.5, 0.5, 0.5), weight: float = 0.1, cap_degrees: float = 0.0,
                 points: int = 64, seed: int = 0, mirror: bool = False):
        super().__init__()
        if len(target) != 3:
            raise ValueError(f"FallbackControl: target must be an RGB triple, got {list(target)}")
        if weight < 0:
            raise ValueError(f"FallbackControl: weight must be >= 0, got {weight}")
        if not 0.0 <= cap_degrees < 90.0:
            raise ValueError(f"FallbackControl: cap_degrees must be in [0, 90), got {cap_degrees}")
        if points < 1:
            raise ValueError(f"FallbackControl: points must be >= 1, got {points}")
        self.direction = torch.nn.functional.normalize(torch.tensor(list(direction), dtype=torch.float32), dim=0)
        self.target = torch.tensor(list(target), dtype=torch.float32)
        self.weight = float(weight)
        self.cap_cos = math.cos(math.radians(cap_degrees))
        self.points = cap_points(self.direction, cap_degrees, points, seed) if cap_degrees > 0 else self.direction[None]
        self.mirror = bool(mirror)
        self._batch = None

    def loss(self, pl_module: L.LightningModule, rgb: torch.Tensor | None = None,
             mirror_weight: float = 1.0) -> torch.Tensor:
        """The cap term plus, with `mirror` and a batch `rgb`, mirror_weight * the mirror term (each
        a mean over its latents and R, G, B of squared errors).

        Returns:
            A scalar for a single model; [S] (one value per model) for a seed stack.
        """
        from .vectorized.model import StackedAutoencoder  # here: the vectorized package imports this module

        model = pl_module.model
        decoder = model.decoder
        device = decoder[0].weight.device
        width = decoder[0].weight.shape[-1]
        if self.points.shape[1] != width:
            raise ValueError(f"FallbackControl: direction has {self.points.shape[1]} dims but the latent has {width}")
        points, target = self.points.to(device), self.target.to(device)
        stacked = isinstance(model, StackedAutoencoder)
        if stacked:
            points = points.expand(model.size, -1, -1).contiguous()
        term = _mse(decoder(points), target, stacked)
        if self.mirror and rgb is not None and mirror_weight != 0:
            with torch.no_grad():
                z = model.encode(rgb)
                pole = self.direction.to(device)
                reflected = z - 2.0 * (z * pole).sum(dim=-1, keepdim=True) * pole
                inside = (reflected * pole).sum(dim=-1, keepdim=True) >= self.cap_cos
                wanted = torch.where(inside, target, rgb)
            mirrored = _mse(decoder(reflected), wanted, stacked)
            # unscaled at 1, so a run without the column is bit for bit the run before it existed
            term = term + (mirrored if mirror_weight == 1 else mirror_weight * mirrored)
        return term

    def add_gradient(self, pl_module: L.LightningModule, batch=None) -> torch.Tensor:
        """Backpropagate weight * term into the decoder's gradients; returns the term (detached).

        Args:
            pl_module: The module being trained (single or seed stack).
            batch: The training batch (rgb, labels), needed by the mirror term.
        """
        mirror_weight = float(getattr(pl_module, "term_weights", {}).get("fallback-mirror", 1.0))
        term = self.loss(pl_module, None if batch is None else batch[0], mirror_weight)
        (self.weight_now(pl_module) * term).sum().backward()
        return term.detach()

    def weight_now(self, pl_module: L.LightningModule) -> float:
        """The scheduled `fallback` value when the dopesheet has that column, else `weight`."""
        return float(getattr(pl_module, "term_weights", {}).get("fallback", self.weight))

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # Moved once: a per-step copy from host memory would sync the device every step.
        device = pl_module.device
        self.direction, self.points, self.target = (t.to(device) for t in (self.direction, self.points, self.target))

    def on_train_batch_start(self, trainer: L.Trainer, pl_module: L.LightningModule, batch, batch_idx: int) -> None:
        self._batch = batch if self.mirror else None

    def on_after_backward(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.weight_now(pl_module) == 0:
            return
        term = self.add_gradient(pl_module, self._batch)
        step = trainer.global_step
        if step % max(1, trainer.log_every_n_steps) == 0:
            if term.dim() == 0:  # at exactly this step, as the module logs its terms
                log_scalars(trainer, {"train/fallback": term}, step)
            else:  # a seed stack keeps each model's value for that seed's own log
                pl_module.record_terms(step, {"fallback": term})


def _mse(out: torch.Tensor, target: torch.Tensor, stacked: bool) -> torch.Tensor:
    return ((out - target) ** 2).mean(dim=(1, 2)) if stacked else ((out - target) ** 2).mean()


def cap_points(pole: torch.Tensor, cap_degrees: float, count: int, seed: int) -> torch.Tensor:
    """The pole and `count` unit vectors at angles (i / count) * cap_degrees from it, i = 1..count.

    Each point is cos(a) * pole + sin(a) * v with v a random unit vector orthogonal to the pole,
    so the angles cover the cap evenly from the pole to its rim.

    Returns:
        [count + 1, len(pole)], the pole first.
    """
    generator = torch.Generator().manual_seed(seed)
    v = torch.randn(count, pole.shape[0], generator=generator)
    v = v - (v @ pole)[:, None] * pole[None]
    v = torch.nn.functional.normalize(v, dim=1)
    angles = torch.arange(1, count + 1, dtype=torch.float32) / count * math.radians(cap_degrees)
    ring = torch.cos(angles)[:, None] * pole[None] + torch.sin(angles)[:, None] * v
    return torch.cat([pole[None], ring])
