"""Experiment 1.3: a 3-D bottleneck learns a color wheel, then a cone, from a stepped data curriculum.

A 3 -> 16 -> 3 -> 16 -> 3 GELU autoencoder (230 parameters, no explicit normalization) trains
full batch through five phases of growing data (12 hues, 360 hues, then 360 hues at 2, 3 and 10
values), 12,000 steps, with unitarity and "nonplanar" (z_2^2) weighted per phase and Adam at
0.01 warmed up linearly over the first tenth of every phase (m1-spec §6.3, §5.3). The data
module switches data set when the schedule's phase changes.

Expected (published, qualitative): the wheel forms in dims (0, 1); darker colors move inward and
along dim 2 (a cone or dome); the final shape is sensitive to the curriculum, and hue positions
drift between phases (which motivated anchoring). Reported here as metrics in results.json:
- wheel: `hue_order` (12 named hues around dims 0/1, 1.0 = in order), `ring_hue_order` (the
  360 bright hues), `phase<k>_hue_order` at the end of each phase;
- cone/dome, on the final data (360 hues x 10 values): mean in-plane radius and mean dim-2
  coordinate per value level (`radius_v<V>`, `dim2_v<V>`), their Pearson correlations with the
  value (`value_radius_corr` > 0: darker is further in; `value_dim2_abs_corr` without its sign,
  which only tells which way dim 2 happens to point) and `dim2_shift` = |dim2_v0.2 - dim2_v1.0|;
- drift: mean absolute change of the 12 reference hues' angles in the (0, 1) plane between
  consecutive phase ends, in degrees (`hue_drift_<k>_<k+1>`, `hue_drift_mean`), and the part
  left after removing the common rotation (`hue_distortion_mean`).

Run:
    python experiments/ex_1_3.py [--seed N] [--seeds 0-2] [--out DIR] [--fast]
Same training through the CLI:
    colorlatent fit -c experiments/configs/ex_1_3.yaml
"""

from __future__ import annotations

from pathlib import Path

import torch

from colorlatent import PhaseHistoryCallback
from colorlatent.color import rgb_to_hsv
from colorlatent.data import make_dataset
from colorlatent.experiment import evaluate, fast_config, figures, parse_args, report, train, write_results
from colorlatent.metrics import hue_order

CONFIG = Path(__file__).parent / "configs" / "ex_1_3.yaml"
# The smoke run plays the whole dopesheet 100 times faster: phases at 0, 20, 40, 70, 90, end 120.
FAST_FACTOR = 0.01
FAST = ["--trainer.max_steps=120", "--trainer.val_check_interval=40", "--trainer.log_every_n_steps=10"]
PROBE = "ring-360-v10"  # the last phase's data: every hue at every value


def indices_of(rgb: torch.Tensor, colors: torch.Tensor) -> torch.Tensor:
    """Index in `rgb` [N, 3] of each of `colors` [M, 3] (each must be present, to float tolerance)."""
    distance = torch.cdist(colors.double(), rgb.double())
    nearest = distance.min(dim=1)
    if nearest.values.max() > 1e-5:
        raise ValueError(f"colors missing from the probe set (max distance {nearest.values.max():.3g})")
    return nearest.indices


def angles_deg(z: torch.Tensor) -> torch.Tensor:
    return torch.rad2deg(torch.atan2(z[:, 1], z[:, 0]))


def wrapped(degrees: torch.Tensor) -> torch.Tensor:
    """Angles wrapped into [-180, 180)."""
    return torch.remainder(degrees + 180, 360) - 180


def drift_metrics(ends: list[tuple[int, torch.Tensor]]) -> dict[str, float]:
    """Hue order at each phase end and the drift of the 12 reference hues between consecutive ends.

    Args:
        ends: (phase number from 1, latents of the 12 reference hues [12, 3]) per phase end.
    """
    out = {f"phase{k}_hue_order": float(hue_order(z)) for k, z in ends}
    drifts, distortions = [], []
    for (k, before), (_, after) in zip(ends, ends[1:]):
        change = wrapped(angles_deg(after) - angles_deg(before))
        # The common rotation is the circular mean of the changes; what is left changes the wheel's shape.
        rotation = torch.rad2deg(torch.atan2(torch.deg2rad(change).sin().mean(), torch.deg2rad(change).cos().mean()))
        out[f"hue_drift_{k}_{k + 1}"] = float(change.abs().mean())
        drifts.append(change.abs().mean())
        distortions.append(wrapped(change - rotation).abs().mean())
    if drifts:
        out["hue_drift_mean"] = float(torch.stack(drifts).mean())
        out["hue_distortion_mean"] = float(torch.stack(distortions).mean())
    return out


