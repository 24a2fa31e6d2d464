"""Dopesheet parsing: STEP resolution, headers, phases, keyframes, constructors and errors."""

import io
from pathlib import Path

import pytest
import yaml

from colorlatent.schedule import Dopesheet, DopesheetError, resolve_steps
from colorlatent.schedule.dopesheet import Keyframe, Phase

FIXTURES = Path(__file__).parent / "fixtures"

# The fixture sheet of m1-spec §7 (test_dopesheet.py of the reference).
FIXTURE_CSV = (FIXTURES / "spec_fixture.csv").read_text()


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("0,+0.5,10", [0, 5, 10]),
        ("0,+5,10", [0, 5, 10]),
        ("10,+2,20", [10, 12, 20]),
        ("0,-3,10", [0, 7, 10]),
        ("10,-1,20", [10, 19, 20]),
        ("0,-0.5,10", [0, 5, 10]),
        ("10,-0.2,20", [10, 18, 20]),
        ("0,+2,+0.5,-1,10", [0, 2, 5, 9, 10]),
        # negative results clamp to 0
        ("0,-5,3", [0, 0, 3]),
        ("5,-10,8", [5, 0, 8]),
        # missing anchors
        ("+5,10", [None, 10]),
        ("0,-5", [0, None]),
        ("+0.5,10", [None, 10]),
        ("0,+0.5", [0, None]),
        ("-0.5,10", [None, 10]),
        ("0,-0.5", [0, None]),
        # garbage and fractions outside (0, 1)
        ("0,+abc,10", [0, None, 10]),
        ("0,-xyz,10", [0, None, 10]),
        ("0,-,10", [0, None, 10]),
        ("0,+1.5,10", [0, None, 10]),
        ("0,-1.5,10", [0, None, 10]),
        ("0,+0,10", [0, None, 10]),  # N must be positive
        ("0,+05,10", [0, None, 10]),  # ... without a leading zero
        ("0,,10", [0, None, 10]),
        # a leading -N needs only the next anchor
        ("-5,10", [5, 10]),
        # Python's round is half-to-even: 2.5 → 2; 0.33·750 = 247.5 → 248
        ("0,+0.5,5", [0, 2, 5]),
        ("0,+0.33,750", [0, 248, 750]),
        # relative steps use the anchors around them in file order
        ("0,+50,10,100", [0, 50, 10, 100]),
        (" 7 ,+ 1,+1", [7, None, 8]),
    ],
)
def test_resolve_steps(raw, expected):
    assert resolve_steps(raw.split(",")) == expected


@pytest.fixture
def sheet():
    return Dopesheet.from_csv(FIXTURE_CSV)


def test_fixture_structure(sheet):
    assert [r.step for r in sheet.rows] == [0, 4, 10, 11, 12]
    assert len(sheet) == 13
    assert sheet.props == ["x", "y", "z"]
    assert sheet.phases == [Phase("One", 0, 9), Phase("Two", 10, 10), Phase("Fin", 11, 12)]
    assert {p.name for p in sheet.phases} == {"One", "Two", "Fin"}


def test_fixture_headers(sheet):
    assert [(c.name, c.space, c.interpolator) for c in sheet.columns] == [
        ("x", "log", "minjerk"),
        ("y", "linear", "minjerk"),
        ("z", "linear", "step-end"),
    ]
    assert [c.header for c in sheet.columns] == ["x:log", "y", "z::step-end"]


def test_fixture_frames(sheet):
    assert sheet.keyed_at(0) == {"x": Keyframe(0, 0.01, 10, 0.001), "z": Keyframe(0, 1.0, 4, 2.0)}
    assert sheet.keyed_at(4) == {"y": Keyframe(4, 0.8, 11, 0.0), "z": Keyframe(4, 2.0, 10, 3.0)}
    assert sheet.keyed_at(10) == {
        "x": Keyframe(10, 0.001, None, None),
        "z": Keyframe(10, 3.0, 11, 4.0),
    }
    assert sheet.keyed_at(11) == {
        "y": Keyframe(11, 0.0, None, None),
        "z": Keyframe(11, 4.0, None, None),
    }
    assert sheet.keyed_at(12) == {}
    assert sheet.keyed_at(5) == {}
    assert sheet.actions_at(4) == ("foo",)
    assert sheet.actions_at(0) == sheet.actions_at(5) == ()
    assert sheet.phase_at(10) == Phase("Two", 10, 10)  # both start and end of its phase
    assert sheet.phase_at(9).name == "One"
    assert sheet.phase_at(12).name == "Fin"
    assert sheet.phase_at(50).name == "Fin"  # past the end: the last phase


def test_fixture_keyframes(sheet):
    assert sheet.keyframes("y") == [Keyframe(4, 0.8, 11, 0.0), Keyframe(11, 0.0, None, None)]


