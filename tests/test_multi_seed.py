"""`--seeds` on a training experiment: one run per seed and an aggregate results.json (ex 1.7)."""

import json
import statistics
import subprocess
import sys
from pathlib import Path

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

ROOT = Path(__file__).resolve().parents[1]


def test_ex_1_7_seeds_aggregate_holds_per_seed_values_and_their_statistics(tmp_path):
    out = tmp_path / "sweep"
    proc = subprocess.run([sys.executable, "experiments/ex_1_7.py", "--fast", "--seeds", "0-2", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert Path(proc.stdout.strip().splitlines()[-1]) == out
    aggregate = json.loads((out / "results.json").read_text())
    assert aggregate["seeds"] == [0, 1, 2] and aggregate["failed_seeds"] == {}
    per_seed = [json.loads((out / f"seed_{s}" / "results.json").read_text()) for s in (0, 1, 2)]
    assert [r["seed"] for r in per_seed] == [0, 1, 2] and all(r["steps"] == 40 for r in per_seed)
    assert (out / "seed_2" / "checkpoints" / "last.ckpt").is_file()
    for metric in ("red_anchor_cos", "hue_order", "planarity_rms", "recon_mse", "recon_mse/red"):
        values = [r[metric] for r in per_seed]
        assert aggregate["per_seed"][metric] == values, metric
        assert aggregate[f"{metric}_mean"] == pytest.approx(statistics.mean(values), rel=1e-12), metric
        assert aggregate[f"{metric}_std"] == pytest.approx(statistics.stdev(values), rel=1e-9), metric
        assert aggregate[f"{metric}_min"] == min(values) and aggregate[f"{metric}_max"] == max(values), metric
    # the three seeds are different runs, so the spread is real
    assert len(set(aggregate["per_seed"]["red_anchor_cos"])) == 3
    # the seeds trained as one stack log the single module's validation tags, per named color too
    acc = EventAccumulator(str(out / "seed_1"), size_guidance={"scalars": 0})
    acc.Reload()
    assert {"val/recon_mse", "val/recon_mse/red", "val/recon_mse/dark_gray", "val/hue_order",
            "val/planarity_rms", "val/norm_deviation", "val/red_anchor_cos"} <= set(acc.Tags()["scalars"])
