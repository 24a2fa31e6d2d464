"""Structure metrics: how well the latent space has the shape anchoring asks for.

All functions take latents as tensors and return 0-d tensors on the same device, so they can
be logged without a host sync. `colorlatent.structure` builds torchmetrics `Metric`s on them
(accumulated over batches, logged at validation) and combines them on the named colors.
"""

from __future__ import annotations

import math

import torch


def _check_latents(z: torch.Tensor, plane: tuple[int, int] | None = None) -> None:
    if z.ndim != 2:
        raise ValueError(f"latents must have shape [N, latent_dim]; got {list(z.shape)}")
    if plane is not None and not all(0 <= d < z.shape[1] for d in plane):
        raise ValueError(f"plane {list(plane)} is out of range for latent_dim {z.shape[1]}")


def hue_order(z_hues: torch.Tensor, plane: tuple[int, int] = (0, 1)) -> torch.Tensor:
    """Fraction of cyclically adjacent hues whose latent angles in `plane` step the same way.

    `z_hues` must be latents of hues in increasing hue order. A color wheel in hue order gives
    1.0 (whichever direction it turns); 0.5 is what unordered points give on average.
    """
    _check_latents(z_hues, plane)
    angles = torch.atan2(z_hues[:, plane[1]], z_hues[:, plane[0]])
    steps = torch.roll(angles, -1) - angles
    steps = torch.remainder(steps + math.pi, 2 * math.pi) - math.pi  # wrap into [-pi, pi)
    forward = (steps > 0).to(z_hues.dtype).mean()
    return torch.maximum(forward, 1 - forward)


def planarity_rms(z: torch.Tensor, plane: tuple[int, int] = (0, 1)) -> torch.Tensor:
    """Root-mean-square distance of the latents from the `plane` (0 when latent_dim is 2)."""
    _check_latents(z, plane)
    off_plane = [d for d in range(z.shape[1]) if d not in plane]
    if not off_plane:
        return z.new_zeros(())
    return (z[:, off_plane] ** 2).sum(dim=1).mean().sqrt()


def anchor_cos(z: torch.Tensor, direction: torch.Tensor) -> torch.Tensor:
    """Mean cosine similarity between latents [N, E] (or one latent [E]) and a direction [E]."""
    z = z.reshape(-1, z.shape[-1])
    if direction.shape != (z.shape[1],):
        raise ValueError(f"direction must have shape [{z.shape[1]}]; got {list(direction.shape)}")
    return torch.nn.functional.cosine_similarity(z, direction.to(z)[None], dim=1).mean()


def norm_deviation(z: torch.Tensor) -> torch.Tensor:
    """Mean absolute deviation of the latent norms from 1 (0 on the unit sphere)."""
    return (z.norm(dim=1) - 1).abs().mean()

