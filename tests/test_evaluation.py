"""Evaluation: similarity, per-color errors, selectivity, validation terms, Pareto selection."""

import math

import pytest
import torch

from colorlatent import AnchoredAutoencoder, AxisAlignedSuppression
from colorlatent.color import named_colors, rgb_to_hsv
from colorlatent.data.labels import exact_labels, parse_labels
from colorlatent.evaluation import (
    RED_HSV, ErrorTable, color_errors, distribution, error_table, hsv_similarity, pareto_front, pearson_r,
    select_model, selectivity, validation_metrics,
)


def test_similarity_to_red_of_the_named_colors():
    named = named_colors()
    sim = dict(zip(named.names, hsv_similarity(named.hsv, RED_HSV).tolist()))
    expected = {"red": 1.0, "orange": 2 / 3, "pink": 2 / 3, "yellow": 1 / 3, "magenta": 1 / 3, "lime": 0.0,
                "cyan": 0.0, "blue": 0.0, "black": 0.0, "gray": 0.0, "white": 0.0}
    for name, value in expected.items():
        assert sim[name] == pytest.approx(value, abs=1e-6), name


def test_similarity_modes_and_grays():
    orange = torch.tensor([30 / 360, 1.0, 1.0])
    assert float(hsv_similarity(orange, RED_HSV, mode="cosine")) == pytest.approx(math.cos(math.radians(30)))
    cyan = torch.tensor([0.5, 1.0, 1.0])
    assert float(hsv_similarity(cyan, RED_HSV, hemi=False)) == pytest.approx(0.0)  # (180 - 180) / 180
    assert float(hsv_similarity(cyan, RED_HSV, hemi=False, mode="cosine")) == pytest.approx(0.0)
    azure = torch.tensor([210 / 360, 1.0, 1.0])
    assert float(hsv_similarity(azure, RED_HSV, hemi=False)) == pytest.approx(30 / 180)  # 150 deg apart
    # grays: hue is ignored (vibrancy 0), only saturation and value count
    black, dark = torch.tensor([0.0, 0.0, 0.0]), torch.tensor([0.3, 0.0, 0.25])
    assert float(hsv_similarity(dark, black)) == pytest.approx(0.75)
    assert float(hsv_similarity(torch.tensor([0.0, 0.0, 1.0]), black)) == pytest.approx(0.0)
    with pytest.raises(ValueError, match=r"mode='sine' is not allowed; allowed: \['angular', 'cosine'\]"):
        hsv_similarity(orange, RED_HSV, mode="sine")


def test_pearson_and_selectivity():
    assert math.isnan(pearson_r(torch.ones(3), torch.tensor([1.0, 2.0, 3.0])))
    named = named_colors()
    sim = hsv_similarity(rgb_to_hsv(named.rgb), RED_HSV)
    assert selectivity(0.3 * sim**2 + 0.01, named.rgb, power=2) == pytest.approx(1.0)
    assert selectivity(0.3 * sim**2 + 0.01, named.rgb, power=1) < 0.99


def test_pearson_value():
    x, y = torch.tensor([1.0, 2.0, 3.0]), torch.tensor([2.0, 4.0, 7.0])
    # centred x = (-1, 0, 1), y = (-7/3, -1/3, 8/3): sum xy = 5, sum x^2 = 2, sum y^2 = 114/9
    assert pearson_r(x, y) == pytest.approx(5 / math.sqrt(2 * 114 / 9))


@pytest.fixture
def model():
    torch.manual_seed(0)
    return AnchoredAutoencoder(normalize=True, sigmoid=False, regularizers=[
        {"kind": "angular-anchor", "name": "anchor", "point": [1.0, 0.0, 0.0, 0.0], "labels": {"red": 1.0}},
        {"kind": "unitarity", "name": "unit"},
    ])


def test_color_errors_use_eval_mode_and_restore_it(model):
    rgb = torch.tensor([[1.0, 0.0, 0.0], [0.2, 0.4, 0.6]])
    model.train()
    errors = color_errors(model, rgb)
    assert model.training
    with torch.no_grad():
        out = model.decode(model.encode(rgb)).clamp(0, 1)  # eval mode clamps a sigmoid-free output
    torch.testing.assert_close(errors, ((out - rgb) ** 2).mean(dim=1))


def test_error_table_flat_and_markdown(model):
    table = error_table(model, {"ablated": [AxisAlignedSuppression([0], layer="encoder")]})
    flat = table.flat()
    assert flat["delta/ablated/red"] == pytest.approx(flat["mse/ablated/red"] - flat["mse/baseline/red"])
    assert len(flat) == 17 * 3
    hand = ErrorTable(["red", "cyan"], torch.tensor([0.001, 0.002]), {"supp": torch.tensor([0.25, 0.002])})
    assert hand.markdown(decimals=3).splitlines() == [
        "| color | baseline | supp | Δ |", "|---|---|---|---|",
        "| red | 0.001 | 0.250 | +0.249 |", "| cyan | 0.002 | 0.002 | +0.000 |"]


def test_exact_validation_labels_and_terms(model):
    rgb = torch.tensor([[1.0, 0.0, 0.0], [1.0, 1 / 16, 1 / 16], [0.0, 1.0, 1.0]])
    specs = parse_labels({"red": {"power": 8, "scale": 0.08}, "vibrant": {"power": 10, "scale": 0.01}})
    labels = exact_labels(rgb, specs)
    assert labels["red"].tolist() == [1.0, 0.0, 0.0] and labels["vibrant"].tolist() == [1.0, 0.0, 1.0]
    metrics = validation_metrics(model, rgb, specs)
    with torch.no_grad():
        z_red = model.encode(rgb[:1])[0]
    assert metrics["val_anchor"] == pytest.approx(1 - float(z_red[0]), abs=1e-6)  # 1 - cos(z, e0), |z| = 1
    assert "val_unit" not in metrics  # unlabelled terms are training-only here
    assert metrics["val_recon"] == pytest.approx(float(color_errors(model, rgb).mean()))


def test_pareto_front_and_selection():
    rows = [
        {"seed": 0, "score": 0.95, "val_recon": 1e-5, "val_anchor": 0.002},
        {"seed": 1, "score": 0.99, "val_recon": 2e-5, "val_anchor": 0.001},  # best score
        {"seed": 2, "score": 0.90, "val_recon": 3e-5, "val_anchor": 0.003},  # dominated by 0 and 1
        {"seed": 3, "score": 0.99, "val_recon": 2e-5, "val_anchor": 0.004},  # ties 1 on score, worse anchor
        {"seed": 4, "score": 0.80, "val_recon": 5e-6, "val_anchor": 0.009},  # best recon
    ]
    front = pareto_front(rows, minimize=["val_recon", "val_anchor"], maximize=["score"])
    assert front == [0, 1, 4]
    assert select_model(rows, "score", ["val_recon", "val_anchor"]) == 1
    with pytest.raises(ValueError, match=r"row 0 has no column\(s\) \['val_loss'\]"):
        pareto_front(rows, minimize=["val_loss"])


def test_distribution_uses_the_sample_std():
    assert distribution([1.0, 2.0, 3.0]) == "2.0000 ± 1.0000 (min 1.0000, max 3.0000, n = 3)"
