"""Shared plumbing of the experiment scripts (`experiments/ex_X_Y.py`).

Every script trains from its YAML config through the same LightningCLI that `colorlatent fit`
uses, so the script and the CLI cannot drift apart. The contract (DESIGN.md):

    python experiments/ex_X_Y.py [--seed N] [--out DIR] [--fast]

writes `results.json`, `config.yaml`, `checkpoints/last.ckpt`, TensorBoard events and PNG
figures into the run directory (default `lightning_logs/ex_X_Y/version_N/`) and prints the run
directory as its last line.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightning as L
import torch
import yaml

from .cli import build_cli, configure_threads
from .data import make_dataset
from .data.datamodule import ColorDataModule
from .metrics import norm_deviation
from .module import AnchoredAutoencoder


def parse_args(doc: str | None, argv: list[str] | None = None) -> argparse.Namespace:
    """The common experiment arguments; `doc` (the script's docstring) becomes the help text."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0, help="seed for weights, batches and labels (default 0)")
    parser.add_argument("--out", type=Path, default=None,
                        help="run directory (default: lightning_logs/<experiment>/version_N)")
    parser.add_argument("--fast", action="store_true",
                        help="seconds-long smoke run for tests; not the experiment's real result")
    return parser.parse_args(argv)


@dataclass
class Run:
    """A finished training run."""

    model: AnchoredAutoencoder
    datamodule: ColorDataModule
    trainer: L.Trainer
    run_dir: Path
    config: dict[str, Any]
    train_seconds: float

    @property
    def steps(self) -> int:
        return self.trainer.global_step


def train(config: Path, seed: int, out: Path | None = None, overrides: list[str] = ()) -> Run:
    """Fit the experiment described by `config` (a LightningCLI YAML file) with `seed`.

    Args:
        config: The experiment's YAML config, the same file `colorlatent fit -c` takes.
        seed: Global seed (`seed_everything`).
        out: Run directory; default is the config logger's `save_dir/name/version_N`.
        overrides: Extra LightningCLI arguments, e.g. `--trainer.max_steps=50` for `--fast`.
    """
    os.environ.setdefault("JSONARGPARSE_DEPRECATION_WARNINGS", "off")
    configure_threads()
    args = ["--config", str(config), f"--seed_everything={seed}", *overrides]
    if out is not None:
        args += [f"--trainer.logger.init_args.save_dir={out}", "--trainer.logger.init_args.name=",
                 "--trainer.logger.init_args.version="]
    cli = build_cli(args, run=False)
    trainer, model, datamodule = cli.trainer, cli.model, cli.datamodule
    start = time.perf_counter()
    trainer.fit(model, datamodule)
    train_seconds = time.perf_counter() - start
    run_dir = Path(trainer.log_dir)
    resolved = yaml.safe_load(cli.parser.dump(cli.config))
    (run_dir / "config.yaml").write_text(yaml.safe_dump(resolved, sort_keys=False))
    return Run(model, datamodule, trainer, run_dir, resolved, train_seconds)


def _plain(value: Any) -> Any:
    """Tensors and numpy scalars to Python floats so results.json stays a flat, readable dict."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def write_results(run: Run, experiment: str, metrics: dict[str, Any]) -> Path:
    """Write `results.json`: the named metrics, run facts and the config used."""
    results = {
        "experiment": experiment,
        "seed": run.config.get("seed_everything"),
        "steps": run.steps,
        "train_seconds": round(run.train_seconds, 3),
        "steps_per_sec": round(run.steps / run.train_seconds, 1) if run.train_seconds > 0 else None,
        **{k: _plain(v) for k, v in metrics.items()},
        "config": run.config,
    }
    path = run.run_dir / "results.json"
    path.write_text(json.dumps(results, indent=2))
    return path


def report(run: Run, lines: list[str]) -> None:
    """Print the human summary; the last line printed is the run directory (the contract)."""
    for line in lines:
        print(line)
    print(f"Figures in {run.run_dir}: {', '.join(figures(run))}")
    tensorboard = Path(sys.executable).parent / "tensorboard"
    print(f"TensorBoard: {tensorboard if tensorboard.exists() else 'tensorboard'} --logdir {run.run_dir}")
    print(run.run_dir)


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
