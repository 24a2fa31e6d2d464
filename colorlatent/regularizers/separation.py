"""Angular separation: push latent directions in a batch apart."""

from __future__ import annotations

import torch

from .base import Layer, Regularizer


class AngularSeparation(Regularizer):
    """Batch repulsion on directions: per-sample sum_j c_ij^power with c the cosine matrix.

    Entries numerically equal to 1 (`torch.isclose`, rtol 1e-5, atol 1e-8) are zeroed first:
    that removes the diagonal and also near-duplicate samples drawn with replacement, as the
    reference does. With `shift`, c is mapped to (c + 1) / 2 after zeroing. Milestone 1 uses
    power 10 without shift: being even, it repels antiparallel pairs as much as parallel ones,
    so the force pushes pairs toward orthogonality. The per-sample value is a sum, not a mean,
    so it grows with the batch size.

    Args:
        name: Term name (log key and schedule column).
        power: Exponent applied to the cosines.
        shift: Map cosines from [-1, 1] to [0, 1] before the power.
        dims: Latent dims the directions are taken from; None for all.
        labels: Label affinities selecting the samples; None for all samples.
        layer: `bottleneck` or `encoder`.
    """

    def __init__(
        self, name: str = "reg-separate", power: float = 10.0, shift: bool = False,
        dims: list[int] | None = None, labels: dict[str, float] | str | None = None,
        layer: Layer = "bottleneck",
    ):
        super().__init__(name, labels, layer)
        self.power = power
        self.shift = shift
        self.dims = list(dims) if dims is not None else None

    def loss(self, z: torch.Tensor) -> torch.Tensor:
        if self.dims is not None:
            z = z[:, self.dims]
        u = z / (z.norm(dim=-1, keepdim=True) + 1e-8)
        cos = u @ u.T
        cos = cos.masked_fill(torch.isclose(cos, torch.ones_like(cos)), 0.0)
        if self.shift:
            cos = (cos + 1.0) / 2.0
        return (cos**self.power).sum(dim=-1)
