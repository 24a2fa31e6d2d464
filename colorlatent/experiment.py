"""Shared plumbing of the experiment scripts (`experiments/ex_X_Y.py`).

Every script trains from its YAML config through the same LightningCLI that `colorlatent fit`
uses, so the script and the CLI cannot drift apart. The contract (DESIGN.md):

    python experiments/ex_X_Y.py [--seed N] [--out DIR] [--fast]

writes `results.json`, `config.yaml`, `checkpoints/last.ckpt`, TensorBoard events and PNG
figures into the run directory (default `lightning_logs/ex_X_Y/version_N/`) and prints the run
directory as its last line.

Interrupted runs: Ctrl-C or SIGTERM stops training after the current step (`RunCheckpoint`),
and the run is still evaluated and written, with `"complete": false` in results.json; the
script then exits with 128 + the signal number. `--resume RUN_DIR` (with the run's other
arguments) continues it from `RUN_DIR/checkpoints/last.ckpt`, also after SIGKILL, and ends
exactly as an uninterrupted run would.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import runpy
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch
import yaml

from .cli import build_cli, configure_threads
from .data import make_dataset
from .data.datamodule import ColorDataModule
from .metrics import norm_deviation
from .module import AnchoredAutoencoder
from .schedule.scaling import compressed_config
from .vectorized.sweep import NotVectorizable, StackedSweep, TrainRequest


def parse_args(doc: str | None, argv: list[str] | None = None,
               finish_sweep: Callable[[Path, list[dict[str, Any]]], dict[str, Any]] | None = None,
               add_arguments: Callable[[argparse.ArgumentParser], None] | None = None,
               script: Path | None = None) -> argparse.Namespace:
    """The common experiment arguments; `doc` (the script's docstring) becomes the help text.

    With `--seeds`, this runs the whole multi-seed sweep of the calling script (see `sweep`),
    then exits: the script's own code after `parse_args` only ever runs one seed.
    `finish_sweep(sweep_dir, per_seed_results)` lets a script add to the sweep (model
    selection, figures); the keys it returns join the aggregate results.json.
    `add_arguments(parser)` adds the script's own options; a sweep passes them on to every seed.
    `script` is the file a sweep re-runs per seed (default: the file that calls `parse_args`).
    """
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0, help="seed for weights, batches and labels (default 0)")
    parser.add_argument("--seeds", type=parse_seeds, default=None, metavar="LIST",
                        help="run several seeds, e.g. 0-59 or 0,3,7, trained together as one stacked model when the "
                             "config allows it (each seed's result is its single run's, to the bit), else in two "
                             "worker processes: one run directory per seed under --out, plus an aggregate "
                             "results.json with every metric's per-seed values and mean/std/min/max")
    parser.add_argument("--no-stack", action="store_true",
                        help="with --seeds: train each seed on its own (two worker processes), not as one stack")
    parser.add_argument("--out", type=Path, default=None,
                        help="run directory (default: lightning_logs/<experiment>/version_N; "
                             "with --seeds: lightning_logs/<experiment>/sweep_N)")
    parser.add_argument("--fast", action="store_true",
                        help="seconds-long smoke run for tests; not the experiment's real result")
    if add_arguments is not None:
        add_arguments(parser)
    parser.add_argument("--resume", type=Path, default=None, metavar="RUN_DIR",
                        help="continue the interrupted run in RUN_DIR from its checkpoints/last.ckpt (give the "
                             "run's other arguments again, e.g. --fast; the seed is read from RUN_DIR/config.yaml)")
    args = parser.parse_args(argv)
    if args.resume is not None:
        _resume_arguments(parser, args, argv)
    if args.seeds is not None:
        if script is None:
            caller = sys._getframe(1).f_globals.get("__file__")  # the experiment script that called us
            if caller is None:
                raise SystemExit("--seeds needs parse_args to be called from an experiment script file")
            script = Path(caller)
        passthrough = _without_options(sys.argv[1:] if argv is None else list(argv), ("--seed", "--seeds", "--out"))
        passthrough = [a for a in passthrough if a != "--no-stack"]
        sweep(script, args.seeds, args.out, passthrough, finish_sweep, stack=not args.no_stack)
        raise SystemExit(0)
    return args


def fast_config(config: Path, factor: float) -> Path:
    """`config` with its dopesheet's steps scaled by `factor`, for a `--fast` smoke run
    (written to `<tmp>/colorlatent/<config stem>_fast.yaml`, see `compressed_config`)."""
    return compressed_config(config, factor, Path(tempfile.gettempdir()) / "colorlatent" / f"{config.stem}_fast.yaml")


def _resume_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace, argv: list[str] | None) -> None:
    """Check `--resume RUN_DIR` and take the run directory and seed from it."""
    run_dir = args.resume
    if args.seeds is not None:
        parser.error("--resume continues one run; resume each seed's run directory on its own")
    if args.out is not None and args.out.resolve() != run_dir.resolve():
        parser.error(f"--resume {run_dir} writes into that run directory; drop --out {args.out}")
    checkpoint, saved = run_dir / "checkpoints" / "last.ckpt", run_dir / "config.yaml"
    for path in (checkpoint, saved):
        if not path.is_file():
            parser.error(f"--resume {run_dir}: {path} does not exist, so there is nothing to resume")
    seed = yaml.safe_load(saved.read_text()).get("seed_everything")
    given = sys.argv[1:] if argv is None else argv
    if any(a == "--seed" or a.startswith("--seed=") for a in given) and args.seed != seed:
        parser.error(f"--resume {run_dir}: that run used --seed {seed}, not {args.seed}")
    args.out, args.seed = run_dir, seed


@dataclass
class Run:
    """A training run that ended: finished, or stopped early by a signal (`stopped_by`)."""

    model: AnchoredAutoencoder
    datamodule: ColorDataModule
    trainer: L.Trainer
    run_dir: Path
    config: dict[str, Any]
    train_seconds: float
    stopped_by: str | None = None
    resumed_from_step: int | None = None

    @property
    def steps(self) -> int:
        return self.trainer.global_step

    @property
    def complete(self) -> bool:
        """Whether training ran to its end (not stopped by Ctrl-C or SIGTERM)."""
        return self.stopped_by is None


def train(config: Path, seed: int, out: Path | None = None, overrides: list[str] = (),
          resume: Path | None = None) -> Run:
    """Fit the experiment described by `config` (a LightningCLI YAML file) with `seed`.

    The resolved config is written to `config.yaml` before training starts, so an interrupted
    or killed run can be resumed.

    Args:
        config: The experiment's YAML config, the same file `colorlatent fit -c` takes.
        seed: Global seed (`seed_everything`).
        out: Run directory; default is the config logger's `save_dir/name/version_N`.
        overrides: Extra LightningCLI arguments, e.g. `--trainer.max_steps=50` for `--fast`.
        resume: A run directory to continue from its `checkpoints/last.ckpt` (it is also the
            output directory). The resolved config must equal the one saved there.

    Raises:
        ValueError: When resuming with a config that differs from the run's, or when `out`
            holds an interrupted run and `resume` is not given (it would be overwritten).
    """
    if _stacked is not None and resume is None:  # a stacked sweep already trained (and saved) this seed
        done = _stacked.train(config, seed, out, overrides)
        return Run(done.model, done.datamodule, done.trainer, done.run_dir, done.config, done.train_seconds)
    if resume is None and out is not None:
        _refuse_to_overwrite_interrupted(out)
    out = resume if resume is not None else out
    os.environ.setdefault("JSONARGPARSE_DEPRECATION_WARNINGS", "off")
    configure_threads()
    args = ["--config", str(config), f"--seed_everything={seed}", *overrides]
    if out is not None:
        args += [f"--trainer.logger.init_args.save_dir={out}", "--trainer.logger.init_args.name=",
                 "--trainer.logger.init_args.version="]
    cli = build_cli(args, run=False)
    trainer, model, datamodule = cli.trainer, cli.model, cli.datamodule
    run_dir = Path(trainer.log_dir)
    resolved = yaml.safe_load(cli.parser.dump(cli.config, skip_none=False))
    checkpoint, resumed_from = None, None
    if resume is not None:
        _check_same_config(yaml.safe_load((run_dir / "config.yaml").read_text()), resolved, run_dir)
        checkpoint = run_dir / "checkpoints" / "last.ckpt"
        resumed_from = torch.load(checkpoint, map_location="cpu", weights_only=False)["global_step"]
    # Written before training too, so that a killed run can be resumed (Lightning's
    # SaveConfigCallback overwrites it with its own dump meanwhile).
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.yaml").write_text(yaml.safe_dump(resolved, sort_keys=False))
    start = time.perf_counter()
    trainer.fit(model, datamodule, ckpt_path=checkpoint)
    train_seconds = time.perf_counter() - start
    (run_dir / "config.yaml").write_text(yaml.safe_dump(resolved, sort_keys=False))
    stopped_by = next((cb.stopped_by for cb in trainer.callbacks if getattr(cb, "stopped_by", None)), None)
    return Run(model, datamodule, trainer, run_dir, resolved, train_seconds, stopped_by, resumed_from)


def _refuse_to_overwrite_interrupted(run_dir: Path) -> None:
    """A run directory whose training did not finish is resumed, never silently trained over."""
    checkpoint, results = run_dir / "checkpoints" / "last.ckpt", run_dir / "results.json"
    if not checkpoint.is_file() or (results.is_file() and json.loads(results.read_text()).get("complete", True)):
        return
    step = torch.load(checkpoint, map_location="cpu", weights_only=False)["global_step"]
    raise ValueError(
        f"{run_dir} holds an interrupted run (its last checkpoint is at step {step}); continue it with "
        f"--resume {run_dir} (an experiment script passes that on as train(..., resume=args.resume)), "
        "or write to another --out"
    )


def _check_same_config(saved: dict[str, Any], now: dict[str, Any], run_dir: Path) -> None:
    """A resumed run must train with exactly the configuration it started with."""
    def flat(tree: Any, prefix: str = "") -> dict[str, Any]:
        items = list(tree.items() if isinstance(tree, dict) else enumerate(tree) if isinstance(tree, list) else ())
        if not items:
            return {prefix[:-1]: tree}
        return {k: v for key, value in items for k, v in flat(value, f"{prefix}{key}.").items()}

    # Where the logs go does not change training (and the same directory may be spelled
    # differently); a null is the same as a missing key (dumps differ in which they write).
    before, after = ({k: v for k, v in flat(c).items() if v is not None and not k.startswith("trainer.logger")}
                     for c in (saved, now))
    changed = [k for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)]
    if changed:
        shown = "; ".join(f"{k}: {before.get(k)!r} -> {after.get(k)!r}" for k in changed[:5])
        raise ValueError(
            f"cannot resume {run_dir}: its config.yaml differs from this run's config in {changed} ({shown}); "
            "resume with the arguments the run was started with (e.g. --fast if it had it)"
        )


def _plain(value: Any) -> Any:
    """Tensors and numpy scalars to Python floats so results.json stays a flat, readable dict."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def write_results(run: Run, experiment: str, metrics: dict[str, Any]) -> Path:
    """Write `results.json`: the named metrics, run facts and the config used."""
    trained = run.steps - (run.resumed_from_step or 0)  # steps this process ran
    results = {
        "experiment": experiment,
        "seed": run.config.get("seed_everything"),
        "steps": run.steps,
        "complete": run.complete,
        "stopped_by": run.stopped_by,
        "resumed_from_step": run.resumed_from_step,
        "train_seconds": round(run.train_seconds, 3),
        "steps_per_sec": round(trained / run.train_seconds, 1) if run.train_seconds > 0 else None,
        **{k: _plain(v) for k, v in metrics.items()},
        "config": run.config,
    }
    path = run.run_dir / "results.json"
    path.write_text(json.dumps(results, indent=2))
    return path


def report(run: Run, lines: list[str]) -> None:
    """Print the human summary; the last line printed is the run directory (the contract).

    A run stopped by a signal also says how to resume it, and then exits with status
    128 + the signal number (130 for Ctrl-C), as a shell does for a killed command.
    """
    for line in lines:
        print(line)
    print(f"Figures in {run.run_dir}: {', '.join(figures(run))}")
    tensorboard = Path(sys.executable).parent / "tensorboard"
    print(f"TensorBoard: {tensorboard if tensorboard.exists() else 'tensorboard'} --logdir {run.run_dir}")
    if not run.complete:
        print(f"INCOMPLETE: stopped by {run.stopped_by} after step {run.steps} of {run.trainer.max_steps}; the "
              f"metrics above are for that step. Continue it: python {sys.argv[0]} <the same arguments> "
              f"--resume {run.run_dir}")
    print(run.run_dir)
    if not run.complete:
        raise SystemExit(128 + signal.Signals[run.stopped_by].value)


def evaluate(run: Run, probe: str) -> dict[str, float]:
    """Standard end-of-run metrics in eval mode.

    `recon_mse` is the reconstruction MSE over the `probe` color set; `probe_norm_deviation`
    the mean | ||z|| - 1 | of its latents; the rest are `AnchoredAutoencoder.structure_metrics`
    on the named colors (hue order, planarity, anchor alignment...).
    """
    model = run.model
    model.eval()
    with torch.no_grad():
        rgb = make_dataset(probe, device=model.device).rgb
        z = model.encode(rgb)
        out = {
            "recon_mse": torch.nn.functional.mse_loss(model.decode(z), rgb),
            "probe_norm_deviation": norm_deviation(z),
            **model.structure_metrics(),
        }
    return {k: float(v) for k, v in out.items()}


def figures(run: Run) -> list[str]:
    """The PNG files in the run directory, for results.json and the summary."""
    return sorted(p.name for p in run.run_dir.glob("*.png"))


def logged_scalars(run_dir: Path, *tags: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(steps, values) of each scalar `tag` in the run's TensorBoard events, read in one pass;
    empty arrays for a tag never logged."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})
    events.Reload()
    logged = set(events.Tags()["scalars"])
    out = {}
    for tag in tags:
        points = events.Scalars(tag) if tag in logged else []
        out[tag] = np.array([p.step for p in points], dtype=int), np.array([p.value for p in points], dtype=float)
    return out


# -- multi-seed sweeps ---------------------------------------------------------------------------
def parse_int_list(text: str, low: int = 0, high: int | None = None) -> list[int]:
    """Integers from `0-59`, `0,3,7` or a mix (`0-3,10`): sorted, without duplicates.

    Raises:
        ValueError: A part is not an integer or a range `A-B` with low <= A <= B (<= high).
    """
    chosen: set[int] = set()
    for part in text.split(","):
        first, _, last = part.strip().partition("-")
        start, stop = int(first), int(last) if last else int(first)
        if not low <= start <= stop or (high is not None and stop > high):
            raise ValueError(f"{part!r} is out of range")
        chosen.update(range(start, stop + 1))
    return sorted(chosen)


def parse_seeds(text: str) -> list[int]:
    """Seeds from `0-59`, `0,3,7` or a mix (`0-3,10`): sorted, without duplicates."""
    try:
        return parse_int_list(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--seeds {text!r}: give non-negative seeds as a range 'A-B' (A <= B), a list 'A,B,C', or both") from None


def _without_options(argv: list[str], options: tuple[str, ...]) -> list[str]:
    """argv minus the given options and their values (`--out DIR` and `--out=DIR` forms)."""
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in options:
            skip = True
        elif arg.split("=", 1)[0] not in options:
            kept.append(arg)
    return kept


def next_free_dir(parent: Path, prefix: str) -> Path:
    """`parent/<prefix>N` with N one past the highest taken (`version_`, `sweep_`, ...)."""
    taken = {int(p.name[len(prefix):]) for p in parent.glob(f"{prefix}*") if p.name[len(prefix):].isdigit()}
    return parent / f"{prefix}{max(taken, default=-1) + 1}"


_SCRIPTS: dict[str, dict[str, Any]] = {}  # per worker process: script path -> its module namespace
_stacked: StackedSweep | None = None  # while run_stacked runs: answers `train` for every seed


def run_seed(script: Path, seed: int, run_dir: Path, passthrough: list[str]) -> dict[str, Any]:
    """Run one seed of an experiment script in this process and return its results.json.

    Calls the script's `main(["--seed", N, "--out", run_dir, *passthrough])`; everything it
    prints (Lightning's too, and a traceback if it fails) goes to `run_dir/output.log`. The
    script is loaded once per process, so a worker pays the import cost once for all its
    seeds. This is the unit of work of `run_seeds`: the one function to swap for another way
    of running a seed.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    key = str(script)
    if key not in _SCRIPTS:
        _SCRIPTS[key] = runpy.run_path(key, run_name="__colorlatent_seed__")
    with _output_to(run_dir / "output.log"):
        try:
            _SCRIPTS[key]["main"](["--seed", str(seed), "--out", str(run_dir), *passthrough])
        except BaseException:
            traceback.print_exc()
            raise
    return json.loads((run_dir / "results.json").read_text())


@contextmanager
def _output_to(path: Path) -> Iterator[None]:
    """Send this process's stdout and stderr to a file, at the file-descriptor level, so output
    written by C code and by handlers holding the old streams is caught too."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with open(path, "w") as file:
        os.dup2(file.fileno(), 1)
        os.dup2(file.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def run_seeds(script: Path, seeds: list[int], out: Path, passthrough: list[str] = (),
              workers: int = 2) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """Run `seeds` of `script` in `workers` processes (one core each), printing overall progress.

    Each worker runs seed after seed (`run_seed`), so process start-up is paid once per worker,
    not once per seed. Run directories are `out/seed_N`.

    Returns:
        The results of the seeds that finished, in seed order, and {seed: error} for those that failed.
    """
    jobs = {seed: (script, seed, out / f"seed_{seed}", list(passthrough)) for seed in seeds}
    results, failed = run_parallel(jobs, workers, describe=lambda seed: f"seed {seed}")
    return [results[s] for s in sorted(results)], failed


def run_parallel(jobs: dict[Any, tuple[Path, int, Path, list[str]]], workers: int = 2,
                 describe: Callable[[Any], str] = str) -> tuple[dict[Any, dict[str, Any]], dict[Any, str]]:
    """Run independent script runs in `workers` processes (one core each), printing overall progress.

    Every job is `run_seed(*arguments)`: one run of an experiment script, in its own run directory
    (the third argument; its `output.log` holds the run's output). A worker runs job after job,
    so process start-up is paid once per worker. After each job a line
    `[done/total] <describe(key)> done; N s elapsed, about M s left` is printed.

    Args:
        jobs: Key -> `(script, seed, run_dir, script arguments)`, in the order to start them.
        workers: Worker processes.
        describe: Names a job in the progress lines.

    Returns:
        {key: results.json} of the jobs that finished and {key: error} of those that failed.
    """
    results: dict[Any, dict[str, Any]] = {}
    failed: dict[Any, str] = {}
    start = time.perf_counter()
    # spawn, not fork: a forked child would inherit torch's thread pools and locks mid-state.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=max(1, min(workers, len(jobs))), mp_context=context) as pool:
        futures = {pool.submit(run_seed, *arguments): key for key, arguments in jobs.items()}
        for done, future in enumerate(as_completed(futures), start=1):
            key = futures[future]
            try:
                results[key] = future.result()
                status = "done"
            except Exception as error:  # one bad run must not lose the others
                failed[key] = f"{type(error).__name__}: {error}"
                status = f"FAILED ({failed[key]}; see {Path(jobs[key][2]) / 'output.log'})"
            elapsed = time.perf_counter() - start
            left = elapsed / done * (len(jobs) - done)
            print(f"[{done}/{len(jobs)}] {describe(key)} {status}; {elapsed:.0f} s elapsed, about {left:.0f} s left",
                  flush=True)
    return results, failed


def run_stacked(script: Path, seeds: list[int], out: Path, passthrough: list[str] = ()
                ) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """Run `seeds` of `script` in this process, with all seeds trained as one stacked model.

    The script runs once to learn what it trains (its first `train` call is answered with a
    `TrainRequest`), the seeds then train together (`colorlatent.vectorized.train_seeds`), and
    the script runs once per seed as in `run_seeds`, its `train` call answered with that seed's
    finished run, which is bit for bit the run it would have trained alone.

    Raises:
        NotVectorizable: The config cannot train as a stack; nothing was trained.
    """
    global _stacked
    for seed in seeds:  # the stack writes every seed's directory; a single run would refuse these
        try:
            _refuse_to_overwrite_interrupted(out / f"seed_{seed}")
        except ValueError as error:
            raise NotVectorizable(str(error)) from None
    _stacked = StackedSweep({seed: out / f"seed_{seed}" for seed in seeds})
    results: dict[int, dict[str, Any]] = {}
    failed: dict[int, str] = {}
    try:
        try:
            run_seed(script, seeds[0], out / f"seed_{seeds[0]}", list(passthrough))
        except TrainRequest:
            pass
        seconds = _stacked.fit()
        print(f"trained {len(seeds)} seeds as one stack in {seconds:.1f} s", flush=True)
        start = time.perf_counter()
        for done, seed in enumerate(seeds, start=1):
            try:
                results[seed] = run_seed(script, seed, out / f"seed_{seed}", list(passthrough))
                status = "done"
            except NotVectorizable:
                raise
            except Exception as error:  # one bad seed must not lose the others
                failed[seed] = f"{type(error).__name__}: {error}"
                status = f"FAILED ({failed[seed]}; see {out / f'seed_{seed}' / 'output.log'})"
            if done % 10 == 0 or done == len(seeds) or status != "done":
                print(f"[{done}/{len(seeds)}] seed {seed} {status}; evaluation {time.perf_counter() - start:.0f} s",
                      flush=True)
    finally:
        _stacked = None
    return [results[s] for s in sorted(results)], failed


def summarize(per_seed: list[dict[str, Any]]) -> dict[str, Any]:
    """Every numeric metric's per-seed values and their mean, std (n - 1), min and max.

    Returns flat keys `<metric>_mean`, `_std`, `_min`, `_max`, and `per_seed`:
    {metric: [value per seed, in seed order]} (with `seed` listing the seeds).
    """
    numeric = [k for k, v in per_seed[0].items()
               if isinstance(v, (int, float)) and not isinstance(v, bool)] if per_seed else []
    columns = {k: [row.get(k) for row in per_seed] for k in numeric}
    out: dict[str, Any] = {}
    for key, values in columns.items():
        if key == "seed" or any(not isinstance(v, (int, float)) for v in values):
            continue
        tensor = torch.tensor(values, dtype=torch.float64)
        out[f"{key}_mean"] = tensor.mean().item()
        out[f"{key}_std"] = tensor.std().item() if len(values) > 1 else 0.0
        out[f"{key}_min"] = tensor.min().item()
        out[f"{key}_max"] = tensor.max().item()
    out["per_seed"] = columns
    return out


def sweep(script: Path, seeds: list[int], out: Path | None = None, passthrough: list[str] = (),
          finish: Callable[[Path, list[dict[str, Any]]], dict[str, Any]] | None = None, workers: int = 2,
          stack: bool = True) -> Path:
    """Run an experiment script over `seeds` and write the aggregate `results.json` into `out`.

    Args:
        script: The experiment script (it must define `main(argv)`).
        seeds: Seeds to run.
        out: Sweep directory (default `lightning_logs/<script name>/sweep_N`); seed N runs in `out/seed_N`.
        passthrough: Extra arguments for every seed (e.g. `--fast`).
        finish: Called as finish(out, per_seed_results) after the seeds; its keys join results.json.
        workers: Worker processes (the machine has 2 cores) when the seeds train one by one.
        stack: Train all seeds as one stacked model in this process (`run_stacked`) when the
            config allows it; otherwise, or when False, each seed trains on its own (`run_seeds`).

    Returns:
        The sweep directory, which is also the last line printed.
    """
    name = script.stem
    out = out if out is not None else next_free_dir(Path("lightning_logs") / name, "sweep_")
    out.mkdir(parents=True, exist_ok=True)
    workers = max(1, min(workers, len(seeds)))
    start = time.perf_counter()
    stacked = False
    if stack:
        print(f"{name}: {len(seeds)} seeds as one stacked model -> {out}", flush=True)
        try:
            per_seed, failed = run_stacked(script, seeds, out, passthrough)
            stacked, workers = True, 1
        except NotVectorizable as reason:
            print(f"{name}: the seeds cannot train as one stack ({reason})", flush=True)
    if not stacked:
        print(f"{name}: {len(seeds)} seeds in {workers} worker processes -> {out}", flush=True)
        per_seed, failed = run_seeds(script, seeds, out, passthrough, workers)
    wall = time.perf_counter() - start
    aggregate: dict[str, Any] = {
        "experiment": name,
        "seeds": [row.get("seed") for row in per_seed],
        "failed_seeds": {str(k): v for k, v in failed.items()},
        "wall_seconds": round(wall, 1),
        "workers": workers,
        "stacked": stacked,
        "arguments": list(passthrough),
    }
    summary = summarize(per_seed)
    statistics = {k: _plain(v) for k, v in summary.items() if k != "per_seed"}

    def write(extra: dict[str, Any]) -> None:
        (out / "results.json").write_text(
            json.dumps({**aggregate, **extra, **statistics, "per_seed": summary["per_seed"]}, indent=2))

    write({})  # the seeds' results are safe even if `finish` fails
    if finish is not None and per_seed:
        write({k: _plain(v) for k, v in finish(out, per_seed).items()})
    print(f"{len(per_seed)}/{len(seeds)} seeds finished in {wall:.0f} s" + (f"; failed: {sorted(failed)}" if failed else ""))
    for key in [k[:-5] for k in summary if k.endswith("_mean") and "/" not in k]:  # headline metrics, not tables
        print(f"  {key:28s} {summary[key + '_mean']:.4g} ± {summary[key + '_std']:.2g} "
              f"(min {summary[key + '_min']:.4g}, max {summary[key + '_max']:.4g})")
    print(out)
    if failed:
        raise SystemExit(1)
    return out
