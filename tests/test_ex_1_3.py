"""Experiment 1.3: the stepped data curriculum in a real (time-compressed) run, and its shape metrics."""

import json
import math
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from colorlatent import ScheduleCallback

ROOT = Path(__file__).resolve().parents[1]
EX_1_3 = runpy.run_path(str(ROOT / "experiments" / "ex_1_3.py"), run_name="ex_1_3")


def test_ex_1_3_fast(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "experiments/ex_1_3.py", "--fast", "--out", str(out), "--seed", "1"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    assert Path(proc.stdout.strip().splitlines()[-1]) == out
    assert (out / "checkpoints" / "last.ckpt").is_file()
    results = json.loads((out / "results.json").read_text())
    assert results["experiment"] == "ex_1_3" and results["seed"] == 1 and results["steps"] == 120
    # five phase ends (the smoke run's phases end after steps 19, 39, 69, 89 and 119), four drifts between them
    assert [f"phase{k}_hue_order" in results for k in range(1, 7)] == [True] * 5 + [False]
    assert sorted(k for k in results if k.startswith("hue_drift_")) == [
        "hue_drift_1_2", "hue_drift_2_3", "hue_drift_3_4", "hue_drift_4_5", "hue_drift_mean"]
    assert len([k for k in results if k.startswith("radius_v")]) == 10  # one per value level of the last phase
    for name in ("phase-history", "latent-slices"):
        assert f"{name}.png" in results["figures"] and f"{name}-dark.png" in results["figures"]
    assert "timeline.png" in results["figures"]
    events = EventAccumulator(str(out), size_guidance={"scalars": 0, "images": 0})
    events.Reload()
    assert [e.step for e in events.Images("latent/phase_history")] == [0, 20, 40, 70, 90, 120]
    scheduled = {tag: {e.step: e.value for e in events.Scalars(tag)} for tag in ("sched/lr", "sched/norm",
                                                                               "sched/nonplanar")}
    # every phase restarts the warm-up at 0.01 / W (W = 200 or 300 in the full run) ...
    assert scheduled["sched/lr"][20] == pytest.approx(5e-5) and scheduled["sched/lr"][40] == pytest.approx(1e-2 / 300)
    assert scheduled["sched/lr"][30] == pytest.approx(0.01)  # ... and reaches 0.01 a tenth of the way in
    assert (scheduled["sched/norm"][30], scheduled["sched/norm"][40], scheduled["sched/norm"][70]) == pytest.approx(
        (0.02, 0.05, 0.1))
    assert (scheduled["sched/nonplanar"][80], scheduled["sched/nonplanar"][90]) == pytest.approx((0.005, 0.0))


def test_full_config_trains_12000_steps_in_five_phases_of_the_spec():
    config = yaml.safe_load((ROOT / "experiments" / "configs" / "ex_1_3.yaml").read_text())
    schedule = ScheduleCallback(config["trainer"]["callbacks"][0]["init_args"]["dopesheet"])
    phases = schedule.sheet.phases
    assert [p.end - p.start + 1 for p in phases] == [2000, 2000, 3000, 2000, 3000]
    data = config["data"]["phases"]
    assert [data.get(p.name, {}).get("dataset", config["data"]["dataset"]) for p in phases] == [
        "ring-12", "ring-360", "ring-360-v2", "ring-360-v3", "ring-360-v10"]
    # LinearLR(1/W -> 1 over W steps) restarted per phase: lr = 0.01 (1/W + (1 - 1/W) k / W) at phase step k
    for phase, warmup in zip(phases, (200, 200, 300, 200, 300)):
        for k in (0, warmup // 2, warmup, phase.end - phase.start):
            expected = 0.01 * (1 / warmup + (1 - 1 / warmup) * min(k, warmup) / warmup)
            assert schedule.values_at(phase.start + k)["lr"] == pytest.approx(expected, rel=1e-6)
    assert [schedule.values_at(p.start)["norm"] for p in phases] == pytest.approx([0.02, 0.02, 0.05, 0.1, 0.1])
    assert [schedule.values_at(p.end)["nonplanar"] for p in phases] == pytest.approx([0.1, 0.1, 0.02, 0.005, 0.0])


def test_drift_is_the_mean_absolute_angle_change_and_a_common_rotation_is_no_distortion():
    angles = torch.arange(12) * math.pi / 6
    wheel = torch.stack([angles.cos(), angles.sin(), torch.zeros(12)], dim=1)
    turned = torch.stack([(angles + math.radians(10)).cos(), (angles + math.radians(10)).sin(), torch.zeros(12)], 1)
    swapped = wheel[[1, 0, *range(2, 12)]]  # two hues trade places: 30 degrees each, the rest stay
    out = EX_1_3["drift_metrics"]([(1, wheel), (2, turned), (3, swapped)])
    assert out["phase1_hue_order"] == 1.0 and out["phase2_hue_order"] == 1.0
    assert out["hue_drift_1_2"] == pytest.approx(10, abs=1e-4)
    # turned -> swapped: hues 0 and 1 move -10+30 = +20 and -10-30 = -40 degrees, the other ten -10
    assert out["hue_drift_2_3"] == pytest.approx((20 + 40 + 10 * 10) / 12, abs=1e-4)
    assert out["hue_drift_mean"] == pytest.approx((10 + 160 / 12) / 2, abs=1e-4)
    assert 0 < out["hue_distortion_mean"] < out["hue_drift_mean"]


def test_cone_metrics_see_darker_colors_inward_and_along_dim_2():
    values = torch.tensor([0.2, 0.6, 1.0]).repeat_interleave(4)
    rgb = torch.stack([values, torch.zeros(12), torch.zeros(12)], dim=1)  # reds at three values
    angles = torch.arange(12) * math.pi / 2
    z = torch.stack([values * angles.cos(), values * angles.sin(), 1 - values], dim=1)  # radius V, height 1 - V
    out = EX_1_3["cone_metrics"](rgb, z)
    assert (out["radius_v0.20"], out["radius_v0.60"], out["radius_v1.00"]) == pytest.approx((0.2, 0.6, 1.0))
    assert (out["dim2_v0.20"], out["dim2_v1.00"]) == pytest.approx((0.8, 0.0))
    assert out["value_radius_corr"] == pytest.approx(1.0) and out["value_dim2_abs_corr"] == pytest.approx(1.0)
    assert out["dim2_shift"] == pytest.approx(0.8) and out["radius_increasing_fraction"] == 1.0


@pytest.mark.slow
def test_ex_1_3_full_run_forms_the_wheel_then_the_dome(tmp_path):
    # Seed 1, as in the README: the wheel is in order at every phase end and the darker colors
    # end further in and further along dim 2 (seed 0 keeps its wheel but forms no dome).
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "experiments/ex_1_3.py", "--seed", "1", "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads((out / "results.json").read_text())
    assert results["steps"] == 12000 and results["hue_order"] == 1.0 and results["ring_hue_order"] == 1.0
    assert all(results[f"phase{k}_hue_order"] == 1.0 for k in range(1, 6))
    assert results["value_radius_corr"] > 0.8 and results["dim2_shift"] > 0.4
    assert results["recon_mse"] < 1e-3
