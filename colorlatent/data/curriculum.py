"""Data curricula: what the data module samples in each phase of the schedule, and where it focuses.

Two mechanisms, both read from the `ScheduleCallback`'s dopesheet at the trainer's global step:

* **Phases.** `data.phases` maps a dopesheet PHASE name to the data settings of that phase
  (`dataset`, `batch_size`, `sampling`, `val_dataset`); keys a phase leaves out, and phases
  without an entry, use the data module's own arguments.
* **Focus.** `data.focus` maps a per-color attribute (`FOCUS_ATTRIBUTES`) to a scheduled column
  f(t) in [0, 1]; sampling probability is p ∝ bias · Π curriculum_scale(attribute, f) (m1-spec §1.4,
  §5.3), e.g. `{vibrancy: data-fraction}` in Ex 1.5 or `{vibrancy: data-vibrancies,
  primary-secondary: data-hues}` in Ex 1.6.

`SAMPLE_WEIGHT` is the reserved label key under which a batch carries per-sample loss weights
(Ex 1.6, m1-spec §3.7) when the data module is asked for them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from torch import Tensor

from colorlatent.color import rgb_to_hsv, vibrancy
from colorlatent.data.weights import curriculum_scale, primary_secondary_focus

SAMPLE_WEIGHT = "_sample_weight"
"""Label key of the per-sample loss weights ω [B] in a training batch's labels dict.

Present only when the data module has `sample_weights: focus`. The leading underscore keeps it
apart from real labels: no label may be named so, and regularizers only read the labels they name.
"""

SAMPLINGS = ("bias", "uniform")


def _primary_secondary(rgb: Tensor) -> Tensor:
    # The hue is recomputed from RGB, so grays (undefined hue) count as red (hue 0). The reference
    # read the HSV cube's hue coordinate instead; the two differ only on gray cells, and in the
    # Ex 1.6 dopesheets those have a vibrancy factor of 0 whenever the hue factor is not 1.
    return primary_secondary_focus(rgb_to_hsv(rgb)[..., 0])


FOCUS_ATTRIBUTES: dict[str, Callable[[Tensor], Tensor]] = {
    "vibrancy": vibrancy,
    "primary-secondary": _primary_secondary,
}
"""Per-color attributes in [0, 1] that `data.focus` can scale: name -> function of RGB [N, 3] -> [N]."""


@dataclass(frozen=True)
class DataSetting:
    """What the data module samples while one phase is active.

    Attributes:
        dataset: Training color set name.
        batch_size: Samples per step (with replacement), or None for the whole set in order.
        sampling: `bias` or `uniform` (see `ColorDataModule`).
        val_dataset: Validation color set name, or None for no validation.
    """

    dataset: str
    batch_size: int | None
    sampling: str
    val_dataset: str | None


PHASE_KEYS = tuple(DataSetting.__dataclass_fields__)


def phase_settings(default: DataSetting, phases: Mapping[str, Mapping[str, Any]] | None) -> dict[str, DataSetting]:
    """The setting of every configured phase: its entry's keys over the default setting.

    Raises:
        ValueError: For an entry that is not a mapping or has a key outside `PHASE_KEYS`; values
            are checked by the data module.
    """
    settings = {}
    for phase, entry in (phases or {}).items():
        if not isinstance(entry, Mapping):
            raise ValueError(f"data.phases.{phase} must be a mapping of {list(PHASE_KEYS)}; got {entry!r}")
        unknown = sorted(set(entry) - set(PHASE_KEYS))
        if unknown:
            raise ValueError(f"data.phases.{phase}: unknown key(s) {unknown}; allowed keys: {list(PHASE_KEYS)}")
        settings[phase] = replace(default, **entry)
    return settings


def check_focus(focus: Mapping[str, str] | None) -> dict[str, str]:
    """`data.focus` as {attribute: column}, with attribute names checked."""
    focus = dict(focus or {})
    for attribute, column in focus.items():
        if attribute not in FOCUS_ATTRIBUTES:
            raise ValueError(f"data.focus: {attribute!r} is not a focus attribute; allowed: {list(FOCUS_ATTRIBUTES)}")
        if not isinstance(column, str) or not column:
            raise ValueError(f"data.focus.{attribute} must name a dopesheet column; got {column!r}")
    return focus


def focus_weights(attributes: Mapping[str, Tensor], focus: Mapping[str, str], values: Mapping[str, float]) -> Tensor:
    """Π over `focus` of curriculum_scale(attribute, value of its column): the focus weight per color.

    Args:
        attributes: {attribute name: its value per color [N]} for every attribute in `focus`.
        focus: {attribute name: dopesheet column}.
        values: The scheduled values at the current step.
    """
    weights = None
    for attribute, column in focus.items():
        scaled = curriculum_scale(attributes[attribute], values[column])
        weights = scaled if weights is None else weights * scaled
    return weights
