"""AntiAnchor: push latents away from a direction (m2-spec §1.7)."""

from __future__ import annotations

import torch

from .anchor import _PointRegularizer
from .base import Layer


class AntiAnchor(_PointRegularizer):
    """Repel latents from `point`: per-sample max(0, cos) (`hemi`) or (1 + cos) / 2 (full sphere).

    With `hemi` only latents in the point's hemisphere pay; the full-sphere form pushes every
    latent towards the opposite pole. The isolated model passes the direction *opposite* red,
    (-1, 0, 0, 0, 0), so nothing settles where ablating red's axis would renormalize it to.

    Args:
        name: Term name (log key and schedule column).
        point: The direction to repel from.
        hemi: Penalize only the positive hemisphere (max(0, cos)); False for (1 + cos) / 2.
        labels: Label affinities selecting the samples; None for all samples.
        layer: `bottleneck` or `encoder`.
    """

    def __init__(
        self, name: str = "anti-anchor", point: list[float] = (-1.0, 0.0, 0.0, 0.0), hemi: bool = True,
        labels: dict[str, float] | str | None = None, layer: Layer = "bottleneck",
    ):
        super().__init__(name, point, labels, layer)
        self.hemi = hemi

    def loss(self, z: torch.Tensor) -> torch.Tensor:
        cos = self._cos(z)
        return cos.clamp(min=0.0) if self.hemi else (1.0 + cos) / 2.0
