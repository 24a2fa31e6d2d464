"""Data curricula: the data module follows the schedule's phases and focus columns in real Trainer runs."""

import lightning as L
import pytest
import torch
import yaml

from colorlatent import AnchoredAutoencoder, ColorDataModule, ScheduleCallback
from colorlatent.cli import build_cli
from colorlatent.color import vibrancy
from colorlatent.data import DATASETS, ColorSet
from colorlatent.data.curriculum import SAMPLE_WEIGHT
from colorlatent.vectorized.sweep import NotVectorizable, check_vectorizable

PRIMARIES = {(1.0, 0.0, 0.0), (1.0, 1.0, 0.0), (0.0, 1.0, 0.0), (0.0, 1.0, 1.0), (0.0, 0.0, 1.0), (1.0, 0.0, 1.0)}


class Batches(L.Callback):
    """Records every training batch by global step, and the size of every validation batch."""

    def __init__(self):
        self.train, self.val = {}, []

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        rgb, labels = batch
        self.train[trainer.global_step] = (rgb.clone(), {k: v.clone() for k, v in labels.items()})

    def on_validation_batch_start(self, trainer, pl_module, batch, batch_idx, dataloader_idx=0):
        self.val.append((trainer.global_step, len(batch[0])))


def fit(tmp_path, sheet, steps, ckpt_path=None, val_check_interval=None, **data):
    recorder = Batches()
    validate = val_check_interval is not None
    trainer = L.Trainer(max_steps=steps, default_root_dir=tmp_path, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False,
                        num_sanity_val_steps=1 if validate else 0, limit_val_batches=1 if validate else 0,
                        val_check_interval=val_check_interval, check_val_every_n_epoch=None,
                        callbacks=[ScheduleCallback(sheet), recorder])
    data.setdefault("seed", 0)
    trainer.fit(AnchoredAutoencoder(latent_dim=3), ColorDataModule(**data), ckpt_path=ckpt_path)
    return trainer, recorder


TWO_PHASES = [{"STEP": 0, "PHASE": "A", "lr": 0.01}, {"STEP": 5, "PHASE": "B"}, {"STEP": 9}]


def test_phase_switches_data_set_batch_size_and_validation_set_at_its_first_step(tmp_path):
    _, seen = fit(tmp_path, TWO_PHASES, 10, val_check_interval=5, dataset="hsv-cube", batch_size=32,
                  val_dataset="rgb-8",
                  phases={"A": {"dataset": "ring-12", "batch_size": None, "val_dataset": "primaries-6"},
                          "B": {"dataset": "ring-360"}})
    sizes = [len(seen.train[step][0]) for step in range(10)]
    assert sizes == [12] * 5 + [32] * 5  # B keeps the default batch size, with its own data set
    ring_12 = ColorDataModule(dataset="ring-12").train_set.rgb
    assert torch.equal(seen.train[4][0], ring_12)  # full batch: the whole set, in order
    hues = {tuple(c) for step in range(5, 10) for c in seen.train[step][0].tolist()}
    assert not hues <= {tuple(c) for c in ring_12.tolist()}  # B samples the 360-hue ring
    # Sanity check at step 0 and the validation after step 4 belong to A; after step 9, to B.
    assert seen.val == [(0, 6), (5, 6), (10, 512)]


def test_without_an_entry_a_phase_uses_the_defaults(tmp_path):
    _, seen = fit(tmp_path, TWO_PHASES, 8, dataset="ring-12", batch_size=None, val_dataset=None,
                  phases={"B": {"dataset": "primaries-6"}})
    assert [len(seen.train[s][0]) for s in range(8)] == [12] * 5 + [6] * 3


def test_focus_restricts_sampling_from_the_step_its_column_changes(tmp_path):
    # 1.6's "All hues" start: vibrancy and hue focus both at 0 leave only the six pure primaries
    # and secondaries (S = V = 1, hue a multiple of 60 degrees); at 1 every color weighs 1.
    sheet = [{"STEP": 0, "PHASE": "A", "lr": 0.01, "data-hues::step-end": 0.0, "data-vibrancies::step-end": 0.0},
             {"STEP": 3, "data-hues::step-end": 1.0, "data-vibrancies::step-end": 1.0}, {"STEP": 5}]
    _, seen = fit(tmp_path, sheet, 5, dataset="hsv-cube", batch_size=2048, sampling="uniform", val_dataset=None,
                  focus={"vibrancy": "data-vibrancies", "primary-secondary": "data-hues"})
    for step in range(3):
        assert {tuple(c) for c in seen.train[step][0].tolist()} == PRIMARIES
    later = torch.cat([seen.train[step][0] for step in (3, 4)])
    # Uniform over the 3600 cube cells (no bias): 36 of them are pure hues (1 %), 300 are black.
    pure = (vibrancy(later) == 1).float().mean().item()
    black = (later.sum(dim=1) == 0).float().mean().item()
    assert 0.003 < pure < 0.02 and 0.06 < black < 0.11


