"""The drift anchor (m1-spec §3.6): snapshot on an action, then MSE of the reference latents to it."""

import pytest
import torch
from torch import nn

from colorlatent import AnchoredAutoencoder
from colorlatent.regularizers import DriftAnchor, build_regularizer

# The six primaries and secondaries, in the order of the `primaries-6` color set.
PRIMARIES = torch.tensor([[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 1, 1], [0, 0, 1], [1, 0, 1]], dtype=torch.float32)


class LinearCode(nn.Module):
    """A stand-in autoencoder whose code is [r, g, b, 0] * scale + shift: latents known by hand."""

    latent_dim = 4

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(()))
        self.shift = nn.Parameter(torch.zeros(()))

    def encoder(self, rgb):
        return torch.cat([rgb, torch.zeros(len(rgb), 1)], dim=1) * self.scale + self.shift

    def bottleneck(self, code):
        return code

    def encode(self, rgb):
        return self.bottleneck(self.encoder(rgb))


def attached():
    model, reg = LinearCode(), DriftAnchor()
    reg.attach(model)
    return model, reg


def test_reference_is_the_six_primaries_and_the_term_is_zero_before_the_snapshot():
    model, reg = attached()
    torch.testing.assert_close(reg.reference, PRIMARIES)
    assert reg.z_ref.shape == (6, 4) and reg.schedule_actions == ("anchor",)
    model.scale.data.fill_(3.0)
    term = reg.term(torch.zeros(2, 4))
    assert term.item() == 0.0 and not term.requires_grad  # no pull before the snapshot
    assert torch.isnan(reg.drift()).all()


def test_term_is_the_mean_squared_drift_over_six_by_four_elements():
    model, reg = attached()
    reg.on_schedule_action("anchor", 12)
    assert reg.captured_at == 12
    torch.testing.assert_close(reg.z_ref, torch.cat([PRIMARIES, torch.zeros(6, 1)], dim=1))
    assert reg.term(torch.zeros(2, 4)).item() == 0.0
    # Doubling the code moves each color by its own RGB: squared lengths 1, 2, 1, 2, 1, 2 -> 9 / 24.
    model.scale.data.fill_(2.0)
    assert reg.term(torch.zeros(2, 4)).item() == pytest.approx(9 / 24)
    torch.testing.assert_close(reg.drift(), torch.tensor([1, 2, 1, 2, 1, 2], dtype=torch.float32).sqrt())
    # A shift of 0.1 on every element: (0.1)^2 everywhere, whatever the batch or its weights.
    model.scale.data.fill_(1.0)
    model.shift.data.fill_(0.1)
    term = reg.term(torch.randn(5, 4), {"red": torch.ones(5)}, torch.rand(5))
    assert term.item() == pytest.approx(0.01)


def test_gradient_flows_to_the_model_and_not_to_the_snapshot():
    model, reg = attached()
    reg.on_schedule_action("anchor", 0)
    model.scale.data.fill_(2.0)
    reg.term(torch.zeros(1, 4)).backward()
    # d/dscale mean((scale - 1)^2 x^2) = 2 (scale - 1) sum(x^2) / 24 = 2 * 9 / 24 at scale 2
    assert model.scale.grad.item() == pytest.approx(18 / 24)
    assert not reg.z_ref.requires_grad


def test_snapshot_and_step_are_in_the_state_dict():
    module = AnchoredAutoencoder(regularizers=[{"kind": "drift-anchor", "name": "reg-anchor"}])
    (reg,) = module.regularizers
    reg.on_schedule_action("anchor", 7)
    state = module.state_dict()
    assert "regularizers.0.z_ref" in state and "regularizers.0.reference" not in state  # derived from `colors`
    fresh = AnchoredAutoencoder(regularizers=[{"kind": "drift-anchor", "name": "reg-anchor"}])
    assert fresh.regularizers[0].captured_at is None
    fresh.load_state_dict(state)
    assert fresh.regularizers[0].captured_at == 7
    torch.testing.assert_close(fresh.regularizers[0].z_ref, module.encode(PRIMARIES).detach())


def test_encoder_layer_snapshots_the_code_before_normalization():
    module = AnchoredAutoencoder(normalize=True, regularizers=[
        {"kind": "drift-anchor", "name": "raw", "layer": "encoder"}, {"kind": "drift-anchor", "name": "unit"}])
    raw, unit = module.regularizers
    raw.on_schedule_action("anchor", 0)
    unit.on_schedule_action("anchor", 0)
    torch.testing.assert_close(raw.z_ref, module.model.encoder(PRIMARIES).detach())
    torch.testing.assert_close(unit.z_ref.norm(dim=1), torch.ones(6))


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="colors='no-such-set'"):
        DriftAnchor(colors="no-such-set")
    with pytest.raises(ValueError, match="unknown argument.*labels"):
        build_regularizer({"kind": "drift-anchor", "name": "a", "labels": {"red": 1.0}})
    with pytest.raises(TypeError, match="no per-sample loss"):
        DriftAnchor().loss(torch.zeros(2, 4))
    with pytest.raises(RuntimeError, match="not attached"):
        reg = DriftAnchor()
        reg.captured_at = 0
        reg.term(torch.zeros(2, 4))
