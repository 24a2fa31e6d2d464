"""Tests for colorlatent.color: conversions, attributes, named colors, cyclic helpers."""

import colorsys
import math

import numpy as np
import pytest
import torch
from skimage.color import hsv2rgb, rgb2hsv

from colorlatent.color import (
    GRAYS,
    HUES,
    PRIMARIES,
    SECONDARIES,
    TERTIARIES,
    arange_cyclic,
    blueness,
    desaturation,
    gray_names,
    greenness,
    hsv_to_rgb,
    hue_distance,
    isbetween_cyclic,
    isclose_cyclic,
    named_colors,
    redness,
    rgb_to_hsv,
    vibrancy,
)

# Grays, black, white, the six pure hues, ties between two maximal channels, and a red whose
# blue is a hair above green (hue a hair below 1).
EDGE_RGB = [
    (0.0, 0.0, 0.0),
    (1.0, 1.0, 1.0),
    (0.5, 0.5, 0.5),
    (0.25, 0.25, 0.25),
    (1.0, 0.0, 0.0),
    (1.0, 1.0, 0.0),
    (0.0, 1.0, 0.0),
    (0.0, 1.0, 1.0),
    (0.0, 0.0, 1.0),
    (1.0, 0.0, 1.0),
    (0.5, 0.5, 0.25),
    (0.25, 0.5, 0.5),
    (0.5, 0.25, 0.5),
    (1.0, 0.0, 1e-9),
    (0.1, 0.2, 0.3),
]

DTYPES = [(torch.float64, 1e-12), (torch.float32, 1e-6)]


