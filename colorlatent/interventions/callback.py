"""InterventionCallback: watch what interventions would do, at every validation, while training."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.utilities import rank_zero_only

from ..color import named_colors
from ..data import make_dataset
from ..evaluation import ErrorTable, color_errors, error_table, selectivity
from ..logs import log_scalars, tensorboard_writers
from ..plots.color_errors import plot_color_errors
from .intervention import Intervention
from .registry import build_intervention

Spec = dict[str, Any] | Intervention


class InterventionCallback(L.Callback):
    """At every validation, evaluates each configured plan of interventions on the model's device.

    A plan is one intervention or several applied together. For each plan the 12 named hues and
    5 grays are reconstructed with and without it, and the probe colors are scored for
    selectivity; logged to every logger at the global step:

    - `intervene/<plan>/<color>`: change in that color's MSE caused by the plan;
    - `intervene/<plan>/r2`: selectivity R^2, the squared correlation between MSE under the plan
      and similarity**power to `anchor_hsv` over the probe colors (m2-spec §5.5-5.6).

    At the end of training the per-color error figure is written to `<run dir>/<filename>` and
    logged to TensorBoard as `intervene/errors`. Interventions are never active during training
    steps or the validation loss: only inside this callback's own evaluation.

    Args:
        interventions: Plan name -> an intervention spec (or a list of them), each built by
            `build_intervention`, e.g. `{suppression: {kind: suppression, concept: [1, 0, 0, 0],
            falloff: {kind: bounded-falloff, a: 0, b: 1, power: 0}}}`.
        anchor_hsv: HSV color the concept stands for (default pure red, (0, 1, 1)).
        power: Exponent of the similarity in R^2 (2 in the redux suppression score).
        probe: Color set for R^2 (a `make_dataset` name; default the RGB 8^3 grid).
        filename: PNG written at the end of training; None for no figure.
    """

    def __init__(self, interventions: dict[str, Spec | list[Spec]], anchor_hsv: Sequence[float] = (0.0, 1.0, 1.0),
                 power: float = 2.0, probe: str = "rgb-8", filename: str | None = "intervention-errors.png"):
        super().__init__()
        if not interventions:
            raise ValueError("InterventionCallback needs at least one plan in `interventions`")
        self.plans: dict[str, list[Intervention]] = {
            tag: [build_intervention(s) for s in (spec if isinstance(spec, list) else [spec])]
            for tag, spec in interventions.items()
        }
        self.anchor_hsv = tuple(float(x) for x in anchor_hsv)
        self.power = float(power)
        self.probe = probe
        self.filename = filename
        self.table: ErrorTable | None = None  # the last evaluation, for the figure and for inspection

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> InterventionCallback:
        """Build the InterventionCallback listed under `trainer.callbacks` of a resolved run config.

        Experiments evaluate the plans their config's callback watched during training, so the
        two cannot drift apart.
        """
        for callback in (config.get("trainer") or {}).get("callbacks") or []:
            if isinstance(callback, dict) and str(callback.get("class_path", "")).endswith(cls.__name__):
                return cls(**callback.get("init_args", {}))
        raise ValueError(f"the config has no {cls.__name__} under trainer.callbacks; add one with the "
                         f"interventions to evaluate")

    def _evaluate(self, pl_module: L.LightningModule) -> dict[str, float]:
        device = pl_module.device
        self.table = error_table(pl_module, self.plans, named_colors(device=device))
        rgb = make_dataset(self.probe, device=device).rgb
        scalars: dict[str, torch.Tensor | float] = {}
        for tag, plan in self.plans.items():
            for name, delta in zip(self.table.names, self.table.delta(tag)):
                scalars[f"intervene/{tag}/{name}"] = delta
            scalars[f"intervene/{tag}/r2"] = selectivity(color_errors(pl_module, rgb, plan), rgb,
                                                         self.anchor_hsv, self.power)
        return scalars

    def on_validation_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        log_scalars(trainer, self._evaluate(pl_module), trainer.global_step)

    @rank_zero_only
    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.filename is None:
            return
        self._evaluate(pl_module)
        fig = plot_color_errors(self.table, title=f"Named colors after {trainer.global_step} steps")
        log_dir = Path(trainer.log_dir or ".")
        log_dir.mkdir(parents=True, exist_ok=True)
        fig.savefig(log_dir / self.filename, dpi=110)
        for writer in tensorboard_writers(trainer):
            writer.add_figure("intervene/errors", fig, global_step=trainer.global_step)
