"""LightningDataModule that samples color batches on the model's device with tensor ops.

The DataLoader only yields tiny `BatchRequest` tokens; the real batch is drawn in
`on_after_batch_transfer`, i.e. after Lightning has moved the token to the device, from colors
already resident there. No per-sample Python, no collation, no host-to-device copy per step.
"""

from __future__ import annotations

import math
from typing import Literal, NamedTuple

import lightning as L
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from .datasets import make_dataset
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


def _dataset(field: str, name: str):
    try:
        return make_dataset(name)
    except ValueError as error:
        raise ValueError(f"data.{field}: {error}") from None


class ColorDataModule(L.LightningDataModule):
    """Colors for training and validation, with stochastic sparse labels drawn per batch.

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
    ):
        super().__init__()
        _check_count("batch_size", batch_size, "or null (full batch)")
        if sampling not in ("bias", "uniform"):
            raise ValueError(f"data.sampling={sampling!r} is not allowed; allowed: ['bias', 'uniform']")
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
        self.save_hyperparameters()
        self.train_set = _dataset("dataset", dataset)
        self.val_set = _dataset("val_dataset", val_dataset) if val_dataset else None
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
        self._device: torch.device | None = None
        self._generator: torch.Generator | None = None
        self._pending_generator_state: torch.Tensor | None = None
        # Index within the epoch of the next training batch to be drawn. It advances when a batch
        # is drawn, not when the DataLoader yields its token: Lightning fetches one token ahead.
        self._next_index = 0

    @property
    def label_names(self) -> list[str]:
        """Labels present in every training batch."""
        return list(self.label_specs)

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
            return self._val_rgb, dict(self._val_probs)
        self._next_index = (batch.index + 1) % self.steps_per_epoch
        return self.sample(self._batch_size_at(batch.index))

    def _batch_size_at(self, index: int) -> int | None:
        if self.batch_size is None or self.samples_per_epoch is None:
            return self.batch_size
        remainder = self.samples_per_epoch - index * self.batch_size
        return min(self.batch_size, remainder)

    def sample(self, batch_size: int | None) -> Batch:
        """Draw one training batch (rgb [B, 3], labels {name: [B]}) on the current device."""
        if self._device is None:
            self._ensure_on(torch.device("cpu"))
        if batch_size is None:
            rgb, probs = self._rgb, self._probs
        else:
            if self.sampling == "bias":
                idx = torch.multinomial(self._weights, batch_size, replacement=True, generator=self._generator)
            else:
                idx = torch.randint(len(self._rgb), (batch_size,), device=self._device, generator=self._generator)
            rgb = self._rgb[idx]
            probs = {k: p[idx] for k, p in self._probs.items()}
        labels = draw_labels(probs, generator=self._generator, soft=self.soft_labels) if probs else {}
        return rgb, labels

    def _ensure_on(self, device: torch.device) -> None:
        if self._device == device:
            return
        self._device = device
        self._rgb = self.train_set.rgb.to(device)
        self._weights = self.train_set.bias.to(device)
        self._probs = label_probabilities(self._rgb, self.label_specs)
        if self.val_set is not None:
            self._val_rgb = self.val_set.rgb.to(device)
            self._val_probs = label_probabilities(self._val_rgb, self.label_specs)
        self._generator = torch.Generator(device=device)
        self._generator.manual_seed(self.seed if self.seed is not None else torch.initial_seed())
        if self._pending_generator_state is not None:
            self._generator.set_state(self._pending_generator_state)
            self._pending_generator_state = None

    # -- exact resume: the batch/label stream continues where it stopped ------------------------
    def state_dict(self) -> dict:
        if self._generator is None:
            return {}
        return {"generator": self._generator.get_state()}

    def load_state_dict(self, state: dict) -> None:
        if "generator" in state:
            self._pending_generator_state = state["generator"]
            self._device = None  # re-create the generator, then restore its state
