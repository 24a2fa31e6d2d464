"""After any use of the intervention API, including one that raised, the model holds no hooks."""

from __future__ import annotations

import pytest
import torch

from colorlatent import AnchoredAutoencoder, AxisAlignedSuppression, Suppression, intervene, patch
from colorlatent.interventions import BoundedFalloff

RGB = torch.rand(16, 3, generator=torch.Generator().manual_seed(0))


def hooks(model: torch.nn.Module) -> int:
    """Every hook torch keeps on any submodule (forward, pre-forward, backward)."""
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._backward_hooks) for m in model.modules())


def good():
    return Suppression([1.0, 0.0, 0.0, 0.0], BoundedFalloff(0.0, 1.0, power=2))


def out_of_range():
    return AxisAlignedSuppression([0, 7])  # a 4-D model has dims 0..3


def wrong_width():
    return Suppression([1.0, 0.0, 0.0], BoundedFalloff(0.0, 1.0))


def with_intervene(model, *ivs):
    with intervene(model, *ivs):
        model(RGB)
        raise RuntimeError("body failed")


def with_patch_block(model, *ivs):
    with patch(model, *ivs):
        model(RGB)
        raise RuntimeError("body failed")


def with_patch_remove(model, *ivs):
    handle = patch(model, *ivs)
    try:
        model(RGB)
        raise RuntimeError("body failed")
    finally:
        handle.remove()


@pytest.mark.parametrize("use", [with_intervene, with_patch_block, with_patch_remove])
@pytest.mark.parametrize(("interventions", "error", "message"), [
    ((good,), RuntimeError, "body failed"),
    ((good, out_of_range), ValueError,
     r"AxisAlignedSuppression: dims \[0, 7\] out of range for latents of width 4 at 'bottleneck'"),
    ((wrong_width, good), ValueError, r"the concept has 3 dims but the latents at 'bottleneck' have 4"),
])
def test_no_hooks_are_left_after_a_use_that_raised(use, interventions, error, message):
    model = AnchoredAutoencoder(normalize=True).eval()
    with torch.no_grad():
        before = model(RGB)
        with pytest.raises(error, match=message):
            use(model, *(make() for make in interventions))
        assert hooks(model) == 0
        assert torch.equal(model(RGB), before)  # the plain model again


def test_a_patch_that_fails_to_register_leaves_nothing_behind():
    model = AnchoredAutoencoder().eval()
    with pytest.raises(TypeError, match="patch\\(\\) takes Intervention objects, got str"):
        patch(model, good(), "not an intervention")
    assert hooks(model) == 0
