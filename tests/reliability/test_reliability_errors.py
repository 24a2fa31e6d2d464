"""Bad input gets a clear error that names the field, the bad value and what is allowed, before training.

Configs go through the real LightningCLI (`colorlatent.cli.build_cli`), as `colorlatent fit -c`
and the experiment scripts do; errors that need the whole setup (which regularizers exist,
which labels the data module draws) come at fit start, before the first step.
"""

from __future__ import annotations

import copy
import re

import lightning as L
import pytest
import torch
import yaml
from lightning.fabric.utilities.exceptions import MisconfigurationException

from colorlatent import AnchoredAutoencoder, ColorDataModule, ScheduleCallback
from colorlatent.cli import build_cli
from colorlatent.color import rgb_to_hsv
from colorlatent.schedule import DopesheetError

SHEET = [{"STEP": 0, "lr": 0.01, "reg-norm": 0.1, "reg-polar": 0.5}, {"STEP": "+0.5", "reg-norm": 1.0},
         {"STEP": 9, "lr": 0.001}]
BASE = {
    "seed_everything": 0,
    "model": {"latent_dim": 4, "regularizers": [
        {"kind": "anchor", "name": "reg-polar", "point": [1.0, 0.0, 0.0, 0.0], "labels": {"red": 1.0}},
        {"kind": "unitarity", "name": "reg-norm"},
    ]},
    "data": {"dataset": "rgb-8", "batch_size": 16, "labels": {"red": 0.5}, "val_dataset": None},
    "trainer": {"max_steps": 10, "logger": False, "enable_checkpointing": False, "enable_progress_bar": False,
                "enable_model_summary": False,
                "callbacks": [{"class_path": "colorlatent.ScheduleCallback", "init_args": {"dopesheet": SHEET}}]},
}


def config(**changes) -> dict:
    """BASE with `section__key=value` changes (`trainer__max_steps=0`); `sheet=` replaces the dopesheet."""
    cfg = copy.deepcopy(BASE)
    schedule = cfg["trainer"]["callbacks"][0]["init_args"]
    for key, value in changes.items():
        if key == "sheet":
            schedule["dopesheet"] = value
        elif key == "ignore_columns":
            schedule["ignore_columns"] = value
        else:
            section, field = key.split("__")
            cfg[section][field] = value
    return cfg


def fit(tmp_path, **changes) -> L.Trainer:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config(**changes)))
    cli = build_cli(["--config", str(path), f"--trainer.default_root_dir={tmp_path}"], run=False)
    cli.trainer.fit(cli.model, cli.datamodule)
    return cli.trainer


class StepCounter(L.Callback):
    steps = 0

    def on_train_batch_start(self, *args) -> None:
        StepCounter.steps += 1


def fails_before_training(tmp_path, error, message, **changes) -> None:
    """The run fails with `error` matching `message`, and no training step ran."""
    StepCounter.steps = 0
    cfg_callbacks = config(**changes)["trainer"]["callbacks"] + [{"class_path": f"{__name__}.StepCounter"}]
    with pytest.raises(error, match=message):
        fit(tmp_path, **changes, trainer__callbacks=cfg_callbacks)
    assert StepCounter.steps == 0


def test_the_base_config_trains(tmp_path):
    assert fit(tmp_path).global_step == 10


