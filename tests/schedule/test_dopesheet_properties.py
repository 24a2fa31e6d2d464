"""Property tests: whatever text or table the dopesheet parser is given, it parses it or raises DopesheetError.

Never another exception: a typo in a schedule must produce the project's own message (naming
the row, column and value), not a TypeError from deep inside the parser.
"""

from __future__ import annotations

import csv
import io
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from colorlatent.schedule import Dopesheet, DopesheetError

# derandomize: the same examples on every run, so CI cannot fail by the luck of the draw
SETTINGS = settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])

# Pieces a real sheet is made of, plus near misses, so that examples reach the deeper checks.
HEADERS = st.one_of(
    st.sampled_from(["STEP", "PHASE", "ACTION", "lr", "lr:log", "reg-norm", "reg-norm::step-end",
                     "reg-norm:log:linear", "x:exp", "x::cubic", "a:b:c:d", ":log", "", " lr ", "STEP"]),
    st.text(alphabet="abc:-_ ", max_size=8),
)
STEP_TEXT = st.one_of(
    st.integers(-5, 10**7).map(str), st.integers(1, 50).map(lambda n: f"+{n}"), st.integers(1, 50).map(lambda n: f"-{n}"),
    st.floats(-1.5, 1.5).map(lambda f: f"{f:+.2f}"), st.sampled_from(["", " 7 ", "+0", "-0.0", "1e3", "+.5", "x"]),
)
CELL_TEXT = st.one_of(
    STEP_TEXT, st.floats(allow_nan=True, allow_infinity=True).map(repr), st.text(max_size=6),
    st.sampled_from(["", "nan", "inf", "-inf", "1e400", "True", "a,b", " Train "]),
)
CELL_VALUE = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**20), 10**20), st.floats(allow_nan=True, allow_infinity=True),
    CELL_TEXT, st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
)
KEY = st.one_of(HEADERS, st.integers(-2, 2), st.none(), st.booleans())


def parses_or_rejects(build) -> None:
    try:
        sheet = build()
    except DopesheetError:
        return
    # A parsed sheet is consistent: its length covers every row, and it survives a round trip.
    assert len(sheet) == sheet.rows[-1].step + 1 and all(row.step >= 0 for row in sheet.rows)
    assert all(math.isfinite(v) for row in sheet.rows for v in row.values.values())
    again = Dopesheet.from_rows(sheet.to_rows())
    assert again.to_rows() == sheet.to_rows()
    assert Dopesheet.from_csv(io.StringIO(sheet.to_csv())).to_rows() == sheet.to_rows()


@SETTINGS
@given(st.text())
def test_any_text_parses_or_raises_the_dopesheet_error(text):
    parses_or_rejects(lambda: Dopesheet.from_csv(io.StringIO(text)))


@SETTINGS
@given(st.lists(HEADERS, min_size=1, max_size=5), st.lists(st.lists(CELL_TEXT, max_size=6), max_size=6))
def test_any_csv_table_parses_or_raises_the_dopesheet_error(header, rows):
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    parses_or_rejects(lambda: Dopesheet.from_csv(io.StringIO(buffer.getvalue())))


@SETTINGS
@given(st.lists(st.one_of(st.dictionaries(KEY, CELL_VALUE, max_size=5),
                          st.fixed_dictionaries({"STEP": STEP_TEXT}, optional={"lr": CELL_VALUE, "PHASE": CELL_VALUE,
                                                                            "ACTION": CELL_VALUE, "w::linear": CELL_VALUE}),
                          CELL_VALUE), max_size=6))
def test_any_yaml_rows_parse_or_raise_the_dopesheet_error(rows):
    parses_or_rejects(lambda: Dopesheet.load(rows))


def test_a_column_without_any_value_holds_zero():
    # found by the YAML-rows property above: an all-empty column used to crash keyframe collection
    sheet = Dopesheet.load([{"STEP": "0", "lr": None}, {"STEP": 5, "x": 1.0}])
    assert sheet.keyframes("lr") == []
