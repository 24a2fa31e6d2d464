"""AntiAnchor and the anti-subspace against hand-computed values (m2-spec §8, test_anchor_variants)."""

import torch

from colorlatent.regularizers import AngularAnchor, AntiAnchor, AxisAlignedSubspace, build_regularizer

Z = torch.tensor([[0.0, 1.0], [0.0, -1.0], [1.0, 0.0]])


def test_angular_anchor_variants():
    z = torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]])
    torch.testing.assert_close(AngularAnchor(point=[1.0, 0.0]).loss(z), torch.tensor([0.0, 2.0, 1.0]))


def test_anti_anchor_hemi_penalizes_only_the_points_hemisphere():
    torch.testing.assert_close(AntiAnchor(point=[0.0, 1.0]).loss(Z), torch.tensor([1.0, 0.0, 0.0]))
    # scale-free: a latent at 45 deg and length 3 pays cos 45 deg
    torch.testing.assert_close(AntiAnchor(point=[0.0, 1.0]).loss(torch.tensor([[3.0, 3.0]])),
                               torch.tensor([0.5 ** 0.5]))


def test_anti_anchor_full_sphere():
    torch.testing.assert_close(AntiAnchor(point=[0.0, 1.0], hemi=False).loss(Z), torch.tensor([1.0, 0.0, 0.5]))


def test_anti_anchor_and_anti_subspace_from_config():
    reg = build_regularizer({"kind": "anti-anchor", "name": "anti-anchor", "point": [-1, 0, 0, 0, 0], "hemi": True})
    z = torch.tensor([[-1.0, 0.0, 0.0, 0.0, 0.0], [0.6, 0.8, 0.0, 0.0, 0.0]])
    torch.testing.assert_close(reg.loss(z), torch.tensor([1.0, 0.0]))
    anti_subspace = build_regularizer({"kind": "subspace", "name": "anti-subspace", "dims": [0], "invert": True})
    torch.testing.assert_close(anti_subspace.loss(z), torch.tensor([1.0, 0.36]))
