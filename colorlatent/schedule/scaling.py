"""Time-compressed copies of a schedule, for smoke runs that still pass every phase and action."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from .dopesheet import Dopesheet, DopesheetError

_OFFSET = re.compile(r"[+-]\d+")  # a relative step given in steps (a fraction has a point)


def scale_dopesheet(rows: Sequence[Mapping[str, Any]], factor: float) -> list[dict[str, Any]]:
    """The YAML-form rows with every step count multiplied by `factor`.

    Absolute STEPs are scaled and rounded; relative offsets in steps (`"+10"`, `"-10"`) too, to
    at least one step; fractions (`"+0.4"`) are left as written, as they keep their place
    between the scaled anchors.

    Raises:
        ValueError: If `factor` is not positive or the scaled sheet is not valid (e.g. two rows
            on one step).
    """
    if not factor > 0:
        raise ValueError(f"factor must be positive; got {factor!r}")
    scaled = []
    for row in rows:
        row = dict(row)
        step = row.get("STEP")
        if isinstance(step, int) and not isinstance(step, bool):
            row["STEP"] = round(step * factor)
        elif isinstance(step, str) and _OFFSET.fullmatch(step.strip()):
            sign, count = step.strip()[0], int(step.strip()[1:])
            row["STEP"] = f"{sign}{max(1, round(count * factor))}"
        scaled.append(row)
    try:
        Dopesheet.from_rows(scaled)
    except DopesheetError as error:
        raise ValueError(f"factor {factor} breaks the dopesheet ({error}); use a larger factor") from None
    return scaled


def compressed_config(config: Path, factor: float, path: Path) -> Path:
    """Write to `path` a copy of the experiment `config` whose ScheduleCallback dopesheet is scaled by `factor`.

    Everything else is unchanged; give the shorter `trainer.max_steps` as an override. The file
    must outlive the call that trains from it (a stacked sweep reads it again later).
    """
    data = yaml.safe_load(Path(config).read_text())
    schedules = [cb for cb in data.get("trainer", {}).get("callbacks", [])
                 if str(cb.get("class_path", "")).endswith("ScheduleCallback")]
    if len(schedules) != 1 or not isinstance(schedules[0].get("init_args", {}).get("dopesheet"), list):
        raise ValueError(f"{config}: expected one ScheduleCallback with an inline dopesheet (a list of rows)")
    init_args = schedules[0]["init_args"]
    init_args["dopesheet"] = scale_dopesheet(init_args["dopesheet"], factor)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written whole under a private name, then renamed: processes of a sweep may write it at once.
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(yaml.safe_dump(data, sort_keys=False))
    os.replace(partial, path)
    return path
