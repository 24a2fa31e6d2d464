"""Experiment 1.5: a smooth data curriculum and drift anchoring, 4-D bottleneck.

The autoencoder first trains on the six primaries and secondaries only (one batch of 6, with
Euclidean repulsion pushing them apart in dims 0/1, planarity and unitarity), then on the HSV
cube with sampling focused on vibrant colors and widened smoothly by `data-fraction`. At step
3000 the `anchor` action snapshots the primaries' latents; the drift anchor then holds them
there while the rest of color space moves in (m1-spec §6.5; dopesheet §4.6; 20,001 steps).

Published (qualitative): the curriculum works "to some extent"; about 25 % of runs end
"crumpled": hues out of order after the 6-color phase, then a distorted final space. Reported
here in results.json:
  hue_order, planarity_rms, hue_radius, norm_deviation, recon_mse  structure at the end
  primaries_hue_order@<step>, ring_hue_order@<step>  hue order of the 6 primaries and of the 54
      fully saturated colors of the RGB 10^3 grid at each phase-history capture (phase ends)
  crumpled       the 6 primaries out of order when the 6-color phase ends (step 3000)
  distorted_end  the 12 named hues out of order at the end
  hue_gap_max_deg  the widest angle between adjacent named hues around dims 0/1 at the end
      (30 for an even wheel): an ordered but squeezed wheel shows here
  anchor_drift_mean / _max  distance of the primaries' latents from their snapshot at the end
  anchor_drift@<step>  mean drift at each capture after the snapshot

Run:
    python experiments/ex_1_5.py [--seed N] [--out DIR] [--fast]
    python experiments/ex_1_5.py --seeds 0-3            (one run per seed, two worker processes)
Same training through the CLI:
    colorlatent fit -c experiments/configs/ex_1_5.yaml
"""

from __future__ import annotations

import math
from pathlib import Path

import torch

from colorlatent import PhaseHistoryCallback
from colorlatent.callbacks.common import find_schedule
from colorlatent.color import HUES, named_colors, rgb_to_hsv
from colorlatent.data import make_dataset
from colorlatent.experiment import evaluate, fast_config, figures, parse_args, report, train, write_results
from colorlatent.metrics import hue_order
from colorlatent.regularizers import DriftAnchor

CONFIG = Path(__file__).parent / "configs" / "ex_1_5.yaml"
# The smoke run plays the whole dopesheet 100 times faster (phases at 30 and 100, the anchor at 30).
FAST_FACTOR = 0.01
FAST = ["--trainer.max_steps=201", "--trainer.val_check_interval=100", "--trainer.log_every_n_steps=10"]
PROBE = "rgb-10"


def saturated_ring(rgb: torch.Tensor) -> torch.Tensor:
    """Indices of the fully saturated, full-value colors of `rgb`, sorted by hue (the hue ring)."""
    hsv = rgb_to_hsv(rgb)
    ring = torch.nonzero((hsv[:, 1] > 1 - 1e-6) & (hsv[:, 2] > 1 - 1e-6)).squeeze(1)
    return ring[torch.argsort(hsv[ring, 0])]


def primaries_in(rgb: torch.Tensor) -> torch.Tensor:
    """Indices in `rgb` of the six primaries and secondaries, in hue order."""
    primaries = make_dataset("primaries-6").rgb
    return torch.stack([torch.nonzero((rgb == p).all(dim=1)).squeeze(1)[0] for p in primaries])


def hue_gap_max(model, plane=(0, 1)) -> float:
    """Largest angle (degrees) between cyclically adjacent named hues around the hue plane: 30 for
    an even wheel of the 12 hues; large when part of the wheel is squeezed and the rest stretched."""
    with torch.no_grad():
        z = model.eval().encode(named_colors(device=model.device).rgb[: len(HUES)]).cpu()  # hues first, in order
    angles = torch.atan2(z[:, plane[1]], z[:, plane[0]])
    steps = torch.remainder(torch.roll(angles, -1) - angles + math.pi, 2 * math.pi) - math.pi
    return float(steps.abs().max().rad2deg())


