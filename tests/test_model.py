import pytest
import torch

from colorlatent.model import BottleneckAutoencoder


def n_params(model):
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        (dict(latent_dim=2, activation="relu", normalize=True), 197),  # ex 1.2
        (dict(latent_dim=3), 230),  # ex 1.3
        (dict(latent_dim=4), 263),  # ex 1.5-1.8
        (dict(latent_dim=4, normalize=True, sigmoid=False), 263),  # ex 2.3+ (CNColorMLP(4))
        (dict(latent_dim=5, depth=2, normalize=True, sigmoid=False), 840),  # ex 2.9 (CNColorMLP(5, n_nonlinear=2))
    ],
)
def test_parameter_counts_match_the_spec(kwargs, expected):
    assert n_params(BottleneckAutoencoder(**kwargs)) == expected


def test_layer_structure_and_named_hook_points():
    model = BottleneckAutoencoder(latent_dim=4)
    kinds = [type(m).__name__ for m in model.encoder]
    assert kinds == ["Linear", "GELU", "Linear"]
    assert [type(m).__name__ for m in model.decoder] == ["Linear", "GELU", "Linear", "Sigmoid"]
    assert isinstance(model.bottleneck, torch.nn.Identity)
    assert model.encoder[-1].out_features == 4


def test_normalized_latents_lie_on_the_unit_sphere():
    model = BottleneckAutoencoder(latent_dim=3, normalize=True)
    z = model.encode(torch.rand(100, 3))
    torch.testing.assert_close(z.norm(dim=1), torch.ones(100))


def test_without_sigmoid_outputs_are_clamped_only_in_eval_mode():
    torch.manual_seed(0)
    model = BottleneckAutoencoder(latent_dim=4, sigmoid=False)
    with torch.no_grad():
        model.decoder[-1].bias.fill_(5.0)  # push outputs far above 1
        x = torch.rand(10, 3)
        assert model(x).max() > 1.0
        model.eval()
        assert model(x).max() <= 1.0


def test_forward_is_decode_of_encode():
    model = BottleneckAutoencoder()
    x = torch.rand(7, 3)
    torch.testing.assert_close(model(x), model.decode(model.encode(x)))


@pytest.mark.parametrize("kwargs, field", [(dict(activation="tanh"), "activation"), (dict(latent_dim=0), "latent_dim")])
def test_bad_configuration_names_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        BottleneckAutoencoder(**kwargs)
