"""Tests for the named color sets."""

import pytest
import torch

from colorlatent.color import isbetween_cyclic, named_colors, rgb_to_hsv, vibrancy
from colorlatent.data import DATASETS, ColorSet, make_dataset

SIZES = {
    "hsv-cube": 3600,
    "rgb-8": 512,
    "rgb-10": 1000,
    "rgb-4": 64,
    "ex-1.2-hues": 538,
    "ring-12": 12,
    "ring-360": 360,
    "ring-360-v2": 720,
    "ring-360-v3": 1080,
    "ring-360-v10": 3600,
    "primaries-6": 6,
    "rgb-8-centers": 351,
}


def test_registry_names():
    assert set(DATASETS) == set(SIZES)


@pytest.mark.parametrize(("name", "size"), SIZES.items())
def test_sizes_and_types(name, size):
    data = make_dataset(name, device="cpu")
    assert isinstance(data, ColorSet) and data.name == name
    assert data.rgb.shape == (size, 3) and data.bias.shape == (size,)
    assert data.rgb.dtype == data.bias.dtype == torch.float32
    assert data.rgb.device.type == "cpu"
    assert float(data.rgb.min()) >= 0 and float(data.rgb.max()) <= 1
    assert float(data.bias.min()) > 0


def test_unknown_name_lists_choices():
    with pytest.raises(ValueError, match="hsv-cube") as info:
        make_dataset("hsv-cubes")
    assert "rgb-8-centers" in str(info.value)


def test_hsv_cube_statistics():
    data = make_dataset("hsv-cube")
    bias = data.bias.double()
    total = float(bias.sum())
    assert total == pytest.approx(930, abs=1e-4)
    vibrant = vibrancy(data.rgb) == 1
    black = (data.rgb == 0).all(-1)
    white = (data.rgb == 1).all(-1)
    assert (int(vibrant.sum()), int(black.sum()), int(white.sum())) == (36, 360, 36)
    assert float(bias[vibrant].sum()) / total == pytest.approx(0.0387, abs=5e-5)
    assert float(bias[black].sum()) / total == pytest.approx(0.00108, abs=5e-6)
    assert float(bias[white].sum()) / total == pytest.approx(0.00108, abs=5e-6)
    assert float(bias.min()) == pytest.approx(1 / 360)


def test_hsv_cube_flattening_order():
    # Index = 100 * hue + 10 * saturation + value; levels are k/9.
    rgb = make_dataset("hsv-cube").rgb
    torch.testing.assert_close(rgb[1], torch.full((3,), 1 / 9))  # H 0, S 0, V 1/9: dark gray
    torch.testing.assert_close(rgb[10], torch.zeros(3))  # H 0, S 1/9, V 0: black
    torch.testing.assert_close(rgb[99], torch.tensor([1.0, 0, 0]))  # H 0, S = V = 1: red
    torch.testing.assert_close(rgb[199], torch.tensor([1.0, 1 / 6, 0]))  # H 10 degrees


def test_rgb_grid_flattening_order():
    rgb = make_dataset("rgb-8").rgb
    torch.testing.assert_close(rgb[1], torch.tensor([0, 0, 1 / 7]))
    torch.testing.assert_close(rgb[8], torch.tensor([0, 1 / 7, 0]))
    torch.testing.assert_close(rgb[64], torch.tensor([1 / 7, 0, 0]))
    assert torch.equal(make_dataset("rgb-10").bias, torch.ones(1000))


def test_ex_1_2_hues_exclude_teal_to_blue():
    data = make_dataset("ex-1.2-hues")
    hsv = rgb_to_hsv(data.rgb.double())
    hues = torch.unique(torch.round(hsv[:, 0] * 360))
    assert len(hues) == 269
    assert not bool(isbetween_cyclic(hues, 150, 240, period=360).any())
    assert {149.0, 241.0, 0.0, 359.0} <= set(hues.tolist())
    torch.testing.assert_close(hsv[:, 1], torch.ones(538, dtype=torch.float64))
    assert sorted(set(torch.round(hsv[:, 2] * 10).tolist())) == [9.0, 10.0]


def test_rings():
    torch.testing.assert_close(make_dataset("ring-12").rgb, named_colors(12, 2).rgb[:12])
    primaries = make_dataset("primaries-6").rgb
    assert primaries.tolist() == [[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 1, 1], [0, 0, 1], [1, 0, 1]]
    hues = rgb_to_hsv(make_dataset("ring-360").rgb.double())[:, 0]
    torch.testing.assert_close(hues, torch.arange(360, dtype=torch.float64) / 360, rtol=0, atol=1e-6)


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("ring-360-v2", [0.9, 1.0]),
        ("ring-360-v3", [0.8, 0.9, 1.0]),
        ("ring-360-v10", torch.linspace(0.2, 1, 10, dtype=torch.float64).tolist()),
    ],
)
def test_ring_values_vary_fastest(name, values):
    hsv = rgb_to_hsv(make_dataset(name).rgb.double()).reshape(360, len(values), 3)
    expected = torch.tensor(values, dtype=torch.float64).expand(360, -1)
    torch.testing.assert_close(hsv[..., 2], expected, rtol=0, atol=1e-6)
    torch.testing.assert_close(hsv[..., 1], torch.ones_like(expected))


def test_rgb_8_centers():
    data = make_dataset("rgb-8-centers")
    inner = torch.linspace(1 / 16, 15 / 16, 7, dtype=torch.float64).float()
    assert torch.isin(data.rgb[:343], inner).all()
    torch.testing.assert_close(data.rgb[0], torch.full((3,), 1 / 16))
    torch.testing.assert_close(data.rgb[342], torch.full((3,), 15 / 16))
    corners = [[r, g, b] for r in (0.0, 1.0) for g in (0.0, 1.0) for b in (0.0, 1.0)]
    assert data.rgb[343:].tolist() == corners
    assert torch.equal(data.bias, torch.ones(351))