def history_metrics(run, anchor: DriftAnchor) -> dict[str, float]:
    """Hue order and anchor drift at each phase-history capture (the end of each phase)."""
    (history,) = [cb for cb in run.trainer.callbacks if isinstance(cb, PhaseHistoryCallback)]
    rgb = make_dataset(PROBE).rgb
    ring, primaries = saturated_ring(rgb), primaries_in(rgb)
    out = {}
    for capture in history.captures:
        z = torch.from_numpy(capture.latents)
        out[f"primaries_hue_order@{capture.step}"] = float(hue_order(z[primaries]))
        out[f"ring_hue_order@{capture.step}"] = float(hue_order(z[ring]))
        if anchor.captured_at is not None and capture.step > anchor.captured_at:
            drift = (z[primaries] - anchor.z_ref.cpu()).norm(dim=1).mean()
            out[f"anchor_drift@{capture.step}"] = float(drift)
    return out


def main(argv: list[str] | None = None) -> None:
    args = parse_args(__doc__, argv)
    config = fast_config(CONFIG, FAST_FACTOR) if args.fast else CONFIG
    run = train(config, seed=args.seed, out=args.out, resume=args.resume, overrides=FAST if args.fast else [])
    metrics = evaluate(run, probe=PROBE)
    (anchor,) = [reg for reg in run.model.regularizers if isinstance(reg, DriftAnchor)]
    drift = anchor.drift()
    first_phase_end = find_schedule(run.trainer).sheet.phases[1].start  # captured before this step's update
    metrics |= history_metrics(run, anchor)
    metrics["hue_gap_max_deg"] = hue_gap_max(run.model, tuple(run.model.hparams.hue_plane))
    metrics |= {
        "anchor_captured_at": anchor.captured_at,
        "anchor_drift_mean": float(drift.mean()),
        "anchor_drift_max": float(drift.max()),
        # 1.0 / 0.0 rather than booleans, so that a sweep's mean is the fraction of runs
        "crumpled": float(metrics.get(f"primaries_hue_order@{first_phase_end}", float("nan")) < 1.0),
        "distorted_end": float(metrics["hue_order"] < 1.0),
    }
    write_results(run, "ex_1_5", {**metrics, "fast": args.fast, "figures": figures(run)})
    end = run.steps
    report(run, [
        f"ex 1.5 ({run.steps} steps, {run.train_seconds:.1f} s, {run.steps / run.train_seconds:.0f} steps/s)",
        f"  hue order of the 6 primaries at the end of phase 1 (step {first_phase_end}): "
        f"{metrics.get(f'primaries_hue_order@{first_phase_end}', float('nan')):.3f}"
        f"  -> {'CRUMPLED' if metrics['crumpled'] else 'in order'}",
        f"  hue order of the 54-color ring at the end: {metrics.get(f'ring_hue_order@{end}', float('nan')):.3f}",
        f"  hue_order       {metrics['hue_order']:.3f}    (12 named hues around dims 0/1; 1.0 = perfect)",
        f"  hue_gap_max_deg {metrics['hue_gap_max_deg']:.1f}     (widest angle between adjacent named hues; 30 = even)",
        f"  planarity_rms   {metrics['planarity_rms']:.4f}   (RMS of dims 2-3 over the 12 hues)",
        f"  norm_deviation  {metrics['norm_deviation']:.4f}   (mean | |z| - 1 | of the named colors)",
        f"  recon_mse       {metrics['recon_mse']:.5f}  (RGB 10x10x10 grid)",
        f"  anchor drift    mean {metrics['anchor_drift_mean']:.4f}, max {metrics['anchor_drift_max']:.4f} "
        f"(primaries' latents from their step-{anchor.captured_at} snapshot)",
    ])


if __name__ == "__main__":
    main()
