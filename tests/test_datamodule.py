import torch

from colorlatent.data.datamodule import BatchRequest, ColorDataModule


def make(**kwargs):
    dm = ColorDataModule(**kwargs)
    dm.trainer = None
    return dm


def test_batches_have_requested_size_labels_and_come_from_the_data():
    dm = make(batch_size=64, labels={"red": 0.5, "vibrant": 0.5}, seed=0)
    rgb, labels = dm.on_after_batch_transfer(BatchRequest("train", 0), 0)
    assert rgb.shape == (64, 3) and set(labels) == {"red", "vibrant"}
    assert all(v.shape == (64,) and set(v.unique().tolist()) <= {0.0, 1.0} for v in labels.values())
    grid = dm.train_set.rgb
    assert torch.cdist(rgb, grid, compute_mode='donot_use_mm_for_euclid_dist').min(dim=1).values.max() < 1e-6  # every sample is a grid point


def test_ragged_last_batch_reproduces_weighted_random_sampler_epochs():
    dm = make(batch_size=64, samples_per_epoch=3600, seed=0)
    assert dm.steps_per_epoch == 57
    assert dm.on_after_batch_transfer(BatchRequest("train", 55), 0)[0].shape == (64, 3)
    assert dm.on_after_batch_transfer(BatchRequest("train", 56), 0)[0].shape == (16, 3)


def test_full_batch_is_the_whole_data_set_in_order():
    dm = make(dataset="ex-1.2-hues", batch_size=None, labels={})
    rgb, labels = dm.on_after_batch_transfer(BatchRequest("train", 3), 0)
    assert torch.equal(rgb, dm.train_set.rgb) and labels == {}


def test_bias_sampling_follows_the_cube_weights():
    dm = make(batch_size=200_000, seed=1)
    rgb, _ = dm.sample(200_000)
    black = (rgb.sum(dim=1) == 0).float().mean().item()
    # all black cells together carry 0.108 % of the mass (m1-spec §1.6)
    assert abs(black - 0.00108) < 0.0003


def test_label_rates_match_the_spec():
    dm = make(batch_size=400_000, labels={"red": 0.5, "vibrant": 0.5}, seed=2)
    _, labels = dm.sample(400_000)
    assert abs(labels["red"].mean().item() - 0.00242) < 0.0004
    assert abs(labels["vibrant"].mean().item() - 0.01936) < 0.001


def test_same_seed_same_stream_and_state_restores_it():
    a, b = make(seed=5, labels={"red": 0.5}), make(seed=5, labels={"red": 0.5})
    first = a.sample(64)
    assert torch.equal(first[0], b.sample(64)[0])
    state = a.state_dict()
    expected = a.sample(64)
    c = make(seed=123, labels={"red": 0.5})
    c.load_state_dict(state)
    again = c.sample(64)
    assert torch.equal(again[0], expected[0]) and torch.equal(again[1]["red"], expected[1]["red"])


def test_validation_batch_is_the_validation_set_with_exact_probabilities():
    dm = make(val_dataset="rgb-8", labels={"red": 0.5})
    rgb, labels = dm.on_after_batch_transfer(BatchRequest("val", 0), 0)
    assert rgb.shape == (512, 3)
    pure_red = (rgb == torch.tensor([1.0, 0.0, 0.0])).all(dim=1)
    assert labels["red"][pure_red].item() == 0.5


def test_bad_arguments_name_the_field():
    import pytest

    with pytest.raises(ValueError, match="batch_size"):
        ColorDataModule(batch_size=0)
    with pytest.raises(ValueError, match="sampling"):
        ColorDataModule(sampling="stratified")
    with pytest.raises(ValueError, match="allowed"):
        ColorDataModule(dataset="nope")
