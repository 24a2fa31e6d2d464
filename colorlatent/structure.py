"""Structure metrics as torchmetrics `Metric`s: the shape of the latent space, accumulated and logged.

Each class wraps one function of `colorlatent.metrics` (the math lives there, and evaluation code
calls it directly); the classes add what a training loop needs: state on the module's device,
accumulation over batches (`update`), `compute`, `reset`, and logging through `LightningModule.log`.
`StructureMetrics` combines them on the named colors (`colorlatent.color.named_colors`), which is
what `AnchoredAutoencoder` logs as `val/...` at every validation:

| key | metric | meaning |
|---|---|---|
| `hue_order` | `HueOrder` | the 12 saturated hues step around the hue plane in order (1.0 = wheel, ~0.5 = none) |
| `planarity_rms` | `PlanarityResidual` | RMS of the hues' latents outside the hue plane (0 = planar) |
| `hue_radius` | `MeanNorm` | mean latent norm of the hues (1 = on the unit circle) |
| `norm_deviation` | `NormDeviation` | mean abs(norm - 1) over all named colors |
| `<label>_anchor_cos` | `AnchorAlignment` | cosine of the named color's latent with its anchor (1 = on target) |
| `recon_mse/<color>` | `NamedColorMSE` | reconstruction MSE of each named color (mean over R, G, B; spaces in names become `_`) |
"""

from __future__ import annotations

import torch
from torch import Tensor
from torchmetrics import Metric
from torchmetrics.utilities import dim_zero_cat

from . import metrics
from .color import HUES, NamedColors


