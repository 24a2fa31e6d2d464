"""Experiment 2.2: inhibit red by suppression or repulsion on the milestone-1 style model.

The model of m2-spec §7.2: no explicit normalization, a sigmoid output, red anchored at
(1, 0, 0, 0) by a Euclidean pin on the raw code, 20,001 steps on the HSV cube (the 2.2
dopesheet, reproduced with its quirks). Then, on the raw code (`encoder`: there is no
normalization layer):

- suppression: Suppression(e0, BoundedFalloff(0, 1, 2)): gate alpha^2 over red's hemisphere;
- repulsion: Repulsion(e0, FastBezierMapper(0, cos 60 deg)): every positively aligned latent
  turned to at least 60 deg from red.

Expected (published, seed 0, on the HD cube of 240 hues x 48 saturations x 48 values): max MSE
0.014 without intervention, 0.28 with suppression, 0.29 with repulsion; the damage peaks at red
and falls off towards yellow and blue.

Run:
    python experiments/ex_2_2.py [--seed N] [--out DIR] [--fast]
Same training through the CLI:
    colorlatent fit -c experiments/configs/ex_2_2.yaml
"""

from __future__ import annotations

from pathlib import Path

from colorlatent import InterventionCallback
from colorlatent.evaluation import color_errors, compare_lines, evaluate_model, hd_cube
from colorlatent.experiment import figures, parse_args, report, train, write_results
from colorlatent.plots.intervention_report import save_intervention_figures

CONFIG = Path(__file__).parent / "configs" / "ex_2_2.yaml"
FAST = ["--trainer.max_steps=60", "--trainer.val_check_interval=30", "--trainer.log_every_n_steps=10"]
POWERS = {"suppression": 2.0, "repulsion": 2.0}
PUBLISHED = {"hd_max/baseline": 0.014, "hd_max/suppression": 0.28, "hd_max/repulsion": 0.29}  # m2-spec §7.2
HD_LEVELS = (47, 37, 27, 17, 7)  # value levels of the notebook's loss plots


def main(argv: list[str] | None = None) -> None:
    args = parse_args(__doc__, argv)
    run = train(CONFIG, seed=args.seed, out=args.out, resume=args.resume, overrides=FAST if args.fast else [])
    plans = InterventionCallback.from_config(run.config).plans
    table, metrics = evaluate_model(run.model, plans, POWERS)
    cube = hd_cube()
    for tag, plan in ({"baseline": []} | plans).items():
        mse = color_errors(run.model, cube.flat_rgb(), plan)
        metrics[f"hd_max/{tag}"] = float(mse.max())
        metrics[f"hd_median/{tag}"] = float(mse.median())
    save_intervention_figures(run.model, plans, POWERS, table, run.run_dir, cube=cube, value_levels=HD_LEVELS)
    write_results(run, "ex_2_2", {**metrics, "fast": args.fast, "figures": figures(run)})
    medians = ", ".join(f"{tag} {metrics[f'hd_median/{tag}']:.2e}" for tag in ("baseline", *plans))
    report(run, [f"ex 2.2 ({run.steps} steps, {run.train_seconds:.1f} s)",
                 *compare_lines(table, metrics, PUBLISHED),
                 f"  HD-cube median MSE: {medians}  (published: not given for 2.2)"])


if __name__ == "__main__":
    main()
