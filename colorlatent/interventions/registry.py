"""Build interventions and mappers by kind name from plain mappings (YAML configs, the CLI)."""

from __future__ import annotations

import inspect
from typing import Any

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


def _build(spec: Any, registry: dict[str, type], what: str, nested: dict[str, dict[str, type]]):
    if not isinstance(spec, dict) or "kind" not in spec:
        raise ValueError(f"a {what} config must be a mapping with a 'kind' key; got {spec!r}")
    kwargs = dict(spec)
    kind = kwargs.pop("kind")
    if kind not in registry:
        raise ValueError(f"unknown {what} kind {kind!r}; allowed: {sorted(registry)}")
    cls = registry[kind]
    allowed = list(inspect.signature(cls).parameters)
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise ValueError(f"{what} kind {kind!r} got unknown argument(s) {unknown}; allowed: {allowed}")
    for key, sub_registry in nested.items():
        if key in kwargs and not isinstance(kwargs[key], Mapper):
            kwargs[key] = _build(kwargs[key], sub_registry, f"{kind} {key}", {})
    return cls(**kwargs)


def build_mapper(spec: dict[str, Any] | Mapper) -> Mapper:
    """Build a mapper from `{kind: linear | bounded-falloff | bezier | fast-bezier, **args}`."""
    return spec if isinstance(spec, Mapper) else _build(spec, MAPPERS, "mapper", {})


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
    return _build(spec, INTERVENTIONS, "intervention", {"falloff": MAPPERS, "mapper": MAPPERS})
