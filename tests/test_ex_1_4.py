"""Experiment 1.4 as a user runs it: easing figures and a reactive schedule in a short real run."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

ROOT = Path(__file__).resolve().parents[1]


def test_ex_1_4_fast(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "experiments/ex_1_4.py", "--fast", "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert Path(proc.stdout.strip().splitlines()[-1]) == out
    assert (out / "checkpoints" / "last.ckpt").is_file()
    results = json.loads((out / "results.json").read_text())
    assert results["experiment"] == "ex_1_4" and results["steps"] == 60
    # demo 1: the minimum-jerk peak velocity is 15/8 of the linear rate; every start ends at 1, at rest
    assert results["minjerk_max_velocity"] == pytest.approx(1.875 / 100)
    assert results["linear_max_velocity"] == pytest.approx(1 / 100)
    assert results["minjerk_starts_max_end_error"] == 0.0 and results["minjerk_starts_max_end_velocity"] == 0.0
    # demo 2: retargets keep the velocity with minimum jerk; linear jumps (0.0066 -> -0.0110 at step 60 ...)
    assert results["minjerk_retarget_velocity_jump"] < 1e-12
    assert results["linear_retarget_velocity_jump"] == pytest.approx(0.02)  # at 120: 0 -> 1 over 50 steps from rest 0
    # the smoke run's threshold (1.0) is crossed at the first validation, after step 10
    assert results["reactive_fired_at"] == 10
    assert results["played_minus_planned_before_fire_max"] == 0.0
    assert results["reg-norm_final"] == pytest.approx(0.1)
    for name in ("easings", "retargeting", "reactive", "phase-history"):
        assert f"{name}.png" in results["figures"] and f"{name}-dark.png" in results["figures"]
    assert "timeline.png" in results["figures"]
    events = EventAccumulator(str(out), size_guidance={"scalars": 0})
    events.Reload()
    assert [e.step for e in events.Scalars("reactive/reg-norm")] == [10]
