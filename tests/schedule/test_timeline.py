"""Timeline playback: the §7 fixture behaviours and the realized M1 schedules (m1-spec §4.7)."""

import dataclasses
import itertools
import math
from pathlib import Path

import numpy as np
import pytest

from colorlatent.schedule import Dopesheet, Timeline, TimelineState

FIXTURES = Path(__file__).parent / "fixtures"

# The fixture sheet of m1-spec §7 (test_dopesheet.py of the reference).
FIXTURE_CSV = (FIXTURES / "spec_fixture.csv").read_text()

# S(τ) = 10τ³ - 15τ⁴ + 6τ⁵ by hand: S(0.1) = 0.00856; S(1/7) = (490 - 105 + 6)/7⁵ = 391/16807.
S_01 = 0.00856
S_1_7 = 391 / 16807


def play(timeline: Timeline, steps: int) -> list[TimelineState]:
    states = [timeline.state]
    for _ in range(steps - 1):
        timeline.step()
        states.append(timeline.state)
    return states


@pytest.fixture
def states():
    return play(Timeline(Dopesheet.from_csv(FIXTURE_CSV)), 13)


def test_step_counter():
    timeline = Timeline(FIXTURE_CSV)
    assert timeline.t == timeline.state.step == 0
    timeline.step()
    timeline.step()
    assert timeline.t == timeline.state.step == 2
    assert len(timeline) == 13


def test_phases_actions_and_flags(states):
    assert [s.phase for s in states] == ["One"] * 10 + ["Two"] + ["Fin"] * 2
    assert [s.step for s in states if s.is_phase_start] == [0, 10, 11]
    assert [s.step for s in states if s.is_phase_end] == [9, 10, 12]
    assert [s.actions for s in states] == [()] * 4 + [("foo",)] + [()] * 8


def test_initial_values_are_back_filled(states):
    assert states[0].props == {"x": 0.01, "y": 0.8, "z": 1.0}


def test_step_end_prop(states):
    assert [s.props["z"] for s in states] == [1.0] * 4 + [2.0] * 6 + [3.0, 4.0, 4.0]


def test_log_minjerk_prop_moves_immediately(states):
    x = [s.props["x"] for s in states]
    assert x[1] == pytest.approx(0.01 * 10 ** (-S_01), rel=1e-12)  # ln-space min-jerk
    assert x[5] == pytest.approx(math.sqrt(0.01 * 0.001), rel=1e-12)
    assert all(a > b for a, b in itertools.pairwise(x[:11]))
    assert x[10:] == [0.001, 0.001, 0.001]  # exact at its key, then constant


def test_prop_waits_for_its_first_key(states):
    y = [s.props["y"] for s in states]
    assert y[:5] == [0.8] * 5
    assert y[5] == pytest.approx(0.8 * (1 - S_1_7), rel=1e-12)
    assert y[11:] == [0.0, 0.0]


def test_state_is_frozen(states):
    with pytest.raises(dataclasses.FrozenInstanceError):
        states[0].step = 3


def test_past_the_end_props_hold():
    timeline = Timeline(FIXTURE_CSV)
    for _ in range(14):
        timeline.step()
    state = timeline.state
    assert (state.step, state.phase, state.is_phase_start, state.is_phase_end) == (
        14,
        "Fin",
        False,
        False,
    )
    assert state.props == {"x": 0.001, "y": 0.0, "z": 4.0}


def test_lookups():
    timeline = Timeline(FIXTURE_CSV)
    assert [timeline.phase_at(t) for t in (0, 9, 10, 11, 12)] == ["One", "One", "Two", "Fin", "Fin"]
    assert timeline.actions_at(4) == ("foo",)
    assert timeline.actions_at(3) == ()


def test_table_matches_step_by_step_playback():
    timeline = Timeline(FIXTURE_CSV)
    timeline.step()
    names, values = timeline.table()
    assert timeline.t == 1  # replaying for the table leaves the timeline where it was
    assert names == ["x", "y", "z"]
    assert values.shape == (13, 3) and values.dtype == np.float64
    expected = [[s.props[n] for n in names] for s in play(Timeline(FIXTURE_CSV), 13)]
    np.testing.assert_allclose(values, expected, rtol=1e-14, atol=0)


