"""Tests for stochastic sparse labels: specs, probabilities, drawing."""

import pytest
import torch

from colorlatent.color import hsv_to_rgb
from colorlatent.data import LabelSpec, draw_labels, label_probabilities, make_dataset, parse_labels

M1 = parse_labels({"red": 0.5, "vibrant": 0.5})


def hsv(*rows):
    return hsv_to_rgb(torch.tensor(rows, dtype=torch.float64))


# --- parse_labels ---------------------------------------------------------------------------


def test_parse_m1_defaults():
    specs = parse_labels({"red": 0.5, "green": 0.1, "blue": 0.2, "vibrant": 0.5, "desaturated": 1})
    assert specs == {
        "red": LabelSpec("redness", 10.0, 0.5),
        "green": LabelSpec("greenness", 10.0, 0.1),
        "blue": LabelSpec("blueness", 10.0, 0.2),
        "vibrant": LabelSpec("vibrancy", 100.0, 0.5),
        "desaturated": LabelSpec("desaturation", 10.0, 1.0),
    }
    assert list(specs) == ["red", "green", "blue", "vibrant", "desaturated"]


def test_parse_mapping_entries():
    specs = parse_labels(
        {
            "red": {"power": 8, "scale": 0.08},
            "vibrant": {"scale": 0.008, "power": 8},
            "crimson": {"attribute": "redness", "power": 20, "scale": 0.1},
            "pale": {"attribute": "desaturation"},
        }
    )
    assert specs["red"] == LabelSpec("redness", 8.0, 0.08)
    assert specs["vibrant"] == LabelSpec("vibrancy", 8.0, 0.008)
    assert specs["crimson"] == LabelSpec("redness", 20.0, 0.1)
    assert specs["pale"] == LabelSpec("desaturation", 10.0, 1.0)


@pytest.mark.parametrize(
    ("config", "pattern"),
    [
        ({"red": {"attribute": "redish"}}, r"'red'.*blueness.*'redish'"),
        ({"red": {"power": -1}}, r"'red'.*power.*>= 0.*-1"),
        ({"red": 1.5}, r"'red'.*scale.*\[0, 1\].*1\.5"),
        ({"vibrant": -0.1}, r"'vibrant'.*scale.*\[0, 1\]"),
        ({"red": {"powr": 8}}, r"'red'.*unknown keys \['powr'\].*'attribute', 'power', 'scale'"),
        ({"crimson": 0.5}, r"'crimson'.*needs an 'attribute'.*redness"),
        ({"red": "0.5"}, r"'red'.*scale"),
        ({"red": True}, r"'red'.*scale"),
        ({"red": {"attribute": ["redness"]}}, r"'red'.*attribute"),
    ],
)
def test_parse_errors(config, pattern):
    with pytest.raises(ValueError, match=pattern):
        parse_labels(config)


def test_label_spec_validates_itself():
    with pytest.raises(ValueError, match="attribute"):
        LabelSpec("hue", 1, 1)
    with pytest.raises(ValueError, match="power"):
        LabelSpec("redness", float("nan"), 1)


# --- probabilities --------------------------------------------------------------------------


def test_red_probabilities_near_red():
    rgb = hsv(
        (0, 1, 1),  # pure red
        (10 / 360, 1, 1),
        (-10 / 360, 1, 1),
        (20 / 360, 1, 1),
        (-20 / 360, 1, 1),
        (30 / 360, 1, 1),
        (0, 1, 8 / 9),
        (0, 8 / 9, 1),
        (1 / 3, 1, 1),  # green
        (0, 0, 1),  # white
    )
    red = label_probabilities(rgb, M1)["red"]
    expected = [0.5, 0.2095, 0.2095, 0.0808, 0.0808, 0.0282, 0.154, 0.154, 0.0, 0.0]
    assert red.tolist() == pytest.approx(expected, abs=5e-4)
    # Exact forms: 0.5 (11/12)^10 at 10 degrees, 0.5 (3/4)^10 at 30 degrees.
    assert float(red[1]) == pytest.approx(0.5 * (11 / 12) ** 10)
    assert float(red[5]) == pytest.approx(0.5 * 0.75**10)


