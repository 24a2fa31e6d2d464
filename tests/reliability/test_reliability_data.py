"""The training token stream resumes mid-epoch, and the loaders leave torch's global generator alone."""

from __future__ import annotations

import torch

from colorlatent import ColorDataModule
from colorlatent.data.datamodule import BatchRequest


def make() -> ColorDataModule:
    dm = ColorDataModule(batch_size=64, samples_per_epoch=600, labels={"red": 0.5}, seed=0)  # 10 steps, last of 24
    dm.trainer = None
    return dm


def test_a_resumed_loader_continues_the_epoch_where_the_checkpoint_was_taken():
    dm = make()
    loader = dm.train_dataloader()
    tokens = iter(loader)
    for _ in range(7):
        dm.on_after_batch_transfer(next(tokens), 0)  # Lightning draws each batch when it trains on it
    prefetched = next(tokens)  # ... and fetches the next token one step ahead
    state, data_state = loader.state_dict(), dm.state_dict()
    assert state == {"next_index": 7}  # the position of the stream, not of the prefetching loader
    expected = [dm.on_after_batch_transfer(t, 0) for t in (prefetched, *tokens)]

    resumed = make()  # a fresh process: same config, then the checkpoint's states
    resumed.load_state_dict(data_state)
    resumed_loader = resumed.train_dataloader()
    resumed_loader.load_state_dict(state)
    got = [resumed.on_after_batch_transfer(t, 0) for t in resumed_loader]
    assert [len(rgb) for rgb, _ in got] == [64, 64, 24]  # the rest of the epoch, with its ragged last batch
    for (rgb, labels), (rgb_want, labels_want) in zip(got, expected, strict=True):
        assert torch.equal(rgb, rgb_want) and torch.equal(labels["red"], labels_want["red"])
    assert [t.index for t in resumed_loader] == list(range(10))  # the next epoch is whole again


def test_iterating_the_loaders_does_not_draw_from_the_global_generator():
    # A DataLoader draws a seed for every new iterator; ours draw it from their own generator, so
    # the global stream (which user code may use) does not depend on epochs and validations.
    dm = make()
    state = torch.get_rng_state()
    for _ in range(3):
        list(dm.train_dataloader())
        assert isinstance(next(iter(dm.val_dataloader())), BatchRequest)
    assert torch.equal(torch.get_rng_state(), state)
