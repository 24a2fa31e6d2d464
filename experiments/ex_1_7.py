"""Experiment 1.7: sparse, noisy labels anchor red at (1, 0, 0, 0) on a color sphere.

The 4-D autoencoder trains on the whole HSV cube from step 0. About 0.2 % of samples carry a
(noisy) `red` label and 2 % a `vibrant` label; five label-selective regularizers, weighted by
the 1.7 dopesheet over 10,001 steps, pull pure red to dim 0, the vibrant hues into the dims-0/1
plane and onto the unit circle, and everything near the unit sphere (m1-spec §6.7).

Expected (published, qualitative): an ordered hue wheel in the [1, 0] slice with red at the
top (dim 0 = 1), latents near the unit sphere. Reported here as metrics in results.json:
red_anchor_cos, hue_order, planarity_rms, recon_mse.

Run:
    python experiments/ex_1_7.py [--seed N] [--out DIR] [--fast]
Same training through the CLI:
    colorlatent fit -c experiments/configs/ex_1_7.yaml
"""

from __future__ import annotations

from pathlib import Path

from colorlatent.experiment import evaluate, figures, parse_args, report, train, write_results

CONFIG = Path(__file__).parent / "configs" / "ex_1_7.yaml"
FAST = ["--trainer.max_steps=40", "--trainer.val_check_interval=20", "--trainer.log_every_n_steps=10"]


def main(argv: list[str] | None = None) -> None:
    args = parse_args(__doc__, argv)
    run = train(CONFIG, seed=args.seed, out=args.out, resume=args.resume, overrides=FAST if args.fast else [])
    metrics = evaluate(run, probe="rgb-8")
    write_results(run, "ex_1_7", {**metrics, "fast": args.fast, "figures": figures(run)})
    report(run, [
        f"ex 1.7 ({run.steps} steps, {run.train_seconds:.1f} s, {run.steps / run.train_seconds:.0f} steps/s)",
        f"  red_anchor_cos  {metrics['red_anchor_cos']:.4f}   (cosine of pure red with (1,0,0,0); target >= 0.95)",
        f"  hue_order       {metrics['hue_order']:.3f}    (12 hues in order around dims 0/1; 1.0 = perfect)",
        f"  planarity_rms   {metrics['planarity_rms']:.4f}   (RMS of dims 2-3 over the 12 hues)",
        f"  hue_radius      {metrics['hue_radius']:.4f}   (mean latent norm of the 12 hues)",
        f"  recon_mse       {metrics['recon_mse']:.5f}  (RGB 8x8x8 grid)",
    ])


if __name__ == "__main__":
    main()
