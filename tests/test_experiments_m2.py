"""End-to-end runs of the milestone-2 intervention experiments (2.1, 2.2, 2.3, 2.5) and of the
multi-seed runner, as a user would run them (subprocesses)."""

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from colorlatent import AnchoredAutoencoder, InterventionCallback
from colorlatent.color import named_colors
from colorlatent.evaluation import color_errors
from colorlatent.experiment import parse_seeds, summarize

ROOT = Path(__file__).resolve().parents[1]
FIGURES = {"intervention-errors.png", "loss-vs-hue.png", "error-vs-similarity.png", "intervened-latents.png"}


def run(*args, timeout=600):
    proc = subprocess.run([sys.executable, *map(str, args)], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return proc.stdout


def tags(run_dir: Path) -> dict:
    acc = EventAccumulator(str(run_dir), size_guidance={"scalars": 0, "images": 0})
    acc.Reload()
    return acc.Tags()


def finished(stdout: str, out: Path) -> dict:
    assert Path(stdout.strip().splitlines()[-1]) == out  # contract: last line is the run directory
    return json.loads((out / "results.json").read_text())


def test_parse_seeds_and_summarize():
    assert parse_seeds("0-3,7,2") == [0, 1, 2, 3, 7]
    with pytest.raises(Exception, match="give non-negative seeds as a range 'A-B'"):
        parse_seeds("5-2")
    summary = summarize([{"seed": 0, "score": 0.9, "name": "x", "fast": True}, {"seed": 1, "score": 0.7, "fast": True}])
    assert summary["score_mean"] == pytest.approx(0.8) and summary["score_std"] == pytest.approx(math.sqrt(0.02))
    assert summary["score_min"] == 0.7 and summary["score_max"] == 0.9
    assert summary["per_seed"] == {"seed": [0, 1], "score": [0.9, 0.7]}  # strings and flags are not metrics


def test_ex_2_1_lobes(tmp_path):
    out = tmp_path / "run"
    results = finished(run("experiments/ex_2_1.py", "--fast", "--out", out), out)
    # the concept (1, 0) itself: BoundedFalloff(0, 0.5) halves it, a full gate at the concept zeroes it
    assert results["suppression/a0-b0.5-p1/norm_at_concept"] == pytest.approx(0.5, abs=1e-6)
    assert results["suppression/a60-b1-p2/norm_at_concept"] == pytest.approx(0.0, abs=1e-6)
    # repulsion turns the concept to its mapped alignment b = cos 60 / cos 30 deg, on the unit circle
    assert results["repulsion/linear-0-60/turn_at_concept_deg"] == pytest.approx(60.0, abs=1e-3)
    assert results["repulsion/bezier-60-30/turn_at_concept_deg"] == pytest.approx(30.0, abs=0.05)
    for name in ("linear-0-60", "bezier-0-60", "linear-60-30", "bezier-60-30"):
        assert results[f"repulsion/{name}/min_norm"] == pytest.approx(1.0, abs=1e-5)
    # inputs 1 deg apart: 179 of 360 lie strictly inside the positive half, 119 inside the 60 deg cone
    assert results["suppression/a0-b0.5-p1/changed_fraction"] == pytest.approx(179 / 360)
    assert results["repulsion/linear-60-30/changed_fraction"] == pytest.approx(119 / 360)
    assert {"lobes-suppression.png", "lobes-repulsion.png"} == set(results["figures"])
    assert {"lobes/suppression", "lobes/repulsion"} <= set(tags(out)["images"])


def test_ex_2_2_fast(tmp_path):
    out = tmp_path / "run"
    results = finished(run("experiments/ex_2_2.py", "--fast", "--out", out), out)
    assert results["steps"] == 60
    for key in ("hd_max/baseline", "hd_max/suppression", "hd_median/repulsion", "r2_rgb8/suppression"):
        assert isinstance(results[key], float), key
    assert FIGURES <= set(results["figures"])
    scalars = set(tags(out)["scalars"])
    assert {"intervene/suppression/red", "intervene/repulsion/r2", "train/reg-planar"} <= scalars


def test_ex_2_5_fast_and_checkpoint_reproduces_the_table(tmp_path):
    out = tmp_path / "run"
    results = finished(run("experiments/ex_2_5.py", "--fast", "--out", out, "--seed", 3), out)
    assert results["experiment"] == "ex_2_5" and results["seed"] == 3
    assert set(results["config"]["data"]["labels"]) == {"red"}
    model = AnchoredAutoencoder.load_from_checkpoint(out / "checkpoints" / "last.ckpt")
    plans = InterventionCallback.from_config(results["config"]).plans
    assert set(plans) == {"suppression", "ablated"}
    named = named_colors()
    mse = color_errors(model, named.rgb, plans["suppression"])
    assert float(mse[0]) == pytest.approx(results["mse/suppression/red"], abs=1e-7)
    assert FIGURES <= set(results["figures"])


def test_ex_2_3_multi_seed_sweep_matches_single_runs(tmp_path):
    out = tmp_path / "sweep"
    stdout = run("experiments/ex_2_3.py", "--seeds", "0-1", "--fast", "--out", out)
    aggregate = finished(stdout, out)
    assert "[2/2]" in stdout and aggregate["seeds"] == [0, 1] and aggregate["failed_seeds"] == {}
    per_seed = [json.loads((out / f"seed_{s}" / "results.json").read_text()) for s in (0, 1)]
    scores = [r["score"] for r in per_seed]
    assert aggregate["per_seed"]["score"] == scores
    assert aggregate["score_mean"] == pytest.approx(sum(scores) / 2)
    assert aggregate["score_std"] == pytest.approx(abs(scores[0] - scores[1]) / math.sqrt(2))
    assert aggregate["selected_seed"] in aggregate["pareto_front"]
    assert aggregate["selected/mse/suppression/red"] == pytest.approx(
        per_seed[aggregate["selected_seed"]]["mse/suppression/red"], abs=1e-7)
    assert {"sweep-boxes.png", *(f"selected-{f}" for f in FIGURES)} <= {p.name for p in out.glob("*.png")}
    for seed in (0, 1):
        assert (out / f"seed_{seed}" / "checkpoints" / "last.ckpt").is_file()
        log = (out / f"seed_{seed}" / "output.log").read_text()  # the seed's own output
        assert log.strip().splitlines()[-1] == str(out / f"seed_{seed}")
    # a seed run inside a worker process is the same run as on its own
    single = tmp_path / "single"
    alone = finished(run("experiments/ex_2_3.py", "--fast", "--seed", 1, "--out", single), single)
    assert alone["score"] == per_seed[1]["score"] and alone["mse/repulsion/red"] == per_seed[1]["mse/repulsion/red"]
    assert {"intervene/ablated/cyan", "intervene/suppression/r2"} <= set(tags(single)["scalars"])


@pytest.mark.slow
def test_ex_2_3_full_run_is_selective(tmp_path):
    out = tmp_path / "run"
    results = finished(run("experiments/ex_2_3.py", "--seed", 58, "--out", out), out)  # the sweep's selected seed
    assert results["mse/suppression/red"] >= 0.2
    for color in ("lime", "purple", "cyan", "black", "dark gray", "gray", "light gray", "white"):
        assert abs(results[f"delta/suppression/{color}"]) < 1e-3, color
    assert results["r2_rgb8/suppression"] >= 0.95
    assert results["mse/ablated/cyan"] >= 0.2  # ablation takes cyan with it on a color-wheel model


@pytest.mark.slow
def test_ex_2_2_full_run(tmp_path):
    out = tmp_path / "run"
    results = finished(run("experiments/ex_2_2.py", "--out", out), out)
    assert results["hd_max/baseline"] < 0.05
    assert results["hd_max/suppression"] > 0.15 and results["hd_max/repulsion"] > 0.15
