"""Experiment 1.8: regularizer ablation. Which of the five regularizers of 1.7 are needed?

Every non-empty subset of {reg-polar, reg-separate, reg-planar, reg-norm-v, reg-norm} (31 runs,
in itertools.combinations order, m1-spec §6.8) trains with 1.7's setup, dopesheet and seed;
regularizers outside the subset are removed from the model and their dopesheet columns ignored.
The runs are independent and run in two worker processes (one per core). Running the same
command again with the same --out reuses the combinations that finished (e.g. after a crash).

Published (qualitative): each term does what it was designed for. Without reg-separate the
points bunch on one side of the sphere; without reg-norm they bunch in the middle; without
reg-planar hue leaks into dims 2-3; without reg-polar red is not at (1, 0, 0, 0); unclear
whether both reg-norm and reg-norm-v are needed. Summary: all regularizers are needed.

Here each claim is checked with a metric on the final model, comparing every pair of runs that
differ only by that regularizer (15 pairs each). Outputs in the ablation directory:
`ablation-grid.png` (the [1, 0] hue-plane slice of the RGB 8^3 grid, one panel per
combination), `results.json` and `table.md` (structure metrics per combination, sorted by the
overall score, and the verdict), and one run directory per combination.

Run:
    python experiments/ex_1_8.py [--seed N] [--out DIR] [--fast] [--combinations 1,31] [--workers 2]
One combination alone (what each worker runs; a normal single run):
    python experiments/ex_1_8.py --combination 7 [--seed N] [--out DIR] [--fast]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path
from typing import Any

import torch
import yaml

from colorlatent import AnchoredAutoencoder
from colorlatent.callbacks.common import encode_in_eval
from colorlatent.color import named_colors
from colorlatent.data import make_dataset
from colorlatent.experiment import (
    evaluate,
    figures,
    next_free_dir,
    parse_args,
    parse_int_list,
    report,
    run_parallel,
    train,
    write_results,
)
from colorlatent.plots.slice_grid import plot_slice_grid
from colorlatent.structure import StructureMetrics

SCRIPT = Path(__file__).resolve()
CONFIG_1_7 = SCRIPT.parent / "configs" / "ex_1_7.yaml"
FAST = ["--trainer.max_steps=40", "--trainer.val_check_interval=20", "--trainer.log_every_n_steps=10"]
REGULARIZERS = ("reg-polar", "reg-separate", "reg-planar", "reg-norm-v", "reg-norm")
COMBINATIONS = [c for k in range(1, len(REGULARIZERS) + 1) for c in itertools.combinations(REGULARIZERS, k)]
# Per-run figures of ex 1.7 that the ablation leaves out: the phase history alone adds ~14 % to
# every run, and the ablation's own figure is the grid. Each run keeps its final latent slices.
DROPPED_CALLBACKS = ("PhaseHistoryCallback", "TimelineFigureCallback", "ProjectorCallback")
RED_TARGET = (1.0, 0.0, 0.0, 0.0)  # reg-polar's point; measured for every run, with or without reg-polar
MARGIN = 0.05  # a metric difference smaller than this does not count as an effect (see VERDICT_DOC)

# Each published claim, the metric that tests it, and whether lower is better.
CLAIMS = {
    "reg-polar": ("red_anchor_cos", False, "without it red is not at (1,0,0,0)"),
    "reg-separate": ("direction_bias", True, "without it the points bunch on one side of the sphere"),
    "reg-planar": ("planarity_rms", True, "without it hue leaks into dims 2-3"),
    "reg-norm-v": ("hue_radius_error", True, "the vibrant hues sit on the unit circle (unclear if needed)"),
    "reg-norm": ("probe_norm_deviation", True, "without it the points bunch in the middle"),
}
SCORE_DOC = ("score = mean of six criteria, each in [0, 1] with 1 ideal: red at (1,0,0,0) = max(red_anchor_cos, 0); "
             "hue wheel = clip(2 * hue_order - 1, 0, 1); planar hues = 1 - min(planarity_rms, 1); unit sphere = "
             "1 - min(probe_norm_deviation, 1); spread = 1 - direction_bias; reconstruction = "
             "1 - min(recon_mse / 0.01, 1) (0.01 = an RMS error of 0.1 per channel counts as useless)")
VERDICT_DOC = (f"a regularizer is needed when adding it improves its claim's metric by more than {MARGIN} in the "
               "comparison of all five against all five without it, and in most of the pairs of runs that differ only "
               "by it")


def short(combination: tuple[str, ...]) -> str:
    """`('reg-polar', 'reg-planar')` -> `polar+planar`."""
    return "+".join(name.removeprefix("reg-") for name in combination)


def parse_combinations(text: str) -> list[int]:
    """Combination numbers (1-31, m1-spec §6.8 order) from `1,31`, `26-31` or a mix."""
    try:
        return parse_int_list(text, low=1, high=len(COMBINATIONS))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--combinations {text!r}: give numbers in 1-{len(COMBINATIONS)} as a list 'A,B', a range 'A-B' (A <= B) "
            "or both") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--combinations", type=parse_combinations, default=list(range(1, len(COMBINATIONS) + 1)),
                        metavar="LIST", help="which combinations to run (default all 31: 1-31), e.g. 1,31 or 26-31")
    parser.add_argument("--combination", type=int, default=None, choices=range(1, len(COMBINATIONS) + 1),
                        metavar="K", help="train only combination K (1-31) as a single run into --out")
    parser.add_argument("--workers", type=int, default=2, help="worker processes for the ablation (default 2)")


def combination_config(combination: tuple[str, ...], path: Path) -> Path:
    """Write ex 1.7's config with only `combination`'s regularizers (the other columns ignored)."""
    config = yaml.safe_load(CONFIG_1_7.read_text())
    config["model"]["regularizers"] = [r for r in config["model"]["regularizers"] if r["name"] in combination]
    config["trainer"]["logger"]["init_args"]["name"] = "ex_1_8"
    callbacks = []
    for callback in config["trainer"]["callbacks"]:
        name = callback["class_path"].rsplit(".", 1)[-1]
        if name in DROPPED_CALLBACKS:
            continue
        if name == "ScheduleCallback":
            callback["init_args"]["ignore_columns"] = [r for r in REGULARIZERS if r not in combination]
        callbacks.append(callback)
    config["trainer"]["callbacks"] = callbacks
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"# ex 1.8 combination {short(combination)}: {CONFIG_1_7.name} with only these regularizers\n"
                    + yaml.safe_dump(config, sort_keys=False))
    return path


@torch.no_grad()
def ablation_metrics(model: AnchoredAutoencoder) -> dict[str, float]:
    """Metrics every combination is judged by, the same for all (whatever regularizers it had).

    The structure metrics on the named colors with red's target always (1, 0, 0, 0), plus on the
    RGB 8^3 grid: `probe_radius` (mean latent norm), `direction_bias` (length of the mean unit
    direction: 0 = directions balanced around the origin, 1 = all points on one side) and
    `hue_radius_error` = abs(hue_radius - 1).
    """
    model.eval()
    structure = StructureMetrics(named_colors(), model.hparams.hue_plane, {"red": torch.tensor(RED_TARGET)})
    structure.update(model)
    out = {k: float(v) for k, v in structure.compute().items()}
    z = model.encode(make_dataset("rgb-8").rgb)
    out["probe_radius"] = float(z.norm(dim=1).mean())
    out["direction_bias"] = float(torch.nn.functional.normalize(z, dim=1).mean(dim=0).norm())
    out["hue_radius_error"] = abs(out["hue_radius"] - 1.0)
    return out


def run_combination(args: argparse.Namespace) -> None:
    """One combination as a single run (the experiment-script contract)."""
    combination = COMBINATIONS[args.combination - 1]
    out = args.out or next_free_dir(Path("lightning_logs") / "ex_1_8", "version_")
    config = combination_config(combination, out / "combination.yaml")
    run = train(config, seed=args.seed, out=out, resume=args.resume, overrides=FAST if args.fast else [])
    metrics = {**evaluate(run, probe="rgb-8"), **ablation_metrics(run.model)}
    write_results(run, "ex_1_8", {"combination": args.combination, "regularizers": list(combination),
                                  **metrics, "fast": args.fast, "figures": figures(run)})
    report(run, [
        f"ex 1.8 combination {args.combination} ({short(combination)}): {run.steps} steps, {run.train_seconds:.1f} s",
        *(f"  {k:22s} {metrics[k]:.4f}" for k in ("red_anchor_cos", "hue_order", "planarity_rms", "hue_radius",
                                                  "probe_norm_deviation", "direction_bias", "recon_mse")),
    ])


def score(m: dict[str, float]) -> dict[str, float]:
    """The six criteria of SCORE_DOC and their mean, `score`."""
    criteria = {
        "c_anchor": max(m["red_anchor_cos"], 0.0),
        "c_wheel": min(max(2 * m["hue_order"] - 1, 0.0), 1.0),
        "c_planar": 1 - min(m["planarity_rms"], 1.0),
        "c_sphere": 1 - min(m["probe_norm_deviation"], 1.0),
        "c_spread": 1 - m["direction_bias"],
        "c_recon": 1 - min(m["recon_mse"] / 0.01, 1.0),
    }
    return {"score": sum(criteria.values()) / len(criteria), **criteria}


def verdict(rows: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """For each regularizer: does adding it improve its claim's metric (VERDICT_DOC)?"""
    index = {frozenset(c): k for k, c in enumerate(COMBINATIONS, start=1)}
    full = index[frozenset(REGULARIZERS)]
    claims: dict[str, Any] = {}
    for reg, (metric, lower_better, claim) in CLAIMS.items():
        pairs = []  # (with, without) combination numbers that both ran
        for with_it in COMBINATIONS:
            without = frozenset(with_it) - {reg}
            if reg in with_it and without and index[frozenset(with_it)] in rows and index[without] in rows:
                pairs.append((index[frozenset(with_it)], index[without]))
        gains = [(rows[b][metric] - rows[a][metric]) if lower_better else (rows[a][metric] - rows[b][metric])
                 for a, b in pairs]
        better = sum(g > MARGIN for g in gains)
        worse = sum(g < -MARGIN for g in gains)
        leave_out = index[frozenset(REGULARIZERS) - {reg}]
        entry: dict[str, Any] = {"metric": metric, "lower_is_better": lower_better, "claim": claim,
                                 "pairs": len(pairs), "pairs_better": better, "pairs_worse": worse,
                                 "pairs_within_margin": len(pairs) - better - worse}
        if full in rows and leave_out in rows:
            entry.update({"all_five": rows[full][metric], "all_but_this": rows[leave_out][metric],
                          "gain_in_all_five": gains[pairs.index((full, leave_out))]})
        # Decided only on the whole design: all 15 pairs (a subset run, e.g. --combinations 1,31, is not).
        entry["needed"] = (entry["gain_in_all_five"] > MARGIN and better > len(pairs) / 2
                           if len(pairs) == 2 ** (len(REGULARIZERS) - 1) - 1 else None)
        claims[reg] = entry
    decided = [c["needed"] for c in claims.values()]
    if any(d is None for d in decided):
        summary = "undecided: run all 31 combinations to test 'all regularizers are needed'"
        supports = None
    else:
        supports = all(decided)
        unneeded = [r for r, c in claims.items() if not c["needed"]]
        summary = ("SUPPORTS 'all regularizers are needed': removing any one from all five worsens its metric"
                   if supports else f"REFUTES 'all regularizers are needed': not needed by its metric: {unneeded}")
    return {"supports_all_needed": supports, "summary": summary, "rule": VERDICT_DOC, "claims": claims}