class _MeanOfSamples(Metric):
    """Base for metrics that are a mean over samples: states `total` (sum) and `count`."""

    full_state_update = False
    higher_is_better: bool | None = None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.add_state("total", default=torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("count", default=torch.tensor(0, dtype=torch.long), dist_reduce_fx="sum")

    def _add(self, batch_mean: Tensor, n: int) -> None:
        # float64 sums: a validation set of thousands of samples accumulates without drift
        self.total += batch_mean.detach().double() * n
        self.count += n

    def compute(self) -> Tensor:
        return (self.total / self.count).float()


class ReconstructionMSE(_MeanOfSamples):
    """Reconstruction MSE over every channel of every sample seen (as `F.mse_loss` on all at once)."""

    higher_is_better = False

    def update(self, rgb_hat: Tensor, rgb: Tensor) -> None:
        if rgb_hat.shape != rgb.shape:
            raise ValueError(f"rgb_hat {list(rgb_hat.shape)} and rgb {list(rgb.shape)} must have the same shape")
        self._add(torch.nn.functional.mse_loss(rgb_hat, rgb), rgb.numel())


class NormDeviation(_MeanOfSamples):
    """Mean abs(norm(z) - 1) over the latents seen (`metrics.norm_deviation`)."""

    higher_is_better = False

    def update(self, z: Tensor) -> None:
        self._add(metrics.norm_deviation(z), len(z))


class MeanNorm(_MeanOfSamples):
    """Mean latent norm over the latents seen (1 on the unit sphere)."""

    def update(self, z: Tensor) -> None:
        self._add(z.norm(dim=1).mean(), len(z))


class AnchorAlignment(_MeanOfSamples):
    """Mean cosine similarity of latents with an anchor direction (`metrics.anchor_cos`).

    Args:
        direction: The anchor's direction, shape [latent_dim], e.g. (1, 0, 0, 0) for red.
    """

    higher_is_better = True

    def __init__(self, direction: Tensor | list[float], **kwargs):
        super().__init__(**kwargs)
        direction = torch.as_tensor(direction, dtype=torch.float32)
        if direction.ndim != 1 or not bool(direction.norm() > 0):
            raise ValueError(f"direction must be a non-zero vector [latent_dim]; got {direction.tolist()}")
        self.register_buffer("direction", direction, persistent=False)

    def update(self, z: Tensor) -> None:
        z = z.reshape(-1, z.shape[-1])
        self._add(metrics.anchor_cos(z, self.direction), len(z))


class PlanarityResidual(_MeanOfSamples):
    """RMS distance of the latents seen from the hue plane (`metrics.planarity_rms`).

    Args:
        plane: The two latent dims of the hue plane.
    """

    higher_is_better = False

    def __init__(self, plane: tuple[int, int] = (0, 1), **kwargs):
        super().__init__(**kwargs)
        self.plane = tuple(plane)

    def update(self, z: Tensor) -> None:
        # the mean of squares (rms^2) is what accumulates: batches add up exactly
        self._add(metrics.planarity_rms(z.detach(), self.plane).double() ** 2, len(z))

    def compute(self) -> Tensor:
        return (self.total / self.count).sqrt().float()


class HueOrder(Metric):
    """Whether hues step around the hue plane in order (`metrics.hue_order`).

    Order is a property of the whole set, not of a batch, so the latents are kept (they are
    few: one per named hue) and the order is computed over all of them, in the order seen.

    Args:
        plane: The two latent dims of the hue plane.
    """

    full_state_update = False
    higher_is_better = True

    def __init__(self, plane: tuple[int, int] = (0, 1), **kwargs):
        super().__init__(**kwargs)
        self.plane = tuple(plane)
        self.add_state("latents", default=[], dist_reduce_fx="cat")

    def update(self, z_hues: Tensor) -> None:
        self.latents.append(z_hues.detach())

    def compute(self) -> Tensor:
        return metrics.hue_order(dim_zero_cat(self.latents), self.plane)


class NamedColorMSE(Metric):
    """Reconstruction MSE of each named color (mean over its channels), accumulated over updates.

    Args:
        names: The colors, in the row order `update` receives them.
    """

    full_state_update = False
    higher_is_better = False

    def __init__(self, names: list[str] | tuple[str, ...], **kwargs):
        super().__init__(**kwargs)
        self.names = list(names)
        self.add_state("squares", default=torch.zeros(len(self.names), dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("count", default=torch.tensor(0, dtype=torch.long), dist_reduce_fx="sum")

    def update(self, rgb_hat: Tensor, rgb: Tensor) -> None:
        if rgb.shape != (len(self.names), rgb.shape[-1]) or rgb_hat.shape != rgb.shape:
            raise ValueError(f"rgb_hat and rgb must both be [{len(self.names)}, channels] (one row per named color "
                             f"{self.names}); got {list(rgb_hat.shape)} and {list(rgb.shape)}")
        self.squares += ((rgb_hat.detach() - rgb) ** 2).double().sum(dim=1)
        self.count += rgb.shape[1]

    def compute(self) -> dict[str, Tensor]:
        values = (self.squares / self.count).float()
        return {name: values[i] for i, name in enumerate(self.names)}


class StructureMetrics(torch.nn.Module):
    """All structure metrics of a model on the named colors, under the keys of the table above.

    `update(model)` encodes and decodes the named colors (no gradients) and feeds every metric;
    `compute()` returns the flat dict; `reset()` clears them for the next validation.

    Args:
        named: The named colors (hues in hue order, then grays); its `rgb` moves with this module.
        plane: The two latent dims of the hue plane.
        anchors: Label -> anchor direction; an `AnchorAlignment` is kept for each label that
            names a color in `named` (e.g. `red` -> (1, 0, 0, 0) gives `red_anchor_cos`).
    """

    def __init__(self, named: NamedColors, plane: tuple[int, int], anchors: dict[str, Tensor] | None = None):
        super().__init__()
        self.names = list(named.names)
        self.register_buffer("rgb", named.rgb.clone(), persistent=False)
        self.register_buffer("is_hue", torch.tensor([n in HUES for n in self.names]), persistent=False)
        self.anchor_rows = {label: self.names.index(label) for label in (anchors or {}) if label in self.names}
        self.hue_order = HueOrder(plane)
        self.planarity = PlanarityResidual(plane)
        self.hue_radius = MeanNorm()
        self.norm_deviation = NormDeviation()
        self.anchor_cos = torch.nn.ModuleDict(
            {label: AnchorAlignment(anchors[label]) for label in self.anchor_rows})
        self.recon = NamedColorMSE(self.names)

    @torch.no_grad()
    def update(self, model) -> None:
        """Feed every metric with `model`'s latents and reconstructions of the named colors.

        Args:
            model: Anything with `encode(rgb)` and `decode(z)` (an `AnchoredAutoencoder`).
        """
        z = model.encode(self.rgb)
        z_hues = z[self.is_hue]
        self.hue_order.update(z_hues)
        self.planarity.update(z_hues)
        self.hue_radius.update(z_hues)
        self.norm_deviation.update(z)
        for label, row in self.anchor_rows.items():
            self.anchor_cos[label].update(z[row])
        self.recon.update(model.decode(z), self.rgb)

    def compute(self) -> dict[str, Tensor]:
        out = {
            "hue_order": self.hue_order.compute(),
            "planarity_rms": self.planarity.compute(),
            "hue_radius": self.hue_radius.compute(),
            "norm_deviation": self.norm_deviation.compute(),
        }
        out.update({f"{label}_anchor_cos": metric.compute() for label, metric in self.anchor_cos.items()})
        # "dark gray" -> "recon_mse/dark_gray": TensorBoard tags and results.json keys without spaces
        out.update({f"recon_mse/{name.replace(' ', '_')}": value for name, value in self.recon.compute().items()})
        return out

    def reset(self) -> None:
        for metric in self.modules():
            if isinstance(metric, Metric):
                metric.reset()
