"""Experiment 1.1: the color data (m1-spec §6.1, §1.4). No model is trained.

Draws the data the later experiments train on: the RGB cube with its black-white diagonal
vertical (1.1.1), slices through the HSV cube, the HSV cylinder from above, the 12 named hues on
the wheel, and the sampling weights of §1.4 (the cube's bias, vibrancy, the primary/secondary
focus, the curriculum scaling). It also checks the facts the notebook demonstrates, with
scikit-image as the reference for the color conversions:

* our torch RGB<->HSV conversions equal scikit-image's `rgb2hsv`/`hsv2rgb` (max |difference|);
* hues every 60 degrees at S = V = 1 are exactly the primaries and secondaries;
* RGB lengths: primaries 1, secondaries sqrt 2, white sqrt 3;
* cube sizes (HSV 12x5x5, RGB 5x5x5, the 36x10x10 training cube and its bias total of 930);
* excluding hues near a named hue: a plain |h - h0| test misses the wrap-around at red, the cyclic one does not.

Run:
    python experiments/ex_1_1.py [--seed N] [--out DIR] [--fast]
(`--seed` is accepted for the common interface; nothing here is random. `--fast` skips the dark
variants of the figures.)
Writes results.json (metrics; `trains_model: false`, so no checkpoint), the PNG figures (light
and dark) and a TensorBoard event file with the figures as images; the last line printed is the
run directory.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import skimage.color
import torch
from lightning.pytorch.loggers import TensorBoardLogger

from colorlatent.callbacks.common import add_png, encode_png, render
from colorlatent.color import HUES, PRIMARIES, SECONDARIES, hsv_to_rgb, isbetween_cyclic, rgb_to_hsv
from colorlatent.data import ColorCube, make_dataset
from colorlatent.experiment import parse_args
from colorlatent.plots.color_data import (
    plot_hsv_cylinder, plot_hsv_slices, plot_hue_ring, plot_rgb_cube, plot_sampling_weights,
)

FIGURES = {
    "rgb-cube": plot_rgb_cube,
    "hsv-slices": plot_hsv_slices,
    "hsv-cylinder": plot_hsv_cylinder,
    "hue-ring": plot_hue_ring,
    "sampling-weights": plot_sampling_weights,
}


def conversion_checks() -> dict[str, float]:
    """Max |ours - scikit-image| for both conversions, on grids and on random colors (float64)."""
    random = torch.rand(10_000, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    rgb = torch.cat([make_dataset("rgb-8").rgb.double(), random])
    levels = torch.linspace(0, 1, 10, dtype=torch.float64)
    hues = torch.arange(36, dtype=torch.float64) / 36
    hsv = torch.stack(torch.meshgrid(hues, levels, levels, indexing="ij"), -1).reshape(-1, 3)
    to_hsv = np.abs(rgb_to_hsv(rgb).numpy() - skimage.color.rgb2hsv(rgb.numpy())).max()
    to_rgb = np.abs(hsv_to_rgb(hsv).numpy() - skimage.color.hsv2rgb(hsv.numpy())).max()
    return {
        "rgb_to_hsv_max_abs_diff_vs_skimage": float(to_hsv),
        "hsv_to_rgb_max_abs_diff_vs_skimage": float(to_rgb),
        "conversion_points": len(rgb) + len(hsv),
    }


def data_facts() -> dict[str, float]:
    """The numbers the notebook shows about the color data (m1-spec §6.1, §1.6)."""
    sixths = torch.arange(6, dtype=torch.float64) / 6
    ring = hsv_to_rgb(torch.stack([sixths, torch.ones(6, dtype=torch.float64), torch.ones(6, dtype=torch.float64)], -1))
    expected = torch.tensor([[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 1, 1], [0, 0, 1], [1, 0, 1]], dtype=torch.float64)
    lengths = {name: float(torch.linalg.vector_norm(hsv_to_rgb(torch.tensor([HUES[name], 1.0, 1.0],
                                                                             dtype=torch.float64))))
               for name in ("red", "yellow")}
    twelve = torch.arange(12, dtype=torch.float64) / 12
    five = torch.linspace(0, 1, 5, dtype=torch.float64)
    cube = make_dataset("hsv-cube")
    bias = cube.bias.double()
    hsv = rgb_to_hsv(cube.rgb.double())
    vibrant = (hsv[:, 1] == 1) & (hsv[:, 2] == 1)
    width = 30 / 360 + 1e-8  # "within 30 degrees (+1e-8)" of the excluded hue
    plain_red = (twelve - HUES["red"]).abs() <= width
    cyclic = {name: int((~isbetween_cyclic(twelve, HUES[name] - width, HUES[name] + width)).sum())
              for name in PRIMARIES + SECONDARIES}
    return {
        "sixty_degree_hues_max_abs_error": float((ring - expected).abs().max()),
        "primary_rgb_length": lengths["red"],
        "secondary_rgb_length": lengths["yellow"],
        "white_rgb_length": float(torch.linalg.vector_norm(torch.ones(3))),
        "hsv_12x5x5_points": len(ColorCube.from_hsv(twelve, five, five).flat_rgb()),
        "rgb_5x5x5_points": len(ColorCube.from_rgb(five, five, five).flat_rgb()),
        "hsv_cube_points": len(cube.rgb),
        "hsv_cube_bias_sum": float(bias.sum()),
        "hsv_cube_pure_hue_mass": float(bias[vibrant].sum() / bias.sum()),
        "hsv_cube_black_mass": float(bias[hsv[:, 2] == 0].sum() / bias.sum()),
        "hsv_cube_min_weight": float(bias.min()),
        "hues_left_without_cyan": cyclic["cyan"],
        "hues_left_without_red_plain_test": int((~plain_red).sum()),
        "hues_left_without_red_cyclic_test": cyclic["red"],
        "hues_left_without_any_primary_or_secondary_cyclic_min": min(cyclic.values()),
        "hues_left_without_any_primary_or_secondary_cyclic_max": max(cyclic.values()),
    }


def run_directory(out: Path | None) -> TensorBoardLogger:
    """The run directory (default lightning_logs/ex_1_1/version_N), as a TensorBoard logger."""
    if out is not None:
        return TensorBoardLogger(save_dir=str(out), name="", version="", default_hp_metric=False)
    return TensorBoardLogger(save_dir="lightning_logs", name="ex_1_1", default_hp_metric=False)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(__doc__, argv)
    logger = run_directory(args.out)
    run_dir = Path(logger.log_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, plot in FIGURES.items():
        for dark in (False,) if args.fast else (False, True):  # --fast: the light figures only
            image = encode_png(render(plot(dark=dark), dpi=100))
            path = run_dir / (f"{name}-dark.png" if dark else f"{name}.png")
            path.write_bytes(image[0])
            written.append(path.name)
            if not dark:  # the same PNG in TensorBoard (what add_figure logs, without drawing it twice)
                add_png(logger.experiment, f"data/{name}", image, step=0)
    logger.experiment.close()  # flushes the event file (finalize would also write an empty hparams.yaml)
    metrics = {**conversion_checks(), **data_facts()}
    results = {
        "experiment": "ex_1_1",
        "seed": args.seed,
        "trains_model": False,
        "checkpoint": None,  # nothing is trained, so there is no checkpoint
        "fast": args.fast,
        **metrics,
        "figures": sorted(written),
        "config": {"figures": list(FIGURES), "reference": f"scikit-image {skimage.__version__}"},
    }
    (run_dir / "results.json").write_text(json.dumps(results, indent=2))
    print("ex 1.1 (color data; no model trained)")
    print(f"  RGB->HSV vs scikit-image: max |diff| {metrics['rgb_to_hsv_max_abs_diff_vs_skimage']:.3g}, "
          f"HSV->RGB: {metrics['hsv_to_rgb_max_abs_diff_vs_skimage']:.3g}  ({metrics['conversion_points']} colors)")
    print(f"  hues every 60 deg = primaries/secondaries: max error {metrics['sixty_degree_hues_max_abs_error']:.3g}")
    print(f"  RGB lengths: primary {metrics['primary_rgb_length']:.4f}, secondary "
          f"{metrics['secondary_rgb_length']:.4f} (sqrt 2 = {math.sqrt(2):.4f}), "
          f"white {metrics['white_rgb_length']:.4f}")
    print(f"  HSV cube: {metrics['hsv_cube_points']} colors, bias total {metrics['hsv_cube_bias_sum']:.1f} "
          f"(spec: 930), pure hues {100 * metrics['hsv_cube_pure_hue_mass']:.2f} % of the mass (spec: 3.87 %)")
    print(f"  12 hues without those within 30 deg of red: plain test keeps "
          f"{metrics['hues_left_without_red_plain_test']}, cyclic test {metrics['hues_left_without_red_cyclic_test']} "
          f"(cyan: {metrics['hues_left_without_cyan']})")
    print(f"Figures in {run_dir}: {', '.join(sorted(written))}")
    print(f"TensorBoard: {Path(sys.executable).parent / 'tensorboard'} --logdir {run_dir}")
    print(run_dir)


if __name__ == "__main__":
    main()