def test_vibrant_only_on_fully_vibrant_cells():
    data = make_dataset("hsv-cube")
    vibrant = label_probabilities(data.rgb, M1)["vibrant"].double()
    grid = vibrant.reshape(36, 10, 10)
    assert grid[:, -1, -1].tolist() == pytest.approx([0.5] * 36)
    grid[:, -1, -1] = 0
    assert float(grid.max()) == pytest.approx(0.5 * (8 / 9) ** 100, rel=1e-3)  # about 3.8e-6


def test_desaturated_probability():
    specs = parse_labels({"desaturated": 0.5})
    p = label_probabilities(hsv((0, 0, 0.5), (0, 1, 1), (0, 0.5, 1)), specs)["desaturated"]
    assert p.tolist() == pytest.approx([0.5, 0.0, 0.5 * 0.5**10])


def test_expected_rates_under_the_cube_bias():
    data = make_dataset("hsv-cube")
    bias = data.bias.double()
    probabilities = label_probabilities(data.rgb.double(), M1)
    rates = {name: float((bias * p).sum() / bias.sum()) for name, p in probabilities.items()}
    assert rates["red"] == pytest.approx(0.00242, abs=5e-6)
    # 36 vibrant cells of weight 1 with p = 0.5; the S or V = 8/9 cells add about 1e-5 relative.
    assert rates["vibrant"] == pytest.approx(18 / 930, rel=5e-5)
    assert rates["vibrant"] == pytest.approx(0.01936, abs=5e-6)


def test_probabilities_keep_shape_dtype_and_order():
    rgb = torch.rand(7, 3, dtype=torch.float64)
    probabilities = label_probabilities(rgb, parse_labels({"vibrant": 0.5, "desaturated": 0.5, "red": 1}))
    assert list(probabilities) == ["vibrant", "desaturated", "red"]
    assert all(p.shape == (7,) and p.dtype == torch.float64 for p in probabilities.values())
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        label_probabilities(torch.tensor([[2.0, 0, 0]]), M1)


# --- drawing ----------------------------------------------------------------------------------


def test_hard_labels_on_pure_red_are_half():
    n = 200_000
    p = label_probabilities(torch.tensor([[1.0, 0.0, 0.0]]).expand(n, 3), M1)
    labels = draw_labels(p, generator=torch.Generator().manual_seed(0))
    assert set(labels["red"].unique().tolist()) == {0.0, 1.0}
    assert labels["red"].dtype == torch.float32 and labels["red"].shape == (n,)
    # Standard error is 0.0011; 0.005 is a 4.5 sigma band.
    assert float(labels["red"].mean()) == pytest.approx(0.5, abs=0.005)
    assert float(labels["vibrant"].mean()) == pytest.approx(0.5, abs=0.005)
    # Independent draws per label: both fire together a quarter of the time.
    both = labels["red"] * labels["vibrant"]
    assert float(both.mean()) == pytest.approx(0.25, abs=0.005)


def test_hard_labels_respect_certain_events():
    p = {"never": torch.zeros(1000), "always": torch.ones(1000)}
    labels = draw_labels(p, generator=torch.Generator().manual_seed(3))
    assert float(labels["never"].sum()) == 0 and float(labels["always"].sum()) == 1000


def test_draws_are_reproducible_with_a_seeded_generator():
    p = label_probabilities(make_dataset("hsv-cube").rgb, M1)
    first = draw_labels(p, generator=torch.Generator().manual_seed(42))
    again = draw_labels(p, generator=torch.Generator().manual_seed(42))
    other = draw_labels(p, generator=torch.Generator().manual_seed(43))
    assert all(torch.equal(first[k], again[k]) for k in p)
    assert not torch.equal(first["vibrant"], other["vibrant"])


def test_soft_labels_are_the_probabilities():
    p = label_probabilities(make_dataset("primaries-6").rgb, M1)
    soft = draw_labels(p, soft=True)
    assert list(soft) == ["red", "vibrant"]
    assert all(soft[k] is p[k] for k in p)
    assert soft["red"].tolist() == pytest.approx([0.5, 0.5**11, 0, 0, 0, 0.5**11])


def test_draw_edge_cases():
    assert draw_labels({}) == {}
    with pytest.raises(ValueError, match="same shape"):
        draw_labels({"a": torch.zeros(3), "b": torch.zeros(4)})
