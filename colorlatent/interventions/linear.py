"""LinearMapper: compress the alignments above a threshold into a narrower range."""

from __future__ import annotations

import torch

from .mapper import Annotation, Mapper, check_compression, fmt


class LinearMapper(Mapper):
    """m(alpha) = alpha for alpha <= a; a + (b - a)(alpha - a)/(1 - a) above (m(1) = b).

    Maps the range (a, 1] linearly onto (a, b]. As the target alignment of a `Repulsion`,
    LinearMapper(0, cos 60 deg) rotates every positively aligned latent to at least 60 deg
    from the concept (alignment <= 0.5).

    Args:
        a: Threshold on the alignment, 0 <= a < 1; alignments at or below it are unchanged.
        b: Value at alignment 1, a < b <= 1.
    """

    def __init__(self, a: float, b: float):
        super().__init__()
        name = type(self).__name__
        a, b = check_compression(name, a, b)
        self._constant("a", a)
        self._constant("b", b)

    def forward(self, alpha: torch.Tensor) -> torch.Tensor:
        a, b = self.a.to(alpha), self.b.to(alpha)
        return torch.where(alpha > a, a + (b - a) * (alpha - a) / (1 - a), alpha)

    @property
    def annotations(self) -> list[Annotation]:
        return [Annotation("start", "input", "angular", float(self.a)),
                Annotation("end", "output", "angular", float(self.b))]

    def extra_repr(self) -> str:
        return f"a={fmt(self.a)}, b={fmt(self.b)}"