def test_header_forms():
    sheet = Dopesheet.from_csv("STEP,a,b:log,c::linear,d:log:step,e:,f::\n0,1,1,1,1,1,1\n")
    assert [(c.name, c.space, c.interpolator) for c in sheet.columns] == [
        ("a", "linear", "minjerk"),
        ("b", "log", "minjerk"),
        ("c", "linear", "linear"),
        ("d", "log", "step"),
        ("e", "linear", "minjerk"),
        ("f", "linear", "minjerk"),
    ]


def test_no_phase_column_is_one_unnamed_phase():
    sheet = Dopesheet.from_csv("STEP,a\n0,1\n5,2\n")
    assert sheet.phases == [Phase("", 0, 5)]


def test_steps_before_first_phase_row():
    sheet = Dopesheet.from_csv("STEP,PHASE,a\n0,,1\n3,A,2\n5,,3\n")
    assert sheet.phases == [Phase("", 0, 2), Phase("A", 3, 5)]
    # A first row after step 0 extends its phase back to step 0.
    assert Dopesheet.from_csv("STEP,PHASE,a\n2,A,1\n5,B,2\n").phases == [
        Phase("A", 0, 4),
        Phase("B", 5, 5),
    ]


def test_multiple_actions():
    sheet = Dopesheet.from_csv('STEP,ACTION,a\n0,"anchor, snap",1\n')
    assert sheet.actions_at(0) == ("anchor", "snap")


def test_rows_sorted_by_resolved_step():
    sheet = Dopesheet.from_csv("STEP,a\n10,1\n0,2\n+5,3\n")  # +5 follows the anchor 0 in file order
    assert [(r.step, r.values["a"]) for r in sheet.rows] == [(0, 2.0), (5, 3.0), (10, 1.0)]


@pytest.mark.parametrize(
    "name, steps, phases",
    [
        ("ex_1_7", [0, 10, 500, 2500, 3500, 5000, 7500, 10000], [("Train", 0, 10000)]),
        (
            "ex_1_5",
            [0, 1200, 1800, 3000, 3350, 6500, 8600, 10000, 10500, 13000, 20000],
            [
                ("Primary & secondary", 0, 2999),
                ("All hues", 3000, 9999),
                ("Full color space", 10000, 20000),
            ],
        ),
        (
            "ex_1_6_smooth",
            [0, 10, 200, 300, 499, 500, 950, 1400, 4999, 5000, 5010, 6500, 7500, 10000],
            [
                ("Primary & secondary", 0, 499),
                ("All hues", 500, 4999),
                ("Full color space", 5000, 10000),
            ],
        ),
        (
            "ex_1_6_stepped",
            [0, 10, 90, 100, 110, 290, 300, 310, 490, 500, 510, 990, 1000, 1010, 4990, 5000]
            + [5010, 6490, 6500, 6510, 10000],
            [("Primary & secondary", 0, 99), ("Primary & secondary", 100, 299)]
            + [("Primary & secondary", 300, 499), ("All hues", 500, 999), ("All hues", 1000, 4999)]
            + [("Full color space", 5000, 6499), ("Full color space", 6500, 10000)],
        ),
    ],
)
def test_m1_dopesheets(name, steps, phases):
    sheet = Dopesheet.from_csv(FIXTURES / f"{name}_dopesheet.csv")
    assert [r.step for r in sheet.rows] == steps
    assert len(sheet) == steps[-1] + 1
    assert sheet.phases == [Phase(*p) for p in phases]


def test_from_csv_sources(tmp_path, sheet):
    path = tmp_path / "sheet.csv"
    path.write_text(FIXTURE_CSV)
    for source in (path, str(path), io.StringIO(FIXTURE_CSV)):
        assert Dopesheet.from_csv(source).to_rows() == sheet.to_rows()


def test_from_rows():
    sheet = Dopesheet.from_rows(
        [
            {"STEP": 0, "PHASE": "Train", "lr": 1.0e-8, "w:log": "0.5"},
            {"STEP": "+10", "lr": 0.01, "ACTION": None},
            {"STEP": -5, "w:log": 2},  # an int is read like its text: -5 is relative
            {"STEP": "100", "lr": None},
        ]
    )
    assert [r.step for r in sheet.rows] == [0, 10, 95, 100]
    assert sheet.props == ["lr", "w"]
    assert sheet.keyframes("w") == [Keyframe(0, 0.5, 95, 2.0), Keyframe(95, 2.0, None, None)]
    assert len(sheet) == 101


def test_load_dispatch(tmp_path, sheet):
    rows = sheet.to_rows()
    path = tmp_path / "sheet.csv"
    path.write_text(FIXTURE_CSV)
    assert Dopesheet.load(sheet) is sheet
    for source in (path, str(path), FIXTURE_CSV, rows, {"rows": rows}):
        assert Dopesheet.load(source).to_rows() == rows
    with pytest.raises(DopesheetError, match="int"):
        Dopesheet.load(3)


