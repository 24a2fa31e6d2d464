"""Dopesheets: tables of keyframes that schedule hyperparameters over training steps.

A dopesheet has one row per keyed moment and these columns:

* ``STEP`` (required): when the row happens. A non-negative integer is an *anchor*; ``+N`` / ``-N``
  is N steps after the previous / before the next anchor row; ``+F`` / ``-F`` (0 < F < 1) is the
  fraction F of the way from the previous anchor / back from the next one, rounded with Python's
  ``round``. Results below 0 are clamped to 0.
* ``PHASE``: a non-empty cell starts a new phase (names may repeat) that lasts until the next one.
* ``ACTION``: comma-separated event names fired at that step.
* every other column is a numeric *prop* with header ``name``, ``name:space``, ``name::interp`` or
  ``name:space:interp`` (space ``linear`` | ``log``, interp ``minjerk`` | ``linear`` | ``step-end``
  | ``step``). An empty cell means "no keyframe here".

Rows are sorted by their resolved step; the sheet lasts ``max(step) + 1`` steps.

Unlike the reference implementation, which guesses its way past mistakes (unknown interpolators
become minjerk, unresolvable steps become NA, duplicate steps hide a row), every malformed sheet
raises :class:`DopesheetError`: a typo in a schedule should stop a run, not silently change it.
"""

import bisect
import contextlib
import csv
import io
import itertools
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from colorlatent.schedule.easing import INTERPOLATORS

RESERVED = ("STEP", "PHASE", "ACTION")
SPACES = ("linear", "log")

_ANCHOR = re.compile(r"\d+")
_OFFSET = re.compile(r"([+-])([1-9]\d*)")
_FRACTION = re.compile(r"([+-])(\d*\.\d+)")
_HEADER = re.compile(r"([^:]*)(?::([^:]*))?(?::([^:]*))?")

_STEP_FORMS = (
    "expected an absolute step like '100', '+N'/'-N' (N steps after the previous / before the "
    "next absolute row) or '+F'/'-F' with 0 < F < 1 (a fraction of the span between the two "
    "absolute rows around it, which must both exist); in YAML, quote relative steps"
)


class DopesheetError(ValueError):
    """A dopesheet is malformed; the message names the offending row or column and value."""


class PropColumn(NamedTuple):
    """A prop column: its header as written and what the header means."""

    header: str
    name: str
    space: str
    interpolator: str


class Row(NamedTuple):
    """A parsed row: resolved step, phase name (None if empty), actions and keyed prop values."""

    step: int
    phase: str | None
    actions: tuple[str, ...]
    values: dict[str, float]


class Keyframe(NamedTuple):
    """A keyed value of one prop, with the prop's next keyframe (None after the last one)."""

    step: int
    value: float
    next_step: int | None
    next_value: float | None


class Phase(NamedTuple):
    """One phase instance, covering steps ``start`` to ``end`` inclusive."""

    name: str
    start: int
    end: int


def resolve_steps(raw: Sequence[str]) -> list[int | None]:
    """Resolve STEP cells (in file order) to step numbers.

    Args:
        raw: STEP cells as text, in the order the rows appear.

    Returns:
        The step of each row, or None where the cell is malformed, a fraction is outside (0, 1),
        or an anchor that a relative step needs is missing.
    """
    texts = [text.strip() for text in raw]
    anchors = [int(text) if _ANCHOR.fullmatch(text) else None for text in texts]
    resolved = []
    for i, text in enumerate(texts):
        previous = next((a for a in reversed(anchors[:i]) if a is not None), None)
        following = next((a for a in anchors[i + 1 :] if a is not None), None)
        resolved.append(_resolve_step(text, anchors[i], previous, following))
    return resolved


def _resolve_step(text: str, anchor: int | None, previous: int | None, following: int | None):
    if anchor is not None:
        return anchor
    if match := _OFFSET.fullmatch(text):
        sign, n = match[1], int(match[2])
        if sign == "+":
            return None if previous is None else previous + n
        return None if following is None else max(0, following - n)
    if match := _FRACTION.fullmatch(text):
        sign, fraction = match[1], float(match[2])
        if not 0 < fraction < 1 or previous is None or following is None:
            return None
        span = following - previous
        step = (
            round(previous + fraction * span) if sign == "+" else round(following - fraction * span)
        )
        return max(0, step)
    return None


def _parse_header(header: str) -> PropColumn:
    if not isinstance(header, str):
        raise DopesheetError(f"column {header!r}: column names must be text")
    match = _HEADER.fullmatch(header)
    if not match or not match[1]:
        raise DopesheetError(
            f"column {header!r}: expected a prop header 'name', 'name:space', 'name::interpolator' "
            "or 'name:space:interpolator'"
        )
    name, space, interpolator = match[1], match[2] or "linear", match[3] or "minjerk"
    if space not in SPACES:
        raise DopesheetError(
            f"column {header!r}: unknown space {space!r}; expected one of {list(SPACES)}"
        )
    if interpolator not in INTERPOLATORS:
        raise DopesheetError(
            f"column {header!r}: unknown interpolator {interpolator!r}; "
            f"expected one of {list(INTERPOLATORS)}"
        )
    return PropColumn(header, name, space, interpolator)


