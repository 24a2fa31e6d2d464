"""Each regularizer's per-sample loss against hand-computed values."""

import math

import pytest
import torch

from colorlatent.regularizers import (
    Anchor, AngularAnchor, AngularSeparation, AxisAlignedSubspace, EuclideanRepulsion, Planarity, Unitarity,
)


def test_unitarity():
    z = torch.tensor([[3.0, 4.0], [0.6, 0.8], [0.0, 0.0]])
    torch.testing.assert_close(Unitarity().loss(z), torch.tensor([16.0, 0.0, 1.0]))


def test_planarity_sums_squares_outside_dims_0_and_1():
    z = torch.tensor([[1.0, 2.0, 3.0, 4.0]])
    torch.testing.assert_close(Planarity().loss(z), torch.tensor([25.0]))
    torch.testing.assert_close(Planarity().loss(z[:, :2]), torch.tensor([0.0]))


def test_subspace_variants():
    z = torch.tensor([[1.0, 2.0, 3.0, 4.0, 5.0]])
    torch.testing.assert_close(AxisAlignedSubspace(dims=[0, 1]).loss(z), torch.tensor([50.0]))
    torch.testing.assert_close(AxisAlignedSubspace(dims=[0, 1], reduction="mean").loss(z), torch.tensor([50.0 / 3]))
    torch.testing.assert_close(AxisAlignedSubspace(dims=[0], invert=True).loss(z), torch.tensor([1.0]))
    torch.testing.assert_close(AxisAlignedSubspace(dims=[2, 3, 4]).loss(z), torch.tensor([5.0]))


def test_subspace_rejects_bad_dims():
    with pytest.raises(ValueError, match="dims"):
        AxisAlignedSubspace(dims=[1, 1])
    with pytest.raises(ValueError, match="dims"):
        AxisAlignedSubspace(dims=[])


def test_euclidean_anchor():
    anchor = Anchor(point=[1.0, 0.0, 0.0, 0.0])
    z = torch.tensor([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [-1.0, 0.0, 0.0, 0.0]])
    torch.testing.assert_close(anchor.loss(z), torch.tensor([0.0, 2.0, 4.0]))


def test_angular_anchor_aligned_opposite_orthogonal():
    anchor = AngularAnchor(point=[1.0, 0.0, 0.0])
    z = torch.tensor([[2.0, 0.0, 0.0], [-3.0, 0.0, 0.0], [0.0, 0.5, 0.0]])
    torch.testing.assert_close(anchor.loss(z), torch.tensor([0.0, 2.0, 1.0]), atol=1e-6, rtol=0)


def test_anchor_rejects_wrong_length():
    with pytest.raises(ValueError, match="point has 4 dims but the latent has 3"):
        Anchor(point=[1.0, 0.0, 0.0, 0.0]).loss(torch.zeros(2, 3))


def test_angular_separation_power_and_self_removal():
    # a at 0 deg, b at 60 deg (cos 0.5), c orthogonal to a (cos with b = cos 30 deg)
    a, b, c = [1.0, 0.0], [0.5, math.sqrt(3) / 2], [0.0, 2.0]
    z = torch.tensor([a, b, c])
    cos_bc = math.sqrt(3) / 2
    expected = torch.tensor([0.5**2, 0.5**2 + cos_bc**2, cos_bc**2])
    torch.testing.assert_close(AngularSeparation(power=2).loss(z), expected)


def test_angular_separation_even_power_repels_antiparallel_and_ignores_duplicates():
    z = torch.tensor([[1.0, 0.0], [-1.0, 0.0], [1.0, 0.0]])  # the third duplicates the first
    loss = AngularSeparation(power=10).loss(z)
    # duplicate pair zeroed like the diagonal; antiparallel pairs count (-1)^10 = 1
    torch.testing.assert_close(loss, torch.tensor([1.0, 2.0, 1.0]))


def test_angular_separation_shift_applies_after_zeroing():
    z = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    # zeroed diagonal becomes (0+1)/2 = 0.5; orthogonal pair becomes 0.5 as well
    torch.testing.assert_close(AngularSeparation(power=1, shift=True).loss(z), torch.tensor([1.0, 1.0]))


def test_euclidean_repulsion_keeps_the_reference_diagonal_offset():
    z = torch.tensor([[0.0, 0.0, 9.0], [1.0, 0.0, 9.0]])
    expected = (2 * 1e6 + 2 / (1 + 1e-6)) / 4
    torch.testing.assert_close(EuclideanRepulsion().loss(z), torch.tensor(expected))
