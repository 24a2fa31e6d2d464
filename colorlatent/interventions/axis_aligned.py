"""AxisAlignedSuppression: zero chosen latent coordinates (a subspace), without renormalizing."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from .intervention import Intervention


class AxisAlignedSuppression(Intervention):
    """h' = h with the coordinates `dims` set to 0.

    At `bottleneck` (after normalization) the result is shorter than 1: no renormalization,
    as in the reference's 2.7.1 suppression. At `encoder` (before normalization) the model's
    own L2 normalization rescales what is left, which computes exactly what ablating those
    dims' weights does (zeroed encoder rows and bias: m2-spec §4).

    Args:
        dims: Latent coordinates to zero, e.g. [0] (red's axis) or [0, 1] (the hue plane).
        layer: Hook point, `bottleneck` (default) or `encoder`.
    """

    kind = "linear"

    def __init__(self, dims: Sequence[int], layer: str = "bottleneck"):
        super().__init__(layer)
        dims = sorted(set(int(d) for d in dims))
        if not dims or dims[0] < 0:
            raise ValueError(f"{type(self).__name__}: dims must be a non-empty list of indices >= 0, got {dims}")
        self.dims = dims
        self.register_buffer("index", torch.tensor(dims, dtype=torch.long))

    def _check(self, h: torch.Tensor) -> None:
        if self.dims[-1] >= h.shape[-1]:
            raise ValueError(f"{type(self).__name__}: dims {self.dims} out of range for latents of width "
                             f"{h.shape[-1]} at {self.layer!r}")

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        self._check(h)
        return h.index_fill(-1, self.index.to(h.device), 0.0)

    def dist(self, h: torch.Tensor) -> torch.Tensor:
        """Norm of the part removed, ||h_dims||."""
        self._check(h)
        return h.index_select(-1, self.index.to(h.device)).norm(dim=-1)

    def annotate(self, h: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"suppressed_norm": self.dist(h)}

    def extra_repr(self) -> str:
        return f"dims={self.dims}, layer={self.layer!r}"
