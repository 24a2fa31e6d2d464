"""The callback-cost benchmark keeps working: its arms differ only as described (no timing checks)."""

import importlib.util
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("callback_cost", ROOT / "benchmarks" / "callback_cost.py")
callback_cost = importlib.util.module_from_spec(spec)
spec.loader.exec_module(callback_cost)


def callbacks(path: Path) -> dict[str, dict]:
    config = yaml.safe_load(path.read_text())
    return {c["class_path"].split(".")[-1]: c.get("init_args", {}) for c in config["trainer"]["callbacks"]}


def test_arms_differ_only_in_the_figure_callbacks(tmp_path):
    shipped = callbacks(callback_cost.CONFIG)
    none = callbacks(callback_cost.config_for("none", tmp_path))
    figures = callbacks(callback_cost.config_for("figures", tmp_path))
    every200 = callbacks(callback_cost.config_for("every200", tmp_path))
    assert figures == shipped
    assert set(shipped) - set(none) == set(callback_cost.FIGURE_CALLBACKS)
    assert {"ScheduleCallback", "RunCheckpoint", "PhaseProgressBar"} <= set(none)
    assert every200["PhaseHistoryCallback"]["every_n_steps"] == 200
    assert {k: v for k, v in every200.items() if k != "PhaseHistoryCallback"} == \
        {k: v for k, v in shipped.items() if k != "PhaseHistoryCallback"}


def test_a_measurement_trains_and_reports_the_figures():
    result = callback_cost.measure("figures", steps=20, seed=0)
    assert result["steps"] == 20 and result["fit_s"] > 0 and result["cpu_s"] > 0
    assert {"phase-history.png", "latent-slices.png", "timeline.png", "latent-evolution.gif"} <= set(result["files"])
