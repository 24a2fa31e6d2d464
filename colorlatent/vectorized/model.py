"""S bottleneck autoencoders of one architecture as a single module with stacked weights."""

from __future__ import annotations

import copy
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from ..model import BottleneckAutoencoder, L2Normalize
from .ops import stacked_linear, stacked_pointwise

# Layers without parameters that act on each sample alone, so one instance serves every model.
_SHARED_LAYERS = (nn.GELU, nn.ReLU, nn.Sigmoid, nn.Identity, L2Normalize)


class StackedLinear(nn.Module):
    """S independent `nn.Linear` layers of one shape: weight [S, out, in], bias [S, out].

    Args:
        layers: The layers to stack, in seed order; their weights are copied.
    """

    def __init__(self, layers: Sequence[nn.Linear]):
        super().__init__()
        shapes = {tuple(layer.weight.shape) for layer in layers}
        if len(shapes) != 1 or any(layer.bias is None for layer in layers):
            raise ValueError(f"can only stack linear layers of one shape, all with a bias; got shapes {sorted(shapes)}")
        self.weight = nn.Parameter(torch.stack([layer.weight.detach() for layer in layers]).clone())
        self.bias = nn.Parameter(torch.stack([layer.bias.detach() for layer in layers]).clone())

    def forward(self, x: Tensor) -> Tensor:
        return stacked_linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        stack, out_features, in_features = self.weight.shape
        return f"stack={stack}, in_features={in_features}, out_features={out_features}"


def _stack_layers(sequences: Sequence[nn.Module]) -> nn.Module:
    """One stacked `nn.Sequential` from S sequentials of identical structure (same indices, so
    the stacked state dict has the single model's keys)."""
    first = sequences[0]
    if not isinstance(first, nn.Sequential):
        return _shared(first)
    if any(not isinstance(seq, nn.Sequential) or len(seq) != len(first) for seq in sequences):
        raise ValueError("cannot stack models whose layer lists differ in length")
    layers = []
    for index, layer in enumerate(first):
        column = [seq[index] for seq in sequences]
        if isinstance(layer, nn.Linear):
            layers.append(StackedLinear(column))
        else:
            if any(type(other) is not type(layer) for other in column):
                raise ValueError(f"cannot stack models with different layers at index {index}: "
                                 f"{sorted({type(o).__name__ for o in column})}")
            layers.append(_shared(layer))
    return nn.Sequential(*layers)


class StackedPointwise(nn.Module):
    """A parameter-free layer that acts on each sample alone, applied to all models of a stack
    (see `stacked_pointwise`: batched where that rounds as the single model does).

    Args:
        layer: The layer, e.g. `nn.GELU()`; it is copied.
    """

    def __init__(self, layer: nn.Module):
        super().__init__()
        self.layer = copy.deepcopy(layer)

    def forward(self, x: Tensor) -> Tensor:
        return stacked_pointwise(self.layer, x)


def _shared(layer: nn.Module) -> nn.Module:
    if not isinstance(layer, _SHARED_LAYERS):
        allowed = ["Linear", *(cls.__name__ for cls in _SHARED_LAYERS)]
        raise ValueError(f"cannot stack a model containing {type(layer).__name__}; stackable layers: {allowed}")
    return nn.Identity() if isinstance(layer, nn.Identity) else StackedPointwise(layer)


class StackedAutoencoder(nn.Module):
    """S `BottleneckAutoencoder`s as one model: inputs and outputs gain a leading seed dim.

    The submodules mirror the single model's (`encoder`, `bottleneck`, `decoder`, same layer
    indices), so `state_dict()` has the single model's keys with a leading [S] dim on every
    tensor, and `seed_state_dict(s)` is exactly what `BottleneckAutoencoder.load_state_dict` takes.

    Args:
        models: The models to stack, in seed order (same architecture); their weights are copied.
    """

    def __init__(self, models: Sequence[BottleneckAutoencoder]):
        super().__init__()
        if not models:
            raise ValueError("StackedAutoencoder needs at least one model")
        sigmoids = {m.sigmoid for m in models}
        if len(sigmoids) != 1:
            raise ValueError("cannot stack models with and without an output sigmoid")
        self.size = len(models)
        self.sigmoid = sigmoids.pop()
        self.encoder = _stack_layers([m.encoder for m in models])
        self.bottleneck = _stack_layers([m.bottleneck for m in models])
        self.decoder = _stack_layers([m.decoder for m in models])

    def encode(self, rgb: Tensor) -> Tensor:
        """[S, B, 3] -> latents [S, B, latent] (after normalization when it is on)."""
        return self.bottleneck(self.encoder(rgb))

    def decode(self, z: Tensor) -> Tensor:
        """[S, B, latent] -> RGB [S, B, 3]; clamped to [0, 1] in eval mode without a sigmoid."""
        rgb = self.decoder(z)
        if not self.sigmoid and not self.training:
            rgb = rgb.clamp(0.0, 1.0)
        return rgb

    def forward(self, rgb: Tensor) -> Tensor:
        return self.decode(self.encode(rgb))

    def seed_state_dict(self, index: int) -> dict[str, Tensor]:
        """The weights of model `index` (position in the stack), keyed as in `BottleneckAutoencoder`."""
        return {key: value[index].clone() for key, value in self.state_dict().items()}
