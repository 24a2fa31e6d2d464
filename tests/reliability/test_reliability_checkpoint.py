"""RunCheckpoint and AtomicCheckpointIO in one process: the final step is saved, a failed write changes nothing."""

from __future__ import annotations

import os
import stat

import lightning as L
import pytest
import torch

from colorlatent import AnchoredAutoencoder, ColorDataModule
from colorlatent.checkpointing import AtomicCheckpointIO, RunCheckpoint


def test_last_ckpt_holds_the_final_step_even_off_the_checkpoint_interval(tmp_path):
    checkpoint = RunCheckpoint(dirpath=tmp_path, save_last=True, save_top_k=0, every_n_train_steps=5)
    trainer = L.Trainer(max_steps=13, default_root_dir=tmp_path, logger=False, enable_progress_bar=False,
                        enable_model_summary=False, callbacks=[checkpoint], num_sanity_val_steps=0,
                        limit_val_batches=0)
    trainer.fit(AnchoredAutoencoder(), ColorDataModule(dataset="rgb-8", batch_size=16, seed=0))
    assert isinstance(trainer.strategy.checkpoint_io, AtomicCheckpointIO)
    assert torch.load(tmp_path / "last.ckpt", weights_only=False)["global_step"] == 13  # Lightning's: 10


class Unpicklable:
    def __reduce__(self):
        raise RuntimeError("cannot pickle this")


def test_a_write_that_fails_half_way_leaves_the_previous_file_and_no_temporary(tmp_path):
    path = tmp_path / "checkpoints" / "last.ckpt"
    io = AtomicCheckpointIO()
    io.save_checkpoint({"step": 1, "weights": torch.arange(4.0)}, path)
    with pytest.raises(RuntimeError, match="cannot pickle this"):
        io.save_checkpoint({"step": 2, "weights": torch.zeros(4), "bad": Unpicklable()}, path)
    assert torch.load(path, weights_only=False)["step"] == 1
    assert sorted(p.name for p in path.parent.iterdir()) == ["last.ckpt"]
    # permissions come from the umask, as for any file the user writes (not the 0600 of mkstemp)
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
