"""AnchoredAutoencoder: reconstruction plus scheduled, label-selective regularizers."""

from __future__ import annotations

import math
from collections import deque
from typing import Any

import lightning as L
import torch
import torch.nn.functional as F

from .color import named_colors
from .data.curriculum import SAMPLE_WEIGHT
from .logs import log_scalars
from .model import Activation, BottleneckAutoencoder
from .regularizers import Anchor, AngularAnchor, build_regularizers
from .structure import ReconstructionMSE, StructureMetrics

# The finite-loss check syncs with the device; it runs every this many steps at most (and before
# every checkpoint), which also bounds the per-step record it scans.
FINITE_CHECK_MAX_INTERVAL = 256


class NonFiniteLossError(FloatingPointError):
    """The training loss became NaN or infinite; the message names the step and the term."""


class _FiniteWatch:
    """Records every step's loss terms on the device and reports the first non-finite one.

    Checking `isfinite` every step would cost a host sync per step (more than the step itself
    on a GPU). Instead each step keeps its terms as one small device tensor (one `stack`, no
    sync), and `check` looks at the last `interval` steps at once: one sync every `interval`
    steps, which still finds the exact first bad step and term.
    """

    def __init__(self, names: list[str], interval: int, device: torch.device):
        self.names = names
        self.interval = interval
        # The last `interval` steps (older ones were checked already) and their terms.
        self.steps: deque[int] = deque(maxlen=interval)
        self.rows: deque[torch.Tensor] = deque(maxlen=interval)
        self.zero = torch.zeros((), device=device)  # stands in for a term skipped at weight 0

    def record(self, step: int, terms: dict[str, torch.Tensor]) -> None:
        # stack-then-detach is the cheapest way to a graph-free copy (cheaper than no_grad)
        self.rows.append(torch.stack([terms.get(n, self.zero) for n in self.names]).detach())
        self.steps.append(step)

    def check(self) -> None:
        """Raise NonFiniteLossError for the earliest recorded non-finite step, if any."""
        if not self.rows:
            return
        table = torch.stack(list(self.rows))
        finite = torch.isfinite(table).all(dim=1)
        if bool(finite.all()):
            return
        first = finite.tolist().index(False)
        step, values = self.steps[first], dict(zip(self.names, table[first].tolist()))
        bad = [k for k, v in values.items() if not math.isfinite(v) and k != "loss"] or ["loss"]
        shown = ", ".join(f"{k}={v:.6g}" for k, v in values.items())
        raise NonFiniteLossError(
            f"training stopped: the loss became non-finite at step {step}, in term(s) {bad} "
            f"(terms at that step: {shown}; a term skipped at weight 0 shows 0). No checkpoint is "
            f"written from here on, so the last one saved before step {step} is kept. Lower that "
            "term's weight or the learning rate around this step, or check its inputs."
        )