# -- dopesheets: parsed when the config is instantiated ------------------------------------------
@pytest.mark.parametrize(("sheet", "message"), [
    ([{"STEP": 0, "lr": 0.01, "reg-norm::cubic": 1.0}],
     r"column 'reg-norm::cubic': unknown interpolator 'cubic'; expected one of \['minjerk', .*'linear'"),
    ([{"STEP": 0, "lr": 0.01, "reg-norm:exp": 1.0}],
     r"column 'reg-norm:exp': unknown space 'exp'; expected one of \['linear', 'log'\]"),
    ([{"STEP": 0, "lr": 0.01}, {"STEP": "+0.5", "lr": 0.1}],
     r"row 2: cannot resolve STEP '\+0.5'; expected .*'\+F'/'-F' with 0 < F < 1 .* must both exist"),
    ([{"STEP": 0, "lr": 0.01}, {"STEP": "soon", "lr": 0.1}], r"row 2: cannot resolve STEP 'soon'; expected an absolute"),
    ([{"STEP": 0, "lr": 0.01}, {"STEP": "+10", "lr": 0.1}, {"STEP": 10, "lr": 0.2}],
     r"rows 2 \(STEP '\+10'\) and 3 \(STEP '10'\) both resolve to step 10; each step may have only one row"),
    ([{"STEP": 0, "lr": "fast"}], r"row 1, column 'lr': expected a finite number, got 'fast'"),
    ([{"STEP": 0, "reg-norm": 1.0}, {"STEP": 10, "reg-norm": 0.5}],
     r"dopesheet has no 'lr' column \(columns: \['reg-norm'\]\); the schedule sets the learning rate"),
])
def test_a_malformed_dopesheet_is_rejected_when_the_config_is_read(tmp_path, sheet, message):
    # jsonargparse reports a callback's error inside its own ValueError (the message is quoted)
    with pytest.raises(ValueError, match=message):
        fit(tmp_path, sheet=sheet)
    with pytest.raises(DopesheetError, match=message):
        ScheduleCallback(sheet)


def test_a_column_nothing_reads_is_an_error_before_training(tmp_path):
    sheet = [{**SHEET[0], "reg-polr": 0.5}, *SHEET[1:]]
    fails_before_training(
        tmp_path, ValueError,
        r"dopesheet column 'reg-polr' is not used: no regularizer is named 'reg-polr' and nothing else reads it "
        r"\(did you mean 'reg-polar'\?\)\. Regularizers: \['reg-polar', 'reg-norm'\]; .*ignore_columns",
        sheet=sheet)


def test_ignore_columns_lets_runs_share_one_dopesheet(tmp_path):
    # experiment 1.8 trains subsets of the regularizers with one sheet
    sheet = [{**SHEET[0], "reg-planar": 0.2, "reg-separate": 0.01}, *SHEET[1:]]
    assert fit(tmp_path, sheet=sheet, ignore_columns=["reg-planar", "reg-separate"]).global_step == 10
    with pytest.raises(ValueError, match=r"ignore_columns=\['reg-planr'\]: \['reg-planr'\] are not dopesheet columns"):
        fit(tmp_path, sheet=sheet, ignore_columns=["reg-planr"])
    fails_before_training(tmp_path, ValueError, r"ignore_columns lists \['reg-norm'\], but the model has regularizers",
                          sheet=sheet, ignore_columns=["reg-norm", "reg-planar", "reg-separate"])


# -- model, regularizers and data ----------------------------------------------------------------
@pytest.mark.parametrize(("field", "value", "message"), [
    ("model__regularizers", [{"kind": "anchr", "name": "reg-polar"}],
     r"unknown regularizer kind 'anchr'; allowed: \[.*'anchor', .*'unitarity'\]"),
    ("model__regularizers", [{"kind": "anchor", "name": "reg-polar", "point": [1.0, 0.0, 0.0]}],
     r"regularizer 'reg-polar': point has 3 dims but latent_dim is 4; give a point of length 4"),
    ("model__regularizers", [{"kind": "subspace", "name": "reg-norm", "dims": [0, 5]}],
     r"regularizer 'reg-norm': dims=\[0, 5\] must be a non-empty list of latent dims in \[0, 3\]"),
    ("model__regularizers", [{"kind": "separation", "name": "reg-norm", "dims": [4]}],
     r"regularizer 'reg-norm': dims=\[4\] must be a non-empty list of latent dims in \[0, 3\]"),
    ("model__regularizers", [{"kind": "unitarity", "name": "reg-norm", "layer": "decoder"}],
     r"regularizer 'reg-norm': layer='decoder' is not allowed; allowed: \['bottleneck', 'encoder'\]"),
    ("model__hue_plane", [0, 4], r"hue_plane must be two distinct dims in \[0, 4\); got \[0, 4\]"),
    ("data__batch_size", 0, r"data.batch_size must be a positive integer or null \(full batch\); got 0"),
    ("data__batch_size", -64, r"data.batch_size must be a positive integer or null \(full batch\); got -64"),
    ("data__samples_per_epoch", 0, r"data.samples_per_epoch must be a positive integer or null; got 0"),
    ("data__steps_per_epoch", -1, r"data.steps_per_epoch must be a positive integer or null; got -1"),
    ("data__dataset", "hsv-cub", r"data.dataset: unknown dataset 'hsv-cub'; allowed names are \[.*'hsv-cube'"),
    ("data__labels", {"redd": 0.5}, r"data.labels: label 'redd' needs an 'attribute' \(one of \['blueness'"),
    ("data__labels", {"red": 1.5}, r"data.labels: label 'red': scale must be a number in \[0, 1\], got 1.5"),
])
def test_a_bad_model_or_data_setting_is_rejected_when_the_config_is_read(tmp_path, field, value, message):
    with pytest.raises(ValueError, match=message):
        fit(tmp_path, **{field: value})


