"""Experiment 1.6: smooth vs stepped curriculum, 4-D bottleneck, from the same seed.

Both runs train the 1.5 setup with batch 32, hue x vibrancy focus and per-sample loss weights
(m1-spec §5.3, §3.7 "1.6") for 10,001 steps: `smooth` under a min-jerk dopesheet with three
phases, `stepped` under one whose values jump at seven phase rows with a 10-step learning-rate
dip and warm-up around each (dopesheets §4.6). The drift anchor snapshots the primaries at
step 500 in both.

Published (§6.6, negative): both train fairly well and end in almost the same shape; the smooth
run is noisier; the stepped run shows loss spikes at phase starts that do no harm. Smooth
transitions did not improve the training dynamics. Reported here, in results.json, per variant
(`smooth/...`, `stepped/...`):
  hue_order, planarity_rms, norm_deviation, recon_mse   structure at the end (RGB 8^3 for recon)
  displacement_mean/<phase>   mean distance the RGB 8^3 latents move per 10 steps in each phase
  displacement_max, displacement_max_step   the largest 10-step move and where it happened
  capture_displacement@<a>-<b>   mean move between the phase-history captures at steps a and b
      that both variants capture (0, 500, 5000, the end)
  recon_spike_max   largest ratio of the logged reconstruction term just after a phase start
      (highest value in 50 steps) to just before it (mean over 50 steps)
  recon_bulge/<phase>, recon_bulge_step/<phase>   the reconstruction term's peak in the 1500
      steps after a new phase name starts (500, 5000), relative to the 500 steps before, and
      where it peaks: how hard and how late new data disturbs the model
  anchor_drift_mean   the primaries' distance from their step-500 snapshot at the end
and `final_latent_distance`: mean distance between the two runs' final RGB 8^3 latents, and
`final_shape_distance`: the same after the best rotation/reflection of one onto the other.
Figures: <variant>/phase-history.png for each run and comparison.png (loss, reconstruction and
latent displacement of both runs on one step axis).

Run:
    python experiments/ex_1_6.py [--seed N] [--out DIR] [--fast]
    (--resume is not supported: the script trains two runs; rerun it)
Same training through the CLI, one variant at a time:
    colorlatent fit -c experiments/configs/ex_1_6_smooth.yaml
    colorlatent fit -c experiments/configs/ex_1_6_stepped.yaml
"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

import numpy as np
import torch

from colorlatent import PhaseHistoryCallback
from colorlatent.callbacks.common import find_schedule
from colorlatent.callbacks.displacement import LatentDisplacementCallback
from colorlatent.data import make_dataset
from colorlatent.experiment import (
    Run,
    evaluate,
    fast_config,
    figures,
    logged_scalars,
    next_free_dir,
    parse_args,
    train,
    write_results,
)
from colorlatent.plots.run_comparison import plot_run_comparison
from colorlatent.regularizers import DriftAnchor

CONFIGS = Path(__file__).parent / "configs"
VARIANTS = ("smooth", "stepped")
# The smoke run plays both dopesheets 33 times faster (the anchor at step 15, 301 steps).
FAST_FACTOR = 0.03
FAST = ["--trainer.max_steps=301", "--trainer.val_check_interval=150", "--trainer.log_every_n_steps=5"]
PROBE = "rgb-8"
SPIKE_WINDOW = 50  # steps before / after a phase start compared by recon_spike_max
BULGE_WINDOW = 1500  # steps after a new phase's start searched for the reconstruction's peak


def config_of(variant: str, fast: bool) -> Path:
    config = CONFIGS / f"ex_1_6_{variant}.yaml"
    return fast_config(config, FAST_FACTOR) if fast else config


def loss_spike(steps: np.ndarray, loss: np.ndarray, starts: list[int]) -> float:
    """Largest ratio of the highest logged value in the window after a phase start to the mean in the window before."""
    ratios = []
    for start in starts:
        before = loss[(steps >= start - SPIKE_WINDOW) & (steps < start)]
        after = loss[(steps >= start) & (steps < start + SPIKE_WINDOW)]
        if len(before) and len(after) and before.mean() > 0:
            ratios.append(after.max() / before.mean())
    return max(ratios, default=float("nan"))


def bulge(steps: np.ndarray, values: np.ndarray, start: int) -> tuple[float, int]:
    """(peak / level before, peak step): the highest value in BULGE_WINDOW steps from `start`,
    relative to the mean over the BULGE_WINDOW / 3 steps before it."""
    before = values[(steps >= start - BULGE_WINDOW // 3) & (steps < start)]
    inside = (steps >= start) & (steps < start + BULGE_WINDOW)
    if not len(before) or not inside.any() or before.mean() <= 0:
        return float("nan"), -1
    peak = values[inside].argmax()
    return float(values[inside][peak] / before.mean()), int(steps[inside][peak])


def variant_metrics(run: Run) -> tuple[dict[str, float], dict[int, np.ndarray]]:
    """The variant's metrics, and its phase-history captures {step: RGB 8^3 latents}."""
    metrics = evaluate(run, probe=PROBE)
    (anchor,) = [reg for reg in run.model.regularizers if isinstance(reg, DriftAnchor)]
    metrics["anchor_captured_at"] = anchor.captured_at
    metrics["anchor_drift_mean"] = float(anchor.drift().mean())
    (displacement,) = [cb for cb in run.trainer.callbacks if isinstance(cb, LatentDisplacementCallback)]
    steps = np.array([s for s, _ in displacement.history])
    moves = np.array([d for _, d in displacement.history])
    schedule = find_schedule(run.trainer)
    for phase in dict.fromkeys(p.name for p in schedule.sheet.phases):  # each phase name once, in order
        inside = np.array([schedule.phase_at(s - 1) == phase for s in steps])  # the move ending at s
        metrics[f"displacement_mean/{phase}"] = float(moves[inside].mean()) if inside.any() else float("nan")
    metrics["displacement_mean"] = float(moves.mean())
    metrics["displacement_max"] = float(moves.max())
    metrics["displacement_max_step"] = int(steps[moves.argmax()])
    logged = logged_scalars(run.run_dir, "train/loss", "train/recon")
    loss_steps, loss = logged["train/loss"]
    metrics["final_loss"] = float(loss[loss_steps >= loss_steps.max() - 500].mean())
    # On the reconstruction term: the total jumps with the repulsion's constant offset (1e6/B,
    # m1-spec §3.4) whenever that term's weight moves off 0, which is no sign of disruption.
    recon_steps, recon = logged["train/recon"]
    metrics["recon_spike_max"] = loss_spike(recon_steps, recon, [p.start for p in schedule.sheet.phases[1:]])
    first_starts = {}
    for phase in schedule.sheet.phases[1:]:
        first_starts.setdefault(phase.name, phase.start)
    for name, start in first_starts.items():
        ratio, step = bulge(recon_steps, recon, start)
        metrics[f"recon_bulge/{name}"], metrics[f"recon_bulge_step/{name}"] = ratio, step
    (history,) = [cb for cb in run.trainer.callbacks if isinstance(cb, PhaseHistoryCallback)]
    captures = {c.step: c.latents for c in history.captures}
    return metrics, captures


