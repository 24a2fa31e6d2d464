"""intervene / patch: what the hooked model computes, and that hooks never leak."""

import pytest
import torch

from colorlatent import AnchoredAutoencoder, AxisAlignedSuppression, BottleneckAutoencoder, Repulsion, Suppression
from colorlatent import intervene, patch
from colorlatent.interventions import BoundedFalloff, LinearMapper, capture, hook_point



@pytest.fixture
def model():
    torch.manual_seed(0)
    return AnchoredAutoencoder(normalize=True, sigmoid=False).eval()


@pytest.fixture
def rgb():
    torch.manual_seed(1)
    return torch.rand(32, 3)


@pytest.fixture
def concept(model, rgb):
    """The mean latent direction: about half the colors align with it more than the median."""
    with torch.no_grad():
        return torch.nn.functional.normalize(model.encode(rgb).mean(0), dim=0)


def hooks_left(model) -> int:
    return sum(len(hook_point(model, layer)._forward_hooks) for layer in ("encoder", "bottleneck"))


def suppress(concept=(1.0, 0.0, 0.0, 0.0)):
    return Suppression(concept, BoundedFalloff(0.0, 1.0, power=0))


def test_hooked_model_decodes_the_intervened_latent_and_is_clean_afterwards(model, rgb, concept):
    with torch.no_grad():
        plain = model(rgb)
        z = model.encode(rgb)
        expected = model.decode(suppress(concept)(z))
        with intervene(model, suppress(concept)) as handle:
            hooked = model(rgb)
        assert not handle.active
        after = model(rgb)
    assert torch.equal(hooked, expected)
    assert not torch.equal(hooked, plain)
    assert torch.equal(after, plain) and hooks_left(model) == 0


def test_exceptions_in_the_body_or_the_hook_leave_no_hooks(model, rgb):
    with pytest.raises(RuntimeError, match="boom"):
        with intervene(model, suppress()):
            raise RuntimeError("boom")
    assert hooks_left(model) == 0
    wrong_width = Suppression([1.0, 0.0, 0.0], BoundedFalloff(0, 1))
    with pytest.raises(ValueError, match="the concept has 3 dims but the latents at 'bottleneck' have 4"):
        with intervene(model, wrong_width):
            model(rgb)
    assert hooks_left(model) == 0


def test_nested_contexts_chain_and_unwind_in_order(model, rgb, concept):
    outer, inner = suppress(concept), Repulsion([0.0, 1.0, 0.0, 0.0], LinearMapper(0.0, 0.5))
    with torch.no_grad():
        z = model.encode(rgb)
        with intervene(model, outer):
            with intervene(model, inner):
                both = model(rgb)
                assert hooks_left(model) == 2
            only_outer = model(rgb)
            assert hooks_left(model) == 1
        plain = model(rgb)
    torch.testing.assert_close(both, model.decode(inner(outer(z))), rtol=0, atol=0)
    torch.testing.assert_close(only_outer, model.decode(outer(z)), rtol=0, atol=0)
    assert torch.equal(plain, model.decode(z)) and hooks_left(model) == 0


def test_other_hooks_are_left_alone(model, rgb):
    seen = []
    mine = model.model.bottleneck.register_forward_hook(lambda m, i, o: seen.append(o.shape))
    with intervene(model, suppress()):
        model(rgb)
    model(rgb)
    assert len(seen) == 2 and len(model.model.bottleneck._forward_hooks) == 1
    mine.remove()


def test_patch_returns_a_removable_handle(model, rgb):
    handle = patch(model, suppress())
    assert handle.active and hooks_left(model) == 1
    assert repr(handle) == ("PatchHandle(active: Suppression([1, 0, 0, 0], BoundedFalloff(a=0, b=1, power=0), "
                            "layer='bottleneck'))")
    handle.remove()
    handle.remove()  # idempotent
    assert not handle.active and hooks_left(model) == 0 and repr(handle).startswith("PatchHandle(removed")
    with patch(model, suppress()):
        assert hooks_left(model) == 1
    assert hooks_left(model) == 0
    with pytest.raises(TypeError, match="patch\\(\\) takes Intervention objects, got dict"):
        patch(model, {"kind": "suppression"})


def test_masks_limit_the_intervention_to_some_samples(model, rgb, concept):
    with torch.no_grad():
        z = model.encode(rgb)
        full = model.decode(suppress(concept)(z))
        plain = model.decode(z)
        mask = torch.arange(len(rgb)) % 2 == 0
        with intervene(model, suppress(concept), mask=mask):
            masked = model(rgb)
        cut = (z @ concept).median()
        with intervene(model, suppress(concept), mask=lambda h: h @ concept > cut):  # "only near the concept"
            near = model(rgb)
    assert torch.equal(masked[mask], full[mask]) and torch.equal(masked[~mask], plain[~mask])
    close = z @ concept > cut
    # torch.median of 32 values is the lower middle one, so 16 lie above it
    assert close.sum() == 16 and not torch.equal(full[close], plain[close])
    assert torch.equal(near[close], full[close]) and torch.equal(near[~close], plain[~close])
    with pytest.raises(ValueError, match=r"mask has shape \[3\] but the batch at the hook point has shape \[32\]"):
        with intervene(model, suppress(), mask=torch.ones(3, dtype=torch.bool)):
            model(rgb)
    assert hooks_left(model) == 0


def test_encoder_hook_is_renormalized_by_the_model(model, rgb):
    # zeroing dim 0 before the L2 norm = ablating the dim's weights: unit latents with z_0 = 0
    with torch.no_grad(), intervene(model, AxisAlignedSuppression([0], layer="encoder")), capture(model) as seen:
        model(rgb)
    z = seen[0]
    assert torch.equal(z[:, 0], torch.zeros(len(rgb)))
    torch.testing.assert_close(z.norm(dim=1), torch.ones(len(rgb)))


def test_plain_bottleneck_autoencoder_works_too(rgb):
    torch.manual_seed(0)
    net = BottleneckAutoencoder(normalize=True, sigmoid=False).eval()
    with torch.no_grad(), intervene(net, suppress()):
        out = net(rgb)
    with torch.no_grad():
        assert torch.equal(out, net.decode(suppress()(net.encode(rgb))))
    assert len(net.bottleneck._forward_hooks) == 0


def test_device_and_dtype_round_trip(model, rgb, concept):
    intervention = suppress(concept)
    with torch.no_grad():
        with intervene(model, intervention):
            single = model(rgb)
        model.double()
        with intervene(model, intervention):
            double = model(rgb.double())
        model.to("meta")
        net = model.model
        with intervene(model, intervention):
            # through the hooked submodules (the model's input check needs real values)
            meta = net.decoder(net.bottleneck(net.encoder(rgb.to("meta"))))
    assert double.dtype == torch.float64
    torch.testing.assert_close(double.float(), single, atol=1e-6, rtol=0)
    assert intervention.concept.is_meta  # moved to the model's device by patch
    assert meta.is_meta and meta.shape == (32, 3)
