"""Unitarity: pull latents onto the unit sphere."""

from __future__ import annotations

import torch

from .base import Layer, Regularizer


class Unitarity(Regularizer):
    """Per-sample (||z|| - 1)^2.

    Args:
        name: Term name (log key and schedule column).
        labels: Label affinities selecting the samples; None for all samples.
        layer: `bottleneck` or `encoder`.
    """

    def __init__(self, name: str = "reg-norm", labels: dict[str, float] | str | None = None, layer: Layer = "bottleneck"):
        super().__init__(name, labels, layer)

    def loss(self, z: torch.Tensor) -> torch.Tensor:
        return (z.norm(dim=-1) - 1.0) ** 2
