"""The shared body of the intervention experiments (ex 2.3, 2.5): evaluate, sweep selection, report.

A script declares what differs (its config, the R^2 powers, the published figures, the colors that
should stay untouched) as an `InterventionStudy` and calls `study.main(__doc__)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import AnchoredAutoencoder, InterventionCallback
from .data import make_dataset, parse_labels
from .evaluation import compare_lines, distribution, evaluate_model, pareto_front, select_model
from .experiment import figures, parse_args, report, train, write_results
from .plots.intervention_report import save_intervention_figures
from .plots.sweep_boxes import plot_sweep_boxes

FAST = ("--trainer.max_steps=60", "--trainer.val_check_interval=30", "--trainer.log_every_n_steps=10")
SCORE, MINIMIZE = "r2_rgb8/suppression", ("val_recon", "val_anchor")  # m2-spec §5.6 selection


@dataclass(frozen=True)
class InterventionStudy:
    """An intervention experiment.

    Args:
        name: Experiment name, e.g. `ex_2_3` (results.json's `experiment`).
        script: The experiment script (a `--seeds` sweep re-runs it per seed); its config is
            `configs/<name>.yaml` beside it.
        powers: similarity^k exponent of each plan's selectivity R^2.
        published: Published per-color / R^2 figures of the selected model, for the comparison.
        published_score: The published distribution of the selection score, as text.
        untouched: Colors the published result leaves (nearly) unchanged.
        soft: Plans with a soft falloff (compared with a tolerance rather than exactly).
    """

    name: str
    script: Path
    powers: dict[str, float]
    published: dict[str, float]
    published_score: str
    untouched: tuple[str, ...]
    soft: tuple[str, ...]

    @property
    def config(self) -> Path:
        return self.script.parent / "configs" / f"{self.name}.yaml"

    @property
    def label(self) -> str:
        return self.name.replace("ex_", "ex ").replace("_", ".")

    def evaluate(self, model: AnchoredAutoencoder, config: dict, out_dir: Path, prefix: str = "", title: str = ""):
        """Named-color table, R^2 on three probe sets, validation terms, and the four figures."""
        plans = InterventionCallback.from_config(config).plans
        data = config["data"]
        table, metrics = evaluate_model(model, plans, self.powers, make_dataset(data["val_dataset"]).rgb,
                                        parse_labels(data["labels"]))
        save_intervention_figures(model, plans, self.powers, table, out_dir, prefix=prefix, title=title)
        return table, metrics

    def finish_sweep(self, out: Path, per_seed: list[dict]) -> dict:
        """Pick the Pareto-front model (max score, min val_recon and val_anchor) and report it."""
        chosen = per_seed[select_model(per_seed, SCORE, MINIMIZE)]
        front = sorted((per_seed[i] for i in pareto_front(per_seed, MINIMIZE, [SCORE])), key=lambda r: -r[SCORE])
        seed_dir = out / f"seed_{chosen['seed']}"
        model = AnchoredAutoencoder.load_from_checkpoint(seed_dir / "checkpoints" / "last.ckpt")
        table, metrics = self.evaluate(model, chosen["config"], out, prefix="selected-",
                                       title=f"seed {chosen['seed']}: ")
        fig = plot_sweep_boxes(per_seed, [(SCORE, False), ("val_recon", True), ("val_anchor", True)],
                               selected=per_seed.index(chosen), title=f"{self.label} over {len(per_seed)} seeds")
        fig.savefig(out / "sweep-boxes.png", dpi=110)
        print(f"Score {SCORE}: {distribution([r[SCORE] for r in per_seed])}; published {self.published_score}")
        print(f"Pareto front ({len(front)} runs): " + ", ".join(f"seed {r['seed']} {r[SCORE]:.4f}" for r in front))
        print(f"Selected seed {chosen['seed']} (figures selected-*.png, sweep-boxes.png in {out}):")
        for line in compare_lines(table, metrics, self.published, self.untouched, self.soft):
            print(line)
        return {"selected_seed": chosen["seed"], "pareto_front": [r["seed"] for r in front],
                **{f"selected/{k}": v for k, v in metrics.items()}}

    def main(self, doc: str | None, argv: list[str] | None = None) -> None:
        """The experiment script: one run (or, with --seeds, a sweep), evaluated and reported."""
        args = parse_args(doc, argv, finish_sweep=self.finish_sweep, script=self.script)
        run = train(self.config, seed=args.seed, out=args.out, resume=args.resume,
                    overrides=list(FAST) if args.fast else [])
        table, metrics = self.evaluate(run.model, run.config, run.run_dir)
        metrics["score"] = metrics[SCORE]
        write_results(run, self.name, {**metrics, "fast": args.fast, "figures": figures(run)})
        report(run, [f"{self.label} ({run.steps} steps, {run.train_seconds:.1f} s)",
                     *compare_lines(table, metrics, self.published, self.untouched, self.soft)])
