"""SeedStackModule: S `AnchoredAutoencoder`s with different seeds trained as one LightningModule."""

from __future__ import annotations

from collections.abc import Sequence

import lightning as L
import torch
import torch.nn.functional as F

from ..module import AnchoredAutoencoder
from .model import StackedAutoencoder
from .terms import stackable, stacked_term


class SeedStackModule(L.LightningModule):
    """Trains S copies of one `AnchoredAutoencoder` configuration, each from its own initialization.

    The loss of the stack is the sum of the S single-model losses, so each model's gradient is
    exactly its own run's gradient; Adam works elementwise, so one Adam over the stacked weights
    is S independent Adams. With `SeedStackDataModule` feeding each model its own seed's batches,
    model s ends bit for bit where the single run with seed s ends (CPU; tested).

    Scheduled weights arrive through `term_weights` (set by `ScheduleCallback`, as for the single
    module). Per-seed values are not logged while training: every `trainer.log_every_n_steps`
    steps the terms of all models are kept on the device (no host sync), and at validation each
    model's metrics; `history` hands them out per seed afterwards.

    Args:
        models: One freshly built `AnchoredAutoencoder` per seed, all with the same
            hyperparameters; their weights are the stack's initial weights.
    """

    def __init__(self, models: Sequence[AnchoredAutoencoder]):
        super().__init__()
        if not models:
            raise ValueError("SeedStackModule needs at least one model")
        template = models[0]
        hparams = {k: v for k, v in template.hparams.items() if not k.startswith("_")}
        for model in models[1:]:
            other = {k: v for k, v in model.hparams.items() if not k.startswith("_")}
            if other != hparams:
                raise ValueError(f"all models of a stack need the same hyperparameters; got {hparams} and {other}")
        unsupported = [f"{reg.name} ({type(reg).__name__})" for reg in template.regularizers if not stackable(reg)]
        if unsupported:
            raise ValueError(f"regularizers {unsupported} have no stacked form")
        self.model = StackedAutoencoder([m.model for m in models])
        self.regularizers = template.regularizers
        self.lr = template.lr
        self.term_weights: dict[str, float] = {}
        # Plain list, not a ModuleList: the single models are views for validation and
        # checkpoints, and their weights must not become parameters of the stack.
        self.seed_models: list[AnchoredAutoencoder] = list(models)
        self._train_records: list[tuple[int, list[str], torch.Tensor]] = []
        self._val_records: list[tuple[int, list[str], torch.Tensor]] = []
        self._first_nonfinite: torch.Tensor | None = None

    @property
    def size(self) -> int:
        """Number of models in the stack."""
        return self.model.size

    # -- training ------------------------------------------------------------------------------
    def training_step(self, batch, batch_idx: int) -> torch.Tensor:
        rgb, labels = batch
        h = self.model.encoder(rgb)
        z = self.model.bottleneck(h)
        rgb_hat = self.model.decode(z)
        recon = ((rgb_hat - rgb) ** 2).mean(dim=(1, 2))  # per model, as F.mse_loss rounds it
        loss = recon
        terms = {"recon": recon}
        for reg in self.regularizers:
            weight = self.term_weights.get(reg.name, 1.0)
            if weight == 0.0:
                continue
            term = stacked_term(reg, h if reg.layer == "encoder" else z, labels)
            terms[reg.name] = term
            loss = loss + weight * term
        terms["loss"] = loss
        step = self.global_step
        self._watch_finite(step, loss.detach())
        trainer = self._trainer
        if trainer is not None and step % trainer.log_every_n_steps == 0:
            self.record_terms(step, terms)
            self.log("loss", loss.detach().mean(), prog_bar=True, logger=False, on_step=True, on_epoch=False)
        return loss.sum()

    def record_terms(self, step: int, terms: dict[str, torch.Tensor]) -> None:
        """Keep per-model values of terms (`training_step`'s, and those added outside it, e.g. by
        `FallbackControl`) for each seed's log, as `train/<name>` at `step`.

        Args:
            step: The global step they belong to.
            terms: Name -> [S] values, one per model.
        """
        with torch.no_grad():
            self._train_records.append((step, list(terms), torch.stack([t.detach() for t in terms.values()])))

    def _watch_finite(self, step: int, loss: torch.Tensor) -> None:
        if self._first_nonfinite is None:
            self._first_nonfinite = torch.full_like(loss, -1, dtype=torch.long)
        bad = ~torch.isfinite(loss) & (self._first_nonfinite < 0)
        self._first_nonfinite = torch.where(bad, step, self._first_nonfinite)

    def nonfinite_steps(self) -> dict[int, int]:
        """{stack index: first step whose loss was NaN or infinite} for the models that diverged."""
        if self._first_nonfinite is None:
            return {}
        return {i: s for i, s in enumerate(self._first_nonfinite.tolist()) if s >= 0}

    def configure_optimizers(self):
        # The single module's own optimizer choice, over the stacked weights: whatever it
        # picks (and its elementwise update) applies to every model of the stack alike.
        return AnchoredAutoencoder.configure_optimizers(self)

    # -- validation: each model's own metrics ----------------------------------------------------
    def validation_step(self, batch, batch_idx: int) -> None:
        rgb, _ = batch
        names: list[str] | None = None
        rows = []
        for model in self.sync_seed_models():
            model.eval()
            values = {"recon_mse": F.mse_loss(model(rgb), rgb), **model.structure_metrics()}
            names = names or list(values)
            rows.append(torch.stack([torch.as_tensor(values[n], dtype=rgb.dtype, device=rgb.device) for n in names]))
        if not self.trainer.sanity_checking:
            # The step and the `epoch` value Lightning's logger connector gives what
            # `self.log` records in a single run's validation (one less than global_step).
            step = self.trainer.fit_loop.epoch_loop._batches_that_stepped
            epoch = torch.full((1, self.size), float(self.current_epoch), device=rgb.device)
            values = torch.cat([torch.stack(rows, dim=1), epoch])
            self._val_records.append((step, [f"val/{n}" for n in names] + ["epoch"], values))

    @torch.no_grad()
    def sync_seed_models(self) -> list[AnchoredAutoencoder]:
        """Copy the stack's current weights into the per-seed models and return them."""
        for index, model in enumerate(self.seed_models):
            model.to(self.device)
            model.model.load_state_dict(self.model.seed_state_dict(index))
        return self.seed_models

    def history(self) -> list[list[tuple[int, dict[str, float]]]]:
        """Per model: [(step, {name: value})] of the training terms (as `train/<term>`) and
        validation metrics (`val/<metric>`) recorded so far, in step order."""
        per_model: list[list[tuple[int, dict[str, float]]]] = [[] for _ in range(self.size)]
        records = [(step, [f"train/{n}" for n in names], values) for step, names, values in self._train_records]
        records += self._val_records
        for step, names, values in sorted(records, key=lambda r: r[0]):
            columns = values.float().cpu().T.tolist()  # [S][names]
            for index, column in enumerate(columns):
                per_model[index].append((step, dict(zip(names, column))))
        return per_model
