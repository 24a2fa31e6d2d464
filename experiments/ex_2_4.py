"""Experiment 2.4: permanently delete a concept by surgery on the latent dims' weights.

Concepts (`--concept`), each with its config in experiments/configs/ex_2_4_<concept>.yaml:

- `red` (default): the isolated model (m2-spec §7.12-7.13, the 2.9.1 configuration): a 5-D
  bottleneck with two hidden layers each side; red anchored on dim 0, every color pushed out of
  dim 0 (anti-subspace) and off the pole opposite red (anti-anchor). Delete dim 0. With
  `--single-label`, the 2.10.1 variant (§7.15): no anti-anchor.
- `hue`: delete the hue plane, dims 0 and 1, of the 2.7.1 model (§7.9-7.10); selectivity is
  R^2 against vibrancy^2.3 instead of similarity to red.
- `warmth`: delete dim 0, the red-cyan axis, of the anchored 2.4.1 model (§7.8).

Each model is evaluated unchanged (baseline) and after `ablate` (weights zeroed), `prune` (the
dims removed) and, for comparison, `AxisAlignedSuppression` after the normalization; the
named-color table, selectivity R^2 (similarity^3 to red for ablation, as the 2.9.1 score), and
latent panels before and after deletion are written.

Fallback control (`--fallback`, red only; beyond the published method): training also
teaches the decoder that the cap within 30 degrees of -e0 decodes to mid-gray and that every
other color's code reflected across dim 0 decodes to itself (colorlatent.fallback.FallbackControl),
and a `redirected` model (`surgery.redirect`: dim 0 mirrored, so red goes into the cap) is
evaluated beside the zeroed one. Red runs also report `red_offaxis_deg` (how far red's code
sits from +e0) and, with --fallback, what the redirected model makes of pure red.

Published (best of 60 seeds, m2-spec §7.10-7.15): red (2.9.1) red's MSE +0.343 after deletion,
cyan -0.00003, grays < 0.0025, score (R^2 on RGB 8^3) 0.985, R^2 (sim^3, RGB 20^3) 0.99; the
score over 60 seeds 0.857 ± 0.154 (min 0.06). 2.10.1: red +0.385, cyan +0.0007, R^2 0.95.
2.7.1: hues +0.156-0.333, grays <= 0.001, R^2 (vibrancy^2.3) 0.93.

Run:
    python experiments/ex_2_4.py [--concept red|hue|warmth] [--single-label] [--fallback] [--seed N] [--fast]
    python experiments/ex_2_4.py --concept red --seeds 0-59    (sweep; picks the Pareto-front model)
Same training through the CLI:
    colorlatent fit -c experiments/configs/ex_2_4_red.yaml
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

import torch

from colorlatent import AnchoredAutoencoder, AxisAlignedSuppression, ablate, prune
from colorlatent.color import named_colors, vibrancy
from colorlatent.data import make_dataset, parse_labels
from colorlatent.evaluation import (
    RED_HSV, ErrorTable, color_errors, distribution, pareto_front, pearson_r, rgb_grid, select_model, selectivity,
    validation_metrics,
)
from colorlatent.experiment import figures, parse_args, report, train, write_results
from colorlatent.plots.color_errors import plot_color_errors
from colorlatent.plots.intervened_latents import plot_intervened_latents
from colorlatent.plots.sweep_boxes import plot_sweep_boxes
from colorlatent.surgery import redirect

CONFIGS = Path(__file__).parent / "configs"
FAST = ["--trainer.max_steps=60", "--trainer.val_check_interval=30", "--trainer.log_every_n_steps=10"]
GRAYS = ("black", "dark gray", "gray", "light gray", "white")
COOL = ("lime", "green", "teal", "cyan", "azure", "blue", "purple")


@dataclass(frozen=True)
class Concept:
    """What one `--concept` deletes and how its selectivity is scored."""

    dims: tuple[int, ...]
    against: str                     # "red": similarity^power to red; "vibrancy": vibrancy^power
    power: float
    minimize: tuple[str, ...]        # validation terms of the Pareto selection (m2-spec §5.6)
    published: dict[str, float] = field(default_factory=dict)  # the published selected model's values
    published_scores: str = ""       # the published score distribution over 60 seeds


CONCEPTS = {
    "red": Concept((0,), "red", 3.0, ("val_recon", "val_anchor"),
                   {"delta/ablated/red": 0.343, "delta/ablated/cyan": -0.00003, "delta/ablated/light gray": 0.0025,
                    "r2_rgb8/ablated": 0.9848, "r2_rgb20/ablated": 0.99},
                   "0.8570 ± 0.1541 (min 0.0615, max 0.9848), m2-spec §7.13"),
    "red-single": Concept((0,), "red", 3.0, ("val_recon", "val_anchor"),
                          {"delta/ablated/red": 0.385, "delta/ablated/cyan": 0.0007, "r2_rgb8/ablated": 0.9769,
                           "r2_rgb20/ablated": 0.95},
                          "0.8503 ± 0.1413 (min 0.0376, max 0.9769), m2-spec §7.15"),
    "hue": Concept((0, 1), "vibrancy", 2.3, ("val_recon", "val_subspace"),
                   {"delta/ablated/red": 0.333, "delta/ablated/orange": 0.156, "delta/ablated/white": 0.001,
                    "r2_rgb8/ablated": 0.9119, "r2_rgb20/ablated": 0.93},
                   "0.8247 ± 0.0526 (min 0.6163, max 0.9119), m2-spec §7.10"),
    "warmth": Concept((0,), "red", 3.0, ("val_recon", "val_anchor"),
                      {"delta/ablated/red": 0.333, "delta/ablated/cyan": 0.342}),
}


def score_key(name: str) -> str:
    """The sweep score: R^2 of the deleted model on the RGB 8^3 grid (m2-spec §5.6), for the
    deletion the variant uses: ablation, or with fallback control the redirection."""
    return "r2_rgb8/redirected" if name.endswith("fallback") else "r2_rgb8/ablated"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--concept", choices=["red", "hue", "warmth"], default="red", help="what to delete")
    parser.add_argument("--single-label", action="store_true", help="red only: the 2.10.1 variant (no anti-anchor)")
    parser.add_argument("--fallback", action="store_true",
                        help="red only: train with fallback control and also evaluate the redirected deletion")


def variant(args: argparse.Namespace) -> str:
    """The config name: red, red_single, red_fallback, hue or warmth."""
    if (args.single_label or args.fallback) and args.concept != "red":
        raise SystemExit(f"--single-label and --fallback apply to --concept red only, not {args.concept!r}")
    if args.single_label and args.fallback:
        raise SystemExit("choose one of --single-label and --fallback")
    return args.concept + ("_single" if args.single_label else "_fallback" if args.fallback else "")


def concept_of(name: str) -> Concept:
    return CONCEPTS["red-single" if name == "red_single" else name.split("_")[0]]


def deleted_models(model: AnchoredAutoencoder, dims: tuple[int, ...], fallback: bool) -> dict[str, tuple]:
    """Plan name -> (model, interventions): the surgery results and post-norm suppression."""
    plans = {"ablated": (ablate(model, dims), []), "pruned": (prune(model, dims), []),
             "suppression": (model, [AxisAlignedSuppression(dims, layer="bottleneck")])}
    if fallback:
        plans["redirected"] = (redirect(model, dims), [])
    return plans


def r2(concept: Concept, mse: torch.Tensor, rgb: torch.Tensor) -> float:
    if concept.against == "vibrancy":
        return pearson_r(vibrancy(rgb) ** concept.power, mse) ** 2
    return selectivity(mse, rgb, RED_HSV, concept.power)


def evaluate(model: AnchoredAutoencoder, config: dict, name: str, out_dir: Path, prefix: str = "", title: str = ""):
    """Per-color table, R^2 on the RGB 8^3 and 20^3 grids, validation terms, two figures."""
    concept = concept_of(name)
    model = model.eval()
    plans = deleted_models(model, concept.dims, name.endswith("fallback"))
    colors = named_colors()
    table = ErrorTable(list(colors.names), color_errors(model, colors.rgb),
                       {tag: color_errors(m, colors.rgb, iv) for tag, (m, iv) in plans.items()})
    metrics = table.flat()
    for probe, rgb in {"rgb8": rgb_grid(8), "rgb20": rgb_grid(20)}.items():
        rgb = rgb.float()
        for tag, (m, iv) in plans.items():
            metrics[f"r2_{probe}/{tag}"] = r2(concept, color_errors(m, rgb, iv), rgb)
    if concept.against == "red":
        metrics.update(red_geometry(model, plans))
    data = config["data"]
    metrics.update(validation_metrics(model, make_dataset(data["val_dataset"]).rgb, parse_labels(data["labels"])))
    out_dir.mkdir(parents=True, exist_ok=True)
    plot_color_errors(table, title=f"{title}named colors before and after deleting dims {list(concept.dims)}"
                      ).savefig(out_dir / f"{prefix}deletion-errors.png", dpi=110)
    grid = rgb_grid(8).float()
    shown = {"baseline": model} | {tag: m for tag, (m, iv) in plans.items() if tag in ("ablated", "redirected")}
    with torch.no_grad():
        latents = {tag: m.encode(grid) for tag, m in shown.items()}
        recon = {tag: m(grid) for tag, m in shown.items()}
    plot_intervened_latents(latents, grid, recon, dims=(1, 0),
                            title=f"{title}RGB 8³ latents before and after deletion (fill: true, ring: output)"
                            ).savefig(out_dir / f"{prefix}deletion-latents.png", dpi=110)
    return table, metrics


@torch.no_grad()
def red_geometry(model: AnchoredAutoencoder, plans: dict[str, tuple]) -> dict[str, float]:
    """Where pure red's code sits and, with fallback control, what the redirected model makes of it.

    `red_offaxis_deg`: angle between red's latent and +e0 (its mirror image lands as far off -e0).
    With a `redirected` plan: `redirected_red/r|g|b`, its output for pure red, and
    `fallback_pole_mse`, the MSE of decoder(-e0) from mid-gray (what the fallback term taught).
    """
    red = torch.tensor([[1.0, 0.0, 0.0]])
    z = model.encode(red)[0]
    out = {"red_offaxis_deg": float(torch.rad2deg(torch.acos((z[0] / z.norm()).clamp(-1.0, 1.0))))}
    if "redirected" in plans:
        rgb = plans["redirected"][0](red)[0]
        out.update({f"redirected_red/{c}": float(v) for c, v in zip("rgb", rgb)})
        pole = torch.zeros(1, z.shape[0])
        pole[0, 0] = -1.0
        out["fallback_pole_mse"] = float(((model.model.decoder(pole) - 0.5) ** 2).mean())
    return out


def summary_lines(table: ErrorTable, metrics: dict, concept: Concept) -> list[str]:
    lines = ["Named colors (MSE; Δ = change caused by each deletion):", table.markdown(decimals=6), ""]
    for tag in [t for t in table.results if t != "pruned"]:
        cool = max(abs(metrics[f"delta/{tag}/{c}"]) for c in COOL)
        gray = max(abs(metrics[f"delta/{tag}/{c}"]) for c in GRAYS)
        lines.append(f"  {tag:12s} red Δ {metrics[f'delta/{tag}/red']:+.4f}; largest |Δ| cool hues {cool:.2e}, "
                     f"grays {gray:.2e}; R^2 rgb8 {metrics[f'r2_rgb8/{tag}']:.4f}, rgb20 {metrics[f'r2_rgb20/{tag}']:.4f}")
    lines.append(f"  ablated vs pruned: largest |MSE difference| "
                 f"{float((table.results['ablated'] - table.results['pruned']).abs().max()):.1e}")
    for key, value in concept.published.items():
        lines.append(f"  {key:26s} {metrics[key]:+.4f}   (published {value})")
    lines.append("  " + ", ".join(f"{k} {metrics[k]:.2e}" for k in metrics if k.startswith("val_")))
    return lines


def make_finish(name: str):
    concept = concept_of(name)
    score = score_key(name)

    def finish_sweep(out: Path, per_seed: list[dict]) -> dict:
        """Pick the Pareto-front model (max score, min validation terms), report it and the distributions."""
        chosen = per_seed[select_model(per_seed, score, concept.minimize)]
        front = sorted((per_seed[i] for i in pareto_front(per_seed, concept.minimize, [score])), key=lambda r: -r[score])
        model = AnchoredAutoencoder.load_from_checkpoint(out / f"seed_{chosen['seed']}" / "checkpoints" / "last.ckpt")
        table, metrics = evaluate(model, chosen["config"], name, out, prefix="selected-", title=f"seed {chosen['seed']}: ")
        fig = plot_sweep_boxes(per_seed, [(score, False), *[(k, True) for k in concept.minimize]],
                               selected=per_seed.index(chosen), title=f"ex 2.4 {name} over {len(per_seed)} seeds")
        fig.savefig(out / "sweep-boxes.png", dpi=110)
        tags = [t[len("delta/"):-len("/red")] for t in per_seed[0] if t.startswith("delta/") and t.endswith("/red")]
        for tag in tags:
            print(f"red Δ {tag}: {distribution([r[f'delta/{tag}/red'] for r in per_seed])}")
        print(f"Score {score}: {distribution([r[score] for r in per_seed])}"
              + (f"; published {concept.published_scores}" if concept.published_scores else ""))
        print(f"Pareto front ({len(front)} runs): " + ", ".join(f"seed {r['seed']} {r[score]:.4f}" for r in front))
        print(f"Selected seed {chosen['seed']} (figures selected-*.png, sweep-boxes.png in {out}):")
        for line in summary_lines(table, metrics, concept):
            print(line)
        return {"selected_seed": chosen["seed"], "pareto_front": [r["seed"] for r in front],
                **{f"selected/{k}": v for k, v in metrics.items()}}

    return finish_sweep


def main(argv: list[str] | None = None) -> None:
    pre = argparse.ArgumentParser(add_help=False)
    add_arguments(pre)
    name = variant(pre.parse_known_args(argv)[0])
    args = parse_args(__doc__, argv, finish_sweep=make_finish(name), add_arguments=add_arguments)
    run = train(CONFIGS / f"ex_2_4_{name}.yaml", seed=args.seed, out=args.out, resume=args.resume, overrides=FAST if args.fast else [])
    table, metrics = evaluate(run.model, run.config, name, run.run_dir)
    metrics["score"] = metrics[score_key(name)]
    write_results(run, f"ex_2_4_{name}", {**metrics, "concept": name, "fast": args.fast, "figures": figures(run)})
    report(run, [f"ex 2.4 {name} ({run.steps} steps, {run.train_seconds:.1f} s)",
                 *summary_lines(table, metrics, concept_of(name))])


if __name__ == "__main__":
    main()
