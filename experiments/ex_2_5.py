"""Experiment 2.5: suppress or ablate red when only red is anchored (no color wheel).

The 2.5.1 "redux" configuration (m2-spec §7.6-7.7): the model, data and schedule of ex_2_3
without the `vibrant` label and the planarity term, so only red is pinned (to (1, 0, 0, 0))
and the other hues settle wherever the batch repulsion puts them. Then, on the `bottleneck`:

- suppression: Suppression(e0, BoundedFalloff(cos 90 deg, 1, 0));
- ablated: dim 0 zeroed before the normalization (= ablating its weights).

Expected (published best of 60 seeds, seed 8): red's MSE 0.234 under suppression and 0.334
ablated; orange 0.120 and pink 0.121 under suppression; the cool hues (green to blue) exactly
unchanged by suppression, while ablation also damages cyan (0.248). Selectivity R^2: 0.976 on
the RGB 8^3 grid (sweep score, similarity^2; 0.9231 +- 0.0316 over 60 seeds), 0.98 for
suppression (similarity^2) and 0.47 for ablation (similarity^3) on the RGB 20^3 cube.

Run:
    python experiments/ex_2_5.py [--seed N] [--out DIR] [--fast]
    python experiments/ex_2_5.py --seeds 0-59     (sweep; picks the Pareto-front model)
Same training through the CLI:
    colorlatent fit -c experiments/configs/ex_2_5.yaml
"""

from __future__ import annotations

from pathlib import Path

from colorlatent.intervention_study import InterventionStudy

POWERS = {"suppression": 2.0, "ablated": 3.0}  # similarity^k for each plan's R^2, as published
PUBLISHED = {  # m2-spec §7.7: seed 8, the best of 60
    "mse/suppression/red": 0.234, "mse/ablated/red": 0.334, "mse/suppression/orange": 0.120,
    "mse/suppression/pink": 0.121, "mse/ablated/cyan": 0.248, "r2_rgb8/suppression": 0.9762,
    "r2_rgb20/suppression": 0.98, "r2_rgb20/ablated": 0.47,
}
UNTOUCHED = ("green", "teal", "cyan", "azure", "blue")  # published: delta exactly 0 under suppression
SOFT = ("suppression",)

STUDY = InterventionStudy(
    name="ex_2_5", script=Path(__file__), powers=POWERS,
    published=PUBLISHED, published_score="0.9231 ± 0.0316 (min 0.8513, max 0.9762, n = 60)", untouched=UNTOUCHED, soft=SOFT,
)


def main(argv: list[str] | None = None) -> None:
    STUDY.main(__doc__, argv)


if __name__ == "__main__":
    main()