def cone_metrics(rgb: torch.Tensor, z: torch.Tensor) -> dict[str, float]:
    """How the latents of colors at several values form a cone/dome: radius and dim 2 per value level."""
    value = rgb_to_hsv(rgb)[:, 2]
    radius = z[:, :2].norm(dim=1)
    levels = torch.unique(torch.round(value, decimals=4))
    out, radii, heights = {}, [], []
    for level in levels.tolist():
        at = (value - level).abs() < 1e-3
        radii.append(radius[at].mean())
        heights.append(z[at, 2].mean())
        out[f"radius_v{level:.2f}"] = float(radii[-1])
        out[f"dim2_v{level:.2f}"] = float(heights[-1])
    out["value_radius_corr"] = float(torch.corrcoef(torch.stack([value, radius]))[0, 1])
    # Unsigned: a cone opening up or down along dim 2 is the same shape.
    out["value_dim2_abs_corr"] = float(torch.corrcoef(torch.stack([value, z[:, 2]]))[0, 1].abs())
    out["dim2_shift"] = float((heights[0] - heights[-1]).abs())
    steps = torch.stack(radii).diff()
    out["radius_increasing_fraction"] = float((steps > 0).float().mean())  # over consecutive value levels
    return out


def main(argv: list[str] | None = None) -> None:
    args = parse_args(__doc__, argv)
    config = fast_config(CONFIG, FAST_FACTOR) if args.fast else CONFIG
    run = train(config, seed=args.seed, out=args.out, resume=args.resume, overrides=FAST if args.fast else [])
    metrics = evaluate(run, probe=PROBE)
    model = run.model
    probe = make_dataset(PROBE).rgb
    reference = indices_of(probe, make_dataset("ring-12").rgb)  # 12 hues, 30 degrees apart, at V = 1
    bright = indices_of(probe, make_dataset("ring-360").rgb)
    with torch.no_grad():
        z = model.encode(probe.to(model.device)).cpu()
    metrics["ring_hue_order"] = float(hue_order(z[bright]))
    metrics |= cone_metrics(probe, z)
    (history,) = [cb for cb in run.trainer.callbacks if isinstance(cb, PhaseHistoryCallback)]
    # Captures at step 0 and at every phase's first step (the latents the previous phase ended
    # with), then one after the last step: all but the first are phase ends.
    ends = [(k, torch.from_numpy(c.latents)[reference]) for k, c in enumerate(history.captures[1:], start=1)]
    metrics |= drift_metrics(ends)
    write_results(run, "ex_1_3", {**metrics, "fast": args.fast, "figures": figures(run)})
    levels = sorted(k for k in metrics if k.startswith("radius_v"))
    report(run, [
        f"ex 1.3 ({run.steps} steps, {run.train_seconds:.1f} s, {run.steps / run.train_seconds:.0f} steps/s)",
        f"  hue_order        {metrics['hue_order']:.3f}   (12 named hues around dims 0/1; 1.0 = in order)",
        f"  ring_hue_order   {metrics['ring_hue_order']:.3f}   (the 360 bright hues)",
        "  phase-end order  " + ", ".join(f"{metrics[f'phase{k}_hue_order']:.2f}" for k, _ in ends),
        "  radius by value  " + ", ".join(f"{k[8:]}: {metrics[k]:.2f}" for k in levels),
        "  dim 2 by value   " + ", ".join(f"{k[8:]}: {metrics['dim2' + k[6:]]:+.2f}" for k in levels),
        f"  value_radius_corr {metrics['value_radius_corr']:+.3f}  value_dim2_abs_corr "
        f"{metrics['value_dim2_abs_corr']:.3f}  dim2_shift {metrics['dim2_shift']:.3f}",
        "  hue drift (deg)  " + ", ".join(f"{k[10:]}: {metrics[k]:.1f}" for k in metrics
                                          if k.startswith("hue_drift_") and k != "hue_drift_mean")
        + (f"; mean {metrics['hue_drift_mean']:.1f}, of which not a common rotation "
           f"{metrics['hue_distortion_mean']:.1f}" if "hue_drift_mean" in metrics else ""),
        f"  recon_mse        {metrics['recon_mse']:.5f}  ({PROBE})",
    ])


if __name__ == "__main__":
    main()