def test_a_value_outside_a_typed_choice_is_rejected_by_the_parser(tmp_path, capsys):
    with pytest.raises(SystemExit):
        fit(tmp_path, data__sampling="stratified")
    assert "Expected a typing.Literal['bias', 'uniform']. Got value: stratified" in capsys.readouterr().err
    with pytest.raises(ValueError, match=r"data.sampling='stratified' is not allowed; allowed: \['bias', 'uniform'\]"):
        ColorDataModule(sampling="stratified")  # the same mistake from Python


def test_samples_and_steps_per_epoch_together_are_rejected():
    with pytest.raises(ValueError, match=r"data.samples_per_epoch=600 and data.steps_per_epoch=100 both set the "
                                         r"epoch length; give only one"):
        ColorDataModule(batch_size=64, samples_per_epoch=600, steps_per_epoch=100)
    with pytest.raises(ValueError, match=r"data.batch_size must be a positive integer .*; got True"):
        ColorDataModule(batch_size=True)


def test_a_label_the_data_module_does_not_draw_is_an_error_before_training(tmp_path):
    fails_before_training(
        tmp_path, ValueError,
        r"regularizer 'reg-polar' needs label\(s\) \['red'\], but the data module produces \['vibrant'\]; "
        r"add them to data.labels",
        data__labels={"vibrant": 0.5})


def test_zero_or_negative_steps_are_rejected(tmp_path):
    fails_before_training(tmp_path, ValueError, r"trainer.max_steps=0 trains nothing; give a positive number of steps",
                          trainer__max_steps=0)
    with pytest.raises(MisconfigurationException, match=r"`max_steps` must be a non-negative integer or -1"):
        fit(tmp_path, trainer__max_steps=-5)


# -- colors given to public functions --------------------------------------------------------------
@pytest.mark.parametrize(("rgb", "message"), [
    (torch.rand(5, 4), r"rgb must have shape \[\.\.\., 3\], got \[5, 4\]"),
    (torch.tensor([[255, 0, 0]]), r"rgb must have a floating dtype, got torch.int64"),
    (torch.tensor([[255.0, 0.0, 0.0]]), r"rgb values must lie in \[0, 1\]"),
    (torch.tensor([[float("nan"), 0.0, 0.0]]), r"rgb values must lie in \[0, 1\]"),
    (torch.rand(5, 3, dtype=torch.float64), r"rgb has dtype torch.float64 but the model computes in torch.float32; "
                                            r"convert it with rgb.to\(torch.float32\)"),
])
def test_a_model_given_bad_colors_says_what_it_expects(rgb, message):
    model = AnchoredAutoencoder()
    for call in (model, model.encode):
        with pytest.raises(ValueError, match=message):
            call(rgb)


def test_decode_and_color_conversion_check_their_inputs():
    model = AnchoredAutoencoder(latent_dim=4)
    with pytest.raises(ValueError, match=re.escape("z must have shape [..., 4] (the latent_dim), got [5, 3]")):
        model.decode(torch.rand(5, 3))
    with pytest.raises(ValueError, match=re.escape("rgb must have shape [..., 3], got [3, 2]")):
        rgb_to_hsv(torch.rand(3, 2))
    with pytest.raises(TypeError, match=re.escape("rgb must be a torch.Tensor of shape [..., 3], got list")):
        model.encode([[1.0, 0.0, 0.0]])