@pytest.mark.parametrize(
    "name, steps", [("ex_1_6_stepped", 1100), ("ex_1_6_smooth", 1000), ("ex_1_7", 600)]
)
def test_table_matches_playback_on_m1_sheets(name, steps):
    timeline = Timeline(FIXTURES / f"{name}_dopesheet.csv")
    names, values = timeline.table()
    expected = [[s.props[n] for n in names] for s in play(timeline, steps)]
    np.testing.assert_allclose(values[:steps], expected, rtol=1e-14, atol=0)


def test_table_is_fast():
    # 10 props keyed every 1000 steps over 20 001 steps, alternating interpolators and spaces.
    columns = [
        f"p{i}" + (":log" if i % 2 else "") + ("::linear" if i % 3 == 0 else "") for i in range(10)
    ]
    lines = ["STEP," + ",".join(c.replace(":log::", ":log:") for c in columns)]
    for k, step in enumerate(range(0, 20001, 1000)):
        lines.append(f"{step}," + ",".join(str(0.1 + ((k * 7 + i) % 5) / 10) for i in range(10)))
    timeline = Timeline("\n".join(lines) + "\n")
    _, values = timeline.table()
    assert values.shape == (20001, 10)


# --- realized schedules (m1-spec §4.7) --------------------------------------------------------

EX_1_7 = """
step  lr          reg-separate reg-planar reg-norm  reg-norm-v reg-polar
0     1e-08       0.001        0.02       0.01      0.02       0.006
1     8.56099e-05 0.001        0.02       0.01      0.02       0.006
5     0.005       0.00100019   0.02       0.01      0.02       0.006
10    0.01        0.00100147   0.02       0.01      0.02       0.006
250   0.01        0.0105       0.0205136  0.01022   0.02       0.006
500   0.01        0.02         0.0234752  0.0116264 0.02       0.006
1000  0.01        0.0189648    0.0390464  0.0210048 0.02       0.006
1500  0.01        0.015        0.0609536  0.0409852 0.02       0.006
2500  0.01        0.01         0.08       0.105     0.02       0.006
3000  0.01        0.00947872   0.0765248  0.139686  0.02       0.006
4000  0.01        0.00385696   0.0390464  0.188995  0.02       0.006
5000  0.01        0.001        0.02       0.2       0.02       0.006
6250  0.00948242  0.001        0.02       0.2       0.02       0.0031
7500  0.0075      0.001        0.02       0.2       0.02       0.0002
8750  0.00551758  0.001        0.02       0.2       0.02       0.0002
10000 0.005       0.001        0.02       0.2       0.02       0.0002
"""

EX_1_5 = """
step  lr         loss-recon reg-separate reg-planar reg-norm reg-anchor  data-fraction
0     0.01       1          0            0.2        0.1      0           0
600   0.01       0.9        0.15         0.241975   0.1      0           0
1200  0.01       0.8        0.3          0.358025   0.1      0           0
1800  0.01       0.8        0.237037     0.4        0.1      0           0
2400  0.01       0.8        0.062963     0.39319    0.175    0           0
3000  0.01       0.8        0            0.356318   0.25     0           0
3350  0.01       0.8        0            0.31814    0.25     0.000665474 0.000289531
5000  0.00992491 0.8        0            0.0757276  0.25     0.0739089   0.0361754
6500  0.00955042 0.8        0            0          0.25     0.217438    0.125
8600  0.00834469 0.838984   0            0          0.25     0.3         0.23552
10000 0.00715238 0.914366   0            0          0.25     0.26241     0.25
13000 0.0041796  1          0            0          0.25     0.1         1
16500 0.00159456 1          0            0          0.25     0.425       1
20000 0.001      1          0            0          0.25     0.75        1
"""

EX_1_6_SMOOTH = """
step  lr        loss-recon reg-separate reg-planar reg-norm  reg-anchor data-hues data-vibrancies
0     1e-08     1          0            0          0.01      0          0         0
10    0.01      1          0.000231625  0.00046325 0.0102779 0          0         0
100   0.0100006 1          0.1          0.2        0.13      0          0         0
200   0.0100052 1          0.2          0.4        0.25      0          0         0
300   0.010018  1          0.158025     0.358025   0.25      0          0         0
499   0.0100808 1          7.37e-08     0.2        0.25      0          0         0
500   0.0100813 1          0            0.2        0.25      0.25       0         0
725   0.0102346 1          0            0.179297   0.375     0.25       0.5       0
950   0.0104938 1          0            0.1        0.5       0.25       1         0
1400  0.0113589 1          0            0          0.498824  0.25       1         0
5000  0.02      1          0            0          0.28151   0.25       1         0
5750  0.0194944 1          0            0          0.254986  0.25       1         0.5
6500  0.0169015 1          0            0          0.25      0.25       1         1
8750  0.0029668 1          0            0          0.25      0.25       1         1
10000 0.001     1          0            0          0.25      0.25       1         1
"""

