"""Axis-aligned subspace (planarity): keep latents inside the span of chosen dimensions."""

from __future__ import annotations

from typing import Literal

import torch

from .base import Layer, Regularizer


class AxisAlignedSubspace(Regularizer):
    """Per-sample sum (or mean) of z_d^2 over the dimensions outside `dims`.

    With `dims=(0, 1)` this is the planarity term of milestone 1: hue should live in the
    dims-0/1 plane. With `invert=True` the listed dims themselves are penalized instead
    (the "anti-subspace" of milestone 2).

    Args:
        name: Term name (log key and schedule column).
        dims: The latent dimensions spanning the subspace to keep.
        invert: Penalize the listed dims instead of the others.
        reduction: `sum` over the penalized dims (milestone 1.6+) or `mean` (the 1.5 notebook).
        labels: Label affinities selecting the samples; None for all samples.
        layer: `bottleneck` or `encoder`.
    """

    def __init__(
        self,
        name: str = "reg-planar",
        dims: list[int] = (0, 1),
        invert: bool = False,
        reduction: Literal["sum", "mean"] = "sum",
        labels: dict[str, float] | str | None = None,
        layer: Layer = "bottleneck",
    ):
        super().__init__(name, labels, layer)
        dims = sorted(dims)
        if not dims or len(set(dims)) != len(dims) or dims[0] < 0:
            raise ValueError(f"regularizer {name!r}: dims must be non-empty, unique and >= 0; got {list(dims)}")
        if reduction not in ("sum", "mean"):
            raise ValueError(f"regularizer {name!r}: reduction={reduction!r}; allowed: ['sum', 'mean']")
        self.dims = dims
        self.invert = invert
        self.reduction = reduction

    def _penalized(self, latent_dim: int) -> list[int]:
        keep = set(self.dims)
        if self.invert:
            return [d for d in range(latent_dim) if d in keep]
        return [d for d in range(latent_dim) if d not in keep]

    def loss(self, z: torch.Tensor) -> torch.Tensor:
        penalized = self._penalized(z.shape[-1])
        if not penalized:
            return z.new_zeros(z.shape[0])
        squares = z[:, penalized] ** 2
        return squares.sum(dim=-1) if self.reduction == "sum" else squares.mean(dim=-1)


class Planarity(AxisAlignedSubspace):
    """Planarity: every dimension except 0 and 1 is pushed to zero (sum of squares).

    Args:
        name: Term name (log key and schedule column).
        labels: Label affinities selecting the samples; None for all samples.
        layer: `bottleneck` or `encoder`.
    """

    def __init__(self, name: str = "reg-planar", labels: dict[str, float] | str | None = None, layer: Layer = "bottleneck"):
        super().__init__(name, dims=[0, 1], labels=labels, layer=layer)
