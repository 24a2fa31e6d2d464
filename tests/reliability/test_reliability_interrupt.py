"""Runs that are interrupted (Ctrl-C, SIGTERM, SIGKILL during a save) and resumed, in real processes.

All runs train `resume.yaml` through `driver.py` (an experiment script in miniature) with seed 3:

* `reference`: `python driver.py --seed 3 --out DIR`, uninterrupted, in a subprocess;
* `repeat`: the same call of the driver's `main` inside this test process, which has run other
  tests before: the same command twice must give the same results;
* `sigint`, `sigterm`, `sigkill`: stopped by those signals, then resumed (see `launcher.py`,
  which forks one process per run after importing once).

The reference and the launcher run at the same time as `repeat` (the machine has 2 cores).
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from colorlatent import AnchoredAutoencoder

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
SEED = "3"
TIMING = {"train_seconds", "steps_per_sec"}


def checkpoint(run_dir: Path) -> dict:
    return torch.load(run_dir / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("interrupt")
    reference = subprocess.Popen([sys.executable, str(HERE / "driver.py"), "--seed", SEED, "--out", str(base / "reference")],
                                 cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    launcher = subprocess.Popen([sys.executable, str(HERE / "launcher.py"), str(base), str(base / "summary.json")],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    sys.path.insert(0, str(HERE))
    from driver import main

    main(["--seed", SEED, "--out", str(base / "repeat")])
    outputs = {name: proc.communicate(timeout=600)[0] for name, proc in (("reference", reference), ("launcher", launcher))}
    assert reference.returncode == 0, outputs["reference"][-3000:]
    assert launcher.returncode == 0, outputs["launcher"][-3000:]
    summary = json.loads((base / "summary.json").read_text())
    dirs = {"reference": base / "reference", "repeat": base / "repeat", **{k: Path(v) for k, v in summary["dirs"].items()}}
    first = summary["first"]
    for name in ("reference", "repeat"):
        first[name] = {"results": json.loads((dirs[name] / "results.json").read_text())}
    return {"dirs": dirs, "first": first, "resumed": summary["resumed"]}


def metrics(results: dict) -> dict:
    return {k: v for k, v in results.items() if k not in TIMING | {"config", "resumed_from_step"}}


def scalars(path: Path) -> dict[str, dict[int, float]]:
    """Every scalar series in a run directory; TensorBoard drops a killed run's steps that a resume redid."""
    acc = EventAccumulator(str(path), size_guidance={"scalars": 0})
    acc.Reload()
    return {tag: {e.step: e.value for e in acc.Scalars(tag)} for tag in acc.Tags()["scalars"]}


def test_the_same_command_twice_gives_identical_results(runs):
    reference, repeat = (runs["first"][name] for name in ("reference", "repeat"))
    assert metrics(reference["results"]) == metrics(repeat["results"])
    assert reference["results"]["steps"] == 60 and reference["results"]["complete"] is True
    a, b = (checkpoint(runs["dirs"][name])["state_dict"] for name in ("reference", "repeat"))
    assert all(torch.equal(a[k], b[k]) for k in a)
    # the saved config can be trained again: the schedule is written as rows, not as a string
    saved = yaml.safe_load((runs["dirs"]["reference"] / "config.yaml").read_text())
    (schedule,) = [c for c in saved["trainer"]["callbacks"] if c["class_path"].endswith("ScheduleCallback")]
    assert schedule["init_args"]["dopesheet"][1] == {"STEP": "+5", "lr": 0.01}


@pytest.mark.parametrize(("name", "sig", "step"), [("sigint", signal.SIGINT, 25), ("sigterm", signal.SIGTERM, 20)])
def test_a_stop_signal_leaves_a_usable_checkpoint_and_incomplete_results(runs, name, sig, step):
    first, run_dir = runs["first"][name], runs["dirs"][name]
    assert first["returncode"] == 128 + sig.value, first["output"][-3000:]
    lines = first["output"].strip().splitlines()
    assert Path(lines[-1]) == run_dir  # the contract holds for a stopped run too
    assert f"--resume {run_dir}" in lines[-2]
    results = first["results"]
    assert results["complete"] is False and results["stopped_by"] == sig.name and results["steps"] == step
    assert first["checkpoint_step"] == step
    # the metrics written for the stopped run are those of the model in its checkpoint
    model = AnchoredAutoencoder.load_from_checkpoint(first["checkpoint"], map_location="cpu")
    red = model.encode(torch.tensor([[1.0, 0.0, 0.0]]))
    cos = torch.nn.functional.cosine_similarity(red, torch.tensor([[1.0, 0.0, 0.0, 0.0]])).item()
    assert cos == pytest.approx(results["red_anchor_cos"], abs=1e-6)


