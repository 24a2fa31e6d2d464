"""Experiment 1.5: its schedule is the spec's, and its smoke run passes every phase and the anchor action."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from colorlatent import AnchoredAutoencoder
from colorlatent.schedule import Timeline

ROOT = Path(__file__).resolve().parents[1]
PRIMARIES = torch.tensor([[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 1, 1], [0, 0, 1], [1, 0, 1]], dtype=torch.float32)

# m1-spec §4.7, Ex 1.5 (printed with 6 significant digits)
ORACLE = """
step  lr         loss-recon reg-separate reg-planar reg-norm reg-anchor  data-fraction
0     0.01       1          0            0.2        0.1      0           0
600   0.01       0.9        0.15         0.241975   0.1      0           0
1200  0.01       0.8        0.3          0.358025   0.1      0           0
1800  0.01       0.8        0.237037     0.4        0.1      0           0
2400  0.01       0.8        0.062963     0.39319    0.175    0           0
3000  0.01       0.8        0            0.356318   0.25     0           0
3350  0.01       0.8        0            0.31814    0.25     0.000665474 0.000289531
5000  0.00992491 0.8        0            0.0757276  0.25     0.0739089   0.0361754
6500  0.00955042 0.8        0            0          0.25     0.217438    0.125
8600  0.00834469 0.838984   0            0          0.25     0.3         0.23552
10000 0.00715238 0.914366   0            0          0.25     0.26241     0.25
13000 0.0041796  1          0            0          0.25     0.1         1
16500 0.00159456 1          0            0          0.25     0.425       1
20000 0.001      1          0            0          0.25     0.75        1
"""


def config_sheet(name: str):
    config = yaml.safe_load((ROOT / "experiments" / "configs" / name).read_text())
    (schedule,) = [c for c in config["trainer"]["callbacks"] if c["class_path"].endswith("ScheduleCallback")]
    return schedule["init_args"]["dopesheet"]


def test_config_schedule_realizes_the_spec_values():
    timeline = Timeline(config_sheet("ex_1_5.yaml"))
    names, values = timeline.table()
    assert len(values) == 20001
    header, *lines = ORACLE.strip().splitlines()
    columns = header.split()[1:]
    assert sorted(names) == sorted(columns)
    for line in lines:
        step, *cells = line.split()
        for column, cell in zip(columns, cells, strict=True):
            expected = float(cell)
            # half a unit in the 6th significant digit of the printed value
            tolerance = 0.0 if expected == 0 else 0.5 * 10 ** (np.floor(np.log10(abs(expected))) - 5) * (1 + 1e-6)
            assert values[int(step), names.index(column)] == pytest.approx(expected, abs=tolerance, rel=0), (step, column)
    phases = [(p.name, p.start, p.end) for p in timeline.dopesheet.phases]
    assert phases == [("Primary & secondary", 0, 2999), ("All hues", 3000, 9999), ("Full color space", 10000, 20000)]
    assert [(s, timeline.actions_at(s)) for s in range(20001) if timeline.actions_at(s)] == [(3000, ("anchor",))]


def test_ex_1_5_fast(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "experiments/ex_1_5.py", "--fast", "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert Path(proc.stdout.strip().splitlines()[-1]) == out
    results = json.loads((out / "results.json").read_text())
    assert results["experiment"] == "ex_1_5" and results["steps"] == 201 and results["complete"]
    # the dopesheet 100x faster: phases start at 30 and 100, the snapshot is taken at 30
    assert results["anchor_captured_at"] == 30
    for step in (0, 30, 100, 201):  # phase-history captures: the end of each phase
        assert 0.5 <= results[f"primaries_hue_order@{step}"] <= 1.0
        assert 0.5 <= results[f"ring_hue_order@{step}"] <= 1.0
    assert "anchor_drift@30" not in results and results["anchor_drift@201"] == results["anchor_drift_mean"]
    assert results["crumpled"] == float(results["primaries_hue_order@30"] < 1.0)
    assert results["distorted_end"] == float(results["hue_order"] < 1.0)
    assert 30.0 <= results["hue_gap_max_deg"] <= 180.0  # the widest of 12 gaps is at least the mean
    for name in ("phase-history.png", "latent-slices.png", "timeline.png"):
        assert name in results["figures"]
    assert results["config"]["model"]["recon_name"] == "loss-recon"

    events = EventAccumulator(str(out), size_guidance={"scalars": 0})
    events.Reload()
    separate = {e.step: e.value for e in events.Scalars("train/reg-separate")}
    # Steps 10 and 20 are in the 6-color phase with the repulsion on: the batch is the six
    # primaries, so the term carries the constant 1e6 / 6 of its zeroed diagonal (m1-spec §3.4).
    assert 1e6 / 6 <= separate[10] < 1e6 / 6 + 1e4 and 1e6 / 6 <= separate[20] < 1e6 / 6 + 1e4
    anchor = {e.step: e.value for e in events.Scalars("train/reg-anchor")}
    assert min(anchor) > 30  # skipped at weight 0 up to the snapshot (the weight ramps from 0 at 30)
    recon_weight = {e.step: e.value for e in events.Scalars("sched/loss-recon")}
    assert recon_weight[0] == 1.0 and recon_weight[20] == pytest.approx(0.8)

    # the snapshot is in the checkpoint and gives the reported drift
    model = AnchoredAutoencoder.load_from_checkpoint(out / "checkpoints" / "last.ckpt")
    (reg,) = [r for r in model.regularizers if r.name == "reg-anchor"]
    assert reg.captured_at == 30
    with torch.no_grad():
        drift = (model.encode(PRIMARIES) - reg.z_ref).norm(dim=1)
    assert drift.mean().item() == pytest.approx(results["anchor_drift_mean"], abs=1e-5)
