"""Putting interventions into a model: `intervene` (a context manager) and `patch` (a handle).

Interventions act through forward hooks on the autoencoder's named submodules (`encoder`,
`bottleneck`: see `HOOK_POINTS`), so the model itself is never modified. Each call owns the
hooks it registers and removes only those: nested calls, and hooks registered by anyone else,
are left alone. `intervene` removes its hooks in `finally`, so an exception in the body (or in
the intervention itself) leaves the model clean.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch
from torch import nn

from ..model import BottleneckAutoencoder
from .intervention import HOOK_POINTS, Intervention

Mask = torch.Tensor | Callable[[torch.Tensor], torch.Tensor]
"""Which samples to intervene on: a boolean tensor [B], or a predicate on the latents at the hook
point (before any intervention) returning one, e.g. `lambda h: h[:, 0] > 0.5`."""


def hook_point(model: nn.Module, layer: str) -> nn.Module:
    """The submodule named `layer` of the autoencoder in `model`.

    Args:
        model: An `AnchoredAutoencoder` (its `.model`), a `BottleneckAutoencoder`, or any module
            with submodules of these names.
        layer: A key of `HOOK_POINTS`.
    """
    if layer not in HOOK_POINTS:
        raise ValueError(f"layer={layer!r} is not a hook point; allowed: {sorted(HOOK_POINTS)}")
    core = model.model if isinstance(getattr(model, "model", None), BottleneckAutoencoder) else model
    try:
        return core.get_submodule(layer)
    except AttributeError:
        raise ValueError(f"{type(model).__name__} has no submodule {layer!r} to hook; "
                         f"hook points are {sorted(HOOK_POINTS)}") from None


def _device(model: nn.Module) -> torch.device | None:
    for tensor in (*model.parameters(), *model.buffers()):
        return tensor.device
    return None


def _resolve_mask(mask: Mask, h: torch.Tensor) -> torch.Tensor:
    m = mask(h) if callable(mask) else mask
    m = torch.as_tensor(m).to(device=h.device, dtype=torch.bool)
    if m.shape != h.shape[:-1]:
        raise ValueError(f"intervention mask has shape {list(m.shape)} but the batch at the hook point "
                         f"has shape {list(h.shape[:-1])}; give one boolean per sample")
    return m


def _make_hook(interventions: list[Intervention], mask: Mask | None) -> Callable:
    def hook(module: nn.Module, inputs, output: torch.Tensor) -> torch.Tensor:
        edited = output
        for intervention in interventions:
            edited = intervention(edited)
        if mask is None:
            return edited
        return torch.where(_resolve_mask(mask, output).unsqueeze(-1), edited, output)

    return hook


class PatchHandle:
    """The hooks one `patch` call registered; `remove()` takes them (and only them) out.

    Also a context manager: `with patch(model, ...) as handle:` removes on exit.

    Attributes:
        interventions: The interventions, in the order they are applied.
        layers: The hook points they act at.
    """

    def __init__(self, interventions: list[Intervention], handles: list, mask: Mask | None):
        self.interventions = interventions
        self.layers = sorted({iv.layer for iv in interventions})
        self.masked = mask is not None
        self._handles = handles

    @property
    def active(self) -> bool:
        """True until `remove()`."""
        return bool(self._handles)

    def remove(self) -> None:
        """Remove this handle's hooks; calling it again does nothing."""
        while self._handles:
            self._handles.pop().remove()

    def __enter__(self) -> PatchHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()

    def __repr__(self) -> str:
        state = "active" if self.active else "removed"
        mask = ", masked" if self.masked else ""
        return f"PatchHandle({state}{mask}: {', '.join(repr(iv) for iv in self.interventions)})"


def patch(model: nn.Module, *interventions: Intervention, mask: Mask | None = None) -> PatchHandle:
    """Hook `interventions` into `model` until the returned handle is removed.

    Interventions are applied in the order given; several at one hook point are chained. They
    are moved to the model's device (in place, like `nn.Module.to`); their buffers are cast to
    the latents' dtype when applied.

    Args:
        model: An `AnchoredAutoencoder` or `BottleneckAutoencoder`.
        *interventions: `Suppression`, `Repulsion`, `AxisAlignedSuppression`, ...; each acts at
            its own `layer`.
        mask: Limit the interventions to some samples: a boolean tensor [B] or a predicate on
            the latents at the hook point (see `Mask`). Samples outside the mask pass unchanged.

    Returns:
        A `PatchHandle`; call `.remove()` (or use it in a `with` block) to undo.
    """
    if not interventions:
        raise ValueError("patch() needs at least one intervention")
    for intervention in interventions:
        if not isinstance(intervention, Intervention):
            raise TypeError(f"patch() takes Intervention objects, got {type(intervention).__name__}")
    device = _device(model)
    if device is not None:
        for intervention in interventions:
            intervention.to(device)
    by_layer: dict[str, list[Intervention]] = {}
    for intervention in interventions:
        by_layer.setdefault(intervention.layer, []).append(intervention)
    handles = []
    try:
        for layer, group in by_layer.items():
            handles.append(hook_point(model, layer).register_forward_hook(_make_hook(group, mask)))
    except BaseException:
        for handle in handles:
            handle.remove()
        raise
    return PatchHandle(list(interventions), handles, mask)


@contextmanager
def intervene(model: nn.Module, *interventions: Intervention, mask: Mask | None = None) -> Iterator[PatchHandle]:
    """Context manager: the model runs with `interventions` inside the block, as before after it.

    Without interventions the block runs on the plain model (handy for baseline loops).

    Args:
        model: An `AnchoredAutoencoder` or `BottleneckAutoencoder`.
        *interventions: Interventions to apply (see `patch`).
        mask: Optional per-sample mask (see `patch`).

    Example:
        >>> with intervene(model, Suppression([1, 0, 0, 0], BoundedFalloff(0, 1, 2))):  # doctest: +SKIP
        ...     rgb_hat = model(rgb)
    """
    if not interventions:
        yield PatchHandle([], [], mask)
        return
    handle = patch(model, *interventions, mask=mask)
    try:
        yield handle
    finally:
        handle.remove()


@contextmanager
def capture(model: nn.Module, layer: str = "bottleneck") -> Iterator[list[torch.Tensor]]:
    """Record the output of hook point `layer` for every forward pass inside the block.

    Forward hooks run in the order they were registered: entered inside `intervene`, this
    records the edited latents (what the decoder reads); entered outside, the unedited ones.
    Tensors are detached and stay on the model's device.

    Yields:
        A list that receives one tensor per forward pass.
    """
    captured: list[torch.Tensor] = []
    handle = hook_point(model, layer).register_forward_hook(lambda module, inputs, output: captured.append(output.detach()))
    try:
        yield captured
    finally:
        handle.remove()
