"""The common interface of mappers: functions of an alignment, as small modules with buffers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn


@dataclass(frozen=True)
class Annotation:
    """A constant of a mapper worth marking on plots.

    Attributes:
        name: What the value is (`start`, `end`, ...).
        role: `input` (a threshold on the alignment) or `output` (a value the mapper produces).
        space: `angular` (a cosine: drawn as rays at +-acos(value) around the concept) or
            `linear` (a magnitude: drawn as a circle of that radius).
        value: The constant itself.
    """

    name: str
    role: Literal["input", "output"]
    space: Literal["angular", "linear"]
    value: float


class Mapper(nn.Module):
    """Maps a batch of alignments (cosines with a concept, clamped to [0, 1]) to new values.

    Subclasses keep their constants in buffers, so `.to(device)`, `state_dict()` and
    `torch.save` carry them like any module state.
    """

    def forward(self, alpha: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    @property
    def annotations(self) -> list[Annotation]:
        """Constants to mark on lobe and latent plots."""
        return []

    def _constant(self, name: str, value: float) -> None:
        self.register_buffer(name, torch.tensor(float(value), dtype=torch.float32))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


def check_range(owner: str, name: str, value: float, low: float, high: float,
                low_open: bool = False, high_open: bool = False) -> float:
    """Validate one constructor argument, naming the mapper, the argument and the allowed range."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{owner}: {name} must be a number, got {value!r}")
    above = value > low if low_open else value >= low
    below = value < high if high_open else value <= high
    if not (above and below):
        interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        raise ValueError(f"{owner}: {name}={value!r} is outside the allowed range {interval}")
    return float(value)


def check_compression(owner: str, a: float, b: float) -> tuple[float, float]:
    """Validate the ends of a mapper that compresses (a, 1] onto (a, b]: 0 <= a < b <= 1."""
    a = check_range(owner, "a", a, 0.0, 1.0, high_open=True)
    b = check_range(owner, "b", b, 0.0, 1.0, low_open=True)
    if not a < b:
        raise ValueError(f"{owner}: a must be below b; got a={a}, b={b}")
    return a, b


def fmt(x: torch.Tensor | float) -> str:
    """Short number for reprs: 0.5, 6.1e-17, 1."""
    return f"{float(x):.4g}"
