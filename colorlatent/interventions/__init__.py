"""Interventions on latents: suppression, repulsion and axis-aligned suppression, the mappers
(falloffs) that shape them, and the hooks that put them into a model (m2-spec §2-3)."""

from .axis_aligned import AxisAlignedSuppression
from .bezier import BezierMapper, FastBezierMapper
from .falloff import BoundedFalloff
from .hooks import PatchHandle, capture, hook_point, intervene, patch
from .intervention import HOOK_POINTS, Intervention
from .linear import LinearMapper
from .mapper import Annotation, Mapper
from .registry import INTERVENTIONS, MAPPERS, build_intervention, build_mapper
from .repulsion import Repulsion
from .suppression import Suppression

__all__ = [
    "HOOK_POINTS", "INTERVENTIONS", "MAPPERS", "Annotation", "AxisAlignedSuppression", "BezierMapper",
    "BoundedFalloff", "FastBezierMapper", "Intervention", "LinearMapper", "Mapper", "PatchHandle", "Repulsion",
    "Suppression", "build_intervention", "build_mapper", "capture", "hook_point", "intervene", "patch",
]
