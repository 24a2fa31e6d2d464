"""Training speed of the anchored experiment (ex 2.3) three ways, and what 60 seeds cost.

1. plain:     a plain PyTorch loop written here: the colors in memory, batches drawn with tensor
              ops, the same model, losses, schedule and Adam, no Lightning. The practical limit.
2. lightning: colorlatent's Lightning path as the experiment scripts use it
              (`colorlatent.experiment.train` on the experiment's YAML config).
3. stack:     the vectorized sweep (`colorlatent.vectorized.train_seeds`) training S seeds as one
              stacked model, then evaluating every seed as the experiment's model selection needs
              (`evaluate_model`: named-color errors, selectivity R^2 on three probe sets, validation terms).

Every measurement runs in a fresh process (so start-up and peak memory are its own), in
alternating order, and the table shows medians over the repeats:

- steps/s: training steps per second of the step loop alone (the Lightning figure excludes
  the time spent in validation passes, which the plain loop does not do); for the stack, steps
  of the whole stack, and seed-steps/s = steps/s x S;
- train s: the step loop (plain), `trainer.fit` (lightning: with its validations and
  end-of-training callbacks), `train_seeds` + evaluation (stack);
- wall s: the whole process, from launch to exit (imports included); CPU s: its CPU time
  (with its children's), about what the wall time would be on an otherwise idle machine;
- peak RSS: the process's resident-set high-water mark (`ru_maxrss`, read by the process at its end).

All three start from the same seed's weights and data stream, so the plain loop, the Lightning
run and seed `--seed` of the stack end with identical weights; the table's last column shows a
digest of them.

    .venv/bin/python benchmarks/train_speed.py                   # 1,501 steps, 3 repeats, S = 60
    .venv/bin/python benchmarks/train_speed.py --steps 20 --repeats 1 --seeds 3 --in-process   # smoke test
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "experiments" / "configs" / "ex_2_3.yaml"
SCRIPT = ROOT / "experiments" / "ex_2_3.py"  # where the experiment's evaluation settings live
PATHS = ("plain", "lightning", "stack")
TARGETS = {  # the targets on the 2-core machine
    "lightning_vs_plain": 0.7,  # Lightning steps/s >= 0.7 x plain
    "stack_wall_s": 30.0,  # 60 seeds including evaluation
    "stack_peak_gib": 2.0,
}


# -- measurements (each in its own process) ------------------------------------------------------
def digest(state: dict) -> str:
    """Short hash of a model's weights: equal digests mean bit-identical weights."""
    h = hashlib.sha256()
    for key in sorted(state):
        h.update(key.encode())
        h.update(state[key].detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:12]


def measure_plain(config: Path, steps: int, seed: int) -> dict:
    """The plain loop: model, terms and schedule from the config, everything else written out here."""
    import lightning as L
    import torch
    import yaml

    from colorlatent import AnchoredAutoencoder, ScheduleCallback
    from colorlatent.cli import configure_threads
    from colorlatent.data import make_dataset
    from colorlatent.data.labels import draw_labels, label_probabilities, parse_labels

    configure_threads()
    cfg = yaml.safe_load(config.read_text())
    sheet = next(cb["init_args"] for cb in cfg["trainer"]["callbacks"]
                 if str(cb.get("class_path", "")).endswith("ScheduleCallback"))
    schedule = ScheduleCallback(**sheet)  # used as a lookup table only
    data = cfg["data"]
    L.seed_everything(seed, verbose=False)
    model = AnchoredAutoencoder(**cfg["model"])
    optimizer = model.configure_optimizers()
    rgb = make_dataset(data["dataset"]).rgb
    probs = label_probabilities(rgb, parse_labels(data.get("labels") or {}))
    generator = torch.Generator().manual_seed(seed)
    batch = data["batch_size"]
    per_epoch = math.ceil(data["samples_per_epoch"] / batch)
    if data.get("sampling") != "uniform":
        raise SystemExit(f"the plain loop samples uniformly; the config has sampling={data.get('sampling')!r}")
    model.train()
    start, cpu = time.perf_counter(), time.process_time()
    for step in range(steps):
        values = schedule.values_at(step)
        for group in optimizer.param_groups:
            group["lr"] = values["lr"]
        model.term_weights.update(values)
        size = min(batch, data["samples_per_epoch"] - (step % per_epoch) * batch)
        idx = torch.randint(len(rgb), (size,), generator=generator)
        labels = draw_labels({k: p[idx] for k, p in probs.items()}, generator=generator)
        loss = model.training_step((rgb[idx], labels), step)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"steps": steps, "loop_s": seconds, "loop_cpu_s": cpu, "train_s": seconds, "steps_per_s": steps / seconds,
            "steps_per_cpu_s": steps / cpu, "digest": digest(model.state_dict())}


