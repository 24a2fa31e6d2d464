"""Stochastic, sparse concept labels derived from color attributes.

A label's probability for a color is ``attribute(rgb) ** power * scale``. A high power makes the
label fire almost only on the ideal color (pure red for ``redness``), and a small scale makes it
rare even there, so supervision is sparse and noisy, as in Ex 1.7 and M2.

Probabilities depend only on the color, so compute them once per dataset with
:func:`label_probabilities` and call :func:`draw_labels` per batch: drawing is a single kernel
with no host synchronization.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import torch
from torch import Tensor

from colorlatent.color import blueness, desaturation, greenness, redness, vibrancy

ATTRIBUTES: dict[str, Callable[[Tensor], Tensor]] = {
    "redness": redness,
    "greenness": greenness,
    "blueness": blueness,
    "vibrancy": vibrancy,
    "desaturation": desaturation,
}
"""Color attributes a label can be based on: name -> function of RGB [..., 3] -> [...]."""

# The M1 labels, whose attribute need not be spelled out in a config.
DEFAULT_ATTRIBUTES = {
    "red": "redness",
    "green": "greenness",
    "blue": "blueness",
    "vibrant": "vibrancy",
    "desaturated": "desaturation",
}

# M1 powers. Vibrancy needs a much higher power than the others: its next grid level below 1
# (8/9) must be all but unlabelled, while redness falls off fast enough from the hue alone.
DEFAULT_POWERS = {
    "redness": 10.0,
    "greenness": 10.0,
    "blueness": 10.0,
    "vibrancy": 100.0,
    "desaturation": 10.0,
}

_CONFIG_KEYS = ("attribute", "power", "scale")


@dataclass(frozen=True)
class LabelSpec:
    """How one label's probability is computed: ``ATTRIBUTES[attribute](rgb) ** power * scale``.

    Attributes:
        attribute: A key of :data:`ATTRIBUTES`.
        power: Exponent >= 0; higher is more selective.
        scale: Probability multiplier in [0, 1]; the label's probability on its ideal color.
    """

    attribute: str
    power: float
    scale: float

    def __post_init__(self) -> None:
        if not _is_attribute(self.attribute):
            raise ValueError(f"attribute must be one of {sorted(ATTRIBUTES)}, got {self.attribute!r}")
        if not _is_number(self.power) or not 0 <= self.power < math.inf:
            raise ValueError(f"power must be a finite number >= 0, got {self.power!r}")
        if not _is_number(self.scale) or not 0 <= self.scale <= 1:
            raise ValueError(f"scale must be a number in [0, 1], got {self.scale!r}")
        # Normalize ints from configs so that equal specs compare and print alike.
        object.__setattr__(self, "power", float(self.power))
        object.__setattr__(self, "scale", float(self.scale))


def _is_attribute(x: object) -> bool:
    return isinstance(x, str) and x in ATTRIBUTES


def _is_number(x: object) -> bool:
    # bool is an int subclass, but `power: true` in a config is surely a mistake.
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def parse_labels(config: Mapping[str, float | Mapping[str, object]]) -> dict[str, LabelSpec]:
    """Turn a label configuration into label specs.

    Each entry is either a number, the scale of one of the M1 labels (``red``, ``green``,
    ``blue``, ``vibrant``, ``desaturated``) with its M1 attribute and power, or a mapping with
    any of ``scale`` (default 1), ``power`` (default: the attribute's M1 power) and
    ``attribute`` (required for other label names). For example::

        {"red": 0.5, "vibrant": 0.5}                      # Ex 1.7
        {"red": {"power": 8, "scale": 0.08}}              # M2 redux
        {"crimson": {"attribute": "redness", "power": 20, "scale": 0.1}}

    Args:
        config: Label name -> scale or mapping.

    Returns:
        Label name -> :class:`LabelSpec`, in config order.

    Raises:
        ValueError: Naming the label and the offending key or value, and what is allowed.
    """
    return {name: _parse_label(name, entry) for name, entry in config.items()}


def _parse_label(name: str, entry: float | Mapping[str, object]) -> LabelSpec:
    entry = dict(entry) if isinstance(entry, Mapping) else {"scale": entry}
    unknown = sorted(set(entry) - set(_CONFIG_KEYS))
    if unknown:
        raise ValueError(f"label {name!r}: unknown keys {unknown}; allowed keys are {list(_CONFIG_KEYS)}")
    attribute = entry.get("attribute", DEFAULT_ATTRIBUTES.get(name))
    if attribute is None:
        raise ValueError(
            f"label {name!r} needs an 'attribute' (one of {sorted(ATTRIBUTES)}); only "
            f"{sorted(DEFAULT_ATTRIBUTES)} have a default"
        )
    if not _is_attribute(attribute):
        raise ValueError(f"label {name!r}: attribute must be one of {sorted(ATTRIBUTES)}, got {attribute!r}")
    try:
        return LabelSpec(attribute, entry.get("power", DEFAULT_POWERS[attribute]), entry.get("scale", 1.0))
    except ValueError as error:
        raise ValueError(f"label {name!r}: {error}") from None


def label_probabilities(rgb: Tensor, specs: Mapping[str, LabelSpec]) -> dict[str, Tensor]:
    """Compute each label's probability for each color.

    Args:
        rgb: Colors, shape [N, 3] (any [..., 3] works), values in [0, 1].
        specs: Label name -> spec, e.g. from :func:`parse_labels`.

    Returns:
        Label name -> probabilities, shape [N], same dtype and device as ``rgb``.
    """
    # Labels often share an attribute (vibrant and desaturated both need vibrancy).
    attributes = {spec.attribute: ATTRIBUTES[spec.attribute](rgb) for spec in specs.values()}
    return {name: attributes[spec.attribute].pow(spec.power) * spec.scale for name, spec in specs.items()}


def exact_labels(rgb: Tensor, specs: Mapping[str, LabelSpec]) -> dict[str, Tensor]:
    """Deterministic validation labels: 1 where the label's attribute is exactly 1, else 0.

    The redux validation labels of m2-spec §1.2 (`red` = 1[redness == 1], only pure red;
    `vibrant` = 1[vibrancy == 1], the six pure hues), whatever the training power and scale.

    Args:
        rgb: Colors, shape [N, 3].
        specs: Label name -> spec, e.g. from :func:`parse_labels`.

    Returns:
        Label name -> 0/1 float labels, shape [N], same dtype and device as ``rgb``.
    """
    return {name: (ATTRIBUTES[spec.attribute](rgb) == 1).to(rgb.dtype) for name, spec in specs.items()}


def draw_labels(
    probabilities: Mapping[str, Tensor],
    generator: torch.Generator | None = None,
    soft: bool = False,
) -> dict[str, Tensor]:
    """Draw a 0/1 label per sample and label, independently, with the given probabilities.

    Fresh draws every call mean the same color can be labelled on one visit and not on the next.

    Args:
        probabilities: Label name -> probabilities, all the same shape (e.g. [N]).
        generator: Random source, on the probabilities' device; ``None`` uses torch's global one.
        soft: Return the probabilities themselves instead of drawing.

    Returns:
        Label name -> float labels (0/1, or probabilities when ``soft``), same shape/dtype/device.
    """
    if soft or not probabilities:
        return dict(probabilities)
    names = list(probabilities)
    shapes = {tuple(p.shape) for p in probabilities.values()}
    if len(shapes) != 1:
        raise ValueError(f"all label probabilities must have the same shape, got {sorted(shapes)}")
    p = torch.stack([probabilities[name] for name in names])
    # One draw for all labels keeps this a single kernel, however many labels there are.
    u = torch.rand(p.shape, generator=generator, dtype=p.dtype, device=p.device)
    return dict(zip(names, (u < p).to(p.dtype).unbind(0)))