def table(rows: list[dict[str, Any]]) -> str:
    columns = [("#", "combination", "{}"), ("combination", "name", "{}"), ("score", "score", "{:.3f}"),
               ("red cos", "red_anchor_cos", "{:.3f}"), ("hue order", "hue_order", "{:.2f}"),
               ("planarity", "planarity_rms", "{:.3f}"), ("hue radius", "hue_radius", "{:.3f}"),
               ("probe radius", "probe_radius", "{:.3f}"), ("probe |r-1|", "probe_norm_deviation", "{:.3f}"),
               ("dir. bias", "direction_bias", "{:.3f}"), ("recon", "recon_mse", "{:.5f}")]
    lines = ["| " + " | ".join(c[0] for c in columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(fmt.format(row[key]) for _, key, fmt in columns) + " |" for row in rows]
    return "\n".join(lines)


def both_norms(rows: dict[int, dict[str, Any]]) -> dict[str, dict[str, float]]:
    """The published open question: are both unitarity terms needed? All five vs each norm left out.

    With only one of them the published result still had radius ~1 but was "more cube-like":
    on a sphere every grid color has norm 1, so `probe_norm_deviation` measures how cube-like.
    """
    index = {frozenset(c): k for k, c in enumerate(COMBINATIONS, start=1)}
    cases = {"all five": frozenset(REGULARIZERS), "without reg-norm": frozenset(REGULARIZERS) - {"reg-norm"},
             "without reg-norm-v": frozenset(REGULARIZERS) - {"reg-norm-v"}}
    keys = ("hue_radius", "probe_radius", "probe_norm_deviation", "score")
    return {case: {"combination": index[regs], **{k: rows[index[regs]][k] for k in keys}}
            for case, regs in cases.items() if index[regs] in rows}


def norms_table(cases: dict[str, dict[str, float]]) -> str:
    lines = ["| run | # | hue radius | probe radius | probe abs(r-1) | score |", "|---|---|---|---|---|---|"]
    lines += [f"| {case} | {c['combination']} | {c['hue_radius']:.3f} | {c['probe_radius']:.3f} | "
              f"{c['probe_norm_deviation']:.3f} | {c['score']:.3f} |" for case, c in cases.items()]
    return "\n".join(lines)


def claims_table(result: dict[str, Any]) -> str:
    lines = ["| regularizer | metric | all five | without it | pairs better / same / worse | needed |",
             "|---|---|---|---|---|---|"]
    for reg, c in result["claims"].items():
        arrow = "lower" if c["lower_is_better"] else "higher"
        full = f"{c['all_five']:.3f}" if "all_five" in c else "-"
        without = f"{c['all_but_this']:.3f}" if "all_but_this" in c else "-"
        needed = {True: "yes", False: "no", None: "?"}[c["needed"]]
        pairs = f"{c['pairs_better']} / {c['pairs_within_margin']} / {c['pairs_worse']} of {c['pairs']}"
        lines.append(f"| {reg} | {c['metric']} ({arrow} is better) | {full} | {without} | {pairs} | {needed} |")
    return "\n".join(lines)


def grid_figure(out: Path, run_dirs: dict[int, Path], rows: dict[int, dict[str, Any]], fast: bool) -> list[str]:
    """The [1, 0] slice of the RGB 8^3 grid of every finished combination, in combination order."""
    probe = make_dataset("rgb-8").rgb
    latents, titles = [], []
    for k in sorted(rows):
        model = AnchoredAutoencoder.load_from_checkpoint(run_dirs[k] / "checkpoints" / "last.ckpt", map_location="cpu")
        latents.append(encode_in_eval(model, probe).float())
        titles.append(f"{k}. {rows[k]['name']}\nscore {rows[k]['score']:.2f}")
    names = []
    for dark in (False, True):
        fig = plot_slice_grid(latents, probe, titles, dims=(1, 0), dark=dark,
                              title=f"ex 1.8: [1, 0] slice (dim 0 up) after {'--fast' if fast else 'full'} training")
        name = "ablation-grid-dark.png" if dark else "ablation-grid.png"
        fig.savefig(out / name, dpi=110, facecolor=fig.get_facecolor())
        names.append(name)
    return names


def _finished(run_dir: Path, seed: int, fast: bool) -> dict[str, Any] | None:
    """The results of a combination that already ran to its end in `run_dir` with this seed and mode."""
    path = run_dir / "results.json"
    if not path.is_file():
        return None
    results = json.loads(path.read_text())
    return results if results.get("complete") and results.get("seed") == seed and results.get("fast") == fast else None


def run_ablation(args: argparse.Namespace) -> None:
    out = args.out or next_free_dir(Path("lightning_logs") / "ex_1_8", "ablation_")
    out.mkdir(parents=True, exist_ok=True)
    run_dirs = {k: out / f"{k:02d}_{short(COMBINATIONS[k - 1])}" for k in args.combinations}
    passthrough = ["--fast"] if args.fast else []
    reused = {k: done for k in args.combinations if (done := _finished(run_dirs[k], args.seed, args.fast))}
    jobs = {k: (SCRIPT, args.seed, run_dirs[k], ["--combination", str(k), *passthrough])
            for k in args.combinations if k not in reused}
    print(f"ex 1.8: {len(args.combinations)} of {len(COMBINATIONS)} combinations of {len(REGULARIZERS)} "
          f"regularizers, seed {args.seed} -> {out}" + (f"; {len(reused)} finished before, reused" if reused else ""),
          flush=True)
    start = time.perf_counter()
    results, failed = ({}, {}) if not jobs else run_parallel(
        jobs, args.workers, describe=lambda k: f"combination {k} ({short(COMBINATIONS[k - 1])})")
    results.update(reused)
    wall = time.perf_counter() - start
    rows = {}
    for k, res in results.items():
        metrics = {key: v for key, v in res.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        rows[k] = {"combination": k, "name": short(COMBINATIONS[k - 1]), "regularizers": list(COMBINATIONS[k - 1]),
                   **score(metrics), **{key: v for key, v in metrics.items() if key not in ("seed", "combination")}}
    ranked = sorted(rows.values(), key=lambda r: (-r["score"], r["combination"]))
    decision = verdict(rows)
    decision["both_norms"] = both_norms(rows)
    names = grid_figure(out, run_dirs, rows, args.fast) if rows else []
    summary = {"experiment": "ex_1_8", "seed": args.seed, "fast": args.fast, "combinations": args.combinations,
               "failed": {str(k): v for k, v in failed.items()}, "wall_seconds": round(wall, 1),
               "workers": min(args.workers, max(len(jobs), 1)), "reused": sorted(reused), "score": SCORE_DOC,
               "verdict": decision, "table": ranked, "figures": names}
    (out / "results.json").write_text(json.dumps(summary, indent=2))
    text = "\n\n".join([f"Sorted by {SCORE_DOC}.", table(ranked), f"Verdict ({VERDICT_DOC}):", claims_table(decision),
                        decision["summary"], "Are both norms needed?", norms_table(decision["both_norms"])])
    (out / "table.md").write_text(text + "\n")
    print(f"{len(rows)}/{len(args.combinations)} combinations finished in {wall:.0f} s"
          + (f"; failed: {sorted(failed)}" if failed else ""))
    print(text)
    print(f"Figures: {', '.join(names)}")
    print(out)
    if failed:
        raise SystemExit(1)


def main(argv: list[str] | None = None) -> None:
    given = sys.argv[1:] if argv is None else list(argv)
    if any(a == "--seeds" or a.startswith("--seeds=") for a in given):
        raise SystemExit("ex_1_8.py: --seeds is not supported: the ablation is 31 runs of one seed (m1-spec §6.8); "
                         "run it once per seed with --seed N and --out DIR")
    args = parse_args(__doc__, given, add_arguments=add_arguments)
    if args.workers < 1:
        raise SystemExit(f"ex_1_8.py: --workers must be >= 1; got {args.workers}")
    if args.combination is not None:
        run_combination(args)
    elif args.resume is not None:
        raise SystemExit("ex_1_8.py: --resume continues one combination's run: add --combination K")
    else:
        run_ablation(args)


if __name__ == "__main__":
    main()
