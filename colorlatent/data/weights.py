"""Per-point weighting functions used to focus sampling on parts of color space.

Color-based weights live next to the colors: use :func:`colorlatent.color.vibrancy` for S * V.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from colorlatent.color import hue_distance

Number = Tensor | float


def levels(
    x: Tensor,
    in_low: Number = 0.0,
    in_high: Number = 1.0,
    out_low: Number = 0.0,
    out_high: Number = 1.0,
    clamp: bool = True,
) -> Tensor:
    """Remap values linearly from [in_low, in_high] to [out_low, out_high] (an image "levels" tool).

    Either range may be inverted. If the input range is empty (|in_high - in_low| < 1e-10) the
    result is the midpoint of the output range, since every input is equally far "in".

    Args:
        x: Values, floating tensor of any shape.
        in_low: Input value mapped to ``out_low``.
        in_high: Input value mapped to ``out_high``.
        out_low: Output for ``in_low``.
        out_high: Output for ``in_high``.
        clamp: Clip to the output range instead of extrapolating.

    Returns:
        Tensor like ``x``.
    """
    if not x.is_floating_point():
        raise ValueError(f"x must have a floating dtype, got {x.dtype}")
    in_low, in_high, out_low, out_high = (
        torch.as_tensor(p, dtype=x.dtype, device=x.device) for p in (in_low, in_high, out_low, out_high)
    )
    span = in_high - in_low
    empty = span.abs() < 1e-10
    alpha = (x - in_low) / torch.where(empty, 1.0, span)
    if clamp:
        alpha = alpha.clamp(0, 1)
    return torch.where(empty, (out_low + out_high) / 2, out_low + alpha * (out_high - out_low))


def primary_secondary_focus(hue: Tensor) -> Tensor:
    """Weight hues by closeness to the nearest primary or secondary (a multiple of 60 degrees).

    A raised cosine of the distance: 1 on a primary/secondary, 0.75 at 10 degrees away, 0.25
    at 20 and 0 at 30 degrees (the tertiaries).

    Args:
        hue: Hues as fractions of a turn, floating tensor of any shape.

    Returns:
        Weights in [0, 1], same shape.
    """
    if not hue.is_floating_point():
        raise ValueError(f"hue must have a floating dtype, got {hue.dtype}")
    distance = hue_distance(hue, 0.0, period=1 / 6)
    # 30 degrees = 1/12 turn is where the cosine reaches its trough.
    return (torch.cos(math.pi * distance * 12) + 1) / 2


def curriculum_scale(weights: Tensor, fraction: Number) -> Tensor:
    """Sharpen or flatten weights over a curriculum (the weight scaling of Ex 1.5 and 1.6).

    At ``fraction`` 0 only points with weight >= 0.99 survive; by 0.5 the weights are unchanged;
    at 1 every point weighs 1. The first half raises the input black point from 0.99 down
    to 0, the second half raises the output floor from 0 up to 1. ``fraction`` is clipped to
    [0, 1], like the interpolation the reference used.

    Args:
        weights: Weights in [0, 1], floating tensor of any shape.
        fraction: Curriculum progress.

    Returns:
        Scaled weights, same shape.
    """
    f = torch.as_tensor(fraction, dtype=weights.dtype, device=weights.device).clamp(0, 1)
    in_low = 0.99 * (1 - 2 * f).clamp(min=0)
    out_low = (2 * f - 1).clamp(min=0)
    return levels(weights, in_low, 1.0, out_low, 1.0)
