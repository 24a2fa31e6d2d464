"""Ex 1.1 color-data figures: the cube view geometry and that every figure builds."""

import math

import numpy as np
import pytest

from colorlatent.plots import color_data


def test_cube_view_puts_the_gray_diagonal_upright():
    corners = np.array([[0, 0, 0], [1, 1, 1], [1, 0, 0]], dtype=float)
    x, y, depth = color_data.cube_view(corners)
    # black straight below white, sqrt(3) apart (the diagonal's length)
    assert x[0] == pytest.approx(0) and x[1] == pytest.approx(0)
    assert y[1] - y[0] == pytest.approx(math.sqrt(3))
    # red, centered at (0.5, -0.5, -0.5): across (1, -1, 0)/sqrt2, up (1, 1, 1)/sqrt3, depth (1, 1, -2)/sqrt6
    assert (x[2], y[2], depth[2]) == pytest.approx((1 / math.sqrt(2), -0.5 / math.sqrt(3), 1 / math.sqrt(6)))
    # looking down 30 degrees shortens the diagonal to cos 30 and keeps it vertical
    x, y, _ = color_data.cube_view(corners, turn=40.0, elevation=30.0)
    assert x[1] - x[0] == pytest.approx(0) and y[1] - y[0] == pytest.approx(math.sqrt(3) * math.cos(math.radians(30)))
    # the back view mirrors left and right
    front, back = color_data.cube_view(corners, 10.0)[0], color_data.cube_view(corners, 190.0)[0]
    np.testing.assert_allclose(back, -front, atol=1e-12)


@pytest.mark.parametrize("plot", [color_data.plot_rgb_cube, color_data.plot_hsv_slices, color_data.plot_hsv_cylinder,
                                  color_data.plot_hue_ring, color_data.plot_sampling_weights])
def test_figures_build_in_both_variants(plot):
    light, dark = plot(), plot(dark=True)
    assert light.get_facecolor()[:3] == (1.0, 1.0, 1.0)
    assert dark.get_facecolor()[:3] == pytest.approx((17 / 255,) * 3)


def test_rgb_cube_points_have_their_own_colors():
    figure = color_data.plot_rgb_cube(n=3, turns=(0.0,))
    points = figure.axes[0].collections[0]
    assert len(points.get_offsets()) == 27
    colors = {tuple(np.round(c[:3], 6)) for c in points.get_facecolors()}
    assert (1.0, 0.0, 0.0) in colors and (0.5, 0.5, 0.5) in colors and len(colors) == 27
