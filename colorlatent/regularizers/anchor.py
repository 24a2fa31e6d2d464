"""Anchors: pull latents to a point or direction fixed before training."""

from __future__ import annotations

import torch

from .base import Layer, Regularizer


class _PointRegularizer(Regularizer):
    """A term measured against a fixed point (or direction) in latent space.

    Args:
        name: Term name (log key and schedule column).
        point: The anchor in latent space, e.g. [1, 0, 0, 0] for red on dim 0.
        labels: Label affinities selecting the samples (e.g. `red`); None for all samples.
        layer: `bottleneck` or `encoder`.
    """

    def __init__(
        self, name: str = "reg-anchor", point: list[float] = (1.0, 0.0, 0.0, 0.0),
        labels: dict[str, float] | str | None = None, layer: Layer = "bottleneck",
    ):
        super().__init__(name, labels, layer)
        if len(point) == 0:
            raise ValueError(f"regularizer {name!r}: point must not be empty")
        self.register_buffer("point", torch.tensor(list(point), dtype=torch.float32))

    def _check(self, z: torch.Tensor) -> None:
        if z.shape[-1] != self.point.shape[0]:
            raise ValueError(
                f"regularizer {self.name!r}: point has {self.point.shape[0]} dims but the latent has "
                f"{z.shape[-1]}; give a point of length {z.shape[-1]}"
            )

    def _cos(self, z: torch.Tensor) -> torch.Tensor:
        """Per-sample cosine of `z` with the point's direction, [B]."""
        self._check(z)
        u = z / (z.norm(dim=-1, keepdim=True) + 1e-8)
        return u @ (self.point / (self.point.norm() + 1e-8))


class Anchor(_PointRegularizer):
    """Euclidean pin: per-sample ||z - point||^2 (the "reg-polar" of experiment 1.7)."""

    def loss(self, z: torch.Tensor) -> torch.Tensor:
        self._check(z)
        return ((z - self.point) ** 2).sum(dim=-1)


class AngularAnchor(_PointRegularizer):
    """Angular anchor: per-sample 1 - cos(z, point) (0 aligned, 1 orthogonal, 2 opposite)."""

    def loss(self, z: torch.Tensor) -> torch.Tensor:
        return 1.0 - self._cos(z)
