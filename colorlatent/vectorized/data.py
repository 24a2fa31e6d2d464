"""The batch and label streams of S seeds at once, each exactly as `ColorDataModule` draws it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from ..data.datamodule import Batch, ColorDataModule


class SeedStackDataModule(ColorDataModule):
    """`ColorDataModule` for S seeds: batches gain a leading seed dim, rgb [S, B, 3], labels {name: [S, B]}.

    Each seed has its own generator, seeded as a single run's data module seeds its one: with
    `seed` when the config fixes it, otherwise with the run's seed (what `torch.initial_seed()`
    returns after `seed_everything(seed)`). Per step and seed it makes the same random calls in
    the same order as `ColorDataModule.sample` (the index draw, then one `rand` for all labels),
    so slice s of every batch is the batch the single run with seed s draws. Only those calls
    run per seed; indexing and label comparisons run once for the whole stack. Epochs, ragged
    last batches and the validation batch are inherited unchanged.

    Args:
        seeds: The run seeds, in stack order.
        **kwargs: `ColorDataModule` arguments (dataset, batch_size, sampling, labels, ...).
    """

    def __init__(self, seeds: Sequence[int], **kwargs: Any):
        super().__init__(**kwargs)
        if not seeds:
            raise ValueError("SeedStackDataModule needs at least one seed")
        self.seeds = [int(s) for s in seeds]
        self._generators: list[torch.Generator] | None = None

    @classmethod
    def from_datamodule(cls, datamodule: ColorDataModule, seeds: Sequence[int]) -> SeedStackDataModule:
        """The stacked version of a configured data module (same arguments, one stream per seed)."""
        kwargs = {k: v for k, v in datamodule.hparams.items() if not k.startswith("_")}
        return cls(seeds, **kwargs)

    def _stream_seed(self, seed: int) -> int:
        return self.seed if self.seed is not None else seed

    def seed_generators(self) -> list[torch.Generator]:
        """One generator per seed, created on the current device at the first batch."""
        if self._device is None:
            self._ensure_on(torch.device("cpu"))
        if self._generators is None:
            self._generators = [torch.Generator(device=self._device).manual_seed(self._stream_seed(s))
                                for s in self.seeds]
        return self._generators

    def _ensure_on(self, device: torch.device) -> None:
        moved = self._device != device
        super()._ensure_on(device)
        if moved:
            self._generators = None  # generators live on one device; a move restarts them (as single runs do)
            names = list(self._probs)
            self._label_names = names
            self._stacked_probs = torch.stack([self._probs[n] for n in names]) if names else None

    def sample(self, batch_size: int | None) -> Batch:
        """Draw one batch for every seed: rgb [S, B, 3], labels {name: [S, B]}."""
        generators = self.seed_generators()
        stack = len(generators)
        if batch_size is None:
            idx = None
            rgb = self._rgb.expand(stack, -1, -1)
            size = len(self._rgb)
        else:
            if self.sampling == "bias":
                draws = [torch.multinomial(self._weights, batch_size, replacement=True, generator=g)
                         for g in generators]
            else:
                draws = [torch.randint(len(self._rgb), (batch_size,), device=self._device, generator=g)
                         for g in generators]
            idx = torch.stack(draws)
            rgb = self._rgb[idx]
            size = batch_size
        if self._stacked_probs is None:
            return rgb, {}
        probs = self._stacked_probs
        probs = probs.unsqueeze(1).expand(-1, stack, -1) if idx is None else probs[:, idx]  # [L, S, B]
        if self.soft_labels:
            return rgb, dict(zip(self._label_names, probs.unbind(0)))
        shape = (len(self._label_names), size)
        u = torch.stack([torch.rand(shape, generator=g, dtype=probs.dtype, device=self._device) for g in generators])
        labels = (u.transpose(0, 1) < probs).to(probs.dtype)
        return rgb, dict(zip(self._label_names, labels.unbind(0)))

    # -- checkpoints: every seed's stream state ------------------------------------------------
    def seed_state_dict(self, index: int) -> dict:
        """What `ColorDataModule.state_dict` holds for the single run of the seed at `index`."""
        if self._generators is None:
            return {}
        return {"generator": self._generators[index].get_state()}

    def state_dict(self) -> dict:
        if self._generators is None:
            return {}
        return {"generators": [g.get_state() for g in self._generators]}

    def load_state_dict(self, state: dict) -> None:
        if "generators" in state:
            generators = self.seed_generators()
            for generator, saved in zip(generators, state["generators"], strict=True):
                generator.set_state(saved)
