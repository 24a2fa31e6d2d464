"""Tests for ColorCube: bias formula, conversion, flattening order, validation."""

import dataclasses

import pytest
import torch

from colorlatent.color import arange_cyclic
from colorlatent.data import ColorCube

THREE_HUES = [0.0, 1 / 3, 2 / 3]


def test_bias_edge_levels():
    # Rows V = 1, 0.5, 0; columns S = 1, 0.5, 0; normalized by the maximum (which is 1).
    cube = ColorCube.from_hsv(THREE_HUES, [1, 0.5, 0], [1, 0.5, 0], dtype=torch.float64)
    expected = torch.tensor(
        [[1, 2 / 3, 1 / 3], [5 / 9, 7 / 18, 2 / 9], [1 / 9, 1 / 9, 1 / 9]], dtype=torch.float64
    )
    for hue in range(3):  # the bias does not depend on hue
        torch.testing.assert_close(cube.bias[hue].T / cube.bias.max(), expected)


def test_bias_interior_levels():
    levels = [0.75, 0.5, 0.25]
    cube = ColorCube.from_hsv(THREE_HUES, levels, levels, dtype=torch.float64)
    expected = torch.tensor(
        [[47 / 72, 19 / 36, 29 / 72], [17 / 36, 7 / 18, 11 / 36], [7 / 24, 1 / 4, 5 / 24]],
        dtype=torch.float64,
    )
    torch.testing.assert_close(cube.bias[0].T, expected)
    torch.testing.assert_close(cube.bias[2].T / cube.bias.max(), expected / expected.max())


def test_bias_group_masses():
    h, s, v = arange_cyclic(step=1 / 7), torch.linspace(0, 1, 5), torch.linspace(0, 1, 4)
    bias = ColorCube.from_hsv(h, s, v, dtype=torch.float64).bias
    assert float(bias[:, :, 0].sum()) == pytest.approx(1)  # all black cells together
    assert float(bias[:, 0, -1].sum()) == pytest.approx(1)  # all white cells together
    assert bias[:, -1, -1].tolist() == pytest.approx([1] * 7)  # each vibrant cell


def test_from_hsv_colors_and_coordinates():
    cube = ColorCube.from_hsv([0.0, 1 / 3, 1.0, 4 / 3], [1.5, 0.0], [1.0])
    assert cube.space == "hsv"
    assert cube.shape == (4, 2, 1)
    assert cube.rgb.dtype == cube.bias.dtype == torch.float32
    # Hue wraps and S clips for the colors, but the coordinates keep the values given.
    assert cube.coords[0].tolist() == pytest.approx([0, 1 / 3, 1, 4 / 3])
    assert cube.coords[1].tolist() == [1.5, 0.0]
    red, green = [1.0, 0, 0], [0, 1.0, 0]
    torch.testing.assert_close(cube.rgb[:, 0, 0], torch.tensor([red, green, red, green]))
    torch.testing.assert_close(cube.rgb[:, 1, 0], torch.ones(4, 3))
    assert cube.bias[0, 0, 0] == 1  # S clipped to 1 before weighting


def test_from_rgb():
    axis = torch.linspace(0, 1, 3)
    cube = ColorCube.from_rgb(axis, axis[:2], axis[:1])
    assert cube.space == "rgb"
    assert cube.shape == (3, 2, 1)
    torch.testing.assert_close(cube.rgb[2, 1, 0], torch.tensor([1.0, 0.5, 0.0]))
    torch.testing.assert_close(cube.bias, torch.ones(3, 2, 1))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        ColorCube.from_rgb([0.0, 1.5], [0.0], [0.0])


def test_flattening_is_c_order():
    # For an HSV cube V varies fastest, then S, then H.
    cube = ColorCube.from_hsv([0.0, 1 / 3], [0.0, 1.0], [0.5, 1.0])
    flat = cube.flat_rgb()
    expected = [
        [0.5, 0.5, 0.5], [1.0, 1.0, 1.0], [0.5, 0.0, 0.0], [1.0, 0.0, 0.0],
        [0.5, 0.5, 0.5], [1.0, 1.0, 1.0], [0.0, 0.5, 0.0], [0.0, 1.0, 0.0],
    ]  # fmt: skip
    assert flat.tolist() == expected
    # n_h = n_s = 2: w(0, .5) = .5/4 + .5/2, w(0, 1) = 1/2, w(1, .5) = .5/4 + .5, w(1, 1) = 1.
    assert cube.flat_bias().tolist() == pytest.approx([0.375, 0.5, 0.625, 1.0] * 2)
    rgb_axis = torch.tensor([0.0, 1.0])
    corners = ColorCube.from_rgb(rgb_axis, rgb_axis, rgb_axis).flat_rgb()
    assert corners[[1, 2, 4]].tolist() == [[0, 0, 1], [0, 1, 0], [1, 0, 0]]


def test_float64_accumulation_before_cast():
    levels = torch.linspace(0, 1, 10)
    cube = ColorCube.from_hsv(arange_cyclic(step=10 / 360), levels, levels)
    assert float(cube.bias.double().sum()) == pytest.approx(930, abs=1e-4)


def test_to_device():
    cube = ColorCube.from_hsv(THREE_HUES, [1.0], [1.0])
    moved = cube.to("cpu")
    assert isinstance(moved, ColorCube) and moved.space == "hsv"
    assert torch.equal(moved.rgb, cube.rgb) and torch.equal(moved.bias, cube.bias)
    assert all(torch.equal(a, b) for a, b in zip(moved.coords, cube.coords))


def test_validation():
    axis = torch.tensor([0.0, 1.0])
    good = ColorCube.from_rgb(axis, axis, axis)
    with pytest.raises(ValueError, match="space"):
        ColorCube("lab", good.coords, good.rgb, good.bias)
    with pytest.raises(ValueError, match="bias"):
        ColorCube("rgb", good.coords, good.rgb, good.bias[:1])
    with pytest.raises(ValueError, match="rgb"):
        ColorCube("rgb", good.coords, good.rgb[..., :2], good.bias)
    with pytest.raises(ValueError, match="1-D"):
        ColorCube.from_hsv([], [1.0], [1.0])
    with pytest.raises(ValueError, match="1-D"):
        ColorCube.from_rgb([[0.0, 1.0]], axis, axis)
    with pytest.raises(dataclasses.FrozenInstanceError):
        good.space = "hsv"
