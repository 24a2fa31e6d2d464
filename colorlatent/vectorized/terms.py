"""Regularizer terms for S stacked models: one value per model, equal to the single-model term.

Per-sample regularizers (a loss for each latent on its own) run their own `loss` unchanged on
the [S, B, k] latents (their ops act on the last dim), or, for the axis-aligned subspace, whose
`loss` indexes a 2-D batch, the same ops with the index on the last dim. Not on the latents
flattened to [S*B, k]: each such view would collect its term's gradient before it reaches the
latent, while a single model adds every op's gradient to the latent's in turn; with two
per-sample terms (anti-anchor and anti-subspace) the sums then group differently and the last
bits of the encoder's gradient differ, which a 1,501-step run grows into another model.
Angular separation couples the samples of a batch
through their cosine matrix, so it has a stacked form here, op for op the same as
`AngularSeparation.loss` but with the batched Gram product of `ops`. (`torch.func.vmap` would
do neither exactly: its backward of `u @ u.T` sums in another order, `isclose` has no batching
rule, and its per-call overhead is a large part of a small term's cost.) The reduction over
each model's batch is `Regularizer.term`'s, per model.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor

from ..regularizers import (
    Anchor,
    AngularAnchor,
    AngularSeparation,
    AntiAnchor,
    AxisAlignedSubspace,
    Regularizer,
    Unitarity,
)
from .ops import stacked_gram, stacked_pow

_PER_SAMPLE = (Unitarity, AxisAlignedSubspace, Anchor, AngularAnchor, AntiAnchor)
STACKABLE: tuple[type[Regularizer], ...] = (*_PER_SAMPLE, AngularSeparation)
"""Regularizer classes whose stacked terms equal the single-model ones bit for bit (tested)."""


def stackable(reg: Regularizer) -> bool:
    """Whether `stacked_term` reproduces this regularizer exactly (its exact class is known)."""
    return type(reg) in STACKABLE or type(reg) in _subclasses(STACKABLE)


def _subclasses(classes: tuple[type, ...]) -> set[type]:
    # Planarity is a preset of AxisAlignedSubspace with the same loss; subclasses that only
    # preset arguments are safe, any other subclass may override `loss` and is not.
    return {cls for base in classes for cls in base.__subclasses__() if "loss" not in vars(cls)}


def stacked_term(reg: Regularizer, latent: Tensor, labels: Mapping[str, Tensor]) -> Tensor:
    """The term of `reg` for every model of a stack.

    Args:
        reg: A regularizer for which `stackable(reg)` holds.
        latent: The latents it sees, [S, B, latent_dim].
        labels: Label name -> 0/1 labels [S, B].

    Returns:
        [S]: entry s equals `reg.term(latent[s], {k: v[s] for k, v in labels.items()})`.
    """
    if not stackable(reg):
        raise ValueError(f"regularizer {reg.name!r} ({type(reg).__name__}) has no stacked form; stackable: "
                         f"{[cls.__name__ for cls in STACKABLE]}")
    if isinstance(reg, AngularSeparation):
        per_sample = _separation_loss(reg, latent)
    elif isinstance(reg, AxisAlignedSubspace):
        per_sample = _subspace_loss(reg, latent)
    else:
        per_sample = reg.loss(latent)
    return _reduce(reg, per_sample, latent, labels)


def _subspace_loss(reg: AxisAlignedSubspace, z: Tensor) -> Tensor:
    """`AxisAlignedSubspace.loss` on [S, B, k] -> [S, B] (it indexes dim 1 of a 2-D batch)."""
    penalized = reg._penalized(z.shape[-1])
    if not penalized:
        return z.new_zeros(z.shape[:-1])
    squares = z[..., penalized] ** 2
    return squares.sum(dim=-1) if reg.reduction == "sum" else squares.mean(dim=-1)


def _separation_loss(reg: AngularSeparation, z: Tensor) -> Tensor:
    """`AngularSeparation.loss` on [S, B, k] -> [S, B]."""
    if reg.dims is not None:
        z = z[..., reg.dims]
    u = z / (z.norm(dim=-1, keepdim=True) + 1e-8)
    cos = stacked_gram(u)
    same = _isclose_to_one(cos)
    # The single model zeroes near-duplicates, then shifts. Shifting first and then setting
    # them to (0 + 1) / 2 = 0.5 gives the same values and gradients; done in place on the
    # temporaries, it saves two fresh S x B x B buffers (each one page-faults ~1 MB per step).
    if reg.shift:
        cos = (cos + 1.0).div_(2.0).masked_fill_(same, 0.5)
    else:
        cos = cos.masked_fill(same, 0.0)
    return stacked_pow(cos, reg.power).sum(dim=-1)


def _isclose_to_one(x: Tensor) -> Tensor:
    """`torch.isclose(x, torch.ones_like(x))` (rtol 1e-5, atol 1e-8), the same mask to the bit.

    isclose is `x == 1 | (isfinite(|x - 1|) & (|x - 1| <= atol + |rtol * 1|))`: for finite x the
    first test is implied by the last, and a non-finite |x - 1| fails the comparison anyway. So
    three kernels over the [S, B, B] matrix instead of about ten, with the same float32 rounding.
    """
    with torch.no_grad():
        one = torch.ones((), dtype=x.dtype, device=x.device)
        allowed = 1e-8 + (1e-5 * one).abs()
        return (x - one).abs_() <= allowed


def _reduce(reg: Regularizer, per_sample: Tensor, latent: Tensor, labels: Mapping[str, Tensor]) -> Tensor:
    """`Regularizer.term`'s reduction with a leading seed dim: [S, B] -> [S]."""
    if reg.labels is None:
        return per_sample.mean(dim=-1)
    affinity = torch.zeros(latent.shape[:-1], dtype=latent.dtype, device=latent.device)
    for label, strength in reg.labels.items():
        if label not in labels:
            raise KeyError(f"regularizer {reg.name!r} needs label {label!r}, but the batch only has "
                           f"{sorted(labels)}; add it to the data module's `labels`")
        affinity = affinity + strength * labels[label].to(latent.dtype)
    affinity = affinity.clamp(0.0, 1.0)
    per_sample = per_sample.expand_as(affinity)
    return (affinity * per_sample).sum(dim=-1) / (affinity.sum(dim=-1) + 1e-8)
