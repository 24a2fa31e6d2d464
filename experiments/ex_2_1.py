"""Experiment 2.1: intervention lobes: what suppression and repulsion do to every direction.

No training (m2-spec §2.6, §7.1). Each intervention from `configs/ex_2_1.yaml` acts on unit
vectors all around a 2-D concept (1, 0) ("north"), and the figures show, like a light's lobe,
where every input direction goes (blue), how strongly it is affected (orange), and the
mapper's curve against alignment (bottom row). Four suppressions (BoundedFalloff(0, 0.5, p)
and BoundedFalloff(cos 60 deg, 1, p), p = 1, 2) and four repulsions (linear and Bezier mappers
from the whole hemisphere to 60 deg, and from the 60 deg cone to 30 deg).

Expected (published, qualitative): suppression dents the top of the unit circle (the concept
itself shrinks to 1 - b); repulsion removes a wedge around the concept, pushing its points
sideways on the circle. Reported in results.json per intervention: the output norm at the
concept, the largest rotation, the fraction of directions changed, and the norm range.

Run:
    python experiments/ex_2_1.py [--out DIR] [--fast]
(`--seed` is accepted for the common interface; nothing here is random.)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import yaml
from torch.utils.tensorboard import SummaryWriter

from colorlatent.experiment import next_free_dir, parse_args
from colorlatent.interventions import build_intervention
from colorlatent.plots.lobes import lobe, plot_lobes

CONFIG = Path(__file__).parent / "configs" / "ex_2_1.yaml"


def lobe_metrics(intervention) -> dict[str, float]:
    data = lobe(intervention)
    concept = lobe(intervention, n=1)  # the input at angle 1e-7: the concept itself
    changed = (np.abs(data.rotation_deg) > 1e-4) | (np.abs(data.r_out - 1) > 1e-6)
    norm = float(concept.r_out[0])
    return {
        "norm_at_concept": norm,
        # A (near) zero vector has no direction: its "turn" would be noise.
        "turn_at_concept_deg": float(abs(concept.rotation_deg[0])) if norm > 1e-6 else None,
        "max_rotation_deg": float(np.abs(data.rotation_deg).max()),
        "changed_fraction": float(changed.mean()),
        "min_norm": float(data.r_out.min()),
        "max_norm": float(data.r_out.max()),
    }


def main(argv: list[str] | None = None) -> None:
    args = parse_args(__doc__, argv)
    config = yaml.safe_load(CONFIG.read_text())
    out = args.out if args.out is not None else next_free_dir(Path("lightning_logs") / "ex_2_1", "version_")
    out.mkdir(parents=True, exist_ok=True)
    metrics: dict[str, float] = {}
    writer = SummaryWriter(str(out))
    lines = ["ex 2.1 intervention lobes (no training)"]
    for group, entries in config.items():
        built = [(entry["name"], entry["title"], build_intervention(entry["intervention"])) for entry in entries]
        fig = plot_lobes([(title, intervention) for _, title, intervention in built], title=f"{group} lobes")
        fig.savefig(out / f"lobes-{group}.png", dpi=110)
        writer.add_figure(f"lobes/{group}", fig)
        for name, title, intervention in built:
            values = lobe_metrics(intervention)
            metrics.update({f"{group}/{name}/{k}": v for k, v in values.items()})
            turn = values["turn_at_concept_deg"]
            turned = f"turned {turn:4.1f} deg" if turn is not None else "no direction left"
            lines.append(f"  {group:11s} {title:36s} |h'| at concept {values['norm_at_concept']:.3f}, {turned}; "
                         f"changed {100 * values['changed_fraction']:4.1f} % "
                         f"of directions; |h'| in [{values['min_norm']:.3f}, {values['max_norm']:.3f}]")
    writer.close()
    figures = sorted(p.name for p in out.glob("*.png"))
    results = {"experiment": "ex_2_1", "seed": args.seed, **metrics, "fast": args.fast, "figures": figures,
               "config": config}
    (out / "results.json").write_text(json.dumps(results, indent=2))
    for line in lines:
        print(line)
    print(f"Figures in {out}: {', '.join(figures)}")
    print(out)


if __name__ == "__main__":
    main()