def test_to_rows_round_trips_through_yaml(sheet):
    rows = sheet.to_rows()
    assert rows[1] == {
        "STEP": 4,
        "PHASE": None,
        "ACTION": "foo",
        "x:log": None,
        "y": 0.8,
        "z::step-end": 2.0,
    }
    reloaded = Dopesheet.from_rows(yaml.safe_load(yaml.safe_dump(rows)))
    assert reloaded.to_rows() == rows
    assert [(c.name, c.space, c.interpolator) for c in reloaded.columns] == [
        (c.name, c.space, c.interpolator) for c in sheet.columns
    ]


def test_to_csv_round_trips():
    sheet = Dopesheet.from_csv(FIXTURES / "ex_1_5_dopesheet.csv")
    text = sheet.to_csv()
    header = "STEP,PHASE,ACTION,lr,loss-recon,reg-separate,reg-planar,reg-norm,reg-anchor"
    assert text.splitlines()[0] == header + ",data-fraction"
    assert text.splitlines()[5] == "3350,,,0.01,,,,,,"
    assert Dopesheet.from_csv(text).to_rows() == sheet.to_rows()
    multi = Dopesheet.from_csv('STEP,ACTION,a\n0,"anchor,snap",1e-8\n')
    assert Dopesheet.from_csv(multi.to_csv()).to_rows() == multi.to_rows()


def test_blank_lines_and_trailing_empty_cells_are_ignored():
    sheet = Dopesheet.from_csv("STEP,a\n0,1,,\n\n,\n5,2\n")
    assert [r.step for r in sheet.rows] == [0, 5]


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "csv_text, fragments",
    [
        ("STEP,a::cubic\n0,1\n", ["'a::cubic'", "'cubic'", "minjerk", "step-end"]),
        ("STEP,a:sqrt\n0,1\n", ["'a:sqrt'", "'sqrt'", "linear", "log"]),
        ("STEP,a:log:linear:x\n0,1\n", ["'a:log:linear:x'"]),
        ("STEP,:log\n0,1\n", ["':log'"]),
        ("STEP,a,a:log\n0,1,1\n", ["duplicate", "'a'"]),
        ("STEP,a\n0,1\n+abc,2\n", ["row 2", "'+abc'", "absolute step"]),
        ("STEP,a\n0,1\n+1.5,2\n10,3\n", ["row 2", "'+1.5'", "0 < F < 1"]),
        ("STEP,a\n0,1\n-5,2\n", ["row 2", "'-5'"]),
        ("STEP,a\n0,1\n,2\n", ["row 2", "''"]),
        ("PHASE,a\nOne,1\n", ["missing STEP", "PHASE"]),
        ("STEP,a\n0,1\n5,abc\n", ["row 2", "'a'", "'abc'", "number"]),
        ("STEP,a\n0,nan\n", ["row 1", "'nan'"]),
        ("STEP,a\n", ["no rows"]),
        ("", ["no header"]),
        ("STEP,a\n0,1,2\n", ["row 1", "3 cells", "header has 2"]),
        ("STEP,a\n0,1\n5,2\n5,3\n", ["rows 2 (STEP '5') and 3 (STEP '5')", "step 5"]),
    ],
)
def test_errors(csv_text, fragments):
    with pytest.raises(DopesheetError) as error:
        Dopesheet.from_csv(io.StringIO(csv_text))
    for fragment in fragments:
        assert fragment in str(error.value)


def test_errors_are_value_errors():
    assert issubclass(DopesheetError, ValueError)


def test_row_form_errors():
    with pytest.raises(DopesheetError, match=r"row 2: cannot resolve STEP 0\.5.*quote"):
        Dopesheet.from_rows([{"STEP": 0, "a": 1}, {"STEP": 0.5, "a": 2}])  # YAML read `+0.5` as 0.5
    with pytest.raises(DopesheetError, match=r"row 1, column 'a'.*True"):
        Dopesheet.from_rows([{"STEP": 0, "a": True}])
    with pytest.raises(DopesheetError, match="no rows"):
        Dopesheet.from_rows([])
    with pytest.raises(DopesheetError, match="row 1: expected a mapping"):
        Dopesheet.from_rows(["0,1"])


def test_machinery_dopesheet_duplicate_step():
    # docs/machinery-dopesheet.csv: with anchors 0 and 100, `+10` and `+0.1` both land on step 10.
    text = (
        "STEP,PHASE,ACTION,lr,reg-separate,reg-planar,reg-norm,reg-norm-v,reg-polar\n"
        "0,Train,,1e-8,0.001,0.02,0.01,0.02,\n"
        "+10,,,0.01,,,,,\n"
        "+0.1,,,,0.02,,,,\n"
        "+0.5,,,,0.01,0.08,,,\n"
        "+0.7,,,,,,,,\n"
        "100,,,0.01,0.001,0.02,0.2,,6e-3\n"
        "+0.5,,,,,,,,2e-4\n"
        "200,,,0.005,,,,,\n"
    )
    with pytest.raises(
        DopesheetError,
        match=r"rows 2 \(STEP '\+10'\) and 3 \(STEP '\+0\.1'\) both resolve to step 10",
    ):
        Dopesheet.from_csv(text)
