"""Bezier mappers: a smooth version of `LinearMapper`, exact (Newton) or from a lookup table."""

from __future__ import annotations

import math

import torch

from .mapper import Annotation, Mapper, check_compression, check_range, fmt


def control_points(a: float, b: float, start_slope: float, end_slope: float,
                   control_distance: float) -> torch.Tensor:
    """The four control points [4, 2] of the cubic from (a, a) to (1, b).

    The inner points lie on the tangents at the ends (slopes `start_slope` at (a, a),
    `end_slope` at (1, b)), `control_distance` of the way to where the tangents cross
    (the midpoint between the ends when they are parallel).
    """
    p0 = torch.tensor([a, a], dtype=torch.float64)
    p3 = torch.tensor([1.0, b], dtype=torch.float64)
    if abs(start_slope - end_slope) < 1e-8:
        cross = torch.tensor([(a + 1) / 2, (a + b) / 2], dtype=torch.float64)
    else:
        x = (a * (start_slope - 1) + b - end_slope) / (start_slope - end_slope)
        cross = torch.tensor([x, start_slope * (x - a) + a], dtype=torch.float64)
    p1 = p0 + control_distance * (cross - p0)
    p2 = p3 + control_distance * (cross - p3)
    return torch.stack([p0, p1, p2, p3])


def bezier(points: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Points on the cubic at parameters t [...]: [..., 2]."""
    s = 1 - t
    weights = torch.stack([s**3, 3 * s**2 * t, 3 * s * t**2, t**3], dim=-1)
    return weights @ points


def bezier_derivative(points: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """dB/dt at t [...]: [..., 2]."""
    s = 1 - t
    weights = torch.stack([3 * s**2, 6 * s * t, 3 * t**2], dim=-1)
    return weights @ (points[1:] - points[:-1])


class BezierMapper(Mapper):
    """m(alpha) = alpha for alpha <= a; above, the height of a cubic Bezier curve at x = alpha.

    The curve runs from (a, a), leaving along slope `start_slope` (1 continues the identity
    smoothly), to (1, b), arriving along `end_slope` (0 flattens out at b). x = alpha is solved
    for the curve parameter by at most 10 Newton steps from t0 = clip((alpha - a)/(1 - a),
    0.01, 0.99), stopping when every |B_x(t) - alpha| < 1e-6, as in the reference. The
    derivative is analytic here (the reference used autograd), so it also runs under
    `torch.inference_mode`.

    Args:
        a: Threshold on the alignment, 0 <= a < 1.
        b: Value at alignment 1, a < b <= 1.
        start_slope: Slope of the curve at (a, a).
        end_slope: Slope of the curve at (1, b).
        control_distance: Where the inner control points sit between each end and the
            tangents' crossing (0 = at the end, 1 = at the crossing).
    """

    def __init__(self, a: float, b: float, start_slope: float = 1.0, end_slope: float = 0.0,
                 control_distance: float = 1 / math.sqrt(2)):
        super().__init__()
        name = type(self).__name__
        a, b = check_compression(name, a, b)
        for arg, value in (("start_slope", start_slope), ("end_slope", end_slope),
                           ("control_distance", control_distance)):
            check_range(name, arg, value, -math.inf, math.inf, low_open=True, high_open=True)
        self._constant("a", a)
        self._constant("b", b)
        self._constant("start_slope", start_slope)
        self._constant("end_slope", end_slope)
        self._constant("control_distance", control_distance)
        self.register_buffer("control", control_points(a, b, start_slope, end_slope, control_distance).float())

    def forward(self, alpha: torch.Tensor) -> torch.Tensor:
        a, points = self.a.to(alpha), self.control.to(alpha)
        above = alpha > a
        t = ((alpha - a) / (1 - a)).clamp(0.01, 0.99)
        for _ in range(10):
            error = bezier(points, t)[..., 0] - alpha
            if not bool((error.abs() < 1e-6)[above].all()):
                t = (t - error / (bezier_derivative(points, t)[..., 0] + 1e-8)).clamp(0.0, 1.0)
            else:
                break
        return torch.where(above, bezier(points, t)[..., 1], alpha)

    @property
    def annotations(self) -> list[Annotation]:
        return [Annotation("start", "input", "angular", float(self.a)),
                Annotation("end", "output", "angular", float(self.b))]

    def extra_repr(self) -> str:
        return (f"a={fmt(self.a)}, b={fmt(self.b)}, start_slope={fmt(self.start_slope)}, "
                f"end_slope={fmt(self.end_slope)}")


class FastBezierMapper(BezierMapper):
    """`BezierMapper` read from a lookup table of `lookup_resolution` points on the curve.

    For alpha > a, the table interval containing alpha (left insertion index i, clamped to
    [1, resolution - 1]) is interpolated linearly; one `searchsorted`, no iteration, no host
    sync. This is the variant the experiments use.

    Args:
        a: Threshold on the alignment, 0 <= a < 1.
        b: Value at alignment 1, a < b <= 1.
        start_slope: Slope of the curve at (a, a).
        end_slope: Slope of the curve at (1, b).
        control_distance: Position of the inner control points (see `BezierMapper`).
        lookup_resolution: Points in the table, >= 2.
    """

    def __init__(self, a: float, b: float, start_slope: float = 1.0, end_slope: float = 0.0,
                 control_distance: float = 1 / math.sqrt(2), lookup_resolution: int = 1000):
        super().__init__(a, b, start_slope, end_slope, control_distance)
        if isinstance(lookup_resolution, bool) or not isinstance(lookup_resolution, int) or lookup_resolution < 2:
            raise ValueError(f"{type(self).__name__}: lookup_resolution must be an integer >= 2, "
                             f"got {lookup_resolution!r}")
        t = torch.linspace(0, 1, lookup_resolution, dtype=torch.float64)
        table = bezier(self.control.double(), t)
        self.register_buffer("table_x", table[:, 0].float().contiguous())
        self.register_buffer("table_y", table[:, 1].float().contiguous())

    def forward(self, alpha: torch.Tensor) -> torch.Tensor:
        a = self.a.to(alpha)
        x, y = self.table_x.to(alpha), self.table_y.to(alpha)
        i = torch.searchsorted(x, alpha.contiguous()).clamp(1, len(x) - 1)
        x0, x1, y0, y1 = x[i - 1], x[i], y[i - 1], y[i]
        mapped = y0 + (alpha - x0) * (y1 - y0) / (x1 - x0 + 1e-8)
        return torch.where(alpha > a, mapped, alpha)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, lookup_resolution={len(self.table_x)}"
