"""Loss terms on latents, one small module each, built by kind name from config."""

from .anchor import AngularAnchor, Anchor
from .anti_anchor import AntiAnchor
from .base import Regularizer
from .drift_anchor import DriftAnchor
from .registry import REGULARIZERS, build_regularizer, build_regularizers
from .repulsion import EuclideanRepulsion
from .separation import AngularSeparation
from .subspace import AxisAlignedSubspace, Planarity
from .unitarity import Unitarity

__all__ = [
    "Regularizer", "Unitarity", "Planarity", "AxisAlignedSubspace", "Anchor", "AngularAnchor", "AntiAnchor",
    "DriftAnchor", "AngularSeparation", "EuclideanRepulsion", "REGULARIZERS", "build_regularizer", "build_regularizers",
]
