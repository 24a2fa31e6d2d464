"""A miniature experiment script for the interruption tests, written like experiments/ex_X_Y.py.

    python tests/reliability/driver.py [--seed N] [--out DIR] [--resume DIR]

It trains `resume.yaml` (60 steps, ragged batches, labels, five regularizers, a schedule,
validation every 20 steps, a checkpoint every 10) through `colorlatent.experiment`.
The harness callbacks in it pause or kill the run when the tests set their environment variables.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # the harness callbacks named in resume.yaml

from colorlatent.experiment import evaluate, parse_args, report, train, write_results  # noqa: E402

CONFIG = Path(__file__).parent / "resume.yaml"


def main(argv: list[str] | None = None) -> None:
    args = parse_args(__doc__, argv)
    run = train(CONFIG, seed=args.seed, out=args.out, resume=args.resume)
    metrics = evaluate(run, probe="rgb-8")
    write_results(run, "reliability", metrics)
    report(run, [f"driver: {run.steps} steps"])


if __name__ == "__main__":
    main()
