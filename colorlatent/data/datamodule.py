"""LightningDataModule that samples color batches on the model's device with tensor ops.

The DataLoader only yields tiny `BatchRequest` tokens; the real batch is drawn in
`on_after_batch_transfer`, i.e. after Lightning has moved the token to the device, from colors
already resident there. No per-sample Python, no collation, no host-to-device copy per step.
Drawing there also means the trainer's global step is the step the batch is for, so a data
curriculum (`colorlatent.data.curriculum`) can follow the schedule exactly.
"""

from __future__ import annotations

import math
import warnings
from typing import Literal, NamedTuple

import lightning as L
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from ..schedule.callback import ScheduleCallback
from .curriculum import (FOCUS_ATTRIBUTES, SAMPLE_WEIGHT, SAMPLINGS, DataSetting, check_focus, focus_weights,
                         phase_settings)
from .datasets import ColorSet, make_dataset
from .labels import draw_labels, label_probabilities, parse_labels

Batch = tuple[torch.Tensor, dict[str, torch.Tensor]]


class BatchRequest(NamedTuple):
    """What the DataLoader yields: which split, and the batch's index within the epoch.

    A NamedTuple because Lightning's device transfer walks it cheaply and leaves it intact.
    """

    split: Literal["train", "val"]
    index: int


class _Requests(Dataset):
    def __init__(self, split: str, n: int):
        self.split, self.n = split, n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> BatchRequest:
        return BatchRequest(self.split, i)


class _Positions(Sampler[int]):
    """Token indices 0..n-1; the first pass after a resume starts where the checkpoint stopped."""

    def __init__(self, n: int):
        self.n, self.start = n, 0

    def __len__(self) -> int:
        return self.n  # a whole epoch: Lightning counts the batches it already ran itself

    def __iter__(self):
        start, self.start = self.start, 0
        return iter(range(start, self.n))


class _ResumableLoader(DataLoader):
    """The training token loader, resumable mid-epoch.

    Lightning stores a loader's `state_dict` in the checkpoint and, on resume, loads it before
    iterating. Without it the resumed epoch would restart at token 0: the index of the ragged
    last batch (`samples_per_epoch`) and every epoch boundary after it would shift.
    """

    def __init__(self, datamodule: "ColorDataModule"):
        self._positions = _Positions(datamodule.steps_per_epoch)
        self._datamodule = datamodule
        super().__init__(_Requests("train", datamodule.steps_per_epoch), batch_size=None, sampler=self._positions,
                         generator=_quiet_generator())

    def state_dict(self) -> dict[str, int]:
        return {"next_index": self._datamodule._next_index}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self._positions.start = self._datamodule._next_index = state["next_index"]


def _quiet_generator() -> torch.Generator:
    """A generator for a token DataLoader, which draws a seed from it for every new iterator.

    Without one, that draw would come from torch's global generator at every epoch and every
    validation, so the global random stream would depend on when a run was resumed.
    """
    return torch.Generator()


def _check_count(field: str, value: object, alternative: str) -> None:
    """A positive integer (bools are ints to Python, but `true` as a batch size is a mistake)."""
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value <= 0):
        raise ValueError(f"data.{field} must be a positive integer {alternative}; got {value!r}")


def _check_sampling(field: str, value: object) -> None:
    if value not in SAMPLINGS:
        raise ValueError(f"data.{field}={value!r} is not allowed; allowed: {list(SAMPLINGS)}")


def _dataset(field: str, name: str) -> ColorSet:
    try:
        return make_dataset(name)
    except ValueError as error:
        raise ValueError(f"data.{field}: {error}") from None


class _Resident(NamedTuple):
    """A color set on the sampling device, with what sampling needs computed once."""

    rgb: torch.Tensor  # [N, 3]
    bias: torch.Tensor  # [N]
    probs: dict[str, torch.Tensor]  # label probabilities, {name: [N]}
    attributes: dict[str, torch.Tensor]  # the focus attributes, {name: [N]}


