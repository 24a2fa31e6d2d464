"""Train many seeds of one experiment config in one process, as one stacked model.

`train_seeds` reads the config through the same LightningCLI as a single run, builds each
seed's model exactly as that run would (same seeding, same constructor), trains all of them
at once with `SeedStackModule` and `SeedStackDataModule` under a real Lightning Trainer driven
by the config's own schedule, and then writes every seed's run directory as a single run
would: `config.yaml`, `checkpoints/last.ckpt` (a Lightning checkpoint of that seed alone, with
its optimizer and data-stream state), and TensorBoard events with its `train/*`, `sched/*` and
`val/*` scalars. Seed s of the sweep ends with the same weights as the single run with seed s.

Per-run figure callbacks (latent slices, phase history, projector, intervention figures) are
not run for every seed: a sweep exists to pick a model, and drawing sixty sets of figures
would cost more than training the sixty models. Configs with callbacks that change training
(or that this module does not know) are refused with `NotVectorizable`; run their seeds one
by one instead.
"""

from __future__ import annotations

import copy
import logging
import os
import time
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import lightning as L
import torch
import yaml
from lightning.pytorch.callbacks import ModelCheckpoint, ModelSummary, ProgressBar
from lightning.pytorch.cli import SaveConfigCallback, instantiate_class
from lightning.pytorch.loggers import Logger, TensorBoardLogger
from tensorboard.compat.proto.summary_pb2 import Summary

from ..callbacks import LatentSliceCallback, PhaseHistoryCallback, ProjectorCallback, TimelineFigureCallback
from ..checkpointing import AtomicCheckpointIO
from ..cli import build_cli, configure_threads
from ..data.datamodule import ColorDataModule
from ..fallback import FallbackControl
from ..interventions.callback import InterventionCallback
from ..module import AnchoredAutoencoder, NonFiniteLossError
from ..schedule.callback import ScheduleCallback
from .data import SeedStackDataModule
from .module import SeedStackModule
from .terms import stackable

FIGURE_CALLBACKS = (LatentSliceCallback, PhaseHistoryCallback, ProjectorCallback, TimelineFigureCallback,
                    InterventionCallback)
"""Callbacks that only draw or log per-run diagnostics; a sweep skips them for each seed."""

GRADIENT_CALLBACKS = (FallbackControl,)
"""Callbacks that add a term's gradient with `add_gradient(module, batch)`, per model on a seed stack;
the stack's trainer runs them, and `verify_exact` checks them with the regularizers."""


class NotVectorizable(ValueError):
    """The config cannot be trained as a stack; the message says what stands in the way."""


class SeedRun:
    """One seed of a vectorized sweep: its trained model and run directory.

    Attributes:
        seed: The run's seed.
        model: The trained `AnchoredAutoencoder` (train mode, on the CPU).
        datamodule: A `ColorDataModule` as the single run's ends: same arguments, stream state restored.
        trainer: A Trainer holding this run's loop state (`global_step`) and TensorBoard logger.
        run_dir: The run directory.
        config: The resolved config of the run (as in its `config.yaml`).
        train_seconds: The sweep's training time divided by the number of seeds.
        nonfinite_step: First step whose loss was NaN or infinite, or None.
    """

    def __init__(self, seed: int, model: AnchoredAutoencoder, datamodule: ColorDataModule, trainer: L.Trainer,
                 run_dir: Path, config: dict[str, Any], train_seconds: float, nonfinite_step: int | None):
        self.seed, self.model, self.datamodule, self.trainer = seed, model, datamodule, trainer
        self.run_dir, self.config, self.train_seconds = run_dir, config, train_seconds
        self.nonfinite_step = nonfinite_step


class _SeedLoggers(Logger):
    """Hands what the stack's trainer logs (the schedule's values, the same for every seed) to
    every seed's TensorBoard logger, one event per step and seed."""

    def __init__(self, loggers: Sequence[TensorBoardLogger]):
        super().__init__()
        self.loggers = list(loggers)

    @property
    def name(self) -> str:
        return "seeds"

    @property
    def version(self) -> str:
        return ""

    def log_hyperparams(self, params, *args, **kwargs) -> None:
        """Each seed's hyperparameters are written by `train_seeds` itself."""

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        for logger in self.loggers:
            write_scalars(logger, metrics, step)