# The spec prints values with %g (6 significant digits) except this one, abbreviated to 3.
SHORT_ORACLES = {("ex_1_6_smooth", 499, "reg-separate"): 3}


def printed_tolerance(value: float, digits: int = 6) -> float:
    """Half a unit in the last place of ``value`` printed with ``digits`` significant digits.

    Slightly widened: some true values sit exactly on a rounding tie (e.g. 0.005000005 printed as
    0.005), where the last float bit decides which way the printout went.
    """
    if value == 0:
        return 0.0  # %g prints 0 only for an exact zero
    return 0.5 * 10 ** (math.floor(math.log10(abs(value))) - (digits - 1)) * (1 + 1e-6)


@pytest.mark.parametrize(
    "name, oracle", [("ex_1_7", EX_1_7), ("ex_1_5", EX_1_5), ("ex_1_6_smooth", EX_1_6_SMOOTH)]
)
def test_realized_schedule(name, oracle):
    header, *lines = oracle.strip().splitlines()
    columns = header.split()[1:]
    names, values = Timeline(FIXTURES / f"{name}_dopesheet.csv").table()
    assert sorted(names) == sorted(columns)
    checked = 0
    for line in lines:
        step, *cells = line.split()
        step = int(step)
        for column, cell in zip(columns, cells, strict=True):
            expected = float(cell)
            tolerance = printed_tolerance(expected, SHORT_ORACLES.get((name, step, column), 6))
            actual = values[step, names.index(column)]
            assert actual == pytest.approx(expected, abs=tolerance, rel=1e-12), (step, column)
            checked += 1
    assert checked == len(lines) * len(columns)


def test_ex_1_6_stepped():
    names, values = Timeline(FIXTURES / "ex_1_6_stepped_dopesheet.csv").table()
    col = {n: values[:, i] for i, n in enumerate(names)}
    lr = col["lr"]
    for step in (0, 100, 300, 500, 1000, 5000, 6500):
        assert lr[step] == 1e-8
    # One step into each 10-step min-jerk warm-up: 1e-8 + (target - 1e-8)·S(0.1).
    for step, printed, digits in [
        (1, "8.56099e-05", 6),
        (101, "8.56099e-05", 6),
        (301, "8.56099e-05", 6),
        (501, "8.56099e-05", 6),
        (1001, "1.0701e-04", 5),
        (5001, "1.7121e-04", 5),
        (6501, "1.3697e-04", 5),
    ]:
        assert lr[step] == pytest.approx(
            float(printed), abs=printed_tolerance(float(printed), digits)
        )
    assert (lr[10:91] == 0.01).all()
    assert lr[990] == 0.0125 and lr[1010] == 0.0125
    assert lr[10000] == 0.001

    def segments(values, *spans):
        return all((values[a : b + 1] == v).all() for a, b, v in spans)

    end = 10000
    assert segments(col["reg-separate"], (0, 99, 0.0), (100, 299, 0.15), (300, end, 0.0))
    assert segments(
        col["reg-planar"],
        (0, 99, 0.2),
        (100, 299, 0.3),
        (300, 499, 0.2),
        (500, 999, 0.1),
        (1000, end, 0.0),
    )
    assert segments(
        col["reg-norm"], (0, 99, 0.01), (100, 999, 0.25), (1000, 4999, 0.4), (5000, end, 0.25)
    )
    assert segments(col["reg-anchor"], (0, 499, 0.0), (500, end, 0.25))
    assert segments(col["data-hues"], (0, 499, 0.0), (500, 999, 0.5), (1000, end, 1.0))
    assert segments(col["data-vibrancies"], (0, 4999, 0.0), (5000, 6499, 0.5), (6500, end, 1.0))
    assert segments(col["loss-recon"], (0, end, 1.0))