def _step_clock():
    import lightning as L

    class StepClock(L.Callback):
        """Wall and CPU time of the training-step loop, less the time spent in validation passes."""

        def __init__(self):
            self.start = self.last = None
            self.validating = (0.0, 0.0)
            self._val_start = (0.0, 0.0)

        @staticmethod
        def now():
            return time.perf_counter(), time.process_time()

        def on_train_start(self, trainer, pl_module):
            self.start = self.now()

        def on_validation_start(self, trainer, pl_module):
            self._val_start = self.now()

        def on_validation_end(self, trainer, pl_module):
            if not trainer.sanity_checking:
                self.validating = tuple(v + n - s for v, n, s in zip(self.validating, self.now(), self._val_start))

        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
            self.last = self.now()

    return StepClock


def measure_lightning(config: Path, steps: int, seed: int, out: Path) -> dict:
    """`colorlatent.experiment.train` as the experiment scripts call it, plus a step clock."""
    import __main__

    __main__.StepClock = _step_clock()  # importable by LightningCLI as __main__.StepClock
    from colorlatent.experiment import train

    run = train(config, seed, out=out, overrides=[f"--trainer.max_steps={steps}", "--trainer.callbacks+=__main__.StepClock"])
    clock = next(cb for cb in run.trainer.callbacks if type(cb).__name__ == "StepClock")
    loop, cpu = (last - first - val for last, first, val in zip(clock.last, clock.start, clock.validating))
    return {"steps": run.steps, "loop_s": loop, "loop_cpu_s": cpu, "train_s": run.train_seconds,
            "steps_per_s": run.steps / loop, "steps_per_cpu_s": run.steps / cpu,
            "digest": digest(run.model.state_dict())}


def measure_stack(config: Path, steps: int, seeds: int, seed: int, out: Path) -> dict:
    """`train_seeds` over `seeds` seeds, then each seed's evaluation as the experiment does it."""
    import runpy

    import torch

    from colorlatent import InterventionCallback
    from colorlatent.data import make_dataset, parse_labels
    from colorlatent.evaluation import evaluate_model
    from colorlatent.vectorized import train_seeds

    start = time.perf_counter()
    seed_list = [seed + i for i in range(seeds)]
    runs = train_seeds(config, seed_list, [out / f"seed_{s}" for s in seed_list],
                       [f"--trainer.max_steps={steps}"], quiet=True)
    trained = time.perf_counter()
    powers = runpy.run_path(str(SCRIPT), run_name="benchmark")["POWERS"]
    data = runs[0].config["data"]
    plans = InterventionCallback.from_config(runs[0].config).plans
    val_rgb, specs = make_dataset(data["val_dataset"]).rgb, parse_labels(data["labels"])
    scores = []
    with torch.no_grad():
        for run in runs:
            _, metrics = evaluate_model(run.model, plans, powers, val_rgb, specs)
            scores.append(metrics["r2_rgb8/suppression"])
    done = time.perf_counter()
    fit = runs[0].train_seconds * len(runs)
    return {"steps": runs[0].trainer.global_step, "seeds": len(runs), "loop_s": fit, "train_s": done - start,
            "steps_per_s": runs[0].trainer.global_step / fit, "eval_s": done - trained,
            "median_score": statistics.median(scores), "digest": digest(runs[0].model.state_dict())}


