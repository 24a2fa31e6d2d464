"""Experiment 1.8 (regularizer ablation): combination order, subset configs, score, verdict, a --fast run."""

import json
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "experiments" / "ex_1_8.py"
EX = runpy.run_path(str(SCRIPT), run_name="ex_1_8_under_test")


def test_the_31_combinations_are_in_the_spec_order():
    names = [EX["short"](c) for c in EX["COMBINATIONS"]]
    assert len(names) == 31
    # m1-spec §6.8, by number
    assert names[0] == "polar" and names[4] == "norm"
    assert names[5] == "polar+separate" and names[14] == "norm-v+norm"
    assert names[15] == "polar+separate+planar" and names[24] == "planar+norm-v+norm"
    assert names[25] == "polar+separate+planar+norm-v" and names[29] == "separate+planar+norm-v+norm"
    assert names[30] == "polar+separate+planar+norm-v+norm"


def test_a_combination_config_keeps_only_its_regularizers_and_ignores_the_other_columns(tmp_path):
    path = EX["combination_config"](EX["COMBINATIONS"][6], tmp_path / "c.yaml")  # 7: polar+planar
    config = yaml.safe_load(path.read_text())
    assert [r["name"] for r in config["model"]["regularizers"]] == ["reg-polar", "reg-planar"]
    callbacks = {c["class_path"].rsplit(".", 1)[-1]: c.get("init_args", {}) for c in config["trainer"]["callbacks"]}
    assert callbacks["ScheduleCallback"]["ignore_columns"] == ["reg-separate", "reg-norm-v", "reg-norm"]
    assert "PhaseHistoryCallback" not in callbacks and "LatentSliceCallback" in callbacks
    assert config["trainer"]["max_steps"] == 10001  # otherwise ex 1.7's setup


def test_parse_combinations():
    assert EX["parse_combinations"]("1,26-28,31") == [1, 26, 27, 28, 31]
    for bad in ("0", "32", "5-3", "x"):
        with pytest.raises(Exception, match=r"give numbers in 1-31"):
            EX["parse_combinations"](bad)


def test_score_by_hand():
    m = {"red_anchor_cos": 0.8, "hue_order": 0.75, "planarity_rms": 0.2, "probe_norm_deviation": 0.1,
         "direction_bias": 0.3, "recon_mse": 0.002}
    s = EX["score"](m)
    # criteria 0.8, 0.5, 0.8, 0.9, 0.7, 0.8
    assert s["c_wheel"] == pytest.approx(0.5) and s["c_recon"] == pytest.approx(0.8)
    assert s["score"] == pytest.approx((0.8 + 0.5 + 0.8 + 0.9 + 0.7 + 0.8) / 6)
    assert EX["score"]({**m, "red_anchor_cos": -0.5, "hue_order": 0.4})["c_anchor"] == 0.0


def synthetic_rows(include=range(1, 32)):
    """Rows where polar, separate, planar and norm each fix their metric and norm-v does nothing."""
    rows = {}
    for k, combo in enumerate(EX["COMBINATIONS"], start=1):
        if k in include:
            rows[k] = {"red_anchor_cos": 0.95 if "reg-polar" in combo else 0.2,
                       "direction_bias": 0.05 if "reg-separate" in combo else 0.6,
                       "planarity_rms": 0.1 if "reg-planar" in combo else 0.5,
                       "hue_radius_error": 0.02,
                       "probe_norm_deviation": 0.05 if "reg-norm" in combo else 0.4}
    return rows


def test_verdict_finds_the_regularizer_that_changes_nothing():
    verdict = EX["verdict"](synthetic_rows())
    claims = verdict["claims"]
    assert {r: c["needed"] for r, c in claims.items()} == {
        "reg-polar": True, "reg-separate": True, "reg-planar": True, "reg-norm-v": False, "reg-norm": True}
    assert claims["reg-polar"]["pairs"] == 15 and claims["reg-polar"]["pairs_better"] == 15
    assert claims["reg-polar"]["all_five"] == 0.95 and claims["reg-polar"]["all_but_this"] == 0.2
    assert claims["reg-norm-v"]["pairs_within_margin"] == 15
    assert verdict["supports_all_needed"] is False and "reg-norm-v" in verdict["summary"]