def write_scalars(logger: TensorBoardLogger, metrics: dict[str, float], step: int) -> None:
    """All `metrics` of one step as one TensorBoard event (scalars, as `add_scalar` writes them).

    `TensorBoardLogger.log_metrics` writes one event per value (~47 us each on the project's
    machine); a 60-seed sweep logs ~10^5 values, so one event per step and seed is 5x cheaper.
    """
    summary = Summary(value=[Summary.Value(tag=k, simple_value=float(v)) for k, v in metrics.items()])
    logger.experiment._get_file_writer().add_summary(summary, step)


def _check_trainer(trainer: L.Trainer) -> None:
    settings = {
        "accumulate_grad_batches": (trainer.accumulate_grad_batches, 1),
        "gradient_clip_val": (trainer.gradient_clip_val or 0, 0),
        "precision": (trainer.precision, "32-true"),
        "world_size": (trainer.world_size, 1),
    }
    for name, (value, needed) in settings.items():
        if value != needed:
            raise NotVectorizable(f"trainer.{name}={value!r}: a seed stack trains only with {name}={needed!r}")


def _split_callbacks(callbacks: Sequence[L.Callback]) -> tuple[list[L.Callback], list[ModelCheckpoint], list[str]]:
    """(callbacks for the stack's trainer, checkpoint callbacks to honour per seed, names skipped)."""
    stack, checkpoints, skipped = [], [], []
    for callback in callbacks:
        if isinstance(callback, (ScheduleCallback, ProgressBar, *GRADIENT_CALLBACKS)):
            stack.append(callback)
        elif isinstance(callback, ModelCheckpoint):
            if callback.monitor is not None:
                raise NotVectorizable(f"ModelCheckpoint(monitor={callback.monitor!r}): a seed stack writes each "
                                      "seed's final checkpoint only")
            checkpoints.append(callback)
        elif isinstance(callback, FIGURE_CALLBACKS):
            skipped.append(type(callback).__name__)
        elif not isinstance(callback, (ModelSummary, SaveConfigCallback)):  # the stack's trainer makes its own
            raise NotVectorizable(f"callback {type(callback).__name__} may change how each seed trains; a seed "
                                  f"stack runs only {ScheduleCallback.__name__}, progress bars, ModelCheckpoint, "
                                  f"{[c.__name__ for c in GRADIENT_CALLBACKS]} and the figure callbacks "
                                  f"{[c.__name__ for c in FIGURE_CALLBACKS]}")
    return stack, checkpoints, skipped


def _cli(config: Path, seed: int, overrides: Sequence[str]):
    os.environ.setdefault("JSONARGPARSE_DEPRECATION_WARNINGS", "off")
    return build_cli(["--config", str(config), f"--seed_everything={seed}", *overrides], run=False)


def check_vectorizable(model: L.LightningModule, datamodule: L.LightningDataModule, trainer: L.Trainer) -> list[str]:
    """Raise `NotVectorizable` unless a config's objects can train as a seed stack.

    Returns:
        The names of the callbacks a sweep skips for each seed.
    """
    if type(model) is not AnchoredAutoencoder:
        raise NotVectorizable(f"model {type(model).__name__}: a seed stack trains AnchoredAutoencoder only")
    if type(datamodule) is not ColorDataModule:
        raise NotVectorizable(f"data module {type(datamodule).__name__}: a seed stack samples as ColorDataModule only")
    if datamodule.has_curriculum:
        raise NotVectorizable("data.phases / data.focus / data.sample_weights: a seed stack samples one fixed data set")
    unsupported = [reg.name for reg in model.regularizers if not stackable(reg)]
    if unsupported:
        raise NotVectorizable(f"regularizers {unsupported} have no stacked form")
    if getattr(model, "recon_name", None) is not None:
        raise NotVectorizable(f"model.recon_name={model.recon_name!r}: a seed stack weights reconstruction by 1 only")
    _check_trainer(trainer)
    return _split_callbacks(trainer.callbacks)[2]