def aligned_distance(a: torch.Tensor, b: torch.Tensor) -> float:
    """Mean distance between matching rows of `a` and `b` after the best rotation/reflection of `a`
    about the origin (orthogonal Procrustes): how different two latent spaces are in shape, whatever
    their orientation. The origin stays put, as the unit sphere is part of the shape."""
    u, _, vt = torch.linalg.svd(a.T @ b)
    return float((a @ (u @ vt) - b).norm(dim=1).mean())


def comparison_figure(runs: dict[str, Run], out: Path) -> Path:
    panels = {"total loss": {}, "reconstruction term (weighted per sample)": {},
              "latent displacement per 10 steps (RGB 8³ grid, mean distance)": {}}
    starts = {}
    for name, run in runs.items():
        tags = ("train/loss", "train/recon")
        logged = logged_scalars(run.run_dir, *tags)
        for panel, tag in zip(panels, tags):
            panels[panel][name] = logged[tag]
        (displacement,) = [cb for cb in run.trainer.callbacks if isinstance(cb, LatentDisplacementCallback)]
        panels["latent displacement per 10 steps (RGB 8³ grid, mean distance)"][name] = (
            [s for s, _ in displacement.history], [d for _, d in displacement.history])
        starts[name] = [p.start for p in find_schedule(run.trainer).sheet.phases[1:]]
    figure = plot_run_comparison(panels, starts, title="Ex 1.6: smooth vs stepped curriculum (same seed)",
                                 log=list(panels))
    path = out / "comparison.png"
    figure.savefig(path, dpi=100)
    return path


