"""Experiment 2.4 (concept deletion) end to end: one `--fast` run per concept, as a user runs it."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from colorlatent import AnchoredAutoencoder, ablate, prune
from colorlatent.color import named_colors
from colorlatent.evaluation import color_errors

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "experiments"))
import ex_2_4  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("flags, name, dims, plans", [
    (["--fallback"], "red_fallback", [0], {"ablated", "pruned", "suppression", "redirected"}),
    (["--concept", "hue"], "hue", [0, 1], {"ablated", "pruned", "suppression"}),
    (["--concept", "warmth"], "warmth", [0], {"ablated", "pruned", "suppression"}),
])
def test_fast_run_of_each_concept(tmp_path, flags, name, dims, plans):
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "experiments/ex_2_4.py", "--fast", "--out", str(out), *flags],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert Path(proc.stdout.strip().splitlines()[-1]) == out  # contract: last line is the run directory
    results = json.loads((out / "results.json").read_text())
    assert results["concept"] == name and results["steps"] == 60
    assert {k.split("/")[1] for k in results if k.startswith("r2_rgb8/")} == plans
    # ablation and pruning are the same function (m2-spec §4)
    for color in ("red", "cyan", "gray"):
        assert abs(results[f"mse/ablated/{color}"] - results[f"mse/pruned/{color}"]) < 1e-6
    assert {"deletion-errors.png", "deletion-latents.png"} <= {p.name for p in out.iterdir()}
    assert "train/recon" in EventAccumulator(str(out)).Reload().Tags()["scalars"]
    # the table was measured on the checkpointed model with the concept's dims deleted
    model = AnchoredAutoencoder.load_from_checkpoint(out / "checkpoints" / "last.ckpt").eval()
    colors = named_colors()
    red = colors.names.index("red")
    assert float(color_errors(ablate(model, dims), colors.rgb)[red]) == pytest.approx(results["mse/ablated/red"], abs=1e-6)
    assert prune(model, dims).model.latent_dim == model.model.latent_dim - len(dims)
    kinds = [r["kind"] for r in results["config"]["model"]["regularizers"]]
    assert "anti-anchor" in kinds if name == "red_fallback" else "anti-anchor" not in kinds


def test_single_label_variant_in_process(tmp_path, capsys):
    """The 2.10.1 variant trains without the anti-anchor (in process: no second interpreter start-up)."""
    ex_2_4.main(["--fast", "--single-label", "--out", str(tmp_path)])
    assert capsys.readouterr().out.strip().splitlines()[-1] == str(tmp_path)
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["concept"] == "red_single"
    assert [r["kind"] for r in results["config"]["model"]["regularizers"]] == ["separation", "angular-anchor", "subspace"]
    assert abs(results["mse/ablated/red"] - results["mse/pruned/red"]) < 1e-6


def test_fallback_and_single_label_are_for_red_only():
    with pytest.raises(SystemExit, match="--concept red only"):
        ex_2_4.main(["--fast", "--concept", "hue", "--fallback"])
    with pytest.raises(SystemExit, match="choose one"):
        ex_2_4.main(["--fast", "--single-label", "--fallback"])
