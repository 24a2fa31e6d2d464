"""Repulsion: rotate latents away from a concept, staying on the unit sphere."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from .intervention import ConceptIntervention, concept_repr
from .mapper import Mapper


class Repulsion(ConceptIntervention):
    """Turns each positively aligned latent in the plane of (h, v) to alignment m(alpha).

    With alpha = clip(h . v, 0, 1), u the unit direction of h - alpha v and
    a* = clip(m(alpha), -1 + eps, 1 - eps), the output is a* v + sqrt(1 - a*^2) u where
    h . v > 0, and h unchanged elsewhere. The result has unit length (for unit inputs): a
    rotation, not a shortening, so the decoder stays on the sphere it was trained on.

    A latent exactly parallel to v has no plane of rotation. The reference picks a random
    direction then; here it is the coordinate axis least aligned with v, orthogonalized, so the
    result is reproducible and the global random state is left alone.

    Args:
        concept: Direction of the concept in latent space (normalized here).
        mapper: Target alignment as a function of alignment, e.g. `FastBezierMapper(0, 0.5)`.
        layer: Hook point, `bottleneck` (default) or `encoder`.
        eps: Numerical margin (parallel test and clamp of the target).
    """

    kind = "rotational"

    def __init__(self, concept: Sequence[float] | torch.Tensor, mapper: Mapper, layer: str = "bottleneck",
                 eps: float = 1e-8):
        super().__init__(concept, layer)
        self.mapper = mapper
        self.eps = float(eps)

    def _fallback(self, v: torch.Tensor) -> torch.Tensor:
        axis = torch.zeros_like(v).scatter(0, v.abs().argmin().unsqueeze(0), 1.0)
        axis = axis - (axis @ v) * v
        return axis / axis.norm()

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        v, p = self._alignment(h)
        alpha = p.clamp(0.0, 1.0)
        target = self.mapper(alpha).clamp(-1 + self.eps, 1 - self.eps)
        perp = h - alpha.unsqueeze(-1) * v
        norm = perp.norm(dim=-1, keepdim=True)
        u = torch.where(norm < self.eps, self._fallback(v), perp / norm.clamp_min(self.eps))
        rotated = target.unsqueeze(-1) * v + (1 - target**2).sqrt().unsqueeze(-1) * u
        return torch.where((p > 0).unsqueeze(-1), rotated, h)

    def annotate(self, h: torch.Tensor) -> dict[str, torch.Tensor]:
        alpha = self._alignment(h)[1].clamp(0.0, 1.0)
        return {"offset": (alpha - self.mapper(alpha)).abs()}

    def extra_repr(self) -> str:
        return f"{concept_repr(self.concept)}, {self.mapper!r}, layer={self.layer!r}"
