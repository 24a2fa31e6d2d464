"""Named color sets used by the experiments, built on demand by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from colorlatent.color import HUES, arange_cyclic, isbetween_cyclic
from colorlatent.data.cube import ColorCube

Device = torch.device | str | None


@dataclass(frozen=True, eq=False)
class ColorSet:
    """A flat set of colors with a sampling weight per color.

    Attributes:
        name: Registry name of the set.
        rgb: Colors, shape [N, 3], float32.
        bias: Sampling weights, shape [N], float32 (relative; not normalized).
    """

    name: str
    rgb: Tensor
    bias: Tensor


DATASETS: dict[str, Callable[[Device], ColorSet]] = {}
"""Registry: name -> builder taking a device and returning the :class:`ColorSet`."""


def make_dataset(name: str, device: Device = None) -> ColorSet:
    """Build a named color set.

    Args:
        name: A key of :data:`DATASETS`.
        device: Where to put the tensors.

    Raises:
        ValueError: If the name is unknown.
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; allowed names are {sorted(DATASETS)}")
    return DATASETS[name](device)


def _register(name: str) -> Callable:
    """Register a builder returning a cube, or (rgb, bias) for sets that are not one grid."""

    def decorate(build: Callable[[Device], ColorCube | tuple[Tensor, Tensor]]) -> Callable:
        def make(device: Device = None) -> ColorSet:
            built = build(device)
            rgb, bias = (built.flat_rgb(), built.flat_bias()) if isinstance(built, ColorCube) else built
            return ColorSet(name, rgb.float(), bias.float())

        make.__doc__ = build.__doc__
        DATASETS[name] = make
        return build

    return decorate


def _linspace(start: float, end: float, steps: int, device: Device) -> Tensor:
    return torch.linspace(start, end, steps, dtype=torch.float64, device=device)


def _rgb_grid(n: int, device: Device) -> ColorCube:
    axis = _linspace(0, 1, n, device)
    return ColorCube.from_rgb(axis, axis, axis)


def _ring(hue_step: float, values: Tensor | list[float], device: Device) -> ColorCube:
    """Fully saturated hues (S = 1) at one or more values, with the cube's bias."""
    return ColorCube.from_hsv(arange_cyclic(step=hue_step, device=device), [1.0], values)


@_register("hsv-cube")
def _hsv_cube(device: Device) -> ColorCube:
    """36 hues (every 10 degrees) x 10 saturations x 10 values, HSV bias (Ex 1.5-1.8, 2.2-2.9)."""
    levels = _linspace(0, 1, 10, device)
    return ColorCube.from_hsv(arange_cyclic(step=10 / 360, device=device), levels, levels)


@_register("rgb-4")
def _rgb_4(device: Device) -> ColorCube:
    """RGB grid linspace(0, 1, 4)^3 = 64 colors (Ex 2.10 validation)."""
    return _rgb_grid(4, device)


@_register("rgb-8")
def _rgb_8(device: Device) -> ColorCube:
    """RGB grid linspace(0, 1, 8)^3 = 512 colors (Ex 1.6-1.8 validation, redux training)."""
    return _rgb_grid(8, device)


@_register("rgb-10")
def _rgb_10(device: Device) -> ColorCube:
    """RGB grid linspace(0, 1, 10)^3 = 1000 colors (Ex 1.5 validation, Ex 2.10 training)."""
    return _rgb_grid(10, device)


@_register("rgb-8-centers")
def _rgb_8_centers(device: Device) -> tuple[Tensor, Tensor]:
    """linspace(1/16, 15/16, 7)^3 = 343 colors plus the 8 cube corners (redux validation).

    The inner points are not exactly the cell centers of the 8^3 grid (those would be
    k/14 + 1/28); this reproduces the reference construction.
    """
    inner = _linspace(1 / 16, 15 / 16, 7, device)
    corners = _linspace(0, 1, 2, device)
    rgb = torch.cat(
        [
            ColorCube.from_rgb(inner, inner, inner).flat_rgb(),
            ColorCube.from_rgb(corners, corners, corners).flat_rgb(),
        ]
    )
    return rgb, torch.ones(len(rgb), device=rgb.device)


@_register("ex-1.2-hues")
def _ex_1_2_hues(device: Device) -> ColorCube:
    """269 hues (1-degree steps, teal..blue inclusive removed) x V in {0.9, 1}, S = 1 (Ex 1.2)."""
    hues = arange_cyclic(step=1 / 360, device=device)
    hues = hues[~isbetween_cyclic(hues, HUES["teal"], HUES["blue"])]
    return ColorCube.from_hsv(hues, [1.0], [0.9, 1.0])


@_register("ring-12")
def _ring_12(device: Device) -> ColorCube:
    """The 12 named hues at S = V = 1 (Ex 1.3 phase 1)."""
    return _ring(1 / 12, [1.0], device)


@_register("ring-360")
def _ring_360(device: Device) -> ColorCube:
    """360 hues at S = V = 1 (Ex 1.3 phase 2)."""
    return _ring(1 / 360, [1.0], device)


@_register("ring-360-v2")
def _ring_360_v2(device: Device) -> ColorCube:
    """360 hues x V = linspace(0.9, 1, 2), S = 1 (Ex 1.3 phase 3)."""
    return _ring(1 / 360, _linspace(0.9, 1, 2, device), device)


@_register("ring-360-v3")
def _ring_360_v3(device: Device) -> ColorCube:
    """360 hues x V = linspace(0.8, 1, 3), S = 1 (Ex 1.3 phase 4)."""
    return _ring(1 / 360, _linspace(0.8, 1, 3, device), device)


@_register("ring-360-v10")
def _ring_360_v10(device: Device) -> ColorCube:
    """360 hues x V = linspace(0.2, 1, 10), S = 1 (Ex 1.3 phase 5)."""
    return _ring(1 / 360, _linspace(0.2, 1, 10, device), device)


@_register("primaries-6")
def _primaries_6(device: Device) -> ColorCube:
    """Red, yellow, green, cyan, blue, magenta at S = V = 1 (first phase of Ex 1.5, 1.6)."""
    return _ring(1 / 6, [1.0], device)