@contextmanager
def _lightning_messages(level: int):
    logger = logging.getLogger("lightning.pytorch.utilities.rank_zero")
    saved = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(saved)


@contextmanager
def _rng_state(state: torch.Tensor):
    saved = torch.get_rng_state()
    torch.set_rng_state(state)
    try:
        yield
    finally:
        torch.set_rng_state(saved)


def train_seeds(config: Path, seeds: Sequence[int], run_dirs: Sequence[Path], overrides: Sequence[str] = (),
                quiet: bool = False) -> list[SeedRun]:
    """Train `seeds` of the experiment `config` as one stack and write one run directory per seed.

    Args:
        config: The experiment's YAML config (as for `colorlatent fit -c`).
        seeds: The seeds, each as `--seed_everything` of a single run.
        run_dirs: One run directory per seed (created).
        overrides: Extra LightningCLI arguments, e.g. `--trainer.max_steps=50`.
        quiet: Train without a progress bar.

    Returns:
        One `SeedRun` per seed, in the order of `seeds`.

    Raises:
        NotVectorizable: The config cannot be trained as a stack (see `check_vectorizable`).
    """
    seeds = [int(s) for s in seeds]
    if len(set(seeds)) != len(seeds) or len(run_dirs) != len(seeds):
        raise ValueError(f"train_seeds needs distinct seeds and one run directory each; got seeds {seeds} and "
                         f"{len(run_dirs)} directories")
    configure_threads()
    cli = _cli(config, seeds[0], overrides)
    skipped = check_vectorizable(cli.model, cli.datamodule, cli.trainer)
    stack_callbacks, checkpoints, _ = _split_callbacks(cli.trainer.callbacks)
    resolved = yaml.safe_load(cli.parser.dump(cli.config, skip_none=False))
    hparams = {k: v for k, v in cli.model.hparams.items() if not k.startswith("_")}

    # Each seed's model exactly as its single run builds it: seeded, then constructed.
    models, rng_after_init = [], []
    for seed in seeds:
        L.seed_everything(seed, verbose=False)
        models.append(AnchoredAutoencoder(**hparams))
        rng_after_init.append(torch.get_rng_state())

    verify_exact(models, cli.datamodule, seeds,
                 [cb for cb in stack_callbacks if isinstance(cb, GRADIENT_CALLBACKS)])
    loggers = [_seed_logger(resolved, run_dir) for run_dir in run_dirs]
    stack = SeedStackModule(models)
    data = SeedStackDataModule.from_datamodule(cli.datamodule, seeds)
    # The trainer's arguments as the CLI passed them (nulls included: some, like
    # check_val_every_n_epoch, mean something), except what the stack replaces.
    trainer_args = {k: v for k, v in copy.deepcopy(resolved["trainer"]).items()
                    if k not in ("callbacks", "logger", "enable_checkpointing", "default_root_dir")}
    if quiet:
        trainer_args["enable_progress_bar"] = False
        stack_callbacks = [cb for cb in stack_callbacks if not isinstance(cb, ProgressBar)]
    trainer = L.Trainer(**trainer_args, callbacks=stack_callbacks, logger=_SeedLoggers(loggers),
                        enable_checkpointing=False)
    torch.set_rng_state(rng_after_init[0])
    start = time.perf_counter()
    trainer.fit(stack, data)
    seconds = time.perf_counter() - start
    rng_after_fit = torch.get_rng_state()

    base = trainer._checkpoint_connector.dump_checkpoint(weights_only=False)  # what save_checkpoint writes
    nonfinite = stack.nonfinite_steps()
    history = stack.history()
    runs = []
    for index, (seed, run_dir, model, logger) in enumerate(zip(seeds, run_dirs, stack.sync_seed_models(), loggers)):
        model.cpu().train()
        run_config = {**resolved, "seed_everything": seed}
        run_config["trainer"] = {**resolved["trainer"], "logger": _logger_config(resolved, run_dir)}
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "config.yaml").write_text(yaml.safe_dump(run_config, sort_keys=False))
        logger.log_hyperparams({**cli.model.hparams_initial, **cli.datamodule.hparams_initial})  # as Trainer.fit
        for step, metrics in history[index]:
            write_scalars(logger, metrics, step)
        logger.finalize("success")
        with _rng_state(_advance(rng_after_init[index], rng_after_init[0], rng_after_fit)):
            checkpoint = _seed_checkpoint(base, cli.datamodule, data, model, cli.model, index, checkpoints, run_dir)
        # As in a single run, weights trained on a non-finite loss never reach a checkpoint.
        for callback in checkpoints if index not in nonfinite else ():
            for path in _checkpoint_paths(callback, run_dir, checkpoint):
                AtomicCheckpointIO().save_checkpoint(checkpoint, path)
        datamodule = ColorDataModule(**{k: v for k, v in cli.datamodule.hparams.items() if not k.startswith("_")})
        datamodule.load_state_dict(checkpoint.get(type(datamodule).__qualname__, {}))
        with _lightning_messages(logging.WARNING):  # not the device summary again for every seed
            seed_trainer = L.Trainer(logger=logger, enable_progress_bar=False, enable_checkpointing=False,
                                     enable_model_summary=False, max_steps=trainer.max_steps)
        seed_trainer.fit_loop.load_state_dict(base["loops"]["fit_loop"])
        runs.append(SeedRun(seed, model, datamodule, seed_trainer, run_dir, run_config, seconds / len(seeds),
                            nonfinite.get(index)))
    if skipped and not quiet:
        print(f"seed stack: per-run figure callbacks not run for each seed: {sorted(set(skipped))}")
    return runs


