"""Regular grids of colors in HSV or RGB coordinates, with a sampling bias per grid point."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from colorlatent.color import check_rgb, hsv_to_rgb

Axis = Tensor | Sequence[float]


@dataclass(frozen=True, eq=False)
class ColorCube:
    """A 3-D grid of colors spanned by three coordinate axes.

    Flattening is always C order (:meth:`flat_rgb`, :meth:`flat_bias`): the last axis varies
    fastest, so in an HSV cube V changes first, then S, then H. Any per-point array that is
    meant to line up with the flattened colors must be flattened the same way.

    Attributes:
        space: ``'hsv'`` or ``'rgb'``: what the three axes are.
        coords: The three 1-D axes, as given (hue is not wrapped, S and V are not clipped).
        rgb: RGB color of every grid point, shape [n1, n2, n3, 3].
        bias: Sampling weight of every grid point, shape [n1, n2, n3].
    """

    space: str
    coords: tuple[Tensor, Tensor, Tensor]
    rgb: Tensor
    bias: Tensor

    def __post_init__(self) -> None:
        if self.space not in ("hsv", "rgb"):
            raise ValueError(f"space must be 'hsv' or 'rgb', got {self.space!r}")
        if len(self.coords) != 3 or any(axis.ndim != 1 for axis in self.coords):
            raise ValueError("coords must be three 1-D tensors")
        shape = tuple(len(axis) for axis in self.coords)
        if tuple(self.rgb.shape) != (*shape, 3):
            raise ValueError(f"rgb must have shape {[*shape, 3]}, got {list(self.rgb.shape)}")
        if tuple(self.bias.shape) != shape:
            raise ValueError(f"bias must have shape {list(shape)}, got {list(self.bias.shape)}")

    @classmethod
    def from_hsv(cls, h: Axis, s: Axis, v: Axis, *, dtype: torch.dtype = torch.float32) -> ColorCube:
        """Build a cube on an HSV grid.

        Hue is taken modulo 1 and S, V are clipped to [0, 1] before conversion. The bias
        makes sampling favor vibrant colors without starving the dark and pale ones::

            w(s, v) = (1 - v) / (n_s n_h) + (1 - s) v / n_h + s v

        A fully vibrant point weighs 1; the n_s * n_h black points (v = 0) together weigh 1,
        and the n_h white points (s = 0, v = 1) together weigh 1, as much as one vibrant hue.

        Args:
            h: Hue axis (fractions of a turn).
            s: Saturation axis.
            v: Value axis.
            dtype: Floating dtype of the stored tensors. The grid is computed in float64
                first so that sums over large cubes stay accurate.

        Returns:
            An ``'hsv'`` cube on the device of the first tensor axis (CPU if none).
        """
        h, s, v = _axes(h, s, v)
        hh, ss, vv = torch.meshgrid(h % 1, s.clamp(0, 1), v.clamp(0, 1), indexing="ij")
        rgb = hsv_to_rgb(torch.stack((hh, ss, vv), dim=-1))
        n_h, n_s = len(h), len(s)
        bias = (1 - vv) / (n_s * n_h) + (1 - ss) * vv / n_h + ss * vv
        return cls("hsv", _cast(dtype, h, s, v), rgb.to(dtype), bias.to(dtype))

    @classmethod
    def from_rgb(cls, r: Axis, g: Axis, b: Axis, *, dtype: torch.dtype = torch.float32) -> ColorCube:
        """Build a cube on an RGB grid, with uniform bias.

        Args:
            r: Red axis, values in [0, 1].
            g: Green axis, values in [0, 1].
            b: Blue axis, values in [0, 1].
            dtype: Floating dtype of the stored tensors.

        Returns:
            An ``'rgb'`` cube on the device of the first tensor axis (CPU if none).
        """
        r, g, b = _axes(r, g, b)
        rgb = torch.stack(torch.meshgrid(r, g, b, indexing="ij"), dim=-1)
        check_rgb(rgb, "RGB cube coordinates")
        bias = torch.ones(rgb.shape[:-1], dtype=dtype, device=rgb.device)
        return cls("rgb", _cast(dtype, r, g, b), rgb.to(dtype), bias)

    @property
    def shape(self) -> tuple[int, int, int]:
        """Number of points along each axis."""
        return tuple(self.bias.shape)

    def flat_rgb(self) -> Tensor:
        """Return all colors as [N, 3], in C order."""
        return self.rgb.reshape(-1, 3)

    def flat_bias(self) -> Tensor:
        """Return all sampling weights as [N], in C order."""
        return self.bias.reshape(-1)

    def to(self, device: torch.device | str) -> ColorCube:
        """Return a copy of the cube with every tensor on ``device``."""
        return dataclasses.replace(
            self,
            coords=tuple(axis.to(device) for axis in self.coords),
            rgb=self.rgb.to(device),
            bias=self.bias.to(device),
        )


def _axes(*axes: Axis) -> list[Tensor]:
    """Convert axes to float64 1-D tensors on the device of the first tensor among them."""
    device = next((axis.device for axis in axes if isinstance(axis, Tensor)), None)
    tensors = [torch.as_tensor(axis, dtype=torch.float64, device=device) for axis in axes]
    for tensor in tensors:
        if tensor.ndim != 1 or len(tensor) == 0:
            raise ValueError(f"cube axes must be non-empty 1-D, got shape {list(tensor.shape)}")
    return tensors


def _cast(dtype: torch.dtype, *axes: Tensor) -> tuple[Tensor, ...]:
    return tuple(axis.to(dtype) for axis in axes)
