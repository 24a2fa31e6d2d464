"""LatentDisplacementCallback: the mean distance the probe latents move between captures."""

import lightning as L
import pytest
import torch

from colorlatent import AnchoredAutoencoder, ColorDataModule
from colorlatent.callbacks.displacement import LatentDisplacementCallback
from colorlatent.data import make_dataset


class Probe(L.Callback):
    def __init__(self):
        self.latents = {}

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        with torch.no_grad():
            self.latents[trainer.global_step] = pl_module.encode(make_dataset("rgb-4").rgb)

    def on_train_end(self, trainer, pl_module):
        self.on_train_batch_start(trainer, pl_module, None, 0)


def fit(tmp_path, callbacks, steps=6, ckpt_path=None):
    trainer = L.Trainer(max_steps=steps, default_root_dir=tmp_path, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, limit_val_batches=0,
                        callbacks=callbacks)
    torch.manual_seed(0)  # the same initial weights in every fit (a resumed one loads its own)
    trainer.fit(AnchoredAutoencoder(lr=0.05), ColorDataModule(seed=0, batch_size=8), ckpt_path=ckpt_path)
    return trainer


def test_history_is_the_mean_move_between_captures(tmp_path):
    probe, moves = Probe(), LatentDisplacementCallback(colors="rgb-4", every_n_steps=2)
    fit(tmp_path, [probe, moves])
    z = probe.latents
    expected = [(s, (z[s] - z[s - 2]).norm(dim=1).mean().item()) for s in (2, 4, 6)]  # 6: the end, on the grid
    assert [s for s, _ in moves.history] == [2, 4, 6]
    assert [d for _, d in moves.history] == pytest.approx([d for _, d in expected], rel=1e-6)
    assert all(d > 0 for _, d in moves.history)


def test_resumed_run_continues_the_history(tmp_path):
    whole = LatentDisplacementCallback(colors="rgb-4", every_n_steps=2)
    fit(tmp_path, [whole], steps=6)
    first = LatentDisplacementCallback(colors="rgb-4", every_n_steps=2)
    fit(tmp_path, [first], steps=3).save_checkpoint(tmp_path / "c.ckpt")  # the end (3) is off the grid
    second = LatentDisplacementCallback(colors="rgb-4", every_n_steps=2)
    fit(tmp_path, [second], steps=6, ckpt_path=tmp_path / "c.ckpt")
    assert [s for s, _ in second.history] == [2, 4, 6]
    assert [d for _, d in second.history] == pytest.approx([d for _, d in whole.history], rel=1e-5)


def test_bad_spacing_is_refused():
    with pytest.raises(ValueError, match="every_n_steps must be a positive integer; got 0"):
        LatentDisplacementCallback(every_n_steps=0)
