"""Time-compressed dopesheets for smoke runs (colorlatent.schedule.scaling)."""

import pytest
import yaml

from colorlatent.schedule import Dopesheet
from colorlatent.schedule.scaling import compressed_config, scale_dopesheet

ROWS = [{"STEP": 0, "PHASE": "A", "lr": 1e-8}, {"STEP": "+10", "lr": 0.01}, {"STEP": "+0.4", "x": 1.0},
        {"STEP": "-10", "lr": 0.02}, {"STEP": 500, "PHASE": "B", "ACTION": "anchor"}, {"STEP": 1000}]


def test_absolute_steps_and_step_offsets_scale_fractions_stay():
    scaled = scale_dopesheet(ROWS, 0.1)
    assert [r["STEP"] for r in scaled] == [0, "+1", "+0.4", "-1", 50, 100]
    assert [r.step for r in Dopesheet.from_rows(scaled).rows] == [0, 1, 20, 49, 50, 100]  # 0.4 of 0..50
    assert scaled[4]["ACTION"] == "anchor" and ROWS[1]["STEP"] == "+10"  # the input is not changed
    # an offset never shrinks to 0 steps
    assert [r["STEP"] for r in scale_dopesheet(ROWS, 0.04)][:4] == [0, "+1", "+0.4", "-1"]


def test_bad_factors_are_refused():
    with pytest.raises(ValueError, match="factor must be positive"):
        scale_dopesheet(ROWS, 0)
    with pytest.raises(ValueError, match="factor 0.002 breaks the dopesheet"):
        scale_dopesheet(ROWS, 0.002)  # 500 -> 1 and 1000 -> 2: the offsets collide


def test_compressed_config_rewrites_only_the_dopesheet(tmp_path):
    config = tmp_path / "c.yaml"
    original = {"model": {"latent_dim": 4}, "trainer": {"max_steps": 1001, "callbacks": [
        {"class_path": "colorlatent.ScheduleCallback", "init_args": {"dopesheet": ROWS}},
        {"class_path": "colorlatent.PhaseProgressBar"}]}}
    config.write_text(yaml.safe_dump(original))
    written = yaml.safe_load(compressed_config(config, 0.1, tmp_path / "sub" / "fast.yaml").read_text())
    assert written["trainer"]["callbacks"][0]["init_args"]["dopesheet"] == scale_dopesheet(ROWS, 0.1)
    written["trainer"]["callbacks"][0]["init_args"]["dopesheet"] = ROWS
    assert written == original
    config.write_text(yaml.safe_dump({"trainer": {"callbacks": []}}))
    with pytest.raises(ValueError, match="expected one ScheduleCallback with an inline dopesheet"):
        compressed_config(config, 0.1, tmp_path / "x.yaml")
