"""The common interface of interventions: a module that edits latents at a named hook point."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Literal

import torch
from torch import nn

HOOK_POINTS: dict[str, str] = {
    "encoder": "the raw latent code, before normalization (output of the encoder)",
    "bottleneck": "the latent the decoder reads (after L2 normalization when the model normalizes)",
}
"""Where an intervention can act, by name (the autoencoder's submodules)."""

Kind = Literal["linear", "rotational"]


def check_layer(owner: str, layer: str) -> str:
    if layer not in HOOK_POINTS:
        raise ValueError(f"{owner}: layer={layer!r} is not a hook point; allowed: {sorted(HOOK_POINTS)}")
    return layer


def unit_vector(owner: str, concept: Sequence[float] | torch.Tensor) -> torch.Tensor:
    """The concept direction as a float32 unit vector [E]."""
    v = torch.as_tensor(concept, dtype=torch.float32).detach().clone()
    if v.ndim != 1 or len(v) == 0:
        raise ValueError(f"{owner}: concept must be a non-empty 1-D direction, got shape {list(v.shape)}")
    norm = v.norm()
    if not torch.isfinite(norm) or norm == 0:
        raise ValueError(f"{owner}: concept must be a finite, non-zero direction, got {v.tolist()}")
    return v / norm


class Intervention(nn.Module):
    """Edits a batch of latents h [..., E] -> h' [..., E] at the hook point `layer`.

    Interventions are used through `colorlatent.intervene` (a context manager) or
    `colorlatent.patch` (a removable handle), which hook them onto a model. Concept vectors and
    mapper constants are buffers: they move with `.to()` and are cast to the latents' dtype and
    device at use.

    Attributes:
        kind: `linear` (moves latents along the concept) or `rotational` (turns them on the sphere).
        layer: Hook point name, a key of `HOOK_POINTS`.
    """

    kind: ClassVar[Kind]

    def __init__(self, layer: str = "bottleneck"):
        super().__init__()
        self.layer = check_layer(type(self).__name__, layer)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def dist(self, h: torch.Tensor) -> torch.Tensor:
        """Per-sample measure of how much the intervention concerns each latent: [...]."""
        raise NotImplementedError

    def annotate(self, h: torch.Tensor) -> dict[str, torch.Tensor]:
        """Named per-sample magnitudes (for lobe plots): {name: [...]}."""
        raise NotImplementedError

    def _check_width(self, h: torch.Tensor, width: int) -> None:
        if h.shape[-1] != width:
            raise ValueError(f"{type(self).__name__}: the concept has {width} dims but the latents at "
                             f"{self.layer!r} have {h.shape[-1]} (shape {list(h.shape)})")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


class ConceptIntervention(Intervention):
    """An intervention along one concept direction, kept as the unit-vector buffer `concept`.

    Args:
        concept: Direction of the concept in latent space (normalized here).
        layer: Hook point name, a key of `HOOK_POINTS`.
    """

    def __init__(self, concept: Sequence[float] | torch.Tensor, layer: str = "bottleneck"):
        super().__init__(layer)
        self.register_buffer("concept", unit_vector(type(self).__name__, concept))

    def _alignment(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The concept v in the latents' dtype and device, and h . v per sample."""
        self._check_width(h, len(self.concept))
        v = self.concept.to(h)
        return v, h @ v

    def dist(self, h: torch.Tensor) -> torch.Tensor:
        """Alignment h . v (unclamped)."""
        return self._alignment(h)[1]


def concept_repr(v: torch.Tensor) -> str:
    return "[" + ", ".join(f"{x:.3g}" for x in v.tolist()) + "]"
