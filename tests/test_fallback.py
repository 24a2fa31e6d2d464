"""FallbackControl: a decoder-only term, ||decoder(direction) - target||^2, added to the gradients."""

import pytest
import torch

from colorlatent import AnchoredAutoencoder
from colorlatent.fallback import FallbackControl


def test_term_value_and_it_reaches_only_the_decoder():
    torch.manual_seed(0)
    module = AnchoredAutoencoder(latent_dim=2, hidden=2, depth=1, normalize=True, sigmoid=False)
    decoder = module.model.decoder
    with torch.no_grad():  # decoder(z) = W2 gelu(W1 z + b1) + b2 with W1 = 0: output = W2 gelu(b1) + b2
        decoder[0].weight.zero_()
        decoder[0].bias.fill_(0.0)
        decoder[2].weight.zero_()
        decoder[2].bias.copy_(torch.tensor([1.0, 0.5, 0.0]))
    control = FallbackControl(direction=[-2.0, 0.0], target=[0.5, 0.5, 0.5], weight=2.0)
    # hand-computed: ((1 - .5)^2 + 0 + (0 - .5)^2) / 3
    assert float(control.loss(module).detach()) == pytest.approx(0.5 / 3)
    module.zero_grad()

    class _Trainer:
        global_step, log_every_n_steps = 1, 50

    control.on_after_backward(_Trainer(), module)
    # d/d b2 of 2 * mean((b2 - t)^2) = 2 * 2 (b2 - t) / 3
    torch.testing.assert_close(decoder[2].bias.grad, torch.tensor([4 * 0.5 / 3, 0.0, -4 * 0.5 / 3]))
    assert all(p.grad is None for p in module.model.encoder.parameters())


def test_bad_arguments():
    with pytest.raises(ValueError, match="RGB triple"):
        FallbackControl(target=[0.5, 0.5])
    with pytest.raises(ValueError, match="weight must be >= 0"):
        FallbackControl(weight=-1.0)