def measure(path: str, args: argparse.Namespace, out: Path) -> dict:
    os.environ.setdefault("JSONARGPARSE_DEPRECATION_WARNINGS", "off")
    if path == "plain":
        result = measure_plain(args.config, args.steps, args.seed)
    elif path == "lightning":
        result = measure_lightning(args.config, args.steps, args.seed, out)
    else:
        result = measure_stack(args.config, args.steps, args.seeds, args.seed, out)
    # ru_maxrss is the process's resident-set high-water mark, in KiB on Linux. Figure callbacks
    # may draw in a child process; the largest child's peak is reported beside it.
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    result["peak_mib"] = own.ru_maxrss / 1024
    result["child_peak_mib"] = children.ru_maxrss / 1024
    # CPU seconds of the whole process (imports included) and of its children: on an idle
    # machine a one-thread process's wall time is about its CPU time, on a busy one it is more.
    result["cpu_s"] = sum(u.ru_utime + u.ru_stime for u in (own, children))
    return result


def worker(args: argparse.Namespace) -> None:
    print("RESULT " + json.dumps(measure(args.worker, args, Path(args.out))), flush=True)


# -- the driver ------------------------------------------------------------------------------------
def measure_here(path: str, args: argparse.Namespace, scratch: Path) -> dict:
    """One measurement in this process (smoke tests: the timings include the other paths' warm-up)."""
    start = time.perf_counter()
    out = Path(tempfile.mkdtemp(prefix=f"{path}-", dir=scratch))
    result = measure(path, args, out)
    result["wall_s"] = time.perf_counter() - start
    return result


