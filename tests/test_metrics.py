import math

import torch

from colorlatent.metrics import anchor_cos, hue_order, norm_deviation, planarity_rms


def circle(n, turns=1.0, offset=0.0):
    angles = torch.arange(n) * 2 * math.pi * turns / n + offset
    return torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)


def test_hue_order_is_one_for_a_wheel_in_either_direction():
    assert hue_order(circle(12)).item() == 1.0
    assert hue_order(circle(12).flip(0)).item() == 1.0
    assert hue_order(circle(12, offset=2.0)).item() == 1.0


def test_hue_order_counts_steps_that_go_backwards():
    z = circle(12)
    z[[3, 4]] = z[[4, 3]]  # swap two neighbours: the step between them (1 of 12) now turns the other way
    assert abs(hue_order(z).item() - 11 / 12) < 1e-6


def test_hue_order_uses_the_given_plane():
    z = torch.zeros(12, 4)
    z[:, 2:] = circle(12)
    assert hue_order(z, plane=(2, 3)).item() == 1.0


def test_planarity_rms():
    z = torch.tensor([[1.0, 0.0, 3.0, 4.0], [0.0, 1.0, 0.0, 0.0]])
    assert abs(planarity_rms(z).item() - math.sqrt(25 / 2)) < 1e-6
    assert planarity_rms(z[:, :2]).item() == 0.0


def test_anchor_cos_and_norm_deviation():
    assert abs(anchor_cos(torch.tensor([2.0, 2.0, 0.0, 0.0]), torch.tensor([1.0, 0, 0, 0])).item() - 2**-0.5) < 1e-6
    assert abs(norm_deviation(torch.tensor([[3.0, 4.0], [0.5, 0.0]])).item() - 2.25) < 1e-6