def test_verdict_supports_when_every_regularizer_helps_and_waits_for_all_runs():
    rows = synthetic_rows()
    for k, combo in enumerate(EX["COMBINATIONS"], start=1):
        rows[k]["hue_radius_error"] = 0.0 if "reg-norm-v" in combo else 0.3
    assert EX["verdict"](rows)["supports_all_needed"] is True
    partial = EX["verdict"](synthetic_rows(include=(1, 27, 31)))
    assert partial["supports_all_needed"] is None and partial["claims"]["reg-norm-v"]["needed"] is None
    assert partial["claims"]["reg-norm-v"]["pairs"] == 1  # 31 vs 27, the only pair that ran


def test_both_norms_compares_all_five_with_each_norm_left_out():
    rows = {k: {"hue_radius": 1.0, "probe_radius": 0.1 * k, "probe_norm_deviation": 0.01 * k, "score": 0.5}
            for k in (26, 27, 31)}
    cases = EX["both_norms"](rows)
    # 26 = polar+separate+planar+norm-v (no reg-norm), 27 = polar+separate+planar+norm (no reg-norm-v)
    assert {case: c["combination"] for case, c in cases.items()} == {
        "all five": 31, "without reg-norm": 26, "without reg-norm-v": 27}
    assert cases["without reg-norm-v"]["probe_norm_deviation"] == pytest.approx(0.27)


def test_ex_1_8_fast_two_combinations(tmp_path):
    out = tmp_path / "ablation"
    proc = subprocess.run([sys.executable, str(SCRIPT), "--fast", "--combinations", "1,31", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert Path(proc.stdout.strip().splitlines()[-1]) == out
    assert "[2/2] combination" in proc.stdout and "s left" in proc.stdout  # overall progress
    results = json.loads((out / "results.json").read_text())
    assert results["combinations"] == [1, 31] and results["failed"] == {}
    table = results["table"]
    assert {row["combination"] for row in table} == {1, 31}
    assert table[0]["score"] >= table[1]["score"]  # sorted
    assert results["verdict"]["supports_all_needed"] is None  # 2 of 31 runs decide nothing
    assert set(results["verdict"]["both_norms"]) == {"all five"}  # 26 and 27 did not run
    assert (out / "ablation-grid.png").stat().st_size > 10_000 and (out / "table.md").is_file()

    polar = out / "01_polar"
    single = json.loads((polar / "results.json").read_text())
    assert single["regularizers"] == ["reg-polar"] and single["steps"] == 40
    assert single["config"]["model"]["regularizers"][0]["name"] == "reg-polar"
    assert len(single["config"]["model"]["regularizers"]) == 1
    assert (polar / "checkpoints" / "last.ckpt").is_file() and (polar / "latent-slices.png").is_file()
    acc = EventAccumulator(str(polar), size_guidance={"scalars": 0})
    acc.Reload()
    tags = set(acc.Tags()["scalars"])
    assert {"sched/reg-polar", "train/reg-polar", "val/recon_mse/red", "val/red_anchor_cos"} <= tags
    assert not {"sched/reg-norm", "train/reg-norm", "train/reg-separate"} & tags  # removed, columns ignored
    everything = json.loads((out / "31_polar+separate+planar+norm-v+norm" / "results.json").read_text())
    assert [r["name"] for r in everything["config"]["model"]["regularizers"]] == list(EX["REGULARIZERS"])

    # the same command again trains nothing: finished combinations are reused, the table is the same
    again = subprocess.run([sys.executable, str(SCRIPT), "--fast", "--combinations", "1,31", "--out", str(out)],
                           cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert "2 finished before, reused" in again.stdout and "[1/2]" not in again.stdout
    rerun = json.loads((out / "results.json").read_text())
    assert rerun["reused"] == [1, 31] and rerun["table"] == table


def test_ex_1_8_refuses_seeds():
    proc = subprocess.run([sys.executable, str(SCRIPT), "--fast", "--seeds", "0-2"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode != 0 and "--seeds is not supported" in proc.stderr