class AnchoredAutoencoder(L.LightningModule):
    """A color autoencoder whose latent space is shaped by regularizers on labelled samples.

    The loss is w_recon(t) * MSE(rgb_hat, rgb) + sum_r w_r(t) * term_r, where each term is the
    label-weighted mean of its per-sample loss (see `Regularizer.term`) and w_r(t) is the
    scheduled weight of the column named like the term (1.0 without a schedule or column; a
    weight of exactly 0 skips the term). w_recon is 1 unless `recon_name` names a column. A
    `ScheduleCallback` sets the weights and the learning rate every step; without one, Adam
    runs at the constant `lr`. When a training batch carries per-sample weights w_i (the labels
    key `colorlatent.data.curriculum.SAMPLE_WEIGHT`, experiment 1.6), the reconstruction and
    every per-sample term become (1/B) sum_i w_i l_i; batch-level terms are used as they are.

    Args:
        latent_dim: Size of the bottleneck.
        hidden: Width of the hidden layers.
        depth: Hidden layers in the encoder (mirrored in the decoder).
        activation: `gelu` or `relu`.
        normalize: L2-normalize latents (explicit normalization in the `bottleneck` module).
        sigmoid: End the decoder with a sigmoid (otherwise outputs are clamped in eval mode).
        regularizers: Loss terms, each a mapping `{kind, name, ...}`. Kinds: `unitarity`,
            `planarity`, `subspace` (dims, invert, reduction), `anchor` (point; Euclidean pin),
            `angular-anchor` (point), `anti-anchor` (point, hemi; pushes away from a direction),
            `separation` (power, shift, dims; angular repulsion), `euclidean-repulsion` (dims),
            `drift-anchor` (colors, action; holds reference colors
            where the dopesheet action found them). Every kind takes `name` and `layer`
            (`bottleneck` or `encoder`); all but `drift-anchor` take `labels` ({label: strength}
            selecting the samples; omit for all samples).
        lr: Learning rate when no schedule sets one.
        hue_plane: The two latent dims where the color wheel should form (for the metrics).
        recon_name: Dopesheet column that weights the reconstruction term (experiments 1.5 and
            1.6 schedule `loss-recon`); None: weight 1 and no column.
    """

    def __init__(
        self,
        latent_dim: int = 4,
        hidden: int = 16,
        depth: int = 1,
        activation: Activation = "gelu",
        normalize: bool = False,
        sigmoid: bool = True,
        regularizers: list[dict[str, Any]] | None = None,
        lr: float = 1e-3,
        hue_plane: tuple[int, int] = (0, 1),
        recon_name: str | None = None,
    ):
        super().__init__()
        self.save_hyperparameters()
        self.model = BottleneckAutoencoder(latent_dim, hidden, depth, activation, normalize, sigmoid)
        self.regularizers = torch.nn.ModuleList(build_regularizers(regularizers or []))
        for reg in self.regularizers:
            reg.attach(self.model)
            if isinstance(reg, (Anchor, AngularAnchor)) and reg.point.shape[0] != latent_dim:
                raise ValueError(
                    f"regularizer {reg.name!r}: point has {reg.point.shape[0]} dims but latent_dim is "
                    f"{latent_dim}; give a point of length {latent_dim}"
                )
            dims = getattr(reg, "dims", None)
            if dims is not None and (not dims or not all(0 <= d < latent_dim for d in dims)):
                raise ValueError(
                    f"regularizer {reg.name!r}: dims={list(dims)} must be a non-empty list of latent dims "
                    f"in [0, {latent_dim - 1}] (latent_dim is {latent_dim})"
                )
        if not all(0 <= d < latent_dim for d in hue_plane) or len(set(hue_plane)) != 2:
            raise ValueError(f"hue_plane must be two distinct dims in [0, {latent_dim}); got {list(hue_plane)}")
        if recon_name is not None and recon_name in {reg.name for reg in self.regularizers}:
            raise ValueError(f"recon_name={recon_name!r} is also a regularizer's name; one column weights one term")
        self.lr = lr
        self.recon_name = recon_name
        # Set by ScheduleCallback each step; plain floats so skipping zero weights needs no sync.
        self.term_weights: dict[str, float] = {}
        self._finite: _FiniteWatch | None = None
        self._resumed_rng: dict[str, Any] | None = None
        # Validation metrics (torchmetrics; their states are not part of the checkpoint).
        self.val_recon = ReconstructionMSE()
        self.structure = StructureMetrics(named_colors(), hue_plane, self.anchors)

    # -- the public contract -------------------------------------------------------------------
    def forward(self, rgb: torch.Tensor) -> torch.Tensor:
        """Reconstruct colors: [B, 3] -> [B, 3]."""
        return self.model(rgb)

    def encode(self, rgb: torch.Tensor) -> torch.Tensor:
        """Latents the regularizers see at `bottleneck` (after normalization when it is on)."""
        return self.model.encode(rgb)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Colors from latents."""
        return self.model.decode(z)

    @property
    def anchors(self) -> dict[str, torch.Tensor]:
        """Anchor directions keyed by the label they apply to (e.g. `red` -> (1, 0, 0, 0))."""
        found = {}
        for reg in self.regularizers:
            if isinstance(reg, (Anchor, AngularAnchor)) and reg.labels and len(reg.labels) == 1:
                found[next(iter(reg.labels))] = reg.point
        return found

    @property
    def schedule_columns(self) -> tuple[str, ...]:
        """Dopesheet columns the module reads besides its regularizers' names (`ScheduleCallback` checks them)."""
        return () if self.recon_name is None else (self.recon_name,)

    # -- training ------------------------------------------------------------------------------
    def on_fit_start(self) -> None:
        if self.trainer.max_steps == 0:
            raise ValueError(
                "trainer.max_steps=0 trains nothing; give a positive number of steps, or -1 to take the "
                "length from the schedule (or from max_epochs)"
            )
        dm = self.trainer.datamodule
        available = set(getattr(dm, "label_names", []))
        for reg in self.regularizers:
            missing = sorted(set(reg.labels or {}) - available)
            if missing:
                raise ValueError(
                    f"regularizer {reg.name!r} needs label(s) {missing}, but the data module produces "
                    f"{sorted(available)}; add them to data.labels"
                )

    def on_train_start(self) -> None:
        names = ["recon", *(reg.name for reg in self.regularizers), "loss"]
        interval = min(self.trainer.log_every_n_steps, FINITE_CHECK_MAX_INTERVAL)
        self._finite = _FiniteWatch(names, interval, self.device)
        if self._resumed_rng is not None and self.trainer.ckpt_path is not None:
            # Restored here, only when fit resumes a checkpoint, not in on_load_checkpoint: loading
            # a model (load_from_checkpoint, e.g. to fine-tune it) leaves the random streams alone.
            torch.set_rng_state(self._resumed_rng["torch"])
            if self._resumed_rng.get("cuda") is not None and torch.cuda.is_available():
                torch.cuda.set_rng_state_all(self._resumed_rng["cuda"])
        self._resumed_rng = None

    def on_train_end(self) -> None:
        self._finite.check()

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        # A checkpoint must never hold weights trained on a non-finite loss.
        if self._finite is not None:
            self._finite.check()
        # Nothing in this package draws from torch's global generators during training, but
        # callbacks or user code may; a resumed run continues their streams too.
        checkpoint["rng"] = {
            "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None,
        }

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self._resumed_rng = checkpoint.get("rng")

    def training_step(self, batch, batch_idx: int) -> torch.Tensor:
        rgb, labels = batch
        h = self.model.encoder(rgb)
        z = self.model.bottleneck(h)
        rgb_hat = self.model.decode(z)
        sample_weights = labels.get(SAMPLE_WEIGHT)
        if sample_weights is None:
            recon = F.mse_loss(rgb_hat, rgb)
        else:
            recon = (((rgb_hat - rgb) ** 2).mean(dim=-1) * sample_weights).mean()
        loss = recon if self.recon_name is None else self.term_weights.get(self.recon_name, 1.0) * recon
        terms = {"recon": recon}
        for reg in self.regularizers:
            weight = self.term_weights.get(reg.name, 1.0)
            if weight == 0.0:
                continue
            term = reg.term(h if reg.layer == "encoder" else z, labels, sample_weights)
            terms[reg.name] = term
            loss = loss + weight * term
        terms["loss"] = loss
        trainer = self._trainer  # None when the step is called by hand
        if trainer is None:
            return loss
        step = self.global_step
        self._finite.record(step, terms)
        if step % self._finite.interval == 0:
            self._finite.check()
        # Terms are logged every `trainer.log_every_n_steps` steps (logging every step would cost
        # more than the step itself on this tiny model).
        if step % trainer.log_every_n_steps == 0:
            log_scalars(trainer, {f"train/{k}": v for k, v in terms.items()}, step)
            self.log("loss", loss, prog_bar=True, logger=False, on_step=True, on_epoch=False)
        return loss

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.lr)

    # -- validation ----------------------------------------------------------------------------
    def validation_step(self, batch, batch_idx: int) -> None:
        rgb, _ = batch
        self.val_recon.update(self(rgb), rgb)  # over all validation batches; Lightning computes and resets it
        self.log("val/recon_mse", self.val_recon, on_epoch=True, on_step=False)

    def on_validation_epoch_end(self) -> None:
        # The named colors are one fixed set, not batches: measured once per validation.
        self.log_dict({f"val/{k}": v for k, v in self.structure_metrics().items()})

    @torch.no_grad()
    def structure_metrics(self) -> dict[str, torch.Tensor]:
        """Shape of the latent space on the named colors (`colorlatent.structure.StructureMetrics`):
        `hue_order`, `planarity_rms`, `hue_radius`, `norm_deviation`, `<label>_anchor_cos` and
        `recon_mse/<color>` for each named color."""
        self.structure.reset()
        self.structure.update(self)
        values = self.structure.compute()
        self.structure.reset()
        return values
