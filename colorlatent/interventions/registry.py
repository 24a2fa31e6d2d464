"""Build interventions and mappers by kind name from plain mappings (YAML configs, the CLI)."""

from __future__ import annotations

from typing import Any

from ..kinds import build_by_kind
from .axis_aligned import AxisAlignedSuppression
from .bezier import BezierMapper, FastBezierMapper
from .falloff import BoundedFalloff
from .intervention import Intervention
from .linear import LinearMapper
from .mapper import Mapper
from .repulsion import Repulsion
from .suppression import Suppression

MAPPERS: dict[str, type[Mapper]] = {
    "linear": LinearMapper,
    "bounded-falloff": BoundedFalloff,
    "bezier": BezierMapper,
    "fast-bezier": FastBezierMapper,
}

INTERVENTIONS: dict[str, type[Intervention]] = {
    "suppression": Suppression,
    "repulsion": Repulsion,
    "axis-aligned-suppression": AxisAlignedSuppression,
}


def build_mapper(spec: dict[str, Any] | Mapper) -> Mapper:
    """Build a mapper from `{kind: linear | bounded-falloff | bezier | fast-bezier, **args}`."""
    return spec if isinstance(spec, Mapper) else build_by_kind(spec, MAPPERS, "mapper")


def build_intervention(spec: dict[str, Any] | Intervention) -> Intervention:
    """Build an intervention from a mapping, its mapper given as a nested mapping.

    Example:
        {kind: suppression, concept: [1, 0, 0, 0], falloff: {kind: bounded-falloff, a: 0, b: 1, power: 2}}
        {kind: repulsion, concept: [1, 0, 0, 0], mapper: {kind: fast-bezier, a: 0, b: 0.5}}
        {kind: axis-aligned-suppression, dims: [0], layer: encoder}

    Raises:
        ValueError: naming the unknown kind or argument and what is allowed.
    """
    if isinstance(spec, Intervention):
        return spec
    return build_by_kind(spec, INTERVENTIONS, "intervention", {"falloff": MAPPERS, "mapper": MAPPERS})