def _text(cell: Any) -> str:
    return "" if cell is None else str(cell).strip()


def _number(cell: Any, row: int, header: str) -> float | None:
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return None
    value = math.nan
    if not isinstance(cell, bool):  # bool is an int subclass: a YAML `yes` must not become 1.0
        with contextlib.suppress(TypeError, ValueError):
            value = float(cell)
    if not math.isfinite(value):
        raise DopesheetError(
            f"row {row}, column {header!r}: expected a finite number, got {cell!r}"
        )
    return value


def _csv_cell(cell: Any) -> str:
    if cell is None:
        return ""
    return repr(cell) if isinstance(cell, float) else str(cell)  # repr: shortest exact float text


class Dopesheet:
    """A parsed, validated dopesheet.

    Rows are numbered from 1 in error messages, in the order given (the header is not counted).

    Args:
        header: Column names, including ``STEP`` and optionally ``PHASE`` and ``ACTION``.
        records: One mapping per row from column name to cell; a missing key, None or a blank
            string is an empty cell. Cells may be text or numbers.

    Raises:
        DopesheetError: If the sheet is empty or malformed (see the module docstring).
    """

    def __init__(self, header: Sequence[str], records: Sequence[Mapping[str, Any]]):
        if not records:
            raise DopesheetError("dopesheet has no rows")
        if "STEP" not in header:
            raise DopesheetError(f"missing STEP column; columns are {list(header)}")
        self.columns = [_parse_header(h) for h in header if h not in RESERVED]
        names = [h for h in header if h in RESERVED] + [c.name for c in self.columns]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise DopesheetError(f"duplicate columns {duplicates}; columns are {list(header)}")

        raw_steps = [_text(r.get("STEP")) for r in records]
        rows = []
        for number, (record, step) in enumerate(
            zip(records, resolve_steps(raw_steps), strict=True), 1
        ):
            if step is None:
                raise DopesheetError(
                    f"row {number}: cannot resolve STEP {record.get('STEP')!r}; {_STEP_FORMS}"
                )
            values = {c.name: _number(record.get(c.header), number, c.header) for c in self.columns}
            actions = tuple(a.strip() for a in _text(record.get("ACTION")).split(",") if a.strip())
            phase = _text(record.get("PHASE")) or None
            rows.append(
                Row(step, phase, actions, {k: v for k, v in values.items() if v is not None})
            )

        order = sorted(range(len(rows)), key=lambda i: rows[i].step)  # stable: ties keep file order
        for a, b in itertools.pairwise(order):
            if rows[a].step == rows[b].step:
                raise DopesheetError(
                    f"rows {a + 1} (STEP {raw_steps[a]!r}) and {b + 1} (STEP {raw_steps[b]!r}) "
                    f"both resolve to step {rows[a].step}; each step may have only one row"
                )
        self.rows = tuple(rows[i] for i in order)
        self._length = self.rows[-1].step + 1
        self._keyframes = {c.name: self._collect_keyframes(c.name) for c in self.columns}
        self._keyed: dict[int, dict[str, Keyframe]] = {}
        for name, keyframes in self._keyframes.items():
            for keyframe in keyframes:
                self._keyed.setdefault(keyframe.step, {})[name] = keyframe
        self.phases = self._collect_phases()
        self._phase_starts = [p.start for p in self.phases]

    def _collect_keyframes(self, name: str) -> list[Keyframe]:
        keyed = [(r.step, r.values[name]) for r in self.rows if name in r.values]
        if not keyed:  # a column with no values at all has no keyframes (it holds 0)
            return []
        following = [*keyed[1:], (None, None)]
        return [Keyframe(*key, *nxt) for key, nxt in zip(keyed, following, strict=True)]

    def _collect_phases(self) -> list[Phase]:
        starts = [(r.phase, r.step) for r in self.rows if r.phase]
        # Steps before the first row belong to its phase; if the first row names no phase,
        # they (and any other steps before the first PHASE row) form an unnamed phase "".
        if self.rows[0].phase:
            starts[0] = (starts[0][0], 0)
        else:
            starts.insert(0, ("", 0))
        ends = [start - 1 for _, start in starts[1:]] + [self._length - 1]
        return [Phase(name, start, end) for (name, start), end in zip(starts, ends, strict=True)]

    # --- construction -------------------------------------------------------------------------

    @classmethod
    def from_csv(cls, source: "str | Path | io.TextIOBase") -> "Dopesheet":
        """Parse CSV: a path, a text stream, or a string of CSV text (recognised by a newline).

        Rows whose cells are all blank are skipped.

        Args:
            source: Where to read the CSV from.

        Returns:
            The parsed dopesheet.
        """
        if hasattr(source, "read"):
            text = source.read()
        elif isinstance(source, str) and "\n" in source:
            text = source
        else:
            text = Path(source).read_text()
        try:
            # newline="" as the csv module asks, so a lone "\r" ends a line instead of an error
            lines = [line for line in csv.reader(io.StringIO(text, newline="")) if any(c.strip() for c in line)]
        except csv.Error as error:
            raise DopesheetError(f"dopesheet is not valid CSV: {error}") from None
        if not lines:
            raise DopesheetError("dopesheet has no header")
        header = [h.strip() for h in lines[0]]
        records = []
        for number, cells in enumerate(lines[1:], 1):
            if any(c.strip() for c in cells[len(header) :]):
                raise DopesheetError(
                    f"row {number} has {len(cells)} cells but the header has {len(header)}"
                )
            records.append(dict(zip(header, cells[: len(header)], strict=False)))
        return cls(header, records)

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, Any]]) -> "Dopesheet":
        """Build from row mappings (the YAML form); columns are ordered by first appearance.

        Note that YAML reads an unquoted ``+10`` as the integer 10 (an absolute step): relative
        steps must be quoted strings.

        Args:
            rows: One mapping per row from ``STEP`` / ``PHASE`` / ``ACTION`` / prop header to cell.

        Returns:
            The parsed dopesheet.
        """
        header: dict[str, None] = {}
        for number, row in enumerate(rows, 1):
            if not isinstance(row, Mapping):
                raise DopesheetError(
                    f"row {number}: expected a mapping of column to cell, got {row!r}"
                )
            header.update(dict.fromkeys(row))
        return cls(list(header), rows)

    @classmethod
    def load(cls, source: Any) -> "Dopesheet":
        """Build a dopesheet from whichever form it was given in.

        Args:
            source: A Dopesheet (returned as is), a CSV path or CSV text, a list of row mappings,
                or a mapping with a ``rows`` key holding such a list.

        Returns:
            The dopesheet.
        """
        if isinstance(source, Dopesheet):
            return source
        if isinstance(source, (str, Path)) or hasattr(source, "read"):
            return cls.from_csv(source)
        if isinstance(source, Mapping) and "rows" in source:
            return cls.from_rows(source["rows"])
        if isinstance(source, Sequence):
            return cls.from_rows(source)
        raise DopesheetError(
            f"cannot load a dopesheet from {type(source).__name__}; expected a CSV path or text, "
            "a list of rows, or a mapping with a 'rows' key"
        )

    # --- export -------------------------------------------------------------------------------

    def to_rows(self) -> list[dict[str, Any]]:
        """Rows as plain mappings (resolved integer steps, every column present, None if empty).

        Steps are written resolved because relative steps depend on the original row order.
        ``Dopesheet.from_rows(sheet.to_rows())`` reproduces the sheet.
        """
        return [
            {
                "STEP": row.step,
                "PHASE": row.phase,
                "ACTION": ",".join(row.actions) or None,
                **{c.header: row.values.get(c.name) for c in self.columns},
            }
            for row in self.rows
        ]

    def to_csv(self) -> str:
        """The sheet as CSV text (resolved steps), readable by :meth:`from_csv`."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([*RESERVED, *(c.header for c in self.columns)])
        for row in self.to_rows():
            writer.writerow([_csv_cell(cell) for cell in row.values()])
        return buffer.getvalue()

    # --- queries ------------------------------------------------------------------------------

    def __len__(self) -> int:
        """Number of steps: the last row's step + 1."""
        return self._length

    def __repr__(self) -> str:
        return f"Dopesheet(steps={len(self)}, rows={len(self.rows)}, props={self.props})"

    @property
    def props(self) -> list[str]:
        """Bare prop names, in column order."""
        return [c.name for c in self.columns]

    def keyframes(self, prop: str) -> list[Keyframe]:
        """Keyframes of one prop, in step order."""
        return self._keyframes[prop]

    def keyed_at(self, step: int) -> dict[str, Keyframe]:
        """Keyframes at exactly ``step``, by prop name."""
        return self._keyed.get(step, {})

    def actions_at(self, step: int) -> tuple[str, ...]:
        """Actions fired at exactly ``step``."""
        row = self._row_at(step)
        return row.actions if row else ()

    def phase_at(self, step: int) -> Phase:
        """The phase instance containing ``step``; steps past the end belong to the last phase."""
        if step < 0:
            raise IndexError(f"step must be non-negative, got {step}")
        return self.phases[bisect.bisect_right(self._phase_starts, step) - 1]

    def _row_at(self, step: int) -> Row | None:
        i = bisect.bisect_left(self.rows, step, key=lambda r: r.step)
        return self.rows[i] if i < len(self.rows) and self.rows[i].step == step else None
