"""End-to-end: the experiment scripts and the CLI, run as a user would (subprocesses)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from colorlatent import AnchoredAutoencoder

ROOT = Path(__file__).resolve().parents[1]
COLORLATENT = Path(sys.executable).with_name("colorlatent")


def run(cmd, cwd=ROOT, timeout=300):
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return proc.stdout


def events(run_dir: Path) -> EventAccumulator:
    acc = EventAccumulator(str(run_dir), size_guidance={"scalars": 0, "images": 0, "tensors": 0})
    acc.Reload()
    return acc


def check_run_dir(stdout: str, out: Path) -> dict:
    assert Path(stdout.strip().splitlines()[-1]) == out  # contract: last line is the run directory
    assert (out / "checkpoints" / "last.ckpt").is_file()
    assert (out / "config.yaml").is_file()
    assert list(out.glob("events.out.tfevents.*"))
    assert (out / "latent-slices.png").stat().st_size > 10_000
    assert (out / "latent-slices-dark.png").is_file()
    for name in ("phase-history.png", "phase-history-dark.png", "latent-evolution.gif", "projector_config.pbtxt"):
        assert (out / name).is_file(), name  # PhaseHistoryCallback, ProjectorCallback
    return json.loads((out / "results.json").read_text())


def test_ex_1_7_fast(tmp_path):
    out = tmp_path / "run"
    results = check_run_dir(run([sys.executable, "experiments/ex_1_7.py", "--fast", "--out", str(out), "--seed", "3"]), out)
    assert results["experiment"] == "ex_1_7" and results["seed"] == 3 and results["steps"] == 40
    for key in ("red_anchor_cos", "hue_order", "planarity_rms", "recon_mse", "steps_per_sec"):
        assert isinstance(results[key], float), key
    assert 0.0 <= results["hue_order"] <= 1.0
    assert results["config"]["data"]["labels"] == {"red": 0.5, "vibrant": 0.5}
    acc = events(out)
    scalars = set(acc.Tags()["scalars"])
    expected = {"train/loss", "train/recon", "train/reg-separate", "train/reg-norm", "val/recon_mse",
                "val/red_anchor_cos", "sched/lr", "sched/reg-polar", "sched/reg-separate", "sched/reg-planar",
                "sched/reg-norm", "sched/reg-norm-v"}
    assert expected <= scalars, expected - scalars
    lr = {e.step: e.value for e in acc.Scalars("sched/lr")}
    assert lr[0] == pytest.approx(1e-8) and lr[10] == pytest.approx(0.01)
    assert "latent/slices" in acc.Tags()["images"]
    # 11 evenly spaced captures (every 4 steps of a 40-step run, the end included); the schedule drawn once
    assert [e.step for e in acc.Images("latent/phase_history")] == list(range(0, 41, 4))
    assert [e.step for e in acc.Images("schedule/timeline")] == [0]
    assert [e.step for e in acc.Tensors("latent/mesh_VERTEX")] == [40]
    assert "timeline.png" in results["figures"] and "phase-history.png" in results["figures"]
    # the checkpoint reloads with no other input and reproduces the run's metric
    model = AnchoredAutoencoder.load_from_checkpoint(out / "checkpoints" / "last.ckpt")
    red = model.encode(torch.tensor([[1.0, 0.0, 0.0]]))
    cos = torch.nn.functional.cosine_similarity(red, torch.tensor([[1.0, 0, 0, 0]])).item()
    assert cos == pytest.approx(results["red_anchor_cos"], abs=1e-5)


def test_ex_1_2_fast(tmp_path):
    out = tmp_path / "run"
    results = check_run_dir(run([sys.executable, "experiments/ex_1_2.py", "--fast", "--out", str(out)]), out)
    assert results["experiment"] == "ex_1_2" and results["steps"] == 30
    assert results["hue_radius"] == pytest.approx(1.0, abs=1e-5)  # explicit normalization
    acc = events(out)
    assert "train/recon" in acc.Tags()["scalars"]
    assert [e.step for e in acc.Images("latent/phase_history")] == [0, 30]  # every 50 steps + the end


def test_cli_fit_then_validate_from_checkpoint(tmp_path):
    config = ROOT / "experiments" / "configs" / "ex_1_7.yaml"
    run([str(COLORLATENT), "fit", "-c", str(config), "--trainer.max_steps=12"], cwd=tmp_path)
    version = tmp_path / "lightning_logs" / "ex_1_7" / "version_0"
    assert (version / "config.yaml").is_file()  # the config used is saved with the run
    ckpt = version / "checkpoints" / "last.ckpt"
    assert ckpt.is_file()
    stdout = run([str(COLORLATENT), "validate", "-c", str(config), "--ckpt_path", str(ckpt)], cwd=tmp_path)
    assert "val/recon_mse" in stdout


def test_cli_help_documents_arguments():
    stdout = " ".join(run([str(COLORLATENT), "fit", "--help"]).split())  # undo line wrapping
    for text in ("--model.regularizers", "Kinds: `unitarity`", "--data.samples_per_epoch", "WeightedRandomSampler",
                 "--model.normalize", "--data.labels"):
        assert text in stdout, text


@pytest.mark.slow
def test_ex_1_7_full_run_reaches_the_published_shape(tmp_path):
    out = tmp_path / "run"
    results = check_run_dir(run([sys.executable, "experiments/ex_1_7.py", "--out", str(out)], timeout=1200), out)
    assert results["red_anchor_cos"] >= 0.95
    assert results["hue_order"] == 1.0
    assert results["planarity_rms"] < 0.2


@pytest.mark.slow
def test_ex_1_2_full_run(tmp_path):
    out = tmp_path / "run"
    results = check_run_dir(run([sys.executable, "experiments/ex_1_2.py", "--out", str(out)]), out)
    assert results["hue_order"] == 1.0
    assert results["final_loss"] < 0.05