def run_one(path: str, args: argparse.Namespace, scratch: Path) -> dict:
    """One measurement in a fresh process; adds its wall time."""
    out = Path(tempfile.mkdtemp(prefix=f"{path}-", dir=scratch))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", path, "--steps", str(args.steps),
           "--seeds", str(args.seeds), "--seed", str(args.seed), "--config", str(args.config), "--out", str(out)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise SystemExit(f"{path} measurement failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
    result = json.loads(lines[-1][len("RESULT "):])
    result["wall_s"] = wall
    return result


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import torch

    return (f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python "
            f"{platform.python_version()}, torch {torch.__version__}, one intra-op thread per process")


def table(results: dict[str, list[dict]], args: argparse.Namespace) -> list[str]:
    med = {path: {key: statistics.median(r[key] for r in runs) for key in runs[0] if isinstance(runs[0][key], float)}
           for path, runs in results.items()}
    plain = med["plain"]["steps_per_s"]
    lines = [
        "| path | steps/s | seed-steps/s | vs plain | train s | wall s | CPU s | peak RSS MiB | weights |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for path, runs in results.items():
        m = med[path]
        seeds = runs[0].get("seeds", 1)
        seed_steps = m["steps_per_s"] * seeds
        name = {"plain": "plain PyTorch loop (1 seed)", "lightning": "Lightning, experiment config (1 seed)",
                "stack": f"seed stack, S = {seeds}, + evaluation"}[path]
        lines.append(f"| {name} | {m['steps_per_s']:.0f} | {seed_steps:.0f} | {seed_steps / plain:.2f}x | "
                     f"{m['train_s']:.2f} | {m['wall_s']:.1f} | {m['cpu_s']:.1f} | {m['peak_mib']:.0f} | "
                     f"{runs[0]['digest']} |")
    lines.append("")
    spread = {path: [round(r["steps_per_s"]) for r in runs] for path, runs in results.items()}
    lines.append(f"steps/s of each repeat: {spread}")
    stack = results["stack"][0]
    lines.append(f"stack: {stack['seeds']} seeds x {stack['steps']} steps; evaluation "
                 f"{med['stack']['eval_s']:.1f} s of the train s; median selection score "
                 f"{med['stack']['median_score']:.4f}")
    same = len({runs[0]["digest"] for runs in results.values()}) == 1
    lines.append(f"final weights of seed {args.seed} identical on all three paths: {'yes' if same else 'NO'}")
    ratio = med["lightning"]["steps_per_s"] / plain
    cpu_ratio = med["lightning"]["steps_per_cpu_s"] / med["plain"]["steps_per_cpu_s"]
    lines.append(f"per CPU second of the step loop (less sensitive to other load on the machine): plain "
                 f"{med['plain']['steps_per_cpu_s']:.0f}, Lightning {med['lightning']['steps_per_cpu_s']:.0f} "
                 f"steps ({cpu_ratio:.2f}x)")
    lines.append("")
    lines.append("targets:")
    lines.append(f"  Lightning steps/s / plain steps/s = {ratio:.2f} (target >= {TARGETS['lightning_vs_plain']}): "
                 f"{'met' if ratio >= TARGETS['lightning_vs_plain'] else 'MISSED'}; per CPU second {cpu_ratio:.2f}")
    wall, peak = med["stack"]["wall_s"], med["stack"]["peak_mib"] / 1024
    if stack["seeds"] == 60 and stack["steps"] == 1501:
        lines.append(f"  60 seeds incl. evaluation: {wall:.1f} s wall (target < {TARGETS['stack_wall_s']:.0f} s): "
                     f"{'met' if wall < TARGETS['stack_wall_s'] else 'MISSED'}; the process used "
                     f"{med['stack']['cpu_s']:.1f} CPU-s (its wall time on an otherwise idle machine)")
        lines.append(f"  peak memory of the 60-seed run: {peak:.2f} GiB (target < {TARGETS['stack_peak_gib']:.0f} GiB): "
                     f"{'met' if peak < TARGETS['stack_peak_gib'] else 'MISSED'}")
    else:
        lines.append("  (the sweep targets apply to --seeds 60 --steps 1501)")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=1501, help="training steps (default: the experiment's 1,501)")
    parser.add_argument("--repeats", type=int, default=3, help="measurements per path; the table shows medians")
    parser.add_argument("--seeds", type=int, default=60, help="models in the seed stack (default 60)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the single runs and first seed of the stack")
    parser.add_argument("--config", type=Path, default=CONFIG, help="experiment config (default ex 2.3)")
    parser.add_argument("--json", type=Path, default=None, help="also write every measurement here")
    parser.add_argument("--in-process", action="store_true",
                        help="measure in this process instead of a fresh one per measurement (one import instead "
                             "of one per measurement; wall times and peak memory then mean nothing: smoke tests only)")
    parser.add_argument("--worker", choices=PATHS, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for name in ("steps", "repeats", "seeds"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be >= 1; got {getattr(args, name)}")
    if args.worker:
        return worker(args)

    results: dict[str, list[dict]] = {path: [] for path in PATHS}
    load = os.getloadavg()
    # Alternate the order so that slow phases of a shared machine hit every path alike.
    with tempfile.TemporaryDirectory(prefix="train-speed-") as scratch:
        for repeat in range(args.repeats):
            for path in PATHS[repeat % 3:] + PATHS[:repeat % 3]:
                result = (measure_here if args.in_process else run_one)(path, args, Path(scratch))
                results[path].append(result)
            print(f"repeat {repeat + 1}/{args.repeats} {path:9s} {result['steps_per_s']:7.0f} steps/s  "
                  f"wall {result['wall_s']:5.1f} s  peak {result['peak_mib']:6.0f} MiB", flush=True)
    print()
    print(f"ex 2.3 anchored configuration ({args.config.relative_to(ROOT) if args.config.is_relative_to(ROOT) else args.config}), "
          f"{args.steps} steps, median of {args.repeats}")
    print(f"machine: {machine()}; load average before/after: {load[0]:.1f} / {os.getloadavg()[0]:.1f}")
    for line in table(results, args):
        print(line)
    if args.json:
        args.json.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "results": results}, indent=2))


if __name__ == "__main__":
    main()