def test_focus_keeps_the_bias_and_half_way_leaves_weights_unchanged(tmp_path):
    # data-fraction 0: only vibrancy >= 0.99; 0.5: p ∝ bias * vibrancy, so grays never appear;
    # 1.0: p ∝ bias, where the 36 pure hues together carry 3.87 % (m1-spec §1.6).
    sheet = [{"STEP": 0, "PHASE": "A", "lr": 0.01, "data-fraction::step-end": 0.0},
             {"STEP": 1, "data-fraction::step-end": 0.5}, {"STEP": 2, "data-fraction::step-end": 1.0}, {"STEP": 7}]
    _, seen = fit(tmp_path, sheet, 7, dataset="hsv-cube", batch_size=10_000, val_dataset=None,
                  focus={"vibrancy": "data-fraction"})
    assert (vibrancy(seen.train[0][0]) == 1).all()
    assert (vibrancy(seen.train[1][0]) > 0).all() and (vibrancy(seen.train[1][0]) < 1).any()
    full = torch.cat([seen.train[s][0] for s in range(2, 7)])
    assert abs((vibrancy(full) == 1).float().mean().item() - 0.0387) < 0.004


def test_all_zero_focus_falls_back_to_uniform_sampling_with_a_warning(tmp_path, monkeypatch):
    # Four dark grays and one dim red, none vibrant enough (>= 0.99) to survive data-fraction 0.
    rgb = torch.tensor([[0.1] * 3, [0.2] * 3, [0.3] * 3, [0.4] * 3, [0.5, 0.0, 0.0]])
    bias = torch.tensor([1.0, 0, 0, 0, 0])
    monkeypatch.setitem(DATASETS, "dim-test", lambda device=None: ColorSet("dim-test", rgb, bias))
    sheet = [{"STEP": 0, "PHASE": "A", "lr": 0.01, "data-fraction": 0.0}, {"STEP": 4}]
    with pytest.warns(UserWarning, match="every weight of dim-test is 0"):
        _, seen = fit(tmp_path, sheet, 4, dataset="dim-test", batch_size=500, val_dataset=None,
                      focus={"vibrancy": "data-fraction"}, sample_weights="focus")
    drawn = torch.cat([seen.train[s][0] for s in range(4)])
    counts = torch.stack([(drawn == color).all(dim=1).sum() for color in rgb])
    assert counts.sum() == 2000 and counts.min() > 300  # uniform (400 each), not the bias (all on the first)
    assert torch.equal(seen.train[0][1][SAMPLE_WEIGHT], torch.full((500,), 1 / 500))


def test_sample_weights_sum_to_one_in_sampled_phases_and_are_one_in_full_batch_phases(tmp_path):
    sheet = [{"STEP": 0, "PHASE": "A", "lr": 0.01, "data-fraction": 0.5}, {"STEP": 2, "PHASE": "B"}, {"STEP": 5}]
    _, seen = fit(tmp_path, sheet, 5, dataset="hsv-cube", batch_size=64, val_dataset=None, labels={"red": 0.5},
                  phases={"A": {"dataset": "primaries-6", "batch_size": None}},
                  focus={"vibrancy": "data-fraction"}, sample_weights="focus")
    for step in (0, 1):
        assert torch.equal(seen.train[step][1][SAMPLE_WEIGHT], torch.ones(6))
    for step in (2, 3, 4):
        rgb, labels = seen.train[step]
        assert set(labels) == {"red", SAMPLE_WEIGHT}
        omega = labels[SAMPLE_WEIGHT]
        assert omega.shape == (64,) and abs(omega.sum().item() - 1) < 1e-5
        # at data-fraction 0.5 the focus weight is the vibrancy itself
        torch.testing.assert_close(omega, vibrancy(rgb) / vibrancy(rgb).sum())


def test_resume_mid_phase_draws_the_same_batches(tmp_path):
    sheet = [{"STEP": 0, "PHASE": "A", "lr": 0.01, "data-fraction": 0.0}, {"STEP": 4, "PHASE": "B"},
             {"STEP": 11, "data-fraction": 1.0}]
    data = dict(dataset="hsv-cube", batch_size=16, val_dataset=None, labels={"vibrant": 0.5},
                phases={"A": {"dataset": "ring-12", "batch_size": 4}}, focus={"vibrancy": "data-fraction"},
                sample_weights="focus")
    _, whole = fit(tmp_path / "whole", sheet, 11, **data)
    trainer, _ = fit(tmp_path / "first", sheet, 7, **data)
    trainer.save_checkpoint(tmp_path / "stop.ckpt")
    _, resumed = fit(tmp_path / "second", sheet, 11, ckpt_path=tmp_path / "stop.ckpt", **data)
    assert sorted(resumed.train) == list(range(7, 11))
    for step in range(7, 11):
        assert torch.equal(resumed.train[step][0], whole.train[step][0])
        for key in ("vibrant", SAMPLE_WEIGHT):
            assert torch.equal(resumed.train[step][1][key], whole.train[step][1][key])


