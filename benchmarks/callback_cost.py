"""What the figure callbacks cost: experiment 1.7 trained with and without them.

Arms, each run in a fresh process, in alternating order, medians over the repeats:

- none:     experiments/configs/ex_1_7.yaml without its figure callbacks (latent slices, phase
            history, timeline, projector); the schedule, checkpoint and progress bar stay;
- figures:  the config as shipped (the phase history at its default capture frequency);
- every200: as shipped, but capturing every 200 steps as the notebook did (`--arms none,every200`);
- captures-N: as shipped, but N evenly spaced phase-history captures (e.g. `captures-21`).

Measured per run: `fit s`, the wall time of `trainer.fit` (every step, the validations, and the
end of training, where the final figures and the GIF are finished), the same as the experiment
script's `train_seconds`; `CPU s` of the training process, and `worker CPU s`, the CPU time of
the child processes that draw the figures. The cost is the ratio of the medians of `fit s`,
minus one.

    .venv/bin/python benchmarks/callback_cost.py                   # 10,001 steps, 3 repeats
    .venv/bin/python benchmarks/callback_cost.py --steps 300 --repeats 1   # smoke test
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "experiments" / "configs" / "ex_1_7.yaml"
FIGURE_CALLBACKS = ("LatentSliceCallback", "PhaseHistoryCallback", "TimelineFigureCallback", "ProjectorCallback")
ARMS = ("none", "figures", "every200")
TARGET = 0.05  # the limit: callbacks cost < 5 % of training time


def config_for(arm: str, directory: Path) -> Path:
    """The ex 1.7 config for `arm`, written into `directory`."""
    import yaml

    config = yaml.safe_load(CONFIG.read_text())
    callbacks = config["trainer"]["callbacks"]
    if arm == "none":
        config["trainer"]["callbacks"] = [c for c in callbacks if c["class_path"].split(".")[-1] not in FIGURE_CALLBACKS]
    elif arm == "every200" or arm.startswith("captures-"):
        history = next(c for c in callbacks if c["class_path"].endswith("PhaseHistoryCallback"))
        spacing = {"every_n_steps": 200} if arm == "every200" else {"captures": int(arm.split("-")[1]),
                                                                     "every_n_steps": None}
        history["init_args"] = {**history.get("init_args", {}), **spacing}
    path = directory / f"ex_1_7_{arm}.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def measure(arm: str, steps: int, seed: int) -> dict:
    """Train ex 1.7 for `arm` in this process; return the timings."""
    from colorlatent.experiment import figures, train

    with tempfile.TemporaryDirectory() as tmp:
        overrides = [f"--trainer.max_steps={steps}", f"--trainer.val_check_interval={max(1, min(1000, steps // 10))}"]
        start = time.process_time()
        run = train(config_for(arm, Path(tmp)), seed=seed, out=Path(tmp) / "run", overrides=overrides)
        cpu = time.process_time() - start
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return {"arm": arm, "steps": run.steps, "fit_s": run.train_seconds, "cpu_s": cpu,
                "worker_cpu_s": children.ru_utime + children.ru_stime,
                "files": figures(run) + sorted(p.name for p in run.run_dir.glob("*.gif"))}


def run_in_fresh_process(arm: str, steps: int, seed: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--measure", arm, "--steps", str(steps), "--seed", str(seed)],
                         check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=10001, help="training steps per run (ex 1.7: 10,001)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per arm")
    parser.add_argument("--seed", type=int, default=1, help="seed of every run")
    parser.add_argument("--arms", default="none,figures", help=f"comma-separated arms, the first is the baseline "
                        f"(from {', '.join(ARMS)})")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # internal: one run of this arm, JSON to stdout
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure, args.steps, args.seed)))
        return

    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f} at the start", flush=True)
    arms = args.arms.split(",")
    unknown = [arm for arm in arms if arm not in ARMS and not re.fullmatch(r"captures-[1-9][0-9]*", arm)]
    if unknown or len(arms) < 2:
        parser.error(f"--arms {args.arms!r}: give two or more of {list(ARMS)} or captures-N")
    results: dict[str, list[dict]] = {arm: [] for arm in arms}
    for repeat in range(args.repeats):
        order = arms if repeat % 2 == 0 else arms[::-1]  # alternate, so drifting load hits every arm alike
        for arm in order:
            result = run_in_fresh_process(arm, args.steps, args.seed)
            results[arm].append(result)
            print(f"  repeat {repeat + 1} {arm:8s} fit {result['fit_s']:6.2f} s  CPU {result['cpu_s']:6.2f} s  "
                  f"worker CPU {result['worker_cpu_s']:5.2f} s", flush=True)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    medians = {arm: {key: statistics.median(r[key] for r in rows) for key in ("fit_s", "cpu_s", "worker_cpu_s")}
               for arm, rows in results.items()}
    print("\n| arm | fit s | CPU s | worker CPU s | steps/s |\n|---|---|---|---|---|")
    for arm, m in medians.items():
        print(f"| {arm} | {m['fit_s']:.2f} | {m['cpu_s']:.2f} | {m['worker_cpu_s']:.2f} | {args.steps / m['fit_s']:.0f} |")
    base = arms[0]
    for arm in arms[1:]:
        cost = medians[arm]["fit_s"] / medians[base]["fit_s"] - 1
        print(f"\n{arm} vs {base}: {cost:+.1%} of ex 1.7's training time (medians of {args.repeats}; "
              f"target < {TARGET:.0%}); files: {', '.join(results[arm][-1]['files']) or 'none'}")


if __name__ == "__main__":
    main()
