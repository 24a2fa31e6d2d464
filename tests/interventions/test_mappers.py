"""Mappers and falloffs: exact values on hand-picked alignments, state and device handling."""

import io
import math

import pytest
import torch

from colorlatent.interventions import BezierMapper, BoundedFalloff, FastBezierMapper, LinearMapper, build_mapper

ALPHAS = torch.linspace(0, 1, 101)


def test_linear_mapper_values():
    m = LinearMapper(0.2, 0.6)
    out = m(torch.tensor([0.0, 0.1, 0.2, 0.6, 1.0]))
    # identity up to a; above, (a, 1] is squeezed linearly onto (a, b]: 0.2 + 0.4 * (0.6 - 0.2) / 0.8 = 0.4
    torch.testing.assert_close(out, torch.tensor([0.0, 0.1, 0.2, 0.4, 0.6]))
    assert (m(ALPHAS) <= ALPHAS + 1e-7).all()  # never increases an alignment


def test_bounded_falloff_values():
    g = BoundedFalloff(0.3, 0.8, power=2)
    out = g(torch.tensor([0.0, 0.3, 0.65, 1.0]))
    torch.testing.assert_close(out, torch.tensor([0.0, 0.0, 0.8 * 0.5**2, 0.8]))
    assert (g(ALPHAS)[ALPHAS <= 0.3] == 0).all()


def test_bounded_falloff_at_alignments_zero_half_one():
    g = BoundedFalloff(0.0, 1.0, power=1)  # gate = alignment
    torch.testing.assert_close(g(torch.tensor([0.0, 0.5, 1.0])), torch.tensor([0.0, 0.5, 1.0]))


def test_power_zero_is_a_hard_gate_and_threshold_one_is_identity():
    gate = BoundedFalloff(math.cos(math.radians(90)), 1.0, power=0)  # the redux suppression gate
    torch.testing.assert_close(gate(torch.tensor([0.0, 1e-3, 0.5, 1.0])), torch.tensor([0.0, 1.0, 1.0, 1.0]))
    identity = BoundedFalloff(1.0, 0.5)  # reference quirk: a ~ 1 returns alpha unchanged
    torch.testing.assert_close(identity(torch.tensor([0.2, 0.9])), torch.tensor([0.2, 0.9]))


@pytest.mark.parametrize("cls", [BezierMapper, FastBezierMapper])
def test_bezier_reference_values(cls):
    # m2-spec §2.2: a = 0, b = 0.5, default slopes (1 at the start, 0 at the end)
    m = cls(0.0, 0.5)
    torch.testing.assert_close(m.control, torch.tensor([[0.0, 0.0], [0.35355, 0.35355], [0.64645, 0.5], [1.0, 0.5]]),
                               atol=1e-5, rtol=0)
    out = m(torch.tensor([0.25, 0.5, 0.75, 0.9, 1.0]))
    torch.testing.assert_close(out, torch.tensor([0.2229, 0.3826, 0.4729, 0.4959, 0.5]), atol=1e-4, rtol=0)
    torch.testing.assert_close(cls(0.0, 0.5, end_slope=0.2)(torch.tensor([0.5])), torch.tensor([0.3476]),
                               atol=1e-4, rtol=0)
    shifted = cls(0.2, 0.7)
    torch.testing.assert_close(shifted(torch.tensor([0.1, 0.2, 0.5])), torch.tensor([0.1, 0.2, 0.4730]),
                               atol=1e-4, rtol=0)
    values = shifted(ALPHAS)
    assert (values[ALPHAS <= 0.2] == ALPHAS[ALPHAS <= 0.2]).all()  # identity up to a, exactly
    assert (values.diff() >= -1e-5).all() and values.min() >= 0 and values.max() <= 1


def test_exact_bezier_runs_under_inference_mode():
    with torch.inference_mode():  # the reference's autograd Newton step could not
        out = BezierMapper(0.0, 0.5)(torch.tensor([0.5]))
    torch.testing.assert_close(out, torch.tensor([0.3826]), atol=1e-4, rtol=0)


@pytest.mark.parametrize("bad, message", [
    (lambda: LinearMapper(0.5, 0.4), "a must be below b"),
    (lambda: LinearMapper(1.0, 1.0), r"a=1.0 is outside the allowed range \[0.0, 1.0\)"),
    (lambda: BoundedFalloff(0.0, 1.0, power=-1), r"power=-1 is outside"),
    (lambda: BezierMapper(0.0, 0.0), r"b=0.0 is outside the allowed range \(0.0, 1.0\]"),
    (lambda: FastBezierMapper(0.0, 0.5, lookup_resolution=1), "lookup_resolution must be an integer >= 2"),
    (lambda: build_mapper({"kind": "cubic", "a": 0}), r"unknown mapper kind 'cubic'; allowed: \['bezier'"),
    (lambda: build_mapper({"kind": "linear", "a": 0, "c": 1}), r"unknown argument\(s\) \['c'\]; allowed: \['a', 'b'\]"),
])
def test_bad_arguments_are_named(bad, message):
    with pytest.raises(ValueError, match=message):
        bad()


def test_save_load_and_state_dict_round_trip():
    for mapper in (LinearMapper(0.2, 0.6), BoundedFalloff(0.1, 0.9, 1.5), BezierMapper(0.1, 0.6),
                   FastBezierMapper(0.1, 0.6, end_slope=0.2)):
        buffer = io.BytesIO()
        torch.save(mapper, buffer)
        buffer.seek(0)
        loaded = torch.load(buffer, weights_only=False)
        torch.testing.assert_close(loaded(ALPHAS), mapper(ALPHAS))
    fast = FastBezierMapper(0.2, 0.7, lookup_resolution=500)
    fresh = FastBezierMapper(0.0, 0.5, lookup_resolution=500)
    fresh.load_state_dict(fast.state_dict())
    assert torch.equal(fresh.table_x, fast.table_x) and torch.equal(fresh.table_y, fast.table_y)
    torch.testing.assert_close(fresh(ALPHAS), fast(ALPHAS))
    assert repr(fresh) == "FastBezierMapper(a=0.2, b=0.7, start_slope=1, end_slope=0, lookup_resolution=500)"


def test_buffers_follow_dtype_and_device():
    m = FastBezierMapper(0.0, 0.5).to(torch.float64)
    assert m.table_x.dtype == torch.float64
    out = m(torch.tensor([0.5], dtype=torch.float64))
    assert out.dtype == torch.float64
    meta = FastBezierMapper(0.0, 0.5).to("meta")
    assert meta.table_x.is_meta and meta(torch.empty(7, device="meta")).shape == (7,)
