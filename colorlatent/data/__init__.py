"""Color data: grids and cubes, named color sets, sampling weights and stochastic labels."""

from colorlatent.data.cube import ColorCube
from colorlatent.data.datasets import DATASETS, ColorSet, make_dataset
from colorlatent.data.labels import LabelSpec, draw_labels, label_probabilities, parse_labels
from colorlatent.data.weights import curriculum_scale, levels, primary_secondary_focus

__all__ = [
    "DATASETS",
    "ColorCube",
    "ColorSet",
    "LabelSpec",
    "curriculum_scale",
    "draw_labels",
    "label_probabilities",
    "levels",
    "make_dataset",
    "parse_labels",
    "primary_secondary_focus",
]
