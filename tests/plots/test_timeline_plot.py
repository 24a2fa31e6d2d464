"""The timeline figure of a schedule: one panel per value, phases as bands, actions as markers."""

import numpy as np
import pytest

from colorlatent.plots.timeline import plot_timeline
from colorlatent.schedule import Dopesheet, Timeline

SHEET = [
    {"STEP": 0, "PHASE": "Warm-up", "lr": 1e-8, "reg-norm": 0.1},
    {"STEP": 10, "lr": 0.01},
    {"STEP": 50, "PHASE": "Main", "ACTION": "anchor"},
    {"STEP": 99, "reg-norm": 0.3},
]


def timeline_figure(**kwargs):
    sheet = Dopesheet.load(SHEET)
    names, table = Timeline(sheet).table()
    phases = [(p.name, p.start, p.end) for p in sheet.phases]
    actions = [(row.step, row.actions) for row in sheet.rows if row.actions]
    return names, table, plot_timeline(names, table, phases, actions, **kwargs)


def test_one_panel_per_value_with_phases_and_actions():
    names, table, figure = timeline_figure(title="Schedule")
    strip, *panels = figure.axes
    assert names == ["lr", "reg-norm"] and len(panels) == 2
    assert panels[0].get_yscale() == "log"  # lr spans 1e-8 .. 1e-2
    assert panels[1].get_yscale() == "linear"  # reg-norm spans 0.1 .. 0.3
    np.testing.assert_array_equal(panels[1].lines[-1].get_ydata(), table[:, 1])
    texts = [t.get_text() for t in strip.texts]
    assert " Warm-up" in texts and " Main" in texts and "▼ anchor" in texts
    # the action is a dotted line at step 50 on every value panel
    for panel in panels:
        assert any(list(line.get_xdata()) == [50, 50] for line in panel.lines)


def test_planned_values_are_drawn_where_they_differ():
    names, table, _ = timeline_figure()
    played = table.copy()
    played[60:, 1] = 0.5
    figure = plot_timeline(names, played, planned=table)
    changed = figure.axes[2]
    assert [line.get_label() for line in changed.lines] == ["planned", "played"]
    assert [line.get_label() for line in figure.axes[1].lines] == ["_child0"]  # lr unchanged: one line


def test_table_must_match_the_names():
    with pytest.raises(ValueError, match=r"table must be \[steps, 2\] \(one column per name\); got \[5, 3\]"):
        plot_timeline(["a", "b"], np.zeros((5, 3)))
