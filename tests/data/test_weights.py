"""Tests for per-point weights: vibrancy on cubes, levels, curriculum scaling, hue focus."""

import pytest
import torch

from colorlatent.color import arange_cyclic, vibrancy
from colorlatent.data import ColorCube, curriculum_scale, levels, primary_secondary_focus


def test_vibrancy_on_hsv_cube_is_s_times_v():
    s = v = torch.tensor([0.0, 0.5, 1.0])
    cube = ColorCube.from_hsv(arange_cyclic(step=1 / 3), s, v)
    expected = (s[:, None] * v[None, :]).expand(3, 3, 3)
    torch.testing.assert_close(vibrancy(cube.rgb), expected)


def test_vibrancy_on_rgb_cube():
    axis = torch.tensor([0.0, 0.5, 1.0])
    cube = ColorCube.from_rgb(axis, axis, axis)
    # 0 on the gray diagonal, 1 where one channel is 0 and another 1 (the hue edges), 0.5 between.
    expected = torch.tensor(
        [
            [[0.0, 0.5, 1.0], [0.5, 0.5, 1.0], [1.0, 1.0, 1.0]],  # r = 0
            [[0.5, 0.5, 1.0], [0.5, 0.0, 0.5], [1.0, 0.5, 0.5]],  # r = 0.5
            [[1.0, 1.0, 1.0], [1.0, 0.5, 0.5], [1.0, 0.5, 0.0]],  # r = 1
        ]
    )
    torch.testing.assert_close(vibrancy(cube.rgb), expected)


X = torch.tensor([-0.5, 0.0, 0.2, 0.5, 0.8, 1.0, 1.5], dtype=torch.float64)


def test_levels_identity_and_input_range():
    torch.testing.assert_close(levels(X.clamp(0, 1)), X.clamp(0, 1))
    out = levels(torch.tensor([0.2, 0.5, 0.8, 0.35], dtype=torch.float64), 0.2, 0.8)
    torch.testing.assert_close(out, torch.tensor([0.0, 0.5, 1.0, 0.25], dtype=torch.float64))


def test_levels_output_range():
    out = levels(torch.tensor([0.0, 0.5, 1.0]), out_low=10, out_high=20)
    torch.testing.assert_close(out, torch.tensor([10.0, 15.0, 20.0]))


def test_levels_clamping():
    torch.testing.assert_close(levels(X), X.clamp(0, 1))
    torch.testing.assert_close(levels(X, clamp=False), X)
    torch.testing.assert_close(levels(X, 0, 1, 2, 4, clamp=False), 2 + 2 * X)


def test_levels_degenerate_input_range_gives_midpoint():
    torch.testing.assert_close(levels(X, 0.5, 0.5), torch.full_like(X, 0.5))
    torch.testing.assert_close(levels(X, 0.3, 0.3 + 1e-12, 2, 4), torch.full_like(X, 3.0))


def test_levels_inverted_ranges():
    x = X.clamp(0, 1)
    torch.testing.assert_close(levels(x, 1, 0), 1 - x)
    torch.testing.assert_close(levels(x, 0, 1, 1, 0), 1 - x)
    torch.testing.assert_close(levels(x, 1, 0, 1, 0), x)
    torch.testing.assert_close(levels(torch.tensor([2.0]), 1, 0), torch.tensor([0.0]))


def test_levels_tensor_parameters_and_dtype():
    out = levels(torch.tensor([0.5, 0.5]), torch.tensor([0.0, 1.0]), 1.0)
    torch.testing.assert_close(out, torch.tensor([0.5, 0.5]))  # second has an empty range
    assert levels(torch.zeros(2, dtype=torch.float64)).dtype == torch.float64
    with pytest.raises(ValueError, match="floating"):
        levels(torch.zeros(2, dtype=torch.int64))


def test_curriculum_scale_example_at_quarter():
    w = torch.tensor([1.0, 8 / 9, 0.790, 0.778, 0.7, 0.495, 0.3, 0.0], dtype=torch.float64)
    expected = [1.0, 0.780, 0.584, 0.56, 0.406, 0.0, 0.0, 0.0]
    assert curriculum_scale(w, 0.25).tolist() == pytest.approx(expected, abs=1e-3)


def test_curriculum_scale_ends_and_middle():
    w = torch.tensor([0.0, 0.3, 0.98, 0.995, 1.0], dtype=torch.float64)
    assert curriculum_scale(w, 0.0).tolist() == pytest.approx([0, 0, 0, 0.5, 1])
    torch.testing.assert_close(curriculum_scale(w, 0.5), w)
    assert curriculum_scale(w, 0.75).tolist() == pytest.approx((0.5 + 0.5 * w).tolist())
    assert curriculum_scale(w, 1.0).tolist() == pytest.approx([1] * 5)
    # Progress outside [0, 1] is clipped.
    torch.testing.assert_close(curriculum_scale(w, 1.5), curriculum_scale(w, 1.0))
    torch.testing.assert_close(curriculum_scale(w, -1.0), curriculum_scale(w, 0.0))
    torch.testing.assert_close(curriculum_scale(w, torch.tensor(0.25)), curriculum_scale(w, 0.25))


def test_primary_secondary_focus_on_ten_degree_grid():
    weights = primary_secondary_focus(arange_cyclic(step=10 / 360))
    assert weights.tolist() == pytest.approx([1, 0.75, 0.25, 0, 0.25, 0.75] * 6, abs=1e-12)


def test_primary_secondary_focus_is_cyclic():
    hues = torch.tensor([1.0, -1 / 6, 7 / 12, 2.0 + 1 / 36])
    assert primary_secondary_focus(hues).tolist() == pytest.approx([1, 1, 0, 0.75], abs=1e-5)
    assert primary_secondary_focus(hues).dtype == torch.float32