class ColorDataModule(L.LightningDataModule):
    """Colors for training and validation, with stochastic sparse labels drawn per batch.

    A data curriculum can change what is sampled while training runs, following the trainer's
    `ScheduleCallback` at the global step of the batch being drawn: `phases` switches data set,
    batch size, sampling and validation set when the dopesheet's PHASE changes, and `focus`
    reweights sampling by scheduled columns (see `colorlatent.data.curriculum`). Both take effect
    at the step whose schedule value changed: the reference notebooks of Ex 1.5/1.6 applied new
    focus weights one step late (m1-spec §1.5, §8.8), an artifact of fetching the batch before
    updating the sampler; here the batch is drawn after the step is known, and a one-step shift
    of a data column changes nothing one could measure, while a stepped (`::step-end`) data
    column then switches exactly with the phase and the other columns of its row.

    Args:
        dataset: Training color set (see `colorlatent.data.DATASETS`), e.g. `hsv-cube`.
        batch_size: Samples per step, drawn with replacement. None trains full-batch: every
            step sees the whole data set once, in order.
        sampling: `bias` draws points with probability proportional to the data set's sampling
            bias (uniform for RGB grids); `uniform` ignores the bias.
        samples_per_epoch: Reproduce torch's `WeightedRandomSampler(num_samples=...)` with
            `drop_last=False`: an epoch is ceil(samples / batch_size) steps and its last batch
            holds the remainder (3600 = 56 x 64 + 16 in experiment 1.7). None: every batch is full.
        steps_per_epoch: Steps per epoch when `samples_per_epoch` is None (default: enough to
            visit the data set once, or 100 in full-batch mode).
        labels: Labels to draw for each batch, `{name: scale}` or `{name: {scale, power,
            attribute}}`; e.g. `{red: 0.5, vibrant: 0.5}` gives P(red) = redness^10 * 0.5 and
            P(vibrant) = vibrancy^100 * 0.5, freshly drawn every batch.
        soft_labels: Use the label probabilities themselves instead of hard 0/1 draws.
        val_dataset: Validation color set (one batch, exact label probabilities); None for none.
        seed: Seed of the batch and label stream; None derives it from torch's seed at setup, so
            `seed_everything` fixes it too.
        phases: Data settings per dopesheet phase, `{phase name: {dataset, batch_size, sampling,
            val_dataset}}`; keys left out, and phases not listed, use the arguments above. E.g.
            `{"All hues": {dataset: hsv-cube, batch_size: 256, val_dataset: rgb-10}}`. A phase's
            validation set is used for validations after its steps. Needs a ScheduleCallback;
            names must be phases of its dopesheet.
        focus: Scheduled sampling focus, `{attribute: dopesheet column}` with attributes
            `vibrancy` (S * V) and `primary-secondary` (closeness of the hue to a multiple of
            60 degrees): p ∝ bias * prod curriculum_scale(attribute, column value), or without the
            bias under `uniform` sampling (m1-spec §1.4). If every weight is 0 (sum <= 1e-9),
            sampling falls back to uniform with a warning. Full-batch phases ignore it.
        sample_weights: `focus` adds per-sample loss weights to every training batch, as the
            label `_sample_weight` (`colorlatent.data.curriculum.SAMPLE_WEIGHT`): in sampled
            phases w_i = focus weight of sample i / sum of the batch's focus weights (sums to 1),
            in full-batch phases w_i = 1 (Ex 1.6, m1-spec §3.7). None: no such label.
    """

    def __init__(
        self,
        dataset: str = "hsv-cube",
        batch_size: int | None = 64,
        sampling: Literal["bias", "uniform"] = "bias",
        samples_per_epoch: int | None = None,
        steps_per_epoch: int | None = None,
        labels: dict[str, float | dict[str, float | str]] | None = None,
        soft_labels: bool = False,
        val_dataset: str | None = "rgb-8",
        seed: int | None = None,
        phases: dict[str, dict[str, str | int | None]] | None = None,
        focus: dict[str, str] | None = None,
        sample_weights: Literal["focus"] | None = None,
    ):
        super().__init__()
        _check_count("batch_size", batch_size, "or null (full batch)")
        _check_sampling("sampling", sampling)
        _check_count("samples_per_epoch", samples_per_epoch, "or null")
        _check_count("steps_per_epoch", steps_per_epoch, "or null")
        if samples_per_epoch is not None and batch_size is None:
            raise ValueError("data.samples_per_epoch needs a data.batch_size (it is meaningless for full batch)")
        if samples_per_epoch is not None and steps_per_epoch is not None:
            # samples_per_epoch already fixes the epoch length; a second length would leave
            # batches past the sampled ones with a negative size.
            raise ValueError(
                f"data.samples_per_epoch={samples_per_epoch} and data.steps_per_epoch={steps_per_epoch} both set "
                "the epoch length; give only one"
            )
        if sample_weights not in (None, "focus"):
            raise ValueError(f"data.sample_weights={sample_weights!r} is not allowed; allowed: [None, 'focus']")
        self.save_hyperparameters()
        self.train_set = _dataset("dataset", dataset)
        self.val_set = _dataset("val_dataset", val_dataset) if val_dataset else None
        self._sets: dict[str, ColorSet] = {dataset: self.train_set}
        if self.val_set is not None:
            self._sets[val_dataset] = self.val_set
        self.default_setting = DataSetting(dataset, batch_size, sampling, val_dataset)
        self.phases = phase_settings(self.default_setting, phases)
        for phase, setting in self.phases.items():
            self._check_phase(phase, setting, samples_per_epoch)
        self.focus = check_focus(focus)
        self.sample_weights = sample_weights
        if SAMPLE_WEIGHT in (labels or {}):
            raise ValueError(f"data.labels: {SAMPLE_WEIGHT!r} is reserved for per-sample loss weights "
                             "(data.sample_weights); name the label otherwise")
        try:
            self.label_specs = parse_labels(labels or {})
        except ValueError as error:
            raise ValueError(f"data.labels: {error}") from None
        self.batch_size = batch_size
        self.sampling = sampling
        self.samples_per_epoch = samples_per_epoch
        self.soft_labels = soft_labels
        self.seed = seed
        if steps_per_epoch is None:
            if samples_per_epoch is not None:
                steps_per_epoch = math.ceil(samples_per_epoch / batch_size)
            elif batch_size is None:
                steps_per_epoch = 100
            else:
                steps_per_epoch = math.ceil(len(self.train_set.rgb) / batch_size)
        self.steps_per_epoch = steps_per_epoch
        # The ScheduleCallback a curriculum follows, found at setup.
        self.schedule: ScheduleCallback | None = None
        self._device: torch.device | None = None
        self._generator: torch.Generator | None = None
        self._pending_generator_state: torch.Tensor | None = None
        # Index within the epoch of the next training batch to be drawn. It advances when a batch
        # is drawn, not when the DataLoader yields its token: Lightning fetches one token ahead.
        self._next_index = 0
        self._fallback_warned = False
        self._active: DataSetting | None = None  # the setting of the last drawn batch

    def _check_phase(self, phase: str, setting: DataSetting, samples_per_epoch: int | None) -> None:
        field = f"phases.{phase}"
        _check_count(f"{field}.batch_size", setting.batch_size, "or null (full batch)")
        _check_sampling(f"{field}.sampling", setting.sampling)
        if samples_per_epoch is not None:
            raise ValueError(f"data.samples_per_epoch={samples_per_epoch} cannot be combined with data.phases: the "
                             "ragged last batch is defined for one data set and batch size; use steps_per_epoch")
        if (setting.val_dataset is None) != (self.val_set is None):
            raise ValueError(
                f"data.{field}.val_dataset={setting.val_dataset!r}: validation runs in every phase or in none, so "
                f"a phase's val_dataset must be {'a data set name' if self.val_set else 'null'} when "
                f"data.val_dataset is {self.default_setting.val_dataset!r}"
            )
        for key in ("dataset", "val_dataset"):
            name = getattr(setting, key)
            if name is not None and name not in self._sets:
                self._sets[name] = _dataset(f"{field}.{key}", name)

    @property
    def label_names(self) -> list[str]:
        """Labels present in every training batch."""
        return list(self.label_specs)

    @property
    def schedule_columns(self) -> list[str]:
        """The dopesheet columns this module reads (the focus columns), for ScheduleCallback's column check."""
        return list(self.focus.values())

    @property
    def has_curriculum(self) -> bool:
        """Whether batches depend on the schedule (phases or focus) or carry sample weights."""
        return bool(self.phases or self.focus or self.sample_weights)

    # -- the curriculum's schedule ---------------------------------------------------------------
    def setup(self, stage: str) -> None:
        trainer = self.trainer
        callbacks = trainer.callbacks if trainer is not None else []
        self.schedule = next((cb for cb in callbacks if isinstance(cb, ScheduleCallback)), None)
        if not (self.phases or self.focus):
            return
        if self.schedule is None:
            if stage == "fit":
                raise ValueError(
                    f"data.phases {sorted(self.phases)} / data.focus {self.focus} follow the schedule, but "
                    "trainer.callbacks has no ScheduleCallback; add one whose dopesheet has those phases and columns"
                )
            return
        names = sorted({phase.name for phase in self.schedule.sheet.phases})
        for phase in self.phases:
            if phase not in names:
                raise ValueError(f"data.phases: {phase!r} is not a phase of the dopesheet; its phases are {names}")
        for attribute, column in self.focus.items():
            if column not in self.schedule.names:
                raise ValueError(f"data.focus.{attribute}={column!r} is not a dopesheet column; its columns are "
                                 f"{self.schedule.names}")

    def _step(self) -> int:
        return self.trainer.global_step if self.trainer is not None else 0

    def setting_at(self, step: int) -> DataSetting:
        """The data settings in effect at a training step (the defaults without phases or schedule)."""
        if not self.phases or self.schedule is None:
            return self.default_setting
        return self.phases.get(self.schedule.phase_at(max(step, 0)), self.default_setting)

    # -- loaders: tokens only ------------------------------------------------------------------
    def train_dataloader(self) -> DataLoader:
        return _ResumableLoader(self)

    def val_dataloader(self) -> DataLoader | list:
        if self.val_set is None:
            return []
        return DataLoader(_Requests("val", 1), batch_size=None, shuffle=False, generator=_quiet_generator())

    # -- the real batches, drawn on the device --------------------------------------------------
    def on_after_batch_transfer(self, batch, dataloader_idx: int):
        if not isinstance(batch, BatchRequest):
            return batch
        device = self.trainer.lightning_module.device if self.trainer is not None else torch.device("cpu")
        self._ensure_on(device)
        if batch.split == "val":
            # Validation follows the steps just trained: the global step has already moved on.
            self._activate_val(self._step() - 1)
            return self._val_rgb, dict(self._val_probs)
        self._activate(self._step())
        self._next_index = (batch.index + 1) % self.steps_per_epoch
        return self.sample(self._batch_size_at(batch.index))

    def _batch_size_at(self, index: int) -> int | None:
        batch_size = (self._active or self.default_setting).batch_size  # the default before any batch
        if batch_size is None or self.samples_per_epoch is None:
            return batch_size
        remainder = self.samples_per_epoch - index * batch_size
        return min(batch_size, remainder)

    def sample(self, batch_size: int | None) -> Batch:
        """Draw one training batch (rgb [B, 3], labels {name: [B]}) on the current device.

        From the data set active at the last drawn step (the default one before any).
        """
        if self._device is None:
            self._ensure_on(torch.device("cpu"))
        idx = None
        if batch_size is None:
            rgb, probs = self._rgb, self._probs
        else:
            if self._focus is not None or self._active.sampling == "bias":
                idx = torch.multinomial(self._weights, batch_size, replacement=True, generator=self._generator)
            else:
                idx = torch.randint(len(self._rgb), (batch_size,), device=self._device, generator=self._generator)
            rgb = self._rgb[idx]
            probs = {k: p[idx] for k, p in self._probs.items()}
        labels = draw_labels(probs, generator=self._generator, soft=self.soft_labels) if probs else {}
        if self.sample_weights == "focus":
            labels[SAMPLE_WEIGHT] = self._sample_weight(idx, len(rgb))
        return rgb, labels

    def _sample_weight(self, idx: torch.Tensor | None, size: int) -> torch.Tensor:
        if idx is None:
            # Full batch: a plain mean, as in Ex 1.6's first phase, whose loader had no weights.
            return torch.ones(size, device=self._device)
        if self._focus is None:
            return torch.full((size,), 1 / size, device=self._device)
        focus = self._focus[idx]
        total = focus.sum()
        # Where clamp makes no difference the batch is all zero focus (uniform fallback): equal weights.
        return torch.where(total > 1e-9, focus / total.clamp(min=1e-9), 1 / size)

    def _ensure_on(self, device: torch.device) -> None:
        if self._device == device:
            return
        self._device = device
        self._resident_sets: dict[str, _Resident] = {}
        self._active = None
        self._val_name: str | None = None
        self._generator = torch.Generator(device=device)
        self._generator.manual_seed(self.seed if self.seed is not None else torch.initial_seed())
        if self._pending_generator_state is not None:
            self._generator.set_state(self._pending_generator_state)
            self._pending_generator_state = None
        self._activate(self._step())
        if self.val_set is not None:
            self._activate_val(self._step() - 1)

    def _resident(self, name: str) -> _Resident:
        if name not in self._resident_sets:
            rgb = self._sets[name].rgb.to(self._device)
            self._resident_sets[name] = _Resident(
                rgb, self._sets[name].bias.to(self._device), label_probabilities(rgb, self.label_specs),
                {attribute: FOCUS_ATTRIBUTES[attribute](rgb) for attribute in self.focus},
            )
        return self._resident_sets[name]

    def _activate(self, step: int) -> None:
        """Make the data set and sampling weights of `step` the ones `sample` draws from."""
        setting = self.setting_at(step)
        if self._active is None or setting.dataset != self._active.dataset:
            data = self._resident(setting.dataset)
            self._rgb, self._probs = data.rgb, data.probs
            self._weights_key = None
        self._active = setting
        if not self.focus or self.schedule is None or setting.batch_size is None:
            if self._weights_key != "bias":
                self._weights, self._focus, self._weights_key = self._resident(setting.dataset).bias, None, "bias"
            return
        values = self.schedule.values_at(step)
        key = (setting.sampling, *(values[column] for column in self.focus.values()))
        if key == self._weights_key:  # schedules hold values for long stretches: reuse the weights
            return
        data = self._resident(setting.dataset)
        focus = focus_weights(data.attributes, self.focus, values)
        weights = focus * data.bias if setting.sampling == "bias" else focus
        # One host sync, only at steps where a focus value changed (m1-spec §1.5: uniform fallback).
        if weights.sum().item() <= 1e-9:
            if not self._fallback_warned:
                warnings.warn(f"data.focus {self.focus}: every weight of {setting.dataset} is 0 at step {step} "
                              f"({dict(zip(self.focus.values(), key[1:]))}); sampling uniformly while it stays so",
                              stacklevel=2)
                self._fallback_warned = True
            weights = torch.ones_like(weights)
        self._weights, self._focus, self._weights_key = weights, focus, key

    def _activate_val(self, step: int) -> None:
        name = self.setting_at(step).val_dataset
        if name != self._val_name:
            data = self._resident(name)
            self._val_rgb, self._val_probs, self._val_name = data.rgb, data.probs, name

    # -- exact resume: the batch/label stream continues where it stopped ------------------------
    def state_dict(self) -> dict:
        if self._generator is None:
            return {}
        return {"generator": self._generator.get_state()}

    def load_state_dict(self, state: dict) -> None:
        if "generator" in state:
            self._pending_generator_state = state["generator"]
            self._device = None  # re-create the generator, then restore its state
