"""Build regularizers by kind name from plain config mappings (YAML, checkpoints, CLI)."""

from __future__ import annotations

import inspect
from typing import Any

from .anchor import AngularAnchor, Anchor
from .anti_anchor import AntiAnchor
from .base import Regularizer
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
}


def build_regularizer(spec: dict[str, Any] | Regularizer) -> Regularizer:
    """Build one regularizer from `{"kind": <kind>, "name": ..., **kwargs}`.

    Raises:
        ValueError: naming the unknown kind or argument and what is allowed.
    """
    if isinstance(spec, Regularizer):
        return spec
    if not isinstance(spec, dict) or "kind" not in spec:
        raise ValueError(f"a regularizer config must be a mapping with a 'kind' key; got {spec!r}")
    kwargs = dict(spec)
    kind = kwargs.pop("kind")
    if kind not in REGULARIZERS:
        raise ValueError(f"unknown regularizer kind {kind!r}; allowed: {sorted(REGULARIZERS)}")
    cls = REGULARIZERS[kind]
    allowed = [p for p in inspect.signature(cls).parameters]
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise ValueError(f"regularizer kind {kind!r} got unknown argument(s) {unknown}; allowed: {allowed}")
    return cls(**kwargs)


def build_regularizers(specs: list[dict[str, Any]]) -> list[Regularizer]:
    """Build a list of regularizers; names must be unique because they key logs and schedules."""
    regs = [build_regularizer(s) for s in specs]
    names = [r.name for r in regs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"regularizer names must be unique; duplicated: {duplicates}")
    return regs
