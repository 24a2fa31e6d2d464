"""The training-speed benchmark keeps working: a tiny run of all three paths (no timing checks).

`--in-process` measures in the test's one subprocess (one import instead of four), which keeps
this test cheap; the real benchmark measures each path in a fresh process.
"""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_benchmark_runs_all_three_paths_to_the_same_weights(tmp_path):
    record = tmp_path / "measurements.json"
    proc = subprocess.run(
        [sys.executable, "benchmarks/train_speed.py", "--steps", "12", "--repeats", "1", "--seeds", "2",
         "--in-process", "--json", str(record)],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    rows = re.findall(r"^\| (plain PyTorch loop|Lightning, experiment config|seed stack, S = 2)[^|]*\|(.*)\|$", out, re.M)
    assert [name for name, _ in rows] == ["plain PyTorch loop", "Lightning, experiment config", "seed stack, S = 2"]
    for _, cells in rows:
        steps, seed_steps, ratio, train_s, wall_s, cpu_s, peak, digest = (c.strip() for c in cells.split("|"))
        # wall s is printed to 0.1 s and train s to 0.01 s, so compare within the coarser rounding
        assert float(steps) > 0 and float(train_s) > 0 and float(wall_s) + 0.05 >= float(train_s) and float(cpu_s) > 0
        assert float(peak) > 100
        assert ratio.endswith("x") and re.fullmatch(r"[0-9a-f]{12}", digest)
    # the three paths train the same seed from the same weights and data: they must end equal
    assert "identical on all three paths: yes" in out
    assert "stack: 2 seeds x 12 steps" in out and "(the sweep targets apply to --seeds 60 --steps 1501)" in out
    assert record.is_file()
