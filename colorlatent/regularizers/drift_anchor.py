"""Drift anchor (experiments 1.5/1.6): hold reference colors where they were at a chosen step."""

from __future__ import annotations

from typing import Any

import lightning as L
import torch
import torch.nn.functional as F
from torch import nn

from ..data import make_dataset
from .base import Layer, Regularizer


class DriftAnchor(Regularizer):
    """Mean squared drift of reference colors' latents from a snapshot taken during training.

    When the schedule fires `action` (dopesheet ACTION column, `anchor` in experiments 1.5
    and 1.6), the reference colors are encoded without gradient and their latents Z_ref are
    kept (a buffer, so they are in checkpoints). From then on the term is the mean over all
    N x E elements of (encode(R) - Z_ref)^2, from an extra forward pass of the reference colors
    every step: the training batch is not used. Before the snapshot the term is 0 (m1-spec §3.6).

    Args:
        name: Term name (log key and schedule column).
        colors: The reference color set (`colorlatent.data` name); the six primaries and
            secondaries by default.
        action: The dopesheet action that takes the snapshot.
        layer: `bottleneck` (after normalization, when the model normalizes) or `encoder`.
    """

    def __init__(self, name: str = "reg-anchor", colors: str = "primaries-6", action: str = "anchor",
                 layer: Layer = "bottleneck"):
        super().__init__(name, None, layer)
        if not action:
            raise ValueError(f"regularizer {name!r}: action must be a non-empty dopesheet action name")
        try:
            reference = make_dataset(colors).rgb
        except ValueError as error:
            raise ValueError(f"regularizer {name!r}: colors={colors!r}: {error}") from None
        self.colors, self.action = colors, action
        self.schedule_actions = (action,)
        # Derived from `colors`, so not stored in checkpoints; Z_ref is, once `attach` sizes it.
        self.register_buffer("reference", reference, persistent=False)
        self.register_buffer("z_ref", torch.zeros(len(reference), 0))
        self.captured_at: int | None = None  # the step of the snapshot; None before it
        self._model: nn.Module | None = None

    def attach(self, model: nn.Module) -> None:
        # Kept outside the module tree: registering the owner's model as a child of one of its
        # own submodules would make a cycle in parameters() and state_dict().
        self.__dict__["_model"] = model
        self.z_ref = torch.zeros(len(self.reference), model.latent_dim, device=self.reference.device)

    def _encode(self) -> torch.Tensor:
        if self._model is None:
            raise RuntimeError(f"regularizer {self.name!r} is not attached to a model; AnchoredAutoencoder "
                               "attaches its regularizers (call attach(model) when using it alone)")
        code = self._model.encoder(self.reference)
        # Not `encode`: its input checks would cost a host sync every training step, and the
        # reference is a known color set, checked once when it was made.
        return code if self.layer == "encoder" else self._model.bottleneck(code)

    def on_schedule_action(self, name: str, step: int, pl_module: L.LightningModule | None = None) -> None:
        """Take the snapshot: Z_ref = encode(reference colors), without gradient."""
        with torch.no_grad():
            self.z_ref.copy_(self._encode())
        self.captured_at = step

    def loss(self, z: torch.Tensor) -> torch.Tensor:
        raise TypeError(f"regularizer {self.name!r} (drift anchor) has no per-sample loss of the batch: it "
                        "measures its reference colors; use term()")

    def term(self, z: torch.Tensor, labels: dict[str, torch.Tensor] | None = None,
             weights: torch.Tensor | None = None) -> torch.Tensor:
        """MSE of the reference latents from the snapshot (0 before it); `z`, labels and weights are unused."""
        if self.captured_at is None:
            return z.new_zeros(())
        return F.mse_loss(self._encode(), self.z_ref)

    @torch.no_grad()
    def drift(self) -> torch.Tensor:
        """Euclidean distance of each reference color's latent from its snapshot, [N] (NaN before it)."""
        if self.captured_at is None:
            return torch.full((len(self.reference),), float("nan"), device=self.reference.device)
        return (self._encode() - self.z_ref).norm(dim=-1)

    def get_extra_state(self) -> dict[str, Any]:
        return {"captured_at": self.captured_at}

    def set_extra_state(self, state: dict[str, Any]) -> None:
        self.captured_at = state.get("captured_at")

    def extra_repr(self) -> str:
        return f"name={self.name!r}, colors={self.colors!r}, action={self.action!r}, layer={self.layer!r}"
