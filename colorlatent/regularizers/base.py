"""The common interface of every regularizer: a per-sample loss plus label-selective averaging."""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

Layer = Literal["bottleneck", "encoder"]
LAYERS = ("bottleneck", "encoder")


class Regularizer(nn.Module):
    """A loss term on latents that applies to all samples or only to labelled ones.

    Subclasses implement `loss(z)`, returning a per-sample loss `[B]` (or a scalar, broadcast
    to every sample). `term(z, labels)` reduces it to the scalar the objective adds, weighted by
    the scheduled weight of `name`.

    Args:
        name: The term's name: its log key (`train/<name>`) and the schedule column that weights it.
        labels: Label affinities `{label: strength}` selecting the samples the term applies to
            (a single label name means strength 1). None applies the term to every sample.
        layer: Which latent the term sees: `bottleneck` (after normalization, when the model
            normalizes) or `encoder` (the raw code before normalization).
    """

    def __init__(self, name: str, labels: dict[str, float] | str | None = None, layer: Layer = "bottleneck"):
        super().__init__()
        if not name:
            raise ValueError("a regularizer needs a non-empty name")
        if layer not in LAYERS:
            raise ValueError(f"regularizer {name!r}: layer={layer!r} is not allowed; allowed: {list(LAYERS)}")
        if isinstance(labels, str):
            labels = {labels: 1.0}
        self.name = name
        self.labels: dict[str, float] | None = dict(labels) if labels else None
        self.layer = layer

    def loss(self, z: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.loss(z)

    def attach(self, model: nn.Module) -> None:
        """Called once by the module that owns this term, with its autoencoder.

        Terms of the batch latents need nothing; a term that runs its own forward pass (the
        drift anchor encodes its reference colors every step) keeps the model here.
        """

    def term(self, z: torch.Tensor, labels: dict[str, torch.Tensor] | None = None,
             weights: torch.Tensor | None = None) -> torch.Tensor:
        """The scalar loss term for a batch.

        Unlabelled terms are the plain batch mean. Labelled terms are the affinity-weighted mean
        sum(a_i l_i) / (sum(a_i) + 1e-8) with a_i = clamp(sum_k strength_k label_k,i, 0, 1): with
        hard labels this is the mean over the labelled samples, and exactly 0 (zero gradient, no
        host sync needed to skip it) when the batch has none.

        `weights` ([B], optional) are per-sample weights w_i multiplied into every per-sample
        loss before that reduction: the unlabelled term becomes (1/B) sum(w_i l_i) (experiment
        1.6's weighting). A loss that is a scalar for the whole batch is returned as is.
        """
        per_sample = self.loss(z)
        if weights is not None:
            if per_sample.ndim == 0:
                return per_sample
            per_sample = per_sample * weights
        if self.labels is None:
            return per_sample.mean()
        affinity = self.affinity(labels or {}, batch_size=z.shape[0], like=z)
        per_sample = per_sample.expand_as(affinity)
        return (affinity * per_sample).sum() / (affinity.sum() + 1e-8)

    def affinity(self, labels: dict[str, torch.Tensor], batch_size: int, like: torch.Tensor) -> torch.Tensor:
        total = torch.zeros(batch_size, dtype=like.dtype, device=like.device)
        for label, strength in (self.labels or {}).items():
            if label not in labels:
                raise KeyError(
                    f"regularizer {self.name!r} needs label {label!r}, but the batch only has "
                    f"{sorted(labels)}; add it to the data module's `labels`"
                )
            total = total + strength * labels[label].to(like.dtype)
        return total.clamp(0.0, 1.0)

    def extra_repr(self) -> str:
        return f"name={self.name!r}, labels={self.labels}, layer={self.layer!r}"
