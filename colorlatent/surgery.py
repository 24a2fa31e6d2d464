"""Surgery: permanently delete latent dimensions by editing weights (m2-spec §4).

The latent dims are written by the encoder's last Linear (the *producer*: row d of its weight
and entry d of its bias make coordinate d) and read by the decoder's first Linear (the
*consumer*: column d of its weight). Deleting a dim means removing both:

- `ablate` zeroes them, keeping every shape;
- `prune` removes them, shrinking the bottleneck to `latent_dim - len(dims)`.

The L2 normalization between producer and consumer (when the model has one) then rescales the
surviving coordinates to unit length, so ablation and pruning compute the same function. Both
return a deep copy and never touch the model they were given.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import TypeVar

import torch
from torch import nn

from .model import BottleneckAutoencoder
from .module import AnchoredAutoencoder

M = TypeVar("M", AnchoredAutoencoder, BottleneckAutoencoder)


def _autoencoder(model: nn.Module) -> BottleneckAutoencoder:
    if isinstance(model, AnchoredAutoencoder):
        return model.model
    if isinstance(model, BottleneckAutoencoder):
        return model
    raise TypeError(f"surgery needs an AnchoredAutoencoder or a BottleneckAutoencoder, got {type(model).__name__}")


def _check_dims(dims: Iterable[int], latent_dim: int) -> list[int]:
    """The dims as a sorted list; ValueError for empty, duplicated, non-integer or out-of-range ones."""
    if isinstance(dims, int):
        dims = [dims]
    dims = list(dims)
    if not dims:
        raise ValueError(f"dims must name at least one latent dim in 0..{latent_dim - 1}; got an empty set")
    if not all(isinstance(d, int) and not isinstance(d, bool) for d in dims):
        raise ValueError(f"dims must be integers in 0..{latent_dim - 1}; got {dims}")
    duplicates = sorted({d for d in dims if dims.count(d) > 1})
    if duplicates:
        raise ValueError(f"dims must not repeat; got {dims} (duplicated: {duplicates})")
    bad = [d for d in dims if not 0 <= d < latent_dim]
    if bad:
        raise ValueError(f"dims {bad} are out of range; the latent has dims 0..{latent_dim - 1}")
    return sorted(dims)


def _producer_consumer(ae: BottleneckAutoencoder) -> tuple[nn.Linear, nn.Linear]:
    return ae.encoder[-1], ae.decoder[0]


def _edited(model: M, dims: Iterable[int], edit: Callable[[nn.Linear, nn.Linear, list[int]], None]) -> M:
    """A deep copy of `model` with `edit(producer, consumer, dims)` applied to it without grad,
    after checking `dims`; shapes are unchanged."""
    dims = _check_dims(dims, _autoencoder(model).latent_dim)
    new = copy.deepcopy(model)
    with torch.no_grad():
        edit(*_producer_consumer(_autoencoder(new)), dims)
    return new


def ablate(model: M, dims: Iterable[int]) -> M:
    """A copy of `model` with latent `dims` zeroed: producer rows and biases, consumer columns.

    The consumer's bias is kept: it does not depend on any latent coordinate.

    Args:
        model: An `AnchoredAutoencoder` or a `BottleneckAutoencoder`.
        dims: Latent dims to delete, e.g. [0] (one axis) or [0, 1] (a plane).

    Raises:
        ValueError: If `dims` is empty, repeats a dim or names one outside 0..latent_dim-1.
    """
    def zero(producer: nn.Linear, consumer: nn.Linear, dims: list[int]) -> None:
        producer.weight[dims, :] = 0.0
        producer.bias[dims] = 0.0
        consumer.weight[:, dims] = 0.0

    return _edited(model, dims, zero)


def prune(model: M, dims: Iterable[int]) -> M:
    """A copy of `model` with latent `dims` removed: the bottleneck shrinks by `len(dims)`.

    The copy's `latent_dim` (and, for an `AnchoredAutoencoder`, its `hparams.latent_dim`) is the
    new width. Regularizers tied to the old width (anchor points, dims) are left as they are:
    they only matter for training, which a pruned model is not meant for.

    Args:
        model: An `AnchoredAutoencoder` or a `BottleneckAutoencoder`.
        dims: Latent dims to delete, e.g. [0] or [0, 1].

    Raises:
        ValueError: If `dims` is empty, repeats a dim, names one outside 0..latent_dim-1, or
            would leave no dim at all.
    """
    latent_dim = _autoencoder(model).latent_dim
    dims = _check_dims(dims, latent_dim)
    keep = [d for d in range(latent_dim) if d not in dims]
    if not keep:
        raise ValueError(f"prune would remove all {latent_dim} latent dims (dims={dims}); keep at least one")
    new = copy.deepcopy(model)
    ae = _autoencoder(new)
    producer, consumer = _producer_consumer(ae)
    factory = {"dtype": producer.weight.dtype, "device": producer.weight.device}
    small_producer = nn.Linear(producer.in_features, len(keep), **factory)
    small_consumer = nn.Linear(len(keep), consumer.out_features, **factory)
    with torch.no_grad():
        small_producer.weight.copy_(producer.weight[keep, :])
        small_producer.bias.copy_(producer.bias[keep])
        small_consumer.weight.copy_(consumer.weight[:, keep])
        small_consumer.bias.copy_(consumer.bias)
    ae.encoder[-1] = small_producer
    ae.decoder[0] = small_consumer
    ae.latent_dim = len(keep)
    if isinstance(new, AnchoredAutoencoder):
        new.hparams.latent_dim = len(keep)
    return new


def redirect(model: M, dims: Iterable[int]) -> M:
    """A copy of `model` whose latent `dims` are mirrored: producer rows and biases negated.

    The deletion mode for fallback control (see `colorlatent.fallback`): a concept anchored on
    +e_d is sent to -e_d, which the anti-anchor keeps empty and the fallback term taught to
    decode to mid-gray; latents with no component on `dims` do not move. Shapes are unchanged.

    Args:
        model: An `AnchoredAutoencoder` or a `BottleneckAutoencoder`.
        dims: Latent dims to mirror, e.g. [0].

    Raises:
        ValueError: If `dims` is empty, repeats a dim or names one outside 0..latent_dim-1.
    """
    def mirror(producer: nn.Linear, consumer: nn.Linear, dims: list[int]) -> None:
        producer.weight[dims, :] *= -1.0
        producer.bias[dims] *= -1.0

    return _edited(model, dims, mirror)
