"""Euclidean repulsion (experiments 1.5/1.6): push latents apart in a plane."""

from __future__ import annotations

import torch

from .base import Layer, Regularizer


class EuclideanRepulsion(Regularizer):
    """Scalar mean over all B^2 pairs of 1 / (||p_i - p_j||^2 + 1e-6), p = z[:, dims].

    Reproduces the 1.5/1.6 notebooks exactly, including their quirk: the diagonal distances
    are zeroed, so each of the B diagonal entries contributes 1e6, a constant offset of 1e6/B
    with no gradient. Logged values of this term are dominated by that offset.

    Args:
        name: Term name (log key and schedule column).
        dims: The latent dims the distances are measured in.
        labels: Label affinities selecting the samples; None for all samples.
        layer: `bottleneck` or `encoder`.
    """

    def __init__(
        self, name: str = "reg-separate", dims: list[int] = (0, 1),
        labels: dict[str, float] | str | None = None, layer: Layer = "bottleneck",
    ):
        super().__init__(name, labels, layer)
        self.dims = list(dims)

    def loss(self, z: torch.Tensor) -> torch.Tensor:
        p = z[:, self.dims]
        sq_dist = ((p[:, None, :] - p[None, :, :]) ** 2).sum(dim=-1)
        sq_dist = sq_dist * (1.0 - torch.eye(p.shape[0], dtype=p.dtype, device=p.device))
        return (1.0 / (sq_dist + 1e-6)).mean()
