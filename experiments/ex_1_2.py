"""Experiment 1.2: a normalized 2-D bottleneck arranges hues into a color wheel.

A 3 -> 16 -> 2 -> 16 -> 3 ReLU autoencoder with explicit L2 normalization of its 2-D
bottleneck trains full-batch for 500 steps (Adam 1e-3) on 538 bright hues, with the teal-blue
band (150-240 degrees) held out (m1-spec §6.2).

Expected (published): latents on the unit circle in hue order, with a gap where teal-blue
was held out; final training loss 0.0162. Reported here in results.json: hue_order,
final_loss, hue_radius and the latent ranges.

Run:
    python experiments/ex_1_2.py [--seed N] [--out DIR] [--fast]
Same training through the CLI:
    colorlatent fit -c experiments/configs/ex_1_2.yaml
"""

from __future__ import annotations

from pathlib import Path

import torch

from colorlatent.data import make_dataset
from colorlatent.experiment import evaluate, figures, parse_args, report, train, write_results

CONFIG = Path(__file__).parent / "configs" / "ex_1_2.yaml"
FAST = ["--trainer.max_steps=30", "--trainer.val_check_interval=10", "--trainer.log_every_n_steps=5"]


def main(argv: list[str] | None = None) -> None:
    args = parse_args(__doc__, argv)
    run = train(CONFIG, seed=args.seed, out=args.out, resume=args.resume, overrides=FAST if args.fast else [])
    metrics = evaluate(run, probe="ex-1.2-hues")
    metrics["final_loss"] = metrics.pop("recon_mse")  # the probe is the full training batch
    with torch.no_grad():
        z = run.model.encode(make_dataset("ex-1.2-hues", device=run.model.device).rgb)
    ranges = {"latent_x_min": z[:, 0].min(), "latent_x_max": z[:, 0].max(),
              "latent_y_min": z[:, 1].min(), "latent_y_max": z[:, 1].max()}
    metrics.update({k: float(v) for k, v in ranges.items()})
    write_results(run, "ex_1_2", {**metrics, "fast": args.fast, "figures": figures(run)})
    report(run, [
        f"ex 1.2 ({run.steps} steps, {run.train_seconds:.1f} s)",
        f"  final_loss  {metrics['final_loss']:.4f}  (published: 0.0162)",
        f"  hue_order   {metrics['hue_order']:.3f}   (12 named hues in order around the circle; 1.0 = perfect)",
        f"  hue_radius  {metrics['hue_radius']:.4f}  (explicit normalization: 1)",
        f"  X in [{metrics['latent_x_min']:.4f}, {metrics['latent_x_max']:.4f}], "
        f"Y in [{metrics['latent_y_min']:.4f}, {metrics['latent_y_max']:.4f}]  "
        f"(published: X in [-0.9559, 1.0000], Y in [-1.0000, 1.0000])",
    ])


if __name__ == "__main__":
    main()
