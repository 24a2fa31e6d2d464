"""Experiment 1.6: both dopesheets are the spec's, and the smoke run trains and compares both variants."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from colorlatent.schedule import Timeline

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "schedule" / "fixtures"

# m1-spec §4.7, Ex 1.6 smooth, a few rows (printed with 6 significant digits)
SMOOTH = {
    10: {"lr": 0.01, "reg-separate": 0.000231625, "reg-planar": 0.00046325, "reg-norm": 0.0102779},
    499: {"lr": 0.0100808, "reg-planar": 0.2, "reg-norm": 0.25, "reg-anchor": 0.0},
    500: {"lr": 0.0100813, "reg-anchor": 0.25, "data-hues": 0.0},
    725: {"reg-planar": 0.179297, "reg-norm": 0.375, "data-hues": 0.5},
    5750: {"lr": 0.0194944, "reg-norm": 0.254986, "data-vibrancies": 0.5},
    10000: {"lr": 0.001, "loss-recon": 1.0, "reg-norm": 0.25, "data-vibrancies": 1.0},
}


def config(name: str) -> dict:
    return yaml.safe_load((ROOT / "experiments" / "configs" / name).read_text())


def sheet(cfg: dict):
    (schedule,) = [c for c in cfg["trainer"]["callbacks"] if c["class_path"].endswith("ScheduleCallback")]
    return schedule["init_args"]["dopesheet"]


@pytest.mark.parametrize("variant", ["smooth", "stepped"])
def test_config_sheet_is_the_transcribed_csv(variant):
    # The CSV fixtures are checked against the spec's realized values in tests/schedule/test_timeline.py.
    ours, csv = Timeline(sheet(config(f"ex_1_6_{variant}.yaml"))), Timeline(FIXTURES / f"ex_1_6_{variant}_dopesheet.csv")
    (names, table), (csv_names, csv_table) = ours.table(), csv.table()
    assert sorted(names) == sorted(csv_names) and len(table) == 10001
    np.testing.assert_array_equal(table[:, [names.index(n) for n in csv_names]], csv_table)
    assert [(p.name, p.start, p.end) for p in ours.dopesheet.phases] == \
        [(p.name, p.start, p.end) for p in csv.dopesheet.phases]
    assert [c.header for c in ours.dopesheet.columns] == [c.header for c in csv.dopesheet.columns]
    assert [(r.step, r.actions) for r in ours.dopesheet.rows if r.actions] == [(500, ("anchor",))]


def test_smooth_sheet_realizes_spec_values():
    names, table = Timeline(sheet(config("ex_1_6_smooth.yaml"))).table()
    for step, expected in SMOOTH.items():
        for column, value in expected.items():
            assert table[step, names.index(column)] == pytest.approx(value, rel=5e-6, abs=1e-12), (step, column)


def test_variants_differ_only_in_their_dopesheet():
    smooth, stepped = config("ex_1_6_smooth.yaml"), config("ex_1_6_stepped.yaml")
    for cfg in (smooth, stepped):
        sheet(cfg).clear()
        cfg["trainer"]["logger"]["init_args"].pop("name")
    assert smooth == stepped
    assert smooth["data"]["batch_size"] == 32 and smooth["data"]["sample_weights"] == "focus"


def test_ex_1_6_fast(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "experiments/ex_1_6.py", "--fast", "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert Path(proc.stdout.strip().splitlines()[-1]) == out
    results = json.loads((out / "results.json").read_text())
    assert results["experiment"] == "ex_1_6" and results["steps"] == 301 and results["seed"] == 0
    for variant in ("smooth", "stepped"):
        run = json.loads((out / variant / "results.json").read_text())
        assert run["experiment"] == f"ex_1_6_{variant}" and run["steps"] == 301
        assert (out / variant / "checkpoints" / "last.ckpt").is_file()
        assert (out / variant / "phase-history.png").stat().st_size > 10_000
        assert results[f"{variant}/anchor_captured_at"] == 15  # step 500 at 0.03 x
        assert results[f"{variant}/displacement_mean"] > 0
        assert 10 <= results[f"{variant}/displacement_max_step"] <= 300
        for phase, start in (("All hues", 15), ("Full color space", 150)):  # where each phase name first starts
            assert start <= results[f"{variant}/recon_bulge_step/{phase}"] <= 300
            assert results[f"{variant}/recon_bulge/{phase}"] > 0
        events = EventAccumulator(str(out / variant), size_guidance={"scalars": 0, "images": 0})
        events.Reload()
        moves = events.Scalars("latent/displacement")
        assert [e.step for e in moves] == list(range(10, 301, 10))  # every 10 steps; 301 is off the grid
        assert np.mean([e.value for e in moves]) == pytest.approx(results[f"{variant}/displacement_mean"], rel=1e-6)
        captures = [e.step for e in events.Images("latent/phase_history")]
        # the first step of every phase (the end of the one before) and the end of training
        assert captures == ([0, 15, 150, 301] if variant == "smooth" else [0, 3, 9, 15, 30, 150, 195, 301])
    # the captures both variants take, and the movement between them
    for key in ("capture_displacement@0-15", "capture_displacement@15-150", "capture_displacement@150-301"):
        assert results[f"smooth/{key}"] > 0 and results[f"stepped/{key}"] > 0
    assert 0 < results["final_shape_distance"] <= results["final_latent_distance"]
    assert (out / "comparison.png").stat().st_size > 20_000
    assert "comparison.png" in results["figures"] and "stepped/phase-history.png" in results["figures"]
