"""The `colorlatent` command: LightningCLI over AnchoredAutoencoder and ColorDataModule.

Examples:
    colorlatent fit -c experiments/configs/ex_1_7.yaml
    colorlatent fit -c experiments/configs/ex_1_7.yaml --trainer.max_steps=500
    colorlatent validate -c experiments/configs/ex_1_7.yaml --ckpt_path lightning_logs/ex_1_7/version_0/checkpoints/last.ckpt
    colorlatent fit --help
"""

from __future__ import annotations

import os

import torch
from lightning.pytorch.cli import LightningCLI

from .data.datamodule import ColorDataModule
from .module import AnchoredAutoencoder


def configure_threads() -> None:
    """One intra-op thread unless COLORLATENT_THREADS says otherwise.

    The models have a few hundred parameters: a second thread only adds synchronization
    (measured in the project's perf notes), and leaves the other core free for plotting.
    """
    torch.set_num_threads(int(os.environ.get("COLORLATENT_THREADS", "1")))


def build_cli(args: list[str] | None = None, run: bool = True) -> LightningCLI:
    """Parse `args` (default: sys.argv) into model, data module and trainer; run the subcommand if `run`."""
    return LightningCLI(
        AnchoredAutoencoder,
        ColorDataModule,
        seed_everything_default=0,
        save_config_kwargs={"overwrite": True},
        args=args,
        run=run,
    )


def main(args: list[str] | None = None) -> None:
    # Lightning's CLI still calls a jsonargparse API that warns on every run; nothing a user can act on.
    os.environ.setdefault("JSONARGPARSE_DEPRECATION_WARNINGS", "off")
    configure_threads()
    build_cli(args)


if __name__ == "__main__":
    main()
