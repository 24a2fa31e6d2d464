"""Color spaces, color attributes, named colors and cyclic hue arithmetic.

Everything here is torch-native: functions take tensors and return tensors on the same device,
so the same code serves data preparation on the CPU and label generation on a GPU.

Conventions: RGB and HSV are triples in the last dimension, all channels in [0, 1]. Hue is a
fraction of a turn and is cyclic with period 1 (1 <-> 360 degrees). The conversions reproduce
scikit-image's ``rgb2hsv``/``hsv2rgb`` (the reference implementation's conventions), including
their operation order, so results agree with it to the last bit (checked on CPU, float32 and
float64).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch
from torch import Tensor

# Values a hair outside [0, 1] come from ordinary float rounding (e.g. a network output that
# was clamped in another dtype); they are not a caller mistake worth failing for.
RANGE_TOLERANCE = 1e-6

HUES: dict[str, float] = {
    "red": 0 / 360,
    "orange": 30 / 360,
    "yellow": 60 / 360,
    "lime": 90 / 360,
    "green": 120 / 360,
    "teal": 150 / 360,
    "cyan": 180 / 360,
    "azure": 210 / 360,
    "blue": 240 / 360,
    "purple": 270 / 360,
    "magenta": 300 / 360,
    "pink": 330 / 360,
}
"""The 12 named hues as fractions of a turn, sorted by angle."""

PRIMARIES = ("red", "green", "blue")
SECONDARIES = ("yellow", "cyan", "magenta")
TERTIARIES = ("orange", "lime", "teal", "azure", "purple", "pink")

GRAYS: dict[str, float] = {
    "black": 0.0,
    "dark gray": 0.25,
    "gray": 0.5,
    "light gray": 0.75,
    "white": 1.0,
}
"""Named grays (H = S = 0) and their value V, darkest first."""

_GRAY_SETS = {
    2: ("black", "white"),
    3: ("black", "gray", "white"),
    5: tuple(GRAYS),
}

# For each hexcone sector (floor(6h)), which of the components (v, t, p, q) of the
# standard HSV -> RGB algorithm lands in the R, G and B channels.
_SECTOR_CHANNELS = (
    (0, 1, 2),  # red -> yellow:    (v, t, p)
    (3, 0, 2),  # yellow -> green:  (q, v, p)
    (2, 0, 1),  # green -> cyan:    (p, v, t)
    (2, 3, 0),  # cyan -> blue:     (p, q, v)
    (1, 2, 0),  # blue -> magenta:  (t, p, v)
    (0, 2, 3),  # magenta -> red:   (v, p, q)
)


def check_rgb(rgb: Tensor, name: str = "rgb") -> None:
    """Validate a tensor of RGB colors.

    Args:
        rgb: Colors, shape [..., 3], floating dtype, values in [0, 1].
        name: How to call the argument in error messages.

    Raises:
        TypeError: If ``rgb`` is not a tensor.
        ValueError: If the shape, dtype or range is wrong.
    """
    _check_triples(rgb, name)
    if not bool(_in_unit_range(rgb).all()):
        raise ValueError(f"{name} values must lie in [0, 1] (tolerance {RANGE_TOLERANCE:g})")


def check_hsv(hsv: Tensor, name: str = "hsv") -> None:
    """Validate a tensor of HSV colors.

    Hue may be any finite value (it is cyclic); saturation and value must lie in [0, 1].

    Args:
        hsv: Colors, shape [..., 3], floating dtype.
        name: How to call the argument in error messages.

    Raises:
        TypeError: If ``hsv`` is not a tensor.
        ValueError: If the shape, dtype or range is wrong.
    """
    _check_triples(hsv, name)
    if not bool(_in_unit_range(hsv[..., 1:]).all() & hsv[..., 0].isfinite().all()):
        raise ValueError(
            f"{name} must have a finite hue and saturation and value in [0, 1] "
            f"(tolerance {RANGE_TOLERANCE:g})"
        )


def _check_triples(x: Tensor, name: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape [..., 3], got {type(x).__name__}")
    if x.ndim == 0 or x.shape[-1] != 3:
        raise ValueError(f"{name} must have shape [..., 3], got {list(x.shape)}")
    if not x.is_floating_point():
        raise ValueError(f"{name} must have a floating dtype, got {x.dtype}")


def _in_unit_range(x: Tensor) -> Tensor:
    # Written as a positive test so that NaN fails it. The callers' conversion of the reduced
    # result to a Python bool is the one host sync that value validation cannot avoid.
    return (x >= -RANGE_TOLERANCE) & (x <= 1 + RANGE_TOLERANCE)


def _value_delta(rgb: Tensor) -> tuple[Tensor, Tensor]:
    """Return V = max channel and the chroma delta = max - min."""
    value = rgb.amax(dim=-1)
    return value, value - rgb.amin(dim=-1)


def _saturation(value: Tensor, delta: Tensor) -> Tensor:
    # Grays (delta 0, including black where V is 0 too) get S = 0 instead of 0/0.
    gray = delta == 0
    return torch.where(gray, 0.0, delta / torch.where(gray, 1.0, value))


def rgb_to_hsv(rgb: Tensor) -> Tensor:
    """Convert RGB to HSV like scikit-image's ``rgb2hsv``.

    Grays (including black and white) get H = S = 0. When two channels tie for the maximum the
    later channel's formula is used (blue over green over red), as in scikit-image; the hue is
    the same either way, up to rounding.

    Args:
        rgb: Colors, shape [..., 3], floating dtype, values in [0, 1].

    Returns:
        HSV colors, same shape/dtype/device. Hue lies in [0, 1), except that a hue a hair below
        1 can round to exactly 1.0 (in float32 mostly), as it does in scikit-image.
    """
    check_rgb(rgb)
    r, g, b = rgb.unbind(dim=-1)
    value, delta = _value_delta(rgb)
    gray = delta == 0
    safe_delta = torch.where(gray, 1.0, delta)
    # Hue in sixths of a turn, measured from the sector of the largest channel.
    sixths = torch.where(
        b == value,
        4.0 + (r - g) / safe_delta,
        torch.where(g == value, 2.0 + (b - r) / safe_delta, (g - b) / safe_delta),
    )
    hue = torch.where(gray, 0.0, (sixths / 6.0) % 1.0)
    return torch.stack((hue, _saturation(value, delta), value), dim=-1)


def hsv_to_rgb(hsv: Tensor) -> Tensor:
    """Convert HSV to RGB like scikit-image's ``hsv2rgb`` (and ``colorsys.hsv_to_rgb``).

    Args:
        hsv: Colors, shape [..., 3], floating dtype; hue is taken modulo 1, saturation and
            value must lie in [0, 1].

    Returns:
        RGB colors, same shape/dtype/device.
    """
    check_hsv(hsv)
    h, s, v = hsv.unbind(dim=-1)
    h6 = (h % 1.0) * 6
    sector = torch.floor(h6)
    f = h6 - sector
    p = v * (1 - s)
    q = v * (1 - f * s)
    t = v * (1 - (1 - f) * s)
    components = torch.stack((v, t, p, q), dim=-1)
    # `% 6` guards against h6 rounding up to exactly 6 for hues a hair below 1.
    table = torch.tensor(_SECTOR_CHANNELS, device=hsv.device)
    channels = table[sector.long() % 6]
    return torch.gather(components, -1, channels)


def redness(rgb: Tensor) -> Tensor:
    """Return r(1 - g/2 - b/2): 1 for pure red, 0 without red, reduced by the other channels.

    Args:
        rgb: Colors, shape [..., 3].

    Returns:
        Tensor of shape [...].
    """
    check_rgb(rgb)
    r, g, b = rgb.unbind(dim=-1)
    return r * (1 - g / 2 - b / 2)


def greenness(rgb: Tensor) -> Tensor:
    """Return g(1 - r/2 - b/2), the green analogue of :func:`redness`."""
    check_rgb(rgb)
    r, g, b = rgb.unbind(dim=-1)
    return g * (1 - r / 2 - b / 2)


def blueness(rgb: Tensor) -> Tensor:
    """Return b(1 - r/2 - g/2), the blue analogue of :func:`redness`."""
    check_rgb(rgb)
    r, g, b = rgb.unbind(dim=-1)
    return b * (1 - r / 2 - g / 2)


def vibrancy(rgb: Tensor) -> Tensor:
    """Return S * V: 0 on the gray diagonal, 1 on the six pure-hue edges of the RGB cube.

    Computed from the RGB color (as ``rgb2hsv`` would), so it works for any set of colors.

    Args:
        rgb: Colors, shape [..., 3].

    Returns:
        Tensor of shape [...].
    """
    check_rgb(rgb)
    value, delta = _value_delta(rgb)
    return _saturation(value, delta) * value


def desaturation(rgb: Tensor) -> Tensor:
    """Return 1 - :func:`vibrancy`."""
    return 1 - vibrancy(rgb)


@dataclass(frozen=True, eq=False)
class NamedColors:
    """A table of named colors.

    Attributes:
        names: Color names, in table order.
        rgb: RGB colors, shape [N, 3].
        hsv: HSV colors, shape [N, 3].
    """

    names: list[str]
    rgb: Tensor
    hsv: Tensor


def gray_names(n: int) -> tuple[str, ...]:
    """Return the names of a set of ``n`` grays, darkest first.

    Args:
        n: 2 (black, white), 3 (adds gray) or 5 (adds dark and light gray).

    Raises:
        ValueError: For any other ``n``.
    """
    if n not in _GRAY_SETS:
        raise ValueError(f"n_grays must be one of {sorted(_GRAY_SETS)}, got {n!r}")
    return _GRAY_SETS[n]


def hue_names(n: int) -> tuple[str, ...]:
    """Return the names of a set of ``n`` hues in hue order.

    Args:
        n: 12 (all named hues) or 6 (primaries and secondaries).

    Raises:
        ValueError: For any other ``n``.
    """
    if n == 12:
        return tuple(HUES)
    if n == 6:
        return tuple(name for name in HUES if name in PRIMARIES + SECONDARIES)
    raise ValueError(f"n_hues must be one of [6, 12], got {n!r}")


def named_colors(
    n_hues: int = 12, n_grays: int = 5, device: torch.device | str | None = None
) -> NamedColors:
    """Build the named-color table: pure hues (S = V = 1) in hue order, then grays.

    Args:
        n_hues: 6 or 12, see :func:`hue_names`.
        n_grays: 2, 3 or 5, see :func:`gray_names`.
        device: Where to put the tensors.

    Returns:
        A float32 :class:`NamedColors`.
    """
    hues, grays = hue_names(n_hues), gray_names(n_grays)
    rows = [(HUES[name], 1.0, 1.0) for name in hues] + [(0.0, 0.0, GRAYS[name]) for name in grays]
    # Convert in float64 so that e.g. orange's green channel is exactly 0.5 after the cast.
    hsv = torch.tensor(rows, dtype=torch.float64, device=device)
    rgb = hsv_to_rgb(hsv)
    return NamedColors([*hues, *grays], rgb.float(), hsv.float())


def _as_tensors(*values: Tensor | float) -> list[Tensor]:
    """Turn numbers into tensors and give all arguments one floating dtype.

    The dimensioned floating tensors decide the dtype, as in torch's type promotion (float64
    if there are none). Casting bounds to the values' dtype matters for the cyclic tests: a
    bound rounded like the values compares exactly equal to them. Numbers become 0-dim CPU
    tensors, which combine with tensors on any device.
    """
    tensors = [v if isinstance(v, Tensor) else torch.tensor(v, dtype=torch.float64) for v in values]
    dtypes = [t.dtype for t in tensors if t.ndim > 0 and t.is_floating_point()]
    dtype = functools.reduce(torch.promote_types, dtypes) if dtypes else torch.float64
    return [t.to(dtype) for t in tensors]


def arange_cyclic(
    lower: float = 0.0,
    upper: float | None = None,
    step: float = 1 / 12,
    period: float = 1.0,
    inclusive: bool = False,
    *,
    device: torch.device | str | None = None,
) -> Tensor:
    """Evenly spaced points around a circle, starting at ``lower``.

    Args:
        lower: First point; reduced modulo ``period``.
        upper: End point (exclusive unless ``inclusive``); reduced modulo ``period`` and, if
            that puts it below ``lower``, taken one period later so the range wraps around.
            ``None`` means one full period.
        step: Spacing between points.
        period: Length of the circle.
        inclusive: Include ``upper`` itself when it falls on the grid.
        device: Where to put the result.

    Returns:
        float64 tensor of points, each reduced modulo ``period``. float64 keeps fine grids such
        as 360 hues exact enough to be matched against named hues.
    """
    lower = float(lower) % period
    if upper is None:
        upper = lower + period
    else:
        upper = float(upper) % period
        if lower > upper:
            upper += period
    if inclusive:
        # Half a step past the end keeps `upper` on the grid despite rounding in the steps.
        upper += step / 2
    return torch.arange(lower, upper, step, dtype=torch.float64, device=device) % period


def isclose_cyclic(
    a: Tensor | float, b: Tensor | float, atol: float = 1e-8, period: float = 1.0
) -> Tensor:
    """Elementwise closeness on a circle: ``a``, ``a + period`` or ``a - period`` is close to ``b``.

    Uses numpy's ``isclose`` rule, |a - b| <= atol + rtol * |b| with rtol = 1e-5, for each of
    the three offsets.

    Args:
        a: Values, any shape.
        b: Values, broadcastable with ``a``.
        atol: Absolute tolerance.
        period: Length of the circle.

    Returns:
        Boolean tensor of the broadcast shape.
    """
    a, b = _as_tensors(a, b)
    rtol = 1e-5

    def close(x: Tensor) -> Tensor:
        return (x - b).abs() <= atol + rtol * b.abs()

    return close(a) | close(a + period) | close(a - period)


def isbetween_cyclic(
    a: Tensor | float,
    lower: Tensor | float,
    upper: Tensor | float,
    period: float = 1.0,
    atol: float = 1e-8,
) -> Tensor:
    """Elementwise test whether ``a`` lies on the arc going forward from ``lower`` to ``upper``.

    Both bounds are inclusive (within ``atol``). When ``lower > upper`` (after reducing modulo
    ``period``) the arc wraps through 0. Equal bounds describe a single point.

    The test measures the forward offset of ``a`` from ``lower`` instead of comparing reduced
    values directly, so a point a hair below ``lower`` across the 0/period seam still counts as
    on the bound; elsewhere it agrees with the plain comparison.

    Args:
        a: Values, any shape.
        lower: Start of the arc, broadcastable with ``a``.
        upper: End of the arc, broadcastable with ``a``.
        period: Length of the circle.
        atol: Tolerance on both bounds.

    Returns:
        Boolean tensor of the broadcast shape.
    """
    a, lower, upper = _as_tensors(a, lower, upper)
    offset = (a - lower) % period
    width = (upper - lower) % period
    return (offset <= width + atol) | (offset >= period - atol)


def hue_distance(a: Tensor | float, b: Tensor | float, period: float = 1.0) -> Tensor:
    """Shortest distance between points on a circle.

    Args:
        a: Values, any shape.
        b: Values, broadcastable with ``a``.
        period: Length of the circle.

    Returns:
        Tensor of the broadcast shape, values in [0, period / 2].
    """
    a, b = _as_tensors(a, b)
    forward = (a - b) % period
    return torch.minimum(forward, period - forward)


__all__ = [
    "GRAYS",
    "HUES",
    "PRIMARIES",
    "SECONDARIES",
    "TERTIARIES",
    "NamedColors",
    "arange_cyclic",
    "blueness",
    "check_hsv",
    "check_rgb",
    "desaturation",
    "gray_names",
    "greenness",
    "hsv_to_rgb",
    "hue_distance",
    "hue_names",
    "isbetween_cyclic",
    "isclose_cyclic",
    "named_colors",
    "redness",
    "rgb_to_hsv",
    "vibrancy",
]
