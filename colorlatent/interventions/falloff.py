"""BoundedFalloff: how strongly to intervene, as a function of alignment with the concept."""

from __future__ import annotations

import math

import torch

from .mapper import Annotation, Mapper, check_range, fmt


class BoundedFalloff(Mapper):
    """g(alpha) = 0 for alpha <= a; b * ((alpha - a)/(1 - a))**power above.

    The gate of `Suppression`: zero outside the cone alpha > a, rising to b at the concept
    itself. power 1 is linear, 2 quadratic (the 2.2-2.5 suppression), and power 0 a hard gate
    (g = b everywhere above a; the redux suppression uses a = cos 90 deg, b = 1, power 0).

    As in the reference, a threshold within `eps` of 1 turns the mapper into the identity
    (g(alpha) = alpha) instead of an empty gate.

    Args:
        a: Threshold on the alignment, in [0, 1].
        b: Strength at alignment 1, in [0, 1].
        power: Shape of the rise, >= 0.
        eps: Tolerance of the a ~ 1 special case.
    """

    def __init__(self, a: float, b: float, power: float = 1.0, eps: float = 1e-8):
        super().__init__()
        name = type(self).__name__
        self._constant("a", check_range(name, "a", a, 0.0, 1.0))
        self._constant("b", check_range(name, "b", b, 0.0, 1.0))
        self._constant("power", check_range(name, "power", power, 0.0, math.inf, high_open=True))
        self.eps = float(eps)

    def forward(self, alpha: torch.Tensor) -> torch.Tensor:
        a, b, power = self.a.to(alpha), self.b.to(alpha), self.power.to(alpha)
        # clamp_min keeps the unused branch finite when a == 1 (the identity case below).
        ramp = ((alpha - a) / (1 - a).clamp_min(self.eps)).clamp_min(0.0)
        gate = torch.where(alpha > a, b * ramp.pow(power), torch.zeros_like(alpha))
        # Compared in float64: in float32, 1 - 1e-8 rounds to 1 and a = 1 would not count.
        return torch.where(self.a.double() > 1 - self.eps, alpha, gate)

    @property
    def annotations(self) -> list[Annotation]:
        return [Annotation("start", "input", "angular", float(self.a)),
                Annotation("strength", "output", "linear", float(self.b))]

    def extra_repr(self) -> str:
        return f"a={fmt(self.a)}, b={fmt(self.b)}, power={fmt(self.power)}"
