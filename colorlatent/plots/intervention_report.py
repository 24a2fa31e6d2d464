"""The standard figures for one model under a set of intervention plans, written as PNG files."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import torch

from ..data import ColorCube
from ..evaluation import RED_HSV, ErrorTable, Plans, color_errors, loss_cube, rgb_grid, selectivity, similarity_to
from ..interventions import capture, intervene
from .color_errors import plot_color_errors
from .error_similarity import plot_error_vs_similarity
from .intervened_latents import plot_intervened_latents
from .loss_hue import plot_loss_vs_hue


def save_intervention_figures(model: torch.nn.Module, plans: Plans, powers: Mapping[str, float], table: ErrorTable,
                              out_dir: Path, prefix: str = "", title: str = "",
                              anchor_hsv: Sequence[float] = RED_HSV, cube: ColorCube | None = None,
                              value_levels: Sequence[int] | None = None) -> list[Path]:
    """Write the four intervention figures of a model and return their paths.

    - `<prefix>intervention-errors.png`: the named-color table as bars (`table`);
    - `<prefix>loss-vs-hue.png`: MSE against hue at S = 1 for five values, per plan, on `cube`
      (default: the redux HSV loss cube) at `value_levels` (default: five, from V = 1 down);
    - `<prefix>error-vs-similarity.png`: MSE against similarity**power to the anchor color on
      the RGB 20^3 cube, with the least-squares line and R^2, per plan;
    - `<prefix>intervened-latents.png`: the RGB 8^3 grid's latents in the [1, 0] slice as the
      decoder reads them under each plan, ringed with the decoded color.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    device = next(model.parameters()).device
    paths = []

    def save(fig, name: str) -> None:
        path = out_dir / f"{prefix}{name}"
        fig.savefig(path, dpi=110)
        paths.append(path)

    save(plot_color_errors(table, title=f"{title}named colors: MSE without and with each plan"),
         "intervention-errors.png")

    cube = cube.to(device) if cube is not None else loss_cube(device=device)
    flat = cube.flat_rgb()
    results = {"baseline": color_errors(model, flat)} | {tag: color_errors(model, flat, plan) for tag, plan in plans.items()}
    save(plot_loss_vs_hue(cube, results, value_levels, title=f"{title}MSE vs hue at S = 1 (brightest curve: V = 1)"),
         "loss-vs-hue.png")

    rgb = rgb_grid(20, device)
    mse = {tag: color_errors(model, rgb, plan) for tag, plan in plans.items()}
    sims = {tag: similarity_to(rgb, anchor_hsv, powers[tag]) for tag in plans}
    r2 = {tag: selectivity(mse[tag], rgb, anchor_hsv, powers[tag]) for tag in plans}
    powers_text = ", ".join(sorted({f"{p:g}" for p in powers.values()}))
    save(plot_error_vs_similarity(rgb, sims, mse, r2, xlabel=f"similarity^k to the anchor color (k = {powers_text})",
                                  title=f"{title}selectivity on the RGB 20³ cube"), "error-vs-similarity.png")

    grid = rgb_grid(8, device)
    latents, recon = {}, {}
    for tag, plan in ({"baseline": []} | dict(plans)).items():
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad(), intervene(model, *plan), capture(model, "bottleneck") as seen:
                recon[tag] = model(grid)
        finally:
            model.train(was_training)
        latents[tag] = seen[0]
    save(plot_intervened_latents(latents, grid, recon, plans=plans,
                                 title=f"{title}RGB 8³ latents as decoded (fill: true color, ring: output)"),
         "intervened-latents.png")
    return paths
