"""Surgery on tiny hand-made models: which weights change, ablate == prune, the original untouched."""

import pytest
import torch

from colorlatent import AnchoredAutoencoder, BottleneckAutoencoder, ablate, prune
from colorlatent.surgery import redirect


def _tiny(normalize: bool = True) -> BottleneckAutoencoder:
    """3 -> 2 -> 3 -> 2 -> 3 with every weight and bias set to a distinct hand-chosen value."""
    model = BottleneckAutoencoder(latent_dim=3, hidden=2, depth=1, normalize=normalize, sigmoid=False)
    with torch.no_grad():
        for i, p in enumerate(model.parameters()):
            p.copy_(torch.arange(1, p.numel() + 1, dtype=torch.float32).reshape(p.shape) * (0.1 + 0.01 * i))
    return model.eval()


def test_ablate_zeroes_producer_rows_bias_and_consumer_columns_only():
    model = _tiny()
    cut = ablate(model, [1])
    # producer: encoder[-1] is Linear(2 -> 3); row 1 and bias 1 become 0, rows 0 and 2 keep their values
    w, b = cut.encoder[-1].weight, cut.encoder[-1].bias
    assert torch.equal(w[1], torch.zeros(2)) and b[1] == 0.0
    assert torch.equal(w[[0, 2]], model.encoder[-1].weight[[0, 2]])
    assert torch.equal(b[[0, 2]], model.encoder[-1].bias[[0, 2]])
    # consumer: decoder[0] is Linear(3 -> 2); column 1 becomes 0, its bias is untouched
    wq = cut.decoder[0].weight
    assert torch.equal(wq[:, 1], torch.zeros(2))
    assert torch.equal(wq[:, [0, 2]], model.decoder[0].weight[:, [0, 2]])
    assert torch.equal(cut.decoder[0].bias, model.decoder[0].bias)
    # every other layer is bit-for-bit the same
    assert torch.equal(cut.encoder[0].weight, model.encoder[0].weight)
    assert torch.equal(cut.decoder[-1].weight, model.decoder[-1].weight)
    # hand-checked: first encoder weight starts at 0.1 * 1, producer row 1 was (0.36, 0.48)
    assert model.encoder[-1].weight[1].tolist() == pytest.approx([0.36, 0.48])


def test_ablated_latent_is_zero_on_the_deleted_dim_and_renormalized():
    cut = ablate(_tiny(), [0])
    z = cut.encode(torch.tensor([[0.2, 0.5, 0.9], [1.0, 0.0, 0.0]]))
    assert torch.equal(z[:, 0], torch.zeros(2))
    torch.testing.assert_close(z.norm(dim=-1), torch.ones(2))


def test_prune_shrinks_the_bottleneck_and_keeps_the_other_rows():
    model = _tiny()
    cut = prune(model, {0, 2})
    assert cut.latent_dim == 1
    assert cut.encoder[-1].weight.shape == (1, 2) and cut.decoder[0].weight.shape == (2, 1)
    assert torch.equal(cut.encoder[-1].weight[0], model.encoder[-1].weight[1])
    assert torch.equal(cut.decoder[0].weight[:, 0], model.decoder[0].weight[:, 1])
    assert cut(torch.rand(5, 3)).shape == (5, 3)


@pytest.mark.parametrize("dims", [[0], [1, 2], [2, 0]])
def test_ablate_and_prune_compute_the_same_function(dims):
    torch.manual_seed(0)
    model = BottleneckAutoencoder(latent_dim=5, hidden=16, depth=2, normalize=True, sigmoid=False).eval()
    rgb = torch.rand(200, 3)
    torch.testing.assert_close(ablate(model, dims)(rgb), prune(model, dims)(rgb), atol=1e-6, rtol=0)
    # and it is not the identity: deleting a dim changes the outputs
    assert not torch.allclose(ablate(model, dims)(rgb), model(rgb), atol=1e-4)


def test_original_is_untouched_and_lightning_modules_work():
    torch.manual_seed(1)
    module = AnchoredAutoencoder(latent_dim=5, depth=2, normalize=True, sigmoid=False).eval()
    before = {k: v.clone() for k, v in module.state_dict().items()}
    rgb = torch.rand(50, 3)
    out = module(rgb)
    ablated, pruned = ablate(module, [0]), prune(module, [0])
    assert isinstance(ablated, AnchoredAutoencoder) and isinstance(pruned, AnchoredAutoencoder)
    assert pruned.model.latent_dim == 4 and module.model.latent_dim == 5
    for k, v in module.state_dict().items():
        assert torch.equal(v, before[k]), k
    torch.testing.assert_close(module(rgb), out, atol=0, rtol=0)
    torch.testing.assert_close(ablated(rgb), pruned(rgb), atol=1e-6, rtol=0)


@pytest.mark.parametrize("dims, message", [
    ([], "empty"), ([3], "out of range"), ([-1], "out of range"), ([0, 0], "repeat"), ([0.5], "integers"),
])
def test_bad_dims_are_rejected(dims, message):
    with pytest.raises(ValueError, match=message):
        ablate(_tiny(), dims)
    with pytest.raises(ValueError, match=message):
        prune(_tiny(), dims)


def test_prune_refuses_to_remove_every_dim():
    with pytest.raises(ValueError, match="keep at least one"):
        prune(_tiny(), [0, 1, 2])


def test_redirect_mirrors_the_dims_and_keeps_the_rest():
    model = _tiny()
    mirrored = redirect(model, [0])
    assert torch.equal(mirrored.encoder[-1].weight[0], -model.encoder[-1].weight[0])
    assert mirrored.encoder[-1].bias[0] == -model.encoder[-1].bias[0]
    assert torch.equal(mirrored.encoder[-1].weight[1:], model.encoder[-1].weight[1:])
    assert torch.equal(mirrored.decoder[0].weight, model.decoder[0].weight)
    rgb = torch.tensor([[0.2, 0.5, 0.9]])
    z, z_mirrored = model.encode(rgb), mirrored.encode(rgb)
    torch.testing.assert_close(z_mirrored, z * torch.tensor([-1.0, 1.0, 1.0]))
