"""Suppression: shorten the component along a concept, gated by alignment (one-sided)."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from .intervention import ConceptIntervention, concept_repr
from .mapper import Mapper


class Suppression(ConceptIntervention):
    """h' = h - g(alpha) * (h . v) * v, with alpha = clip(h . v, 0, 1).

    Only the component along the concept v changes; latents with h . v <= 0 (and, because
    falloffs are zero below their threshold, latents outside the falloff's cone) pass through
    bit for bit. There is no renormalization: with g = 1 the positive hemisphere is flattened
    onto the plane orthogonal to v, off the unit sphere the decoder was trained on.

    Args:
        concept: Direction of the concept in latent space (normalized here), e.g. [1, 0, 0, 0].
        falloff: Gate strength as a function of alignment, e.g. `BoundedFalloff(0, 1, 2)`.
        layer: Hook point, `bottleneck` (default) or `encoder`.

    Example:
        >>> from colorlatent import Suppression, intervene
        >>> from colorlatent.interventions import BoundedFalloff
        >>> red = Suppression([1, 0, 0, 0], BoundedFalloff(0, 1, 2))
        >>> with intervene(model, red):            # doctest: +SKIP
        ...     rgb_hat = model(rgb)
    """

    kind = "linear"

    def __init__(self, concept: Sequence[float] | torch.Tensor, falloff: Mapper, layer: str = "bottleneck"):
        super().__init__(concept, layer)
        self.falloff = falloff

    def strength(self, h: torch.Tensor) -> torch.Tensor:
        """g(alpha) per sample."""
        _, p = self._alignment(h)
        return self.falloff(p.clamp(0.0, 1.0))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        v, p = self._alignment(h)
        s = self.falloff(p.clamp(0.0, 1.0))
        return h - (s * p).unsqueeze(-1) * v

    def annotate(self, h: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"strength": self.strength(h)}

    def extra_repr(self) -> str:
        return f"{concept_repr(self.concept)}, {self.falloff!r}, layer={self.layer!r}"