@pytest.mark.parametrize("data, match", [
    ({"phases": {"C": {"dataset": "ring-12"}}},
     r"data\.phases: 'C' is not a phase of the dopesheet; its phases are \['A', 'B'\]"),
    ({"focus": {"vibrancy": "data-fractoin"}}, r"data\.focus\.vibrancy='data-fractoin' is not a dopesheet column"),
])
def test_names_unknown_to_the_dopesheet_fail_at_fit_start(tmp_path, data, match):
    with pytest.raises(ValueError, match=match):
        fit(tmp_path, TWO_PHASES, 2, val_dataset=None, **data)


def test_a_curriculum_without_a_schedule_fails_at_fit_start(tmp_path):
    trainer = L.Trainer(max_steps=2, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                        default_root_dir=tmp_path)
    with pytest.raises(ValueError, match="no ScheduleCallback"):
        trainer.fit(AnchoredAutoencoder(), ColorDataModule(phases={"A": {"batch_size": 8}}))


def test_the_schedule_accepts_data_columns_only_when_the_data_module_reads_them(tmp_path):
    sheet = [{"STEP": 0, "PHASE": "A", "lr": 0.01, "data-fraction": 0.5}, {"STEP": 3}]
    fit(tmp_path, sheet, 2, val_dataset=None, focus={"vibrancy": "data-fraction"})
    with pytest.raises(ValueError, match="dopesheet column 'data-fraction' is not used"):
        fit(tmp_path, sheet, 2, val_dataset=None)


@pytest.mark.parametrize("kwargs, match", [
    ({"phases": {"A": {"datset": "ring-12"}}}, r"data\.phases\.A: unknown key\(s\) \['datset'\]; allowed keys"),
    ({"phases": {"A": {"dataset": "ring-13"}}}, r"data\.phases\.A\.dataset: unknown dataset 'ring-13'; allowed"),
    ({"phases": {"A": {"batch_size": 0}}}, r"data\.phases\.A\.batch_size must be a positive integer"),
    ({"phases": {"A": {"sampling": "even"}}}, r"data\.phases\.A\.sampling='even' is not allowed; allowed: \['bias'"),
    ({"phases": {"A": {"val_dataset": None}}}, r"data\.phases\.A\.val_dataset=None: validation runs in every phase"),
    ({"phases": {"A": {}}, "samples_per_epoch": 3600}, r"data\.samples_per_epoch=3600 cannot be combined"),
    ({"focus": {"hue": "data-hues"}}, r"data\.focus: 'hue' is not a focus attribute; allowed: \['vibrancy'"),
    ({"sample_weights": "labels"}, r"data\.sample_weights='labels' is not allowed; allowed: \[None, 'focus'\]"),
    ({"labels": {SAMPLE_WEIGHT: 0.5}}, r"'_sample_weight' is reserved"),
])
def test_bad_curriculum_arguments_name_the_field_and_the_allowed_values(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ColorDataModule(**kwargs)


def test_cli_reads_phases_from_yaml_with_explicit_null_batch_size(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"data": {
        "dataset": "hsv-cube", "batch_size": 256, "val_dataset": "rgb-10",
        "phases": {"Primary & secondary": {"dataset": "primaries-6", "batch_size": None, "val_dataset": "primaries-6"}},
        "focus": {"vibrancy": "data-fraction"}, "sample_weights": "focus"}}))
    dm = build_cli(["--config", str(config)], run=False).datamodule
    phase = dm.phases["Primary & secondary"]
    assert (phase.dataset, phase.batch_size, phase.sampling, phase.val_dataset) == ("primaries-6", None, "bias",
                                                                                    "primaries-6")
    assert dm.schedule_columns == ["data-fraction"] and dm.sample_weights == "focus"


def test_seed_stacks_refuse_a_curriculum_instead_of_ignoring_it():
    trainer = L.Trainer(logger=False, enable_checkpointing=False)
    model = AnchoredAutoencoder()
    check_vectorizable(model, ColorDataModule(), trainer)  # no curriculum: stackable
    with pytest.raises(NotVectorizable, match="data.phases"):
        check_vectorizable(model, ColorDataModule(phases={"A": {"dataset": "ring-12"}}), trainer)
