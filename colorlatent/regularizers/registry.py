"""Build regularizers by kind name from plain config mappings (YAML, checkpoints, CLI)."""

from __future__ import annotations

from typing import Any

from ..kinds import build_by_kind
from .anchor import AngularAnchor, Anchor
from .anti_anchor import AntiAnchor
from .base import Regularizer
from .drift_anchor import DriftAnchor
from .repulsion import EuclideanRepulsion
from .separation import AngularSeparation
from .subspace import AxisAlignedSubspace, Planarity
from .unitarity import Unitarity

REGULARIZERS: dict[str, type[Regularizer]] = {
    "unitarity": Unitarity,
    "planarity": Planarity,
    "subspace": AxisAlignedSubspace,
    "anchor": Anchor,
    "angular-anchor": AngularAnchor,
    "anti-anchor": AntiAnchor,
    "separation": AngularSeparation,
    "euclidean-repulsion": EuclideanRepulsion,
    "drift-anchor": DriftAnchor,
}


def build_regularizer(spec: dict[str, Any] | Regularizer) -> Regularizer:
    """Build one regularizer from `{"kind": <kind>, "name": ..., **kwargs}`.

    Raises:
        ValueError: naming the unknown kind or argument and what is allowed.
    """
    return spec if isinstance(spec, Regularizer) else build_by_kind(spec, REGULARIZERS, "regularizer")


def build_regularizers(specs: list[dict[str, Any]]) -> list[Regularizer]:
    """Build a list of regularizers; names must be unique because they key logs and schedules."""
    regs = [build_regularizer(s) for s in specs]
    names = [r.name for r in regs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"regularizer names must be unique; duplicated: {duplicates}")
    return regs
