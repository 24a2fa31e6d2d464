"""The dopesheets inlined in the experiment configs are the spec's sheets (m1-spec §4.6)."""

from pathlib import Path

import numpy as np
import yaml

from colorlatent.schedule import Timeline

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"


def inline_sheet(config: str):
    cfg = yaml.safe_load((ROOT / "experiments" / "configs" / config).read_text())
    (schedule,) = [c for c in cfg["trainer"]["callbacks"] if c["class_path"].endswith("ScheduleCallback")]
    return schedule["init_args"]["dopesheet"]


def test_ex_1_7_config_sheet_equals_the_transcribed_csv():
    names_yaml, table_yaml = Timeline(inline_sheet("ex_1_7.yaml")).table()
    names_csv, table_csv = Timeline(FIXTURES / "ex_1_7_dopesheet.csv").table()
    assert sorted(names_yaml) == sorted(names_csv)
    order = [names_yaml.index(n) for n in names_csv]
    np.testing.assert_array_equal(table_yaml[:, order], table_csv)
    assert len(table_yaml) == 10001
