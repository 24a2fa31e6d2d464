"""A loss that goes NaN or infinite stops training with the step and the term, and never reaches a checkpoint."""

from __future__ import annotations

import lightning as L
import pytest
import torch

from colorlatent import AnchoredAutoencoder, ColorDataModule
from colorlatent.checkpointing import RunCheckpoint
from colorlatent.module import NonFiniteLossError
from colorlatent.regularizers import Regularizer


class BreaksAt(Regularizer):
    """A user-defined term that is 0 until training step `step`, then NaN (or inf) from there on."""

    def __init__(self, step: int, value: float = float("nan")):
        super().__init__("reg-breaks")
        self.step, self.value, self.calls = step, value, 0

    def loss(self, z: torch.Tensor) -> torch.Tensor:
        self.calls += 1  # training_step calls it once per step, from step 0
        bad = self.calls > self.step
        return z.sum(dim=-1) * 0.0 + (self.value if bad else 0.0)


def train(tmp_path, reg: Regularizer, steps: int, log_every: int, checkpoint_every: int | None) -> L.Trainer:
    callbacks = []
    if checkpoint_every:
        callbacks.append(RunCheckpoint(dirpath=tmp_path, save_last=True, save_top_k=0,
                                       every_n_train_steps=checkpoint_every))
    trainer = L.Trainer(max_steps=steps, default_root_dir=tmp_path, logger=False, enable_progress_bar=False,
                        enable_model_summary=False, enable_checkpointing=bool(checkpoint_every),
                        callbacks=callbacks, log_every_n_steps=log_every, num_sanity_val_steps=0, limit_val_batches=0)
    module = AnchoredAutoencoder(regularizers=[{"kind": "unitarity", "name": "reg-norm"}, reg])
    trainer.fit(module, ColorDataModule(dataset="rgb-8", batch_size=16, seed=0))
    return trainer


def test_the_error_names_the_first_bad_step_and_term_and_the_last_good_checkpoint_is_kept(tmp_path):
    with pytest.raises(NonFiniteLossError) as error:
        train(tmp_path, BreaksAt(12), steps=40, log_every=5, checkpoint_every=5)
    message = str(error.value)
    assert "the loss became non-finite at step 12, in term(s) ['reg-breaks']" in message
    assert "reg-breaks=nan" in message and "recon=" in message
    saved = torch.load(tmp_path / "last.ckpt", weights_only=False)
    assert saved["global_step"] == 10  # the save after step 14 (global step 15) was refused
    assert all(torch.isfinite(t).all() for t in saved["state_dict"].values())


def test_it_is_found_without_checkpoints_at_the_next_check(tmp_path):
    reg = BreaksAt(7, value=float("inf"))
    with pytest.raises(NonFiniteLossError, match=r"non-finite at step 7, in term\(s\) \['reg-breaks'\] "
                                                 r"\(terms at that step: recon=.*, reg-breaks=inf"):
        train(tmp_path, reg, steps=200, log_every=50, checkpoint_every=None)
    assert reg.calls == 51  # steps 0..50: the check at step 50 (the logging interval) stopped it