def random_colors(dtype, n=4000, seed=0):
    gen = torch.Generator().manual_seed(seed)
    uniform = torch.rand(n, 3, generator=gen, dtype=torch.float64)
    # Quantized colors produce many ties between channels, where the hue formula branches.
    quantized = torch.randint(0, 5, (n // 4, 3), generator=gen).double() / 4
    edges = torch.tensor(EDGE_RGB, dtype=torch.float64)
    return torch.cat([uniform, quantized, edges]).to(dtype)


# --- conversions ---------------------------------------------------------------------------


@pytest.mark.parametrize(("dtype", "atol"), DTYPES)
def test_rgb_to_hsv_matches_skimage(dtype, atol):
    rgb = random_colors(dtype)
    hsv = rgb_to_hsv(rgb)
    assert hsv.dtype == dtype and hsv.shape == rgb.shape
    np.testing.assert_allclose(hsv.numpy(), rgb2hsv(rgb.numpy()), rtol=0, atol=atol)


@pytest.mark.parametrize(("dtype", "atol"), DTYPES)
def test_hsv_to_rgb_matches_skimage(dtype, atol):
    gen = torch.Generator().manual_seed(1)
    hsv = torch.rand(4000, 3, generator=gen, dtype=torch.float64).to(dtype)
    rgb = hsv_to_rgb(hsv)
    assert rgb.dtype == dtype and rgb.shape == hsv.shape
    np.testing.assert_allclose(rgb.numpy(), hsv2rgb(hsv.numpy()), rtol=0, atol=atol)


def test_rgb_to_hsv_edge_cases():
    rgb = torch.tensor(EDGE_RGB[:10], dtype=torch.float64)
    expected = torch.tensor(
        [
            (0, 0, 0),  # black: S = 0
            (0, 0, 1),  # white
            (0, 0, 0.5),  # grays: H = S = 0
            (0, 0, 0.25),
            (0, 1, 1),  # pure hues at 0, 60, ..., 300 degrees
            (1 / 6, 1, 1),
            (2 / 6, 1, 1),
            (3 / 6, 1, 1),
            (4 / 6, 1, 1),
            (5 / 6, 1, 1),
        ],
        dtype=torch.float64,
    )
    torch.testing.assert_close(rgb_to_hsv(rgb), expected)


def test_rgb_to_hsv_hue_just_below_one():
    hsv = rgb_to_hsv(torch.tensor([1.0, 0.0, 1e-3], dtype=torch.float64))
    assert hsv[0] == pytest.approx(1 - 1e-3 / 6)


def test_hsv_to_rgb_pure_hues_match_colorsys():
    hues = [k / 12 for k in range(12)]
    hsv = torch.tensor([(h, 1.0, 1.0) for h in hues], dtype=torch.float64)
    expected = torch.tensor([colorsys.hsv_to_rgb(h, 1.0, 1.0) for h in hues], dtype=torch.float64)
    torch.testing.assert_close(hsv_to_rgb(hsv), expected)


def test_hsv_to_rgb_takes_hue_modulo_one():
    base = torch.tensor([[0.0, 1, 1], [0.25, 0.5, 0.8], [0.75, 1, 0.5]], dtype=torch.float64)
    red = torch.tensor([1.0, 0, 0], dtype=torch.float64)
    torch.testing.assert_close(hsv_to_rgb(torch.tensor([1.0, 1, 1], dtype=torch.float64)), red)
    for shift in (1.0, 2.0, -1.0, -3.0):
        shifted = base.clone()
        shifted[:, 0] += shift
        torch.testing.assert_close(hsv_to_rgb(shifted), hsv_to_rgb(base))


@pytest.mark.parametrize(("dtype", "atol"), [(torch.float64, 1e-12), (torch.float32, 1e-6)])
def test_round_trip(dtype, atol):
    rgb = random_colors(dtype)
    torch.testing.assert_close(hsv_to_rgb(rgb_to_hsv(rgb)), rgb, rtol=0, atol=atol)


def test_conversions_keep_batch_shape():
    rgb = torch.rand(2, 5, 4, 3)
    assert rgb_to_hsv(rgb).shape == (2, 5, 4, 3)
    assert hsv_to_rgb(rgb).shape == (2, 5, 4, 3)
    assert rgb_to_hsv(torch.tensor([0.2, 0.4, 0.6])).shape == (3,)


@pytest.mark.parametrize("fn", [rgb_to_hsv, hsv_to_rgb, redness, greenness, blueness, vibrancy])
def test_validation(fn):
    with pytest.raises(ValueError, match=r"\[\.\.\., 3\]"):
        fn(torch.rand(4, 2))
    with pytest.raises(ValueError, match=r"\[\.\.\., 3\]"):
        fn(torch.tensor(0.5))
    with pytest.raises(ValueError, match="floating"):
        fn(torch.ones(4, 3, dtype=torch.int64))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        fn(torch.tensor([0.5, 1.5, 0.5]))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        fn(torch.tensor([0.5, -0.1, 0.5]))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        fn(torch.tensor([0.5, math.nan, 0.5]))
    with pytest.raises(TypeError):
        fn([0.5, 0.5, 0.5])
    fn(torch.tensor([0.0, 1 + 1e-7, -1e-7]))  # rounding noise is tolerated


def test_hsv_validation_allows_any_finite_hue():
    hsv_to_rgb(torch.tensor([[5.5, 1.0, 1.0], [-2.0, 0.5, 0.5]]))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        hsv_to_rgb(torch.tensor([math.inf, 1.0, 1.0]))


# --- attributes ----------------------------------------------------------------------------


def test_redness_hand_values():
    rgb = torch.tensor(
        [[1, 0, 0], [1, 1 / 6, 0], [1, 1, 1], [0, 1, 1], [0.5, 0.5, 0], [1, 0.5, 0]], dtype=torch.float64
    )
    expected = torch.tensor([1, 11 / 12, 0, 0, 0.375, 0.75], dtype=torch.float64)
    torch.testing.assert_close(redness(rgb), expected)


def test_greenness_and_blueness_are_redness_with_channels_swapped():
    rgb = torch.rand(100, 3, generator=torch.Generator().manual_seed(2))
    r, g, b = rgb.unbind(-1)
    torch.testing.assert_close(greenness(rgb), redness(torch.stack((g, r, b), -1)))
    torch.testing.assert_close(blueness(rgb), redness(torch.stack((b, g, r), -1)))
    assert greenness(torch.tensor([0.0, 1, 0])) == 1
    assert blueness(torch.tensor([0.0, 0, 1])) == 1


def test_vibrancy_hand_values():
    rgb = torch.tensor([[1, 0, 0], [1, 0.5, 0], [0.5, 0.25, 0.25], [0.5, 0.5, 0.5], [0, 0, 0], [1, 1, 1]])
    expected = torch.tensor([1, 1, 0.25, 0, 0, 0])
    torch.testing.assert_close(vibrancy(rgb), expected)
    torch.testing.assert_close(desaturation(rgb), 1 - expected)


def test_vibrancy_is_skimage_s_times_v():
    rgb = random_colors(torch.float64)
    reference = rgb2hsv(rgb.numpy())
    np.testing.assert_allclose(vibrancy(rgb).numpy(), reference[:, 1] * reference[:, 2], atol=1e-12)


# --- named colors ---------------------------------------------------------------------------


def test_hue_table():
    assert list(HUES) == [
        "red", "orange", "yellow", "lime", "green", "teal",
        "cyan", "azure", "blue", "purple", "magenta", "pink",
    ]  # fmt: skip
    assert [HUES[name] * 360 for name in HUES] == pytest.approx(list(range(0, 360, 30)))
    assert set(PRIMARIES) | set(SECONDARIES) | set(TERTIARIES) == set(HUES)
    assert HUES["green"] == pytest.approx(1 / 3) and HUES["cyan"] == pytest.approx(1 / 2)


def test_gray_sets():
    assert GRAYS == {"black": 0.0, "dark gray": 0.25, "gray": 0.5, "light gray": 0.75, "white": 1.0}
    assert gray_names(2) == ("black", "white")
    assert gray_names(3) == ("black", "gray", "white")
    assert gray_names(5) == ("black", "dark gray", "gray", "light gray", "white")
    for bad in (0, 1, 4, 6):
        with pytest.raises(ValueError, match="n_grays"):
            gray_names(bad)


def test_named_colors_default_table():
    colors = named_colors()
    assert colors.names == [*HUES, "black", "dark gray", "gray", "light gray", "white"]
    assert colors.rgb.shape == colors.hsv.shape == (17, 3)
    assert colors.rgb.dtype == torch.float32
    rgb = dict(zip(colors.names, colors.rgb.tolist()))
    assert rgb["orange"] == [1.0, 0.5, 0.0]
    assert rgb["lime"] == [0.5, 1.0, 0.0]
    assert rgb["teal"] == [0.0, 1.0, 0.5]
    assert rgb["azure"] == [0.0, 0.5, 1.0]
    assert rgb["purple"] == [0.5, 0.0, 1.0]
    assert rgb["pink"] == [1.0, 0.0, 0.5]
    assert rgb["dark gray"] == [0.25, 0.25, 0.25]
    assert rgb["white"] == [1.0, 1.0, 1.0]
    hsv = dict(zip(colors.names, colors.hsv.tolist()))
    assert hsv["gray"] == [0.0, 0.0, 0.5]
    assert hsv["blue"] == pytest.approx([2 / 3, 1.0, 1.0])
    # int(c * 255) hex swatches, as in the reference tables.
    assert "#{:02x}{:02x}{:02x}".format(*(int(c * 255) for c in rgb["orange"])) == "#ff7f00"


def test_six_hues_reproduce_primaries_and_secondaries():
    colors = named_colors(n_hues=6, n_grays=2, device="cpu")
    assert colors.names == ["red", "yellow", "green", "cyan", "blue", "magenta", "black", "white"]
    expected = [(1, 0, 0), (1, 1, 0), (0, 1, 0), (0, 1, 1), (0, 0, 1), (1, 0, 1)]
    assert colors.rgb[:6].tolist() == [list(map(float, c)) for c in expected]
    # Primaries have RGB length 1, secondaries sqrt(2); black 0, white sqrt(3).
    lengths = colors.rgb.norm(dim=-1).tolist()
    assert lengths == pytest.approx([1, math.sqrt(2)] * 3 + [0, math.sqrt(3)])


def test_named_colors_rejects_other_sizes():
    with pytest.raises(ValueError, match="n_hues"):
        named_colors(n_hues=8)
    with pytest.raises(ValueError, match="n_grays"):
        named_colors(n_grays=4)


# --- cyclic helpers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("step", "count"), [(1 / 12, 12), (1 / 6, 6), (10 / 360, 36), (1 / 360, 360), (1 / 24, 24), (1 / 240, 240)]
)
def test_arange_cyclic_counts(step, count):
    hues = arange_cyclic(step=step)
    assert hues.dtype == torch.float64
    assert len(hues) == count
    torch.testing.assert_close(hues, torch.arange(count, dtype=torch.float64) / count)


def test_arange_cyclic_default_is_twelve_named_hues():
    torch.testing.assert_close(arange_cyclic(), torch.tensor(list(HUES.values()), dtype=torch.float64))


def test_arange_cyclic_bounds():
    assert arange_cyclic(0.25, 0.75, step=0.25).tolist() == [0.25, 0.5]
    assert arange_cyclic(0.25, 0.75, step=0.25, inclusive=True).tolist() == [0.25, 0.5, 0.75]
    # Wraps around when upper < lower, and reduces both modulo the period.
    assert arange_cyclic(0.75, 0.25, step=0.25).tolist() == [0.75, 0.0]
    assert arange_cyclic(0.75, 0.25, step=0.25, inclusive=True).tolist() == [0.75, 0.0, 0.25]
    assert arange_cyclic(1.5, step=0.25).tolist() == [0.5, 0.75, 0.0, 0.25]
    assert arange_cyclic(0, None, step=90, period=360).tolist() == [0, 90, 180, 270]
    assert arange_cyclic(0.5, 0.5, step=0.25).tolist() == []
    assert arange_cyclic(step=0.5, device="cpu").device.type == "cpu"


def test_isbetween_cyclic_regular():
    a = torch.tensor([0.1, 0.2, 0.3, 0.4, 0.5])
    assert isbetween_cyclic(a, 0.2, 0.4).tolist() == [False, True, True, True, False]


def test_isbetween_cyclic_wraparound():
    a = torch.tensor([0.85, 0.9, 0.95, 0.0, 0.05, 0.1, 0.15, 0.5])
    assert isbetween_cyclic(a, 0.9, 0.1).tolist() == [False, True, True, True, True, True, False, False]


def test_isbetween_cyclic_inclusive_edges():
    a = torch.tensor([0.2, 0.4, 0.2 - 1e-9, 0.4 + 1e-9, 0.2 - 1e-6, 0.4 + 1e-6], dtype=torch.float64)
    assert isbetween_cyclic(a, 0.2, 0.4).tolist() == [True, True, True, True, False, False]
    # Across the seam: a hair below a lower bound of 0 is still on it.
    assert bool(isbetween_cyclic(1 - 1e-10, 0.0, 0.25))
    assert bool(isbetween_cyclic(1.0, 0.0, 0.25))


def test_isbetween_cyclic_equal_bounds():
    assert bool(isbetween_cyclic(0.3, 0.3, 0.3))
    assert not bool(isbetween_cyclic(0.31, 0.3, 0.3))
    assert not bool(isbetween_cyclic(0.7, 0.3, 0.3))


def test_isbetween_cyclic_named_hues():
    assert bool(isbetween_cyclic(HUES["red"], HUES["pink"], HUES["orange"]))
    assert not bool(isbetween_cyclic(HUES["cyan"], HUES["pink"], HUES["orange"]))
    named = torch.tensor(list(HUES.values()), dtype=torch.float64)
    inside = isbetween_cyclic(named, HUES["teal"], HUES["blue"])
    assert [n for n, i in zip(HUES, inside.tolist()) if i] == ["teal", "cyan", "azure", "blue"]
    # 150..240 degrees inclusive on a 1-degree grid: 91 hues.
    assert int(isbetween_cyclic(arange_cyclic(step=1 / 360), HUES["teal"], HUES["blue"]).sum()) == 91


def test_isbetween_cyclic_other_periods():
    a = torch.tensor([1.9, 0.1, 1.0, 2.1])
    assert isbetween_cyclic(a, 1.8, 0.2, period=2).tolist() == [True, True, False, True]
    degrees = torch.tensor([350.0, 5.0, 10.0, 180.0, 370.0, -20.0])
    assert isbetween_cyclic(degrees, 300, 10, period=360).tolist() == [True, True, True, False, True, True]
    assert isbetween_cyclic(degrees, 0, 180, period=360).tolist() == [False, True, True, True, True, False]


def test_isbetween_cyclic_broadcasts_tensor_bounds():
    a = torch.tensor([[0.1], [0.6]])
    lower = torch.tensor([0.0, 0.5, 0.9])
    upper = torch.tensor([0.2, 0.7, 0.15])
    assert isbetween_cyclic(a, lower, upper).tolist() == [[True, False, True], [False, True, False]]


def test_isclose_cyclic():
    a = torch.tensor([0.0, 1.0, 1 - 1e-10, 0.5, 1e-3], dtype=torch.float64)
    assert isclose_cyclic(a, 0.0).tolist() == [True, True, True, False, False]
    assert bool(isclose_cyclic(0.0, 1.0))
    assert bool(isclose_cyclic(359.9999999, 0.0, atol=1e-6, period=360))
    assert not bool(isclose_cyclic(359.0, 0.0, period=360))
    assert bool(isclose_cyclic(HUES["blue"], arange_cyclic(step=1 / 360)[240]))


def test_hue_distance():
    a = torch.tensor([0.9, 0.25, 0.0, 0.1, 1.0], dtype=torch.float64)
    b = torch.tensor([0.1, 0.75, 0.0, 0.9, 0.0], dtype=torch.float64)
    expected = torch.tensor([0.2, 0.5, 0.0, 0.2, 0.0], dtype=torch.float64)
    torch.testing.assert_close(hue_distance(a, b), expected)
    torch.testing.assert_close(hue_distance(b, a), hue_distance(a, b))
    assert float(hue_distance(350.0, 10.0, period=360)) == pytest.approx(20)
    assert hue_distance(torch.tensor([0.5], dtype=torch.float32), 0.0).dtype == torch.float32
