"""Experiment 1.1 as a user runs it: color-data figures and facts, no model."""

import json
import subprocess
import sys
from pathlib import Path

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ["hsv-cylinder.png", "hsv-slices.png", "hue-ring.png", "rgb-cube.png", "sampling-weights.png"]


def test_ex_1_1_fast(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "experiments/ex_1_1.py", "--fast", "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert Path(proc.stdout.strip().splitlines()[-1]) == out  # contract: the last line is the run directory
    results = json.loads((out / "results.json").read_text())
    assert results["experiment"] == "ex_1_1" and results["trains_model"] is False and results["checkpoint"] is None
    assert not (out / "checkpoints").exists()
    # scikit-image is the reference: our conversions agree exactly, on 14,112 colors
    assert results["rgb_to_hsv_max_abs_diff_vs_skimage"] == 0.0
    assert results["hsv_to_rgb_max_abs_diff_vs_skimage"] == 0.0
    # m1-spec §6.1 / §1.6 facts
    assert results["sixty_degree_hues_max_abs_error"] == 0.0
    assert abs(results["secondary_rgb_length"] - 2 ** 0.5) < 1e-6
    assert (results["hsv_12x5x5_points"], results["rgb_5x5x5_points"], results["hsv_cube_points"]) == (300, 125, 3600)
    assert abs(results["hsv_cube_bias_sum"] - 930) < 1e-3 and abs(results["hsv_cube_pure_hue_mass"] - 36 / 930) < 1e-6
    assert results["hues_left_without_red_plain_test"] == 10  # misses 330 degrees across the wrap-around
    assert results["hues_left_without_red_cyclic_test"] == results["hues_left_without_cyan"] == 9
    assert results["figures"] == FIGURES  # --fast: the light variants only
    for name in FIGURES:
        assert (out / name).stat().st_size > 10_000
    events = EventAccumulator(str(out), size_guidance={"images": 0})
    events.Reload()
    assert sorted(events.Tags()["images"]) == sorted(f"data/{name[:-4]}" for name in FIGURES)