def test_sigkill_during_a_save_keeps_the_previous_checkpoint(runs):
    first, run_dir = runs["first"]["sigkill"], runs["dirs"]["sigkill"]
    assert first["returncode"] == -signal.SIGKILL, first["output"][-3000:]
    assert "harness: SIGKILL in the middle of torch.save" in first["output"]
    assert first["results"] is None  # it died in training
    assert first["checkpoint_step"] == 20  # step 30's save was the one killed; step 20's loads
    # last.ckpt only ever changes by a rename: no process opened it, or any other final name, for writing
    opened = [Path(line.split("write-open ", 1)[1]) for line in first["output"].splitlines()
              if line.startswith("harness: write-open ")]
    assert len(opened) == 3 and all(p.parent == run_dir / "checkpoints" for p in opened)
    assert all(p.name.startswith(".last.ckpt.") and p.name.endswith(".tmp") for p in opened), opened
    # the temporary file the kill left behind is cleaned up by the resumed run's first save
    assert not list((run_dir / "checkpoints").glob(".*.tmp"))


@pytest.mark.parametrize(("name", "resumed_from"), [("sigint", 25), ("sigterm", 20), ("sigkill", 20)])
def test_a_resumed_run_ends_exactly_like_the_uninterrupted_one(runs, name, resumed_from):
    resumed = runs["resumed"][name]
    assert resumed["returncode"] == 0, resumed["output"][-3000:]
    reference_dir, run_dir = runs["dirs"]["reference"], runs["dirs"][name]
    results = json.loads((run_dir / "results.json").read_text())
    assert results["complete"] is True and results["resumed_from_step"] == resumed_from
    assert metrics(results) == metrics(runs["first"]["reference"]["results"])
    want, got = checkpoint(reference_dir), checkpoint(run_dir)
    assert got["global_step"] == want["global_step"] == 60
    assert all(torch.equal(want["state_dict"][k], got["state_dict"][k]) for k in want["state_dict"])
    for a, b in zip(want["optimizer_states"][0]["state"].values(), got["optimizer_states"][0]["state"].values()):
        assert all(torch.equal(a[k], b[k]) for k in a)  # Adam's moments and step counts
    assert torch.equal(want["ColorDataModule"]["generator"], got["ColorDataModule"]["generator"])
    # every logged value: schedule (sched/*), loss terms (train/*), validation (val/*) and the
    # global-generator probe, at every step
    expected, actual = scalars(reference_dir), scalars(run_dir)
    assert {"sched/lr", "sched/reg-polar", "train/loss", "val/recon_mse", "probe/global_rand"} <= set(expected)
    assert actual == expected


def interrupted_copy(runs, tmp_path) -> Path:
    """A run directory as the SIGINT run left it (its checkpoint at step 25, results marked incomplete)."""
    run_dir = tmp_path / "run"
    (run_dir / "checkpoints").mkdir(parents=True)
    shutil.copy(runs["first"]["sigint"]["checkpoint"], run_dir / "checkpoints" / "last.ckpt")
    shutil.copy(runs["dirs"]["sigint"] / "config.yaml", run_dir / "config.yaml")
    (run_dir / "results.json").write_text(json.dumps(runs["first"]["sigint"]["results"]))
    return run_dir


def test_an_interrupted_run_is_never_trained_over_and_resumes_only_as_it_started(runs, tmp_path, capsys):
    from colorlatent.experiment import parse_args, train
    from driver import CONFIG, main

    run_dir = interrupted_copy(runs, tmp_path)
    with pytest.raises(ValueError, match=rf"{run_dir} holds an interrupted run \(its last checkpoint is at step 25\); "
                                         rf"continue it with --resume {run_dir}"):
        main(["--seed", SEED, "--out", str(run_dir)])
    with pytest.raises(ValueError, match=r"differs from this run's config in \['trainer.max_steps'\] "
                                         r"\(trainer.max_steps: 60 -> 70\)"):
        train(CONFIG, seed=3, resume=run_dir, overrides=["--trainer.max_steps=70"])
    assert parse_args(None, ["--resume", str(run_dir)]).seed == 3  # the run's own seed
    for argv, message in ((["--resume", str(run_dir), "--seed", "4"], "that run used --seed 3, not 4"),
                          (["--resume", str(tmp_path / "nope")], "does not exist, so there is nothing to resume")):
        with pytest.raises(SystemExit):
            parse_args(None, argv)
        assert message in capsys.readouterr().err