def verify_exact(models: Sequence[AnchoredAutoencoder], datamodule: ColorDataModule, seeds: Sequence[int],
                 gradient_callbacks: Sequence[L.Callback] = (), steps: int = 2) -> None:
    """Check on this configuration that a stack reproduces single runs to the bit.

    The stack trains `steps` steps (every regularizer on, at each batch size the epochs use),
    and so do its first, middle and last model alone; their gradients and weights are
    compared after every step. (Weights alone would miss a gradient that differs in its last
    bits: Adam's first steps move each weight by about the learning rate whatever the
    gradient's size, but the difference stays in its moments and grows over a long run.)
    The stacked products choose exact forms by themselves (see `ops`), but elementwise kernels
    and reductions round by position in some shapes; this catches any such case before a
    sweep trusts the stack. `gradient_callbacks` (see `GRADIENT_CALLBACKS`) add their gradients
    after each backward pass, as in training. The models passed in are not changed.

    Raises:
        NotVectorizable: Naming the batch size and what differed.
    """
    # The whole stack (kernels and thread splits depend on its size), compared on three models.
    checked = sorted({0, len(models) // 2, len(models) - 1})
    stack = SeedStackModule([copy.deepcopy(m) for m in models])
    singles = [copy.deepcopy(models[i]) for i in checked]
    data = SeedStackDataModule.from_datamodule(datamodule, seeds)
    sizes = sorted({data._batch_size_at(i) for i in range(data.steps_per_epoch)}, key=lambda b: b or 0)
    weights = {reg.name: 1.0 for reg in stack.regularizers}
    optimizers = [m.configure_optimizers() for m in (stack, *singles)]
    for optimizer in optimizers:
        for group in optimizer.param_groups:
            group["lr"] = 1e-3
    for size in sizes:
        for _ in range(steps):
            rgb, labels = data.sample(size)
            for index, (module, optimizer) in enumerate(zip((stack, *singles), optimizers)):
                module.term_weights.update(weights)
                row = checked[index - 1]
                batch = (rgb, labels) if index == 0 else (rgb[row], {k: v[row] for k, v in labels.items()})
                loss = module.training_step(batch, 0)
                optimizer.zero_grad()
                loss.backward()
                for callback in gradient_callbacks:
                    callback.add_gradient(module, batch)
                optimizer.step()
            grads = {k: p.grad for k, p in stack.model.named_parameters()}
            stacked = stack.model.state_dict()
            for row, single in zip(checked, singles):
                different = [f"{k} (gradient)" for k, p in single.model.named_parameters()
                             if (p.grad is None) != (grads[k] is None)
                             or (p.grad is not None and not torch.equal(grads[k][row], p.grad))]
                different += [k for k, v in single.model.state_dict().items() if not torch.equal(stacked[k][row], v)]
                if different:
                    raise NotVectorizable(
                        f"at batch size {size}, a stack does not reproduce the single runs to the bit (weights "
                        f"{different} differ after a step); run the seeds one by one")


def _logger_config(resolved: dict[str, Any], run_dir: Path) -> dict[str, Any]:
    """The config's logger, pointed at `run_dir` (as `train(out=run_dir)` does)."""
    logger = resolved["trainer"].get("logger")
    if not isinstance(logger, dict) or not str(logger.get("class_path", "")).endswith("TensorBoardLogger"):
        raise NotVectorizable(f"trainer.logger={logger!r}: a seed stack writes TensorBoard logs only")
    return {**logger, "init_args": {**logger.get("init_args", {}), "save_dir": str(run_dir), "name": "", "version": ""}}


def _seed_logger(resolved: dict[str, Any], run_dir: Path) -> TensorBoardLogger:
    return instantiate_class((), _logger_config(resolved, run_dir))


def _advance(start: torch.Tensor, stack_start: torch.Tensor, stack_end: torch.Tensor) -> torch.Tensor:
    """The global RNG state a single run ends with, from the stack's.

    During fit the only draws from torch's global generator are Lightning's (one int64 per
    DataLoader iterator for its worker seed), and the stack makes the same ones. Count them
    from the stack's start to its end and make as many from this seed's start. If anything
    else drew in between, the count is not found and the seed's start state is kept.
    """
    with _rng_state(stack_start):
        for count in range(100_000):
            if torch.equal(torch.get_rng_state(), stack_end):
                break
            torch.empty((), dtype=torch.int64).random_()
        else:
            return start
    with _rng_state(start):
        for _ in range(count):
            torch.empty((), dtype=torch.int64).random_()
        return torch.get_rng_state()


def _seed_checkpoint(base: dict[str, Any], template: ColorDataModule, data: SeedStackDataModule,
                     model: AnchoredAutoencoder, configured: AnchoredAutoencoder, index: int,
                     checkpoints: Sequence[ModelCheckpoint], run_dir: Path) -> dict[str, Any]:
    """The stack's checkpoint cut down to model `index`: what its single run's checkpoint holds.

    Hyperparameters are those of the CLI-built model and data module (`configured`, `template`),
    which carry the CLI's instantiation hints, exactly as in a single run's checkpoint.
    """
    checkpoint = {k: v for k, v in base.items() if k != type(data).__qualname__}
    checkpoint["state_dict"] = model.state_dict()
    checkpoint["optimizer_states"] = [_slice_optimizer(state, index) for state in base["optimizer_states"]]
    checkpoint[L.LightningModule.CHECKPOINT_HYPER_PARAMS_NAME] = configured._hparams_name
    checkpoint[L.LightningModule.CHECKPOINT_HYPER_PARAMS_KEY] = dict(configured.hparams)
    checkpoint[L.LightningDataModule.CHECKPOINT_HYPER_PARAMS_NAME] = template._hparams_name
    checkpoint[L.LightningDataModule.CHECKPOINT_HYPER_PARAMS_KEY] = dict(template.hparams)
    checkpoint[type(template).__qualname__] = data.seed_state_dict(index)
    callbacks = dict(checkpoint.get("callbacks", {}))
    for callback in checkpoints:
        state = copy.copy(callback)  # the state the callback would hold after this run's final save
        state.dirpath = str(_checkpoint_dir(callback, run_dir))
        paths = _checkpoint_paths(callback, run_dir, checkpoint)
        state.last_model_path = str(paths[0]) if callback.save_last else ""
        callbacks[callback.state_key] = state.state_dict()
    checkpoint["callbacks"] = callbacks
    model.on_save_checkpoint(checkpoint)
    return checkpoint


def _slice_optimizer(state: dict[str, Any], index: int) -> dict[str, Any]:
    """An optimizer state dict over stacked parameters, for model `index` alone."""
    def cut(value):
        return value[index].clone() if isinstance(value, torch.Tensor) and value.dim() > 0 else value
    return {
        "state": {key: {name: cut(value) for name, value in entry.items()} for key, entry in state["state"].items()},
        "param_groups": state["param_groups"],
    }


def _checkpoint_dir(callback: ModelCheckpoint, run_dir: Path) -> Path:
    return Path(callback.dirpath) if callback.dirpath else run_dir / "checkpoints"


def _checkpoint_paths(callback: ModelCheckpoint, run_dir: Path, checkpoint: dict[str, Any]) -> list[Path]:
    """Where the config's ModelCheckpoint would leave the final checkpoint of a single run."""
    directory = _checkpoint_dir(callback, run_dir)
    paths = []
    if callback.save_last:
        paths.append(directory / f"{callback.CHECKPOINT_NAME_LAST}{callback.FILE_EXTENSION}")
    if callback.save_top_k != 0:
        metrics = {"epoch": checkpoint["epoch"], "step": checkpoint["global_step"]}
        paths.append(directory / Path(callback.format_checkpoint_name(metrics)).name)
    return paths


class TrainRequest(Exception):
    """What a script asked `StackedSweep.train` for first: the config and overrides it trains.

    Args:
        config: The experiment config the script trains.
        overrides: Its extra LightningCLI arguments.
    """

    def __init__(self, config: Path, overrides: Sequence[str]):
        super().__init__(f"{config} {list(overrides)}")
        self.config, self.overrides = Path(config), list(overrides)


class StackedSweep:
    """Serves the training runs of a multi-seed sweep from one stacked training.

    An experiment script trains with `colorlatent.experiment.train(config, seed, out, overrides)`
    and then evaluates the run. For a sweep, the script's first `train` call (for the first
    seed) is answered with `TrainRequest`, which tells the sweep what to train; `fit` then trains
    every seed as one stack, and the script runs once per seed as usual, its `train` call now
    answered with that seed's finished run.

    Args:
        run_dirs: Seed -> run directory, for every seed of the sweep.
    """

    def __init__(self, run_dirs: dict[int, Path]):
        self.run_dirs = {int(seed): Path(d) for seed, d in run_dirs.items()}
        self.request: TrainRequest | None = None
        self.runs: dict[int, SeedRun] | None = None

    def train(self, config: Path, seed: int, out: Path | None, overrides: Sequence[str]) -> SeedRun:
        """The finished run of `seed` (raises `TrainRequest` before `fit`)."""
        if self.runs is None:
            self.request = TrainRequest(config, overrides)
            raise self.request
        asked = (Path(config), list(overrides), None if out is None else Path(out))
        expected = (self.request.config, self.request.overrides, self.run_dirs.get(seed))
        if asked != expected:
            raise NotVectorizable(f"the script asked for a run the stack did not train ({asked}; the stack "
                                  f"trained {expected})")
        run = self.runs[seed]
        print(f"seed {seed}: trained with {len(self.runs) - 1} other seeds as one stacked model "
              f"(colorlatent.vectorized); the training output is the sweep's", flush=True)
        if run.nonfinite_step is not None:
            raise NonFiniteLossError(f"training stopped: the loss of seed {seed} became non-finite at step "
                                     f"{run.nonfinite_step} (no checkpoint was written)")
        return run

    def fit(self, quiet: bool = False) -> float:
        """Train every seed as one stack (after the first request); returns the wall time."""
        if self.request is None:
            raise NotVectorizable("the script did not call colorlatent.experiment.train")
        seeds = sorted(self.run_dirs)
        start = time.perf_counter()
        runs = train_seeds(self.request.config, seeds, [self.run_dirs[s] for s in seeds], self.request.overrides,
                           quiet=quiet)
        self.runs = {run.seed: run for run in runs}
        return time.perf_counter() - start
