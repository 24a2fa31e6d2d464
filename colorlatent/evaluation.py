"""Evaluating interventions (m2-spec §5): per-color errors with and without interventions,
similarity to the concept's color, selectivity R^2, and picking a model from a seed sweep.

Everything runs on the model's device; results come back as tensors there (tables and
summaries convert to floats once, at the end).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor, nn

from .color import NamedColors, arange_cyclic, hue_distance, named_colors, rgb_to_hsv
from .data import ColorCube
from .data.labels import LabelSpec, exact_labels
from .interventions.hooks import intervene
from .interventions.intervention import Intervention

RED_HSV = (0.0, 1.0, 1.0)
"""The anchor color of the milestone-2 experiments: pure red."""

Plans = Mapping[str, Sequence[Intervention]]
"""Named sets of interventions applied together, e.g. {"suppression": [Suppression(...)]}."""


def hsv_similarity(hsv: Tensor, anchor_hsv: Tensor | Sequence[float], hemi: bool = True,
                   mode: Literal["angular", "cosine"] = "angular", weight_vibrancy: bool = True) -> Tensor:
    """Similarity of colors to one anchor color, both in HSV (m2-spec §5.5).

    With the hue angle theta (degrees, shortest way round), the hue similarity H is
    max(0, (90 - theta)/90) (`angular`, `hemi`), (180 - theta)/180 (`angular`), max(0, cos theta)
    (`cosine`, `hemi`) or 0.5 + cos(theta)/2 (`cosine`). Hue matters in proportion to the mean
    vibrancy r = (s1 v1 + s2 v2)/2 (or fully, without `weight_vibrancy`): E = r H + (1 - r), and
    sim = E (1 - |s1 - s2|)(1 - |v1 - v2|). To pure red: 1 for red, 2/3 for orange and pink,
    1/3 for yellow and magenta, 0 for the other hues and every gray.

    Args:
        hsv: Colors [..., 3].
        anchor_hsv: The anchor [3].
        hemi: Only hues within 90 degrees count as similar.
        mode: `angular` (linear in the angle) or `cosine`.
        weight_vibrancy: Let hue count less for dull colors.

    Returns:
        Similarities in [0, 1], shape [...].
    """
    if mode not in ("angular", "cosine"):
        raise ValueError(f"mode={mode!r} is not allowed; allowed: ['angular', 'cosine']")
    anchor = torch.as_tensor(anchor_hsv, dtype=hsv.dtype, device=hsv.device)
    h1, s1, v1 = hsv.unbind(-1)
    h2, s2, v2 = anchor.unbind(-1)
    theta = 360 * hue_distance(h1, h2).to(hsv.dtype)
    if mode == "angular":
        hue = ((90 - theta) / 90).clamp_min(0) if hemi else (180 - theta) / 180
    else:
        cos = torch.cos(torch.deg2rad(theta))
        hue = cos.clamp_min(0) if hemi else 0.5 + cos / 2
    r = (s1 * v1 + s2 * v2) / 2 if weight_vibrancy else torch.ones_like(hue)
    return (r * hue + (1 - r)) * (1 - (s1 - s2).abs()) * (1 - (v1 - v2).abs())


def similarity_to(rgb: Tensor, anchor_hsv: Sequence[float] = RED_HSV, power: float = 1.0) -> Tensor:
    """hsv_similarity(rgb -> HSV, anchor) ** power: how much each color "is" the anchor color."""
    return hsv_similarity(rgb_to_hsv(rgb), anchor_hsv) ** power


@torch.no_grad()
def color_errors(model: nn.Module, rgb: Tensor, interventions: Sequence[Intervention] = (),
                 chunk: int = 1 << 16) -> Tensor:
    """Per-color reconstruction MSE (mean over R, G, B) in eval mode, with interventions applied.

    Eval mode clamps outputs to [0, 1] for models without a sigmoid, as at test time in the
    reference; the model's previous mode is restored.

    Args:
        model: An `AnchoredAutoencoder` or `BottleneckAutoencoder`.
        rgb: Colors [N, 3] (moved to the model's device).
        interventions: Applied together for this evaluation only.
        chunk: Colors per forward pass (bounds memory on large cubes).

    Returns:
        MSE per color [N] on the model's device.
    """
    device = next(model.parameters()).device
    rgb = rgb.to(device)
    was_training = model.training
    model.eval()
    try:
        with intervene(model, *interventions):
            out = torch.cat([model(part) for part in rgb.split(chunk)])
    finally:
        model.train(was_training)
    return ((out - rgb) ** 2).mean(dim=-1)


@dataclass
class ErrorTable:
    """Per-color MSE without (`baseline`) and with each plan of interventions (m2-spec §5.4).

    Attributes:
        names: Color names, one per row.
        baseline: MSE without interventions [N].
        results: Plan name -> MSE with that plan [N].
    """

    names: list[str]
    baseline: Tensor
    results: dict[str, Tensor]

    def delta(self, tag: str) -> Tensor:
        """MSE with plan `tag` minus the baseline [N]."""
        return self.results[tag] - self.baseline

    def flat(self) -> dict[str, float]:
        """`mse/<plan>/<color>` and `delta/<plan>/<color>` (`baseline` is a plan here) as floats."""
        out = {f"mse/baseline/{n}": v for n, v in zip(self.names, self.baseline.tolist())}
        for tag, mse in self.results.items():
            out.update({f"mse/{tag}/{n}": v for n, v in zip(self.names, mse.tolist())})
            out.update({f"delta/{tag}/{n}": v for n, v in zip(self.names, self.delta(tag).tolist())})
        return out

    def markdown(self, decimals: int = 6) -> str:
        """The table as Markdown: baseline, then MSE and signed delta for every plan."""
        header = ["color", "baseline"] + [c for tag in self.results for c in (tag, "Δ")]
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for i, name in enumerate(self.names):
            cells = [name, f"{float(self.baseline[i]):.{decimals}f}"]
            for tag, mse in self.results.items():
                cells += [f"{float(mse[i]):.{decimals}f}", f"{float(mse[i] - self.baseline[i]):+.{decimals}f}"]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)


def error_table(model: nn.Module, plans: Plans, colors: NamedColors | None = None) -> ErrorTable:
    """Per-color errors of the 12 named hues and 5 grays (or `colors`) under each plan."""
    colors = colors or named_colors()
    baseline = color_errors(model, colors.rgb)
    return ErrorTable(list(colors.names), baseline,
                      {tag: color_errors(model, colors.rgb, plan) for tag, plan in plans.items()})


def pearson_r(x: Tensor, y: Tensor) -> float:
    """Pearson correlation of two 1-D samples (NaN if either is constant)."""
    x, y = x.double().flatten(), y.double().flatten()
    x, y = x - x.mean(), y - y.mean()
    denominator = (x.square().sum() * y.square().sum()).sqrt()
    return float((x * y).sum() / denominator) if denominator > 0 else math.nan


def selectivity(mse: Tensor, rgb: Tensor, anchor_hsv: Sequence[float] = RED_HSV, power: float = 2.0) -> float:
    """Selectivity R^2: squared Pearson r between per-color MSE and similarity**power to the anchor.

    1 means the damage an intervention does is exactly proportional to how much each color is
    the concept's color (m2-spec §5.5-5.6).
    """
    return pearson_r(similarity_to(rgb.to(mse.device), anchor_hsv, power), mse) ** 2


# -- probe sets ------------------------------------------------------------------------------------
def rgb_grid(n: int, device: torch.device | str | None = None) -> Tensor:
    """RGB cube linspace(0, 1, n)^3 as [n^3, 3]: n = 8 scores the sweep, n = 20 is the latent cube."""
    axis = torch.linspace(0, 1, n, dtype=torch.float64, device=device)
    return ColorCube.from_rgb(axis, axis, axis).flat_rgb()


def loss_cube(n_hues: int = 150, n_levels: int = 24, device: torch.device | str | None = None) -> ColorCube:
    """HSV cube for error-vs-hue curves: hue linspace(-1/12, 1 + 1/12) (wrapping past red at both
    ends), saturation and value linspace(0, 1, n_levels) (redux `TestSet` loss cube)."""
    levels = torch.linspace(0, 1, n_levels, dtype=torch.float64, device=device)
    hues = torch.linspace(-1 / 12, 1 + 1 / 12, n_hues, dtype=torch.float64, device=device)
    return ColorCube.from_hsv(hues, levels, levels)


def hd_cube(device: torch.device | str | None = None) -> ColorCube:
    """The early notebooks' HD loss cube: 240 hues x 48 saturations x 48 values (552,960 colors)."""
    levels = torch.linspace(0, 1, 48, dtype=torch.float64, device=device)
    return ColorCube.from_hsv(arange_cyclic(step=1 / 240, device=device), levels, levels)


def intervention_metrics(model: nn.Module, plans: Plans, powers: Mapping[str, float],
                         anchor_hsv: Sequence[float] = RED_HSV) -> tuple[ErrorTable, dict[str, float]]:
    """The per-model evaluation of the redux experiments.

    Returns the named-color `ErrorTable` and a flat dict of its values plus, for every plan,
    the selectivity R^2 with similarity**powers[plan] on three probe sets: `r2_rgb8/<plan>`
    (the RGB 8^3 grid: the sweep score of m2-spec §5.6), `r2_rgb20/<plan>` (the RGB 20^3
    latent cube, where the notebooks print their correlations) and `r2_hsv/<plan>` (the dense
    150 x 24 x 24 HSV loss cube).
    """
    missing = sorted(set(plans) - set(powers))
    if missing:
        raise ValueError(f"no similarity power given for plan(s) {missing}; powers has {sorted(powers)}")
    device = next(model.parameters()).device
    table = error_table(model, plans, named_colors(device=device))
    metrics = table.flat()
    probes = {"rgb8": rgb_grid(8, device), "rgb20": rgb_grid(20, device), "hsv": loss_cube(device=device).flat_rgb()}
    for tag, plan in plans.items():
        for probe, rgb in probes.items():
            metrics[f"r2_{probe}/{tag}"] = selectivity(color_errors(model, rgb, plan), rgb, anchor_hsv, powers[tag])
    return table, metrics


# -- validation terms ------------------------------------------------------------------------------
@torch.no_grad()
def validation_metrics(model: nn.Module, val_rgb: Tensor, label_specs: Mapping[str, LabelSpec]) -> dict[str, float]:
    """`val_recon` (eval-mode MSE over `val_rgb`) and `val_<name>` for every labelled regularizer.

    Labelled terms use the exact validation labels (attribute == 1, see `exact_labels`) over the
    whole set at once: for the redux anchor, 1 - cos(latent of pure red, anchor). The reference
    logged the same term per validation batch of 64 and averaged the batches weighted by size,
    which scales it by 31/351 on `rgb-8-centers` (pure red is in the last batch, of 31); the
    order of runs, and so the Pareto selection, is the same either way.

    Args:
        model: An `AnchoredAutoencoder` (its regularizers define the terms).
        val_rgb: Validation colors [N, 3].
        label_specs: The data module's label specs (which attribute each label reads).
    """
    device = next(model.parameters()).device
    val_rgb = val_rgb.to(device)
    out = {"val_recon": float(color_errors(model, val_rgb).mean())}
    labels = exact_labels(val_rgb, label_specs)
    was_training = model.training
    model.eval()
    try:
        h = model.model.encoder(val_rgb)
        z = model.model.bottleneck(h)
        for reg in getattr(model, "regularizers", []):
            if reg.labels and set(reg.labels) <= set(labels):
                out[f"val_{reg.name}"] = float(reg.term(h if reg.layer == "encoder" else z, labels))
    finally:
        model.train(was_training)
    return out


# -- choosing a model from a sweep -----------------------------------------------------------------
def pareto_front(rows: Sequence[Mapping[str, float]], minimize: Sequence[str] = (),
                 maximize: Sequence[str] = ()) -> list[int]:
    """Indices of the rows no other row dominates (m2-spec §5.6).

    Row j dominates row i if it is no worse on every column (<= on `minimize`, >= on
    `maximize`) and strictly better on at least one.
    """
    if not minimize and not maximize:
        raise ValueError("pareto_front needs at least one column to minimize or maximize")
    for i, row in enumerate(rows):
        missing = [c for c in (*minimize, *maximize) if c not in row]
        if missing:
            raise ValueError(f"row {i} has no column(s) {missing}; it has {sorted(row)}")

    def signs(row: Mapping[str, float]) -> list[float]:
        return [float(row[c]) for c in minimize] + [-float(row[c]) for c in maximize]

    values = [signs(row) for row in rows]

    def dominates(a: list[float], b: list[float]) -> bool:
        return all(x <= y for x, y in zip(a, b)) and any(x < y for x, y in zip(a, b))

    return [i for i, v in enumerate(values) if not any(dominates(w, v) for j, w in enumerate(values) if j != i)]


def select_model(rows: Sequence[Mapping[str, float]], score: str, minimize: Sequence[str] = ()) -> int:
    """Index of the chosen run: on the Pareto front of (max `score`, min each of `minimize`),
    the one with the highest score (m2-spec §5.6)."""
    front = pareto_front(rows, minimize, [score])
    return max(front, key=lambda i: float(rows[i][score]))


def distribution(values: Sequence[float]) -> str:
    """`mean ± std (min, max)` with the sample std (n - 1), as pandas' describe reports it."""
    x = torch.tensor([float(v) for v in values], dtype=torch.float64)
    std = float(x.std()) if len(x) > 1 else 0.0
    return f"{float(x.mean()):.4f} ± {std:.4f} (min {float(x.min()):.4f}, max {float(x.max()):.4f}, n = {len(x)})"


def evaluate_model(model: nn.Module, plans: Plans, powers: Mapping[str, float], val_rgb: Tensor | None = None,
                   label_specs: Mapping[str, LabelSpec] | None = None) -> tuple[ErrorTable, dict[str, float]]:
    """`intervention_metrics` plus, with a validation set, `validation_metrics`."""
    table, metrics = intervention_metrics(model, plans, powers)
    if val_rgb is not None:
        metrics.update(validation_metrics(model, val_rgb, label_specs or {}))
    return table, metrics


def compare_lines(table: ErrorTable, metrics: Mapping[str, float], published: Mapping[str, float],
                  untouched: Sequence[str] = (), soft_plans: Sequence[str] = ()) -> list[str]:
    """A printable report: the named-color table, then each metric beside its published value.

    With `untouched` colors and `soft_plans`, also the largest |delta| those colors suffer
    under those plans (the "lime, cyan, purple and grays barely move" check).
    """
    lines = ["Named colors (MSE; delta = change caused by each plan):", table.markdown(decimals=6), ""]
    if untouched and soft_plans:
        worst = max(abs(metrics[f"delta/{tag}/{c}"]) for tag in soft_plans for c in untouched)
        lines.append(f"  largest |delta| of {', '.join(untouched)} under {' / '.join(soft_plans)}: {worst:.2e}")
    for key, value in published.items():
        lines.append(f"  {key:26s} {metrics[key]:.4f}   (published {value})")
    extra = [f"{k} {metrics[k]:.2e}" for k in metrics if k.startswith("val_")]
    if extra:
        lines.append("  " + ", ".join(extra))
    return lines
