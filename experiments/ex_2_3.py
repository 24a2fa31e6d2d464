"""Experiment 2.3: suppress, repel or ablate red on the anchored model.

The anchored model of the paper (m2-spec §7.3-7.5, the 2.4.1 "redux" configuration): a 4-D
autoencoder with explicit L2 normalization and no output sigmoid, trained for 1,501 steps on
the RGB 8^3 cube with ~80 noisy `red` labels and ~100 `vibrant` labels in the whole run; an
angular anchor pulls red to (1, 0, 0, 0), planarity keeps vibrant hues in dims 0/1, and a batch
repulsion spreads everything out, all after the normalization. Then, on the `bottleneck`:

- suppression: Suppression(e0, BoundedFalloff(cos 90 deg, 1, 0)): the red component of every
  latent in red's hemisphere is removed;
- repulsion: Repulsion(e0, LinearMapper(cos 90 deg, cos 89 deg)): every latent in red's
  hemisphere is turned to within 1 deg of its equator;
- ablated: dim 0 zeroed before the normalization (= ablating its weights).

Expected (published best of 60 seeds, seed 7): red's MSE 0.284 / 0.333 / 0.333 (suppression /
repulsion / ablated); orange 0.154 and pink 0.158 under suppression; lime, purple, cyan and
the grays change by < 1e-3 under suppression and repulsion, while ablation also deletes cyan
(0.342). Selectivity R^2 against similarity^2 to red: 0.991 on the RGB 8^3 grid (the sweep
score; 0.9515 +- 0.0236 over the 60 seeds), 0.99 / 0.98 / 0.37 on the RGB 20^3 cube.

Run:
    python experiments/ex_2_3.py [--seed N] [--out DIR] [--fast]
    python experiments/ex_2_3.py --seeds 0-59     (sweep; picks the Pareto-front model)
Same training through the CLI:
    colorlatent fit -c experiments/configs/ex_2_3.yaml
"""

from __future__ import annotations

from pathlib import Path

from colorlatent import AnchoredAutoencoder, InterventionCallback
from colorlatent.data import make_dataset, parse_labels
from colorlatent.evaluation import compare_lines, distribution, evaluate_model, pareto_front, select_model
from colorlatent.experiment import figures, parse_args, report, train, write_results
from colorlatent.plots.intervention_report import save_intervention_figures
from colorlatent.plots.sweep_boxes import plot_sweep_boxes

CONFIG = Path(__file__).parent / "configs" / "ex_2_3.yaml"
FAST = ["--trainer.max_steps=60", "--trainer.val_check_interval=30", "--trainer.log_every_n_steps=10"]
POWERS = {"suppression": 2.0, "repulsion": 2.0, "ablated": 2.0}  # similarity^k for each plan's R^2
SCORE, MINIMIZE = "r2_rgb8/suppression", ("val_recon", "val_anchor")  # m2-spec §5.6 selection
PUBLISHED = {  # m2-spec §7.5: seed 7, the best of 60
    "mse/suppression/red": 0.284, "mse/repulsion/red": 0.333, "mse/ablated/red": 0.333,
    "mse/suppression/orange": 0.154, "mse/suppression/pink": 0.158, "mse/ablated/cyan": 0.342,
    "r2_rgb8/suppression": 0.991, "r2_rgb20/suppression": 0.99, "r2_rgb20/repulsion": 0.98,
    "r2_rgb20/ablated": 0.37,
}
UNTOUCHED = ("lime", "purple", "cyan", "black", "dark gray", "gray", "light gray", "white")  # published: < 1e-3
SOFT = ("suppression", "repulsion")


def evaluate(model: AnchoredAutoencoder, config: dict, out_dir: Path, prefix: str = "", title: str = ""):
    """Named-color table, R^2 on three probe sets, validation terms, and the four figures."""
    plans = InterventionCallback.from_config(config).plans
    data = config["data"]
    table, metrics = evaluate_model(model, plans, POWERS, make_dataset(data["val_dataset"]).rgb,
                                    parse_labels(data["labels"]))
    save_intervention_figures(model, plans, POWERS, table, out_dir, prefix=prefix, title=title)
    return table, metrics


def finish_sweep(out: Path, per_seed: list[dict]) -> dict:
    """Pick the Pareto-front model (max score, min val_recon and val_anchor) and report it."""
    chosen = per_seed[select_model(per_seed, SCORE, MINIMIZE)]
    front = sorted((per_seed[i] for i in pareto_front(per_seed, MINIMIZE, [SCORE])), key=lambda r: -r[SCORE])
    seed_dir = out / f"seed_{chosen['seed']}"
    model = AnchoredAutoencoder.load_from_checkpoint(seed_dir / "checkpoints" / "last.ckpt")
    table, metrics = evaluate(model, chosen["config"], out, prefix="selected-", title=f"seed {chosen['seed']}: ")
    fig = plot_sweep_boxes(per_seed, [(SCORE, False), ("val_recon", True), ("val_anchor", True)],
                           selected=per_seed.index(chosen), title=f"ex 2.3 over {len(per_seed)} seeds")
    fig.savefig(out / "sweep-boxes.png", dpi=110)
    print(f"Score {SCORE}: {distribution([r[SCORE] for r in per_seed])}; "
          f"published 0.9515 ± 0.0236 (min 0.8821, max 0.9910, n = 60)")
    print(f"Pareto front ({len(front)} runs): " + ", ".join(f"seed {r['seed']} {r[SCORE]:.4f}" for r in front))
    print(f"Selected seed {chosen['seed']} (figures selected-*.png, sweep-boxes.png in {out}):")
    for line in compare_lines(table, metrics, PUBLISHED, UNTOUCHED, SOFT):
        print(line)
    return {"selected_seed": chosen["seed"], "pareto_front": [r["seed"] for r in front],
            **{f"selected/{k}": v for k, v in metrics.items()}}


def main(argv: list[str] | None = None) -> None:
    args = parse_args(__doc__, argv, finish_sweep=finish_sweep)
    run = train(CONFIG, seed=args.seed, out=args.out, resume=args.resume, overrides=FAST if args.fast else [])
    table, metrics = evaluate(run.model, run.config, run.run_dir)
    metrics["score"] = metrics[SCORE]
    write_results(run, "ex_2_3", {**metrics, "fast": args.fast, "figures": figures(run)})
    report(run, [f"ex 2.3 ({run.steps} steps, {run.train_seconds:.1f} s)",
                 *compare_lines(table, metrics, PUBLISHED, UNTOUCHED, SOFT)])


if __name__ == "__main__":
    main()
