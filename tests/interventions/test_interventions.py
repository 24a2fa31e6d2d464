"""Suppression, repulsion and axis-aligned suppression on hand-built latents."""

import io
import math

import pytest
import torch

from colorlatent.interventions import (
    AxisAlignedSuppression, BoundedFalloff, FastBezierMapper, LinearMapper, Repulsion, Suppression,
    build_intervention,
)

S = math.sqrt(0.75)  # sin 60 deg: (0.5, S) has alignment 0.5 with (1, 0)


def test_suppression_at_alignment_one_half_and_zero():
    supp = Suppression([1.0, 0.0], BoundedFalloff(0.0, 1.0, power=1))  # gate g(alpha) = alpha
    h = torch.tensor([[1.0, 0.0], [0.5, S], [0.0, 1.0]])
    # alpha 1: h - 1 * 1 * v = 0; alpha 0.5: h - 0.5 * 0.5 * v = (0.25, S); alpha 0: unchanged
    torch.testing.assert_close(supp(h), torch.tensor([[0.0, 0.0], [0.25, S], [0.0, 1.0]]))
    torch.testing.assert_close(supp.strength(h), torch.tensor([1.0, 0.5, 0.0]))


def test_negative_alignment_passes_bit_for_bit():
    h = torch.tensor([[-0.6, 0.8], [-1.0, 0.0], [-0.1, -0.99]])
    for intervention in (Suppression([1.0, 0.0], BoundedFalloff(0.0, 1.0, 0)),
                         Repulsion([1.0, 0.0], LinearMapper(0.0, 0.5))):
        assert torch.equal(intervention(h), h)


def test_suppression_matches_the_closed_form():
    # m2-spec §8: with gate LinearMapper(0, 1) (= alpha), h' = h - max(0, h.v) (h.v) v
    torch.manual_seed(123)
    h = torch.nn.functional.normalize(torch.randn(8, 4), dim=1)
    v = torch.nn.functional.normalize(torch.randn(4), dim=0)
    p = h @ v
    expected = h - (p.clamp_min(0) * p)[:, None] * v
    torch.testing.assert_close(Suppression(v, LinearMapper(0.0, 1.0))(h), expected)


def test_suppression_normalizes_the_concept():
    h = torch.tensor([[0.5, S]])
    assert torch.equal(Suppression([2.0, 0.0], BoundedFalloff(0, 1, 2))(h), Suppression([1.0, 0.0], BoundedFalloff(0, 1, 2))(h))


def test_repulsion_rotates_to_the_mapped_alignment():
    rep = Repulsion([1.0, 0.0], LinearMapper(0.0, 0.5))  # m(alpha) = alpha / 2
    h = torch.tensor([[0.5, S], [1.0, 0.0], [0.0, 1.0]])
    out = rep(h)
    # alpha 0.5 -> 0.25, same side of the concept; the concept itself (no plane of rotation) goes
    # along the least-aligned axis (0, 1) to alignment 0.5; alpha 0 is left alone
    torch.testing.assert_close(out, torch.tensor([[0.25, math.sqrt(1 - 0.0625)], [0.5, S], [0.0, 1.0]]))
    torch.testing.assert_close(rep.annotate(h)["offset"], torch.tensor([0.25, 0.5, 0.0]))


def test_repulsion_keeps_unit_norm_and_hits_the_target():
    torch.manual_seed(123)
    v = torch.nn.functional.normalize(torch.randn(5), dim=0)
    h = torch.nn.functional.normalize(torch.randn(64, 5), dim=1)
    mapper = LinearMapper(0.2, 0.8)
    out = Repulsion(v, mapper)(h)
    torch.testing.assert_close(out.norm(dim=1), torch.ones(64))
    positive = h @ v > 0
    target = mapper((h @ v).clamp(0, 1))
    torch.testing.assert_close((out @ v)[positive], target[positive], atol=1e-5, rtol=0)
    assert torch.equal(out[~positive], h[~positive])


def test_axis_aligned_suppression_zeros_dims_without_renormalizing():
    axis = AxisAlignedSuppression([2, 0])
    h = torch.tensor([[1.0, 2.0, 3.0, 4.0]])
    assert torch.equal(axis(h), torch.tensor([[0.0, 2.0, 0.0, 4.0]]))
    torch.testing.assert_close(axis.dist(h), torch.tensor([math.sqrt(10.0)]))
    with pytest.raises(ValueError, match=r"dims \[0, 2\] out of range for latents of width 2"):
        axis(torch.zeros(1, 2))


def test_width_mismatch_and_bad_concepts_are_named():
    with pytest.raises(ValueError, match="the concept has 2 dims but the latents at 'bottleneck' have 4"):
        Suppression([1.0, 0.0], BoundedFalloff(0, 1))(torch.zeros(3, 4))
    with pytest.raises(ValueError, match="non-zero direction"):
        Repulsion([0.0, 0.0], LinearMapper(0, 0.5))
    with pytest.raises(ValueError, match=r"layer='decoder' is not a hook point; allowed: \['bottleneck', 'encoder'\]"):
        Suppression([1.0], BoundedFalloff(0, 1), layer="decoder")


def test_reprs_read_like_the_constructor():
    assert repr(Suppression([1, 0, 0, 0], BoundedFalloff(0, 1, 2))) == \
        "Suppression([1, 0, 0, 0], BoundedFalloff(a=0, b=1, power=2), layer='bottleneck')"
    assert repr(AxisAlignedSuppression([0], layer="encoder")) == "AxisAlignedSuppression(dims=[0], layer='encoder')"


def test_build_from_config_and_errors():
    rep = build_intervention({"kind": "repulsion", "concept": [1, 0], "mapper": {"kind": "fast-bezier", "a": 0, "b": 0.5}})
    assert isinstance(rep, Repulsion) and isinstance(rep.mapper, FastBezierMapper)
    with pytest.raises(ValueError, match=r"unknown intervention kind 'steer'; allowed: \['axis-aligned-suppression'"):
        build_intervention({"kind": "steer"})
    with pytest.raises(ValueError, match=r"unknown suppression falloff kind 'soft'; allowed: \['bezier'"):
        build_intervention({"kind": "suppression", "concept": [1], "falloff": {"kind": "soft"}})


def test_whole_module_save_load_and_state_dict():
    rep = Repulsion([0.0, 1.0, 0.0], FastBezierMapper(0.1, 0.6, lookup_resolution=200))
    assert {"concept", "mapper.a", "mapper.table_x"} <= set(rep.state_dict())
    buffer = io.BytesIO()
    torch.save(rep, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=False)
    h = torch.nn.functional.normalize(torch.randn(16, 3), dim=1)
    torch.testing.assert_close(loaded(h), rep(h))
    fresh = Repulsion([1.0, 0.0, 0.0], FastBezierMapper(0.0, 0.5, lookup_resolution=200))
    fresh.load_state_dict(rep.state_dict())
    torch.testing.assert_close(fresh(h), rep(h))