def main(argv: list[str] | None = None) -> None:
    args = parse_args(__doc__, argv)
    if args.resume is not None:
        raise SystemExit("ex 1.6 trains two runs and cannot --resume; run it again")
    out = args.out if args.out is not None else next_free_dir(Path("lightning_logs") / "ex_1_6", "version_")
    overrides = FAST if args.fast else []
    runs, results, captures = {}, {}, {}
    for variant in VARIANTS:
        run = train(config_of(variant, args.fast), seed=args.seed, out=out / variant, overrides=overrides)
        runs[variant] = run
        metrics, captures[variant] = variant_metrics(run)
        write_results(run, f"ex_1_6_{variant}", {**metrics, "fast": args.fast, "figures": figures(run)})
        results[variant] = metrics
        if not run.complete:
            print(f"INCOMPLETE: {variant} stopped by {run.stopped_by} after step {run.steps}; rerun the experiment")
            print(out)
            raise SystemExit(128 + signal.Signals[run.stopped_by].value)
    comparison = comparison_figure(runs, out)

    flat = {f"{variant}/{key}": value for variant, metrics in results.items() for key, value in metrics.items()}
    common = sorted(set(captures["smooth"]) & set(captures["stepped"]))
    for variant in VARIANTS:
        for a, b in zip(common, common[1:]):
            moved = np.linalg.norm(captures[variant][b] - captures[variant][a], axis=1).mean()
            flat[f"{variant}/capture_displacement@{a}-{b}"] = float(moved)
    with torch.no_grad():
        rgb = make_dataset(PROBE).rgb
        final = {v: runs[v].model.eval().encode(rgb.to(runs[v].model.device)).cpu() for v in VARIANTS}
    flat["final_latent_distance"] = float((final["smooth"] - final["stepped"]).norm(dim=1).mean())
    flat["final_shape_distance"] = aligned_distance(final["smooth"], final["stepped"])
    summary = {
        "experiment": "ex_1_6", "seed": args.seed, "steps": runs["smooth"].steps, "complete": True,
        "train_seconds": round(sum(r.train_seconds for r in runs.values()), 3), "fast": args.fast,
        **flat, "figures": [f"{v}/{name}" for v in VARIANTS for name in figures(runs[v])] + [comparison.name],
    }
    (out / "results.json").write_text(json.dumps(summary, indent=2))

    print(f"ex 1.6 ({runs['smooth'].steps} steps per variant; train s: "
          + ", ".join(f"{v} {runs[v].train_seconds:.1f}" for v in VARIANTS) + ")")
    print(f"  {'':34s} {'smooth':>10s} {'stepped':>10s}")
    rows = ["hue_order", "planarity_rms", "norm_deviation", "recon_mse", "final_loss", "anchor_drift_mean",
            "displacement_mean", "displacement_max", "displacement_max_step", "recon_spike_max",
            *sorted({k.split("/", 1)[1] for k in flat if k.startswith(("smooth/displacement_mean/",
                     "smooth/capture_displacement@", "smooth/recon_bulge"))})]
    for key in rows:
        values = [flat.get(f"{v}/{key}", float("nan")) for v in VARIANTS]
        print(f"  {key:34s} " + " ".join(f"{float(x):10.4g}" for x in values))
    print(f"  smooth vs stepped, RGB 8^3 latents at the end: mean distance {flat['final_latent_distance']:.4f}, "
          f"after the best rotation {flat['final_shape_distance']:.4f}")
    print(f"Figures: {out / 'smooth' / 'phase-history.png'}, {out / 'stepped' / 'phase-history.png'}, {comparison}")
    print(f"TensorBoard: {Path(sys.executable).parent / 'tensorboard'} --logdir {out}")
    print(out)


if __name__ == "__main__":
    main()
