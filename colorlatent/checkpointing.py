"""Checkpoints that survive interruption: atomic writes, and a clean stop on Ctrl-C or SIGTERM.

`RunCheckpoint` is the `ModelCheckpoint` the experiment configs use. Compared with Lightning's
it

* writes every file atomically (`AtomicCheckpointIO`): a kill during a save, even SIGKILL,
  leaves the previous `last.ckpt` intact instead of a truncated one;
* on the first SIGINT (Ctrl-C) or SIGTERM finishes the current step, saves `last.ckpt` and
  stops training normally, so the run can be evaluated and resumed exactly
  (`trainer.fit(..., ckpt_path=".../last.ckpt")`); a second signal aborts at once;
* always saves `last.ckpt` at the end of training, also when the last step is not a multiple
  of `every_n_train_steps` (Lightning's keeps the last multiple then);
* saves a step that a validation follows after that validation, because Lightning skips it
  when it resumes from a checkpoint taken before it.
"""

from __future__ import annotations

import itertools
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.fabric.plugins import TorchCheckpointIO
from lightning.pytorch.callbacks import ModelCheckpoint

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_temp_names = itertools.count()


class AtomicCheckpointIO(TorchCheckpointIO):
    """Writes each checkpoint to a temporary file next to it, fsyncs it, then renames it over the target.

    `os.replace` within one directory is atomic, so readers (and a resumed run) see either the
    old file or the complete new one. Lightning's own writer stages the file in the system temp
    directory and moves it, which is a non-atomic copy when that directory is on another file
    system, and it does not fsync. Paths with a URL scheme (`s3://...`) go to Lightning's writer.
    Use it directly with `trainer.plugins` if you do not use `RunCheckpoint`.
    """

    def save_checkpoint(self, checkpoint: dict[str, Any], path, storage_options: Any | None = None) -> None:
        if storage_options is not None or "://" in str(path):
            return super().save_checkpoint(checkpoint, path, storage_options)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.{os.getpid()}-{next(_temp_names)}.tmp")
        try:
            # os.open with mode 0o666 lets the umask decide the permissions, as for a normal file.
            with os.fdopen(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), "wb") as file:
                torch.save(checkpoint, file)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temp, path)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        _fsync_directory(path.parent)  # make the rename itself durable
        for stale in path.parent.glob(f".{path.name}.*.tmp"):  # left by a writer that was killed
            stale.unlink(missing_ok=True)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class RunCheckpoint(ModelCheckpoint):
    """`ModelCheckpoint` with atomic writes, a clean stop on Ctrl-C/SIGTERM and a final `last.ckpt`.

    Takes the same arguments as Lightning's `ModelCheckpoint` (e.g. `save_last: true`,
    `save_top_k: 0`, `every_n_train_steps: 1000`). What it adds:

    * Atomic writes: at setup it installs `AtomicCheckpointIO` unless the trainer already has a
      custom `CheckpointIO` plugin.
    * The first SIGINT (Ctrl-C) or SIGTERM during training is a stop request: the current step
      finishes (with its validation, if one is due), `last.ckpt` is saved (with `save_last`;
      otherwise a regular named checkpoint) and training ends normally, so end-of-training
      callbacks still run. `stopped_by` then names the signal. A second signal raises
      `KeyboardInterrupt` at once. Handlers are only installed when training runs in the main
      thread.
    * When a validation follows a checkpointed step, the checkpoint is written after it, so that
      a resumed run does not lose that validation (Lightning skips it on resume).
    * At the end of training `last.ckpt` holds the final step even when it is not a multiple of
      `every_n_train_steps`.
    """

    stopped_by: str | None = None
    """Name of the signal that stopped training early (`SIGINT`, `SIGTERM`), or None."""
    _requested: int | None = None  # the signal received, until the step it arrived in ends
    _previous: dict[int, Any] | None = None  # the handlers ours replaced, while installed
    _max_steps: int = -1  # the trainer's max_steps before a stop request cut it short

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        super().setup(trainer, pl_module, stage)
        if type(trainer.strategy.checkpoint_io) is TorchCheckpointIO:
            trainer.strategy.checkpoint_io = AtomicCheckpointIO()

    # -- stop requests -------------------------------------------------------------------------
    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        super().on_train_start(trainer, pl_module)
        self.stopped_by = self._requested = None
        if trainer.enable_validation:
            # Lightning sets the validation loader up at the first validation; we need its size
            # before that (see _validation_follows). It is set up once either way.
            trainer.fit_loop.epoch_loop.val_loop.setup_data()
        if threading.current_thread() is threading.main_thread():
            self._previous = {sig: signal.signal(sig, self._request_stop) for sig in _STOP_SIGNALS}

    def _request_stop(self, signum: int, frame: Any) -> None:
        if self._requested is not None:
            self._restore_handlers()
            raise KeyboardInterrupt(f"second stop signal ({signal.Signals(signum).name}): aborting without saving")
        self._requested = signum
        print(f"\n{signal.Signals(signum).name} received: finishing this step, saving the last checkpoint "
              "and stopping (send it again to abort at once)", file=sys.stderr, flush=True)

    def _restore_handlers(self) -> None:
        for sig, handler in (self._previous or {}).items():
            signal.signal(sig, handler)
        self._previous = None

    # -- when to save ----------------------------------------------------------------------------
    def _validation_follows(self, trainer: L.Trainer) -> bool:
        """Whether Lightning validates right after this training step."""
        loop = trainer.fit_loop.epoch_loop
        return sum(trainer.num_val_batches) > 0 and loop._should_check_val_fx(trainer.fit_loop._data_fetcher)

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, outputs, batch, batch_idx: int) -> None:
        save_step = self._every_n_train_steps >= 1 and trainer.global_step % self._every_n_train_steps == 0
        stopping = self._requested is not None and self.stopped_by is None
        if not (save_step or stopping):  # most steps: nothing beyond Lightning's (time-based) saving
            super().on_train_batch_end(trainer, pl_module, outputs, batch, batch_idx)
            return
        # On resume, Lightning skips a validation that was due after the checkpointed step (it
        # fast-forwards the validation counters). A checkpoint taken before that validation
        # would make the resumed run miss its metrics and anything that reacts to them, so when
        # a validation follows, the save waits for its end (ModelCheckpoint's deferred save).
        validation_follows = not self._should_save_on_train_epoch_end(trainer) and self._validation_follows(trainer)
        if not validation_follows:
            super().on_train_batch_end(trainer, pl_module, outputs, batch, batch_idx)
        elif save_step:
            self._defer_save_until_validation = True
        if not stopping:
            return
        self.stopped_by = signal.Signals(self._requested).name
        if validation_follows:
            self._defer_save_until_validation = True
        else:
            self._save_now(trainer)
        # Ending the run at this step rather than through `trainer.should_stop`, which would
        # add a validation the uninterrupted run does not have (and save after it).
        loop = trainer.fit_loop.epoch_loop
        self._max_steps, loop.max_steps = loop.max_steps, trainer.global_step

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        super().on_train_end(trainer, pl_module)
        self._restore_handlers()
        if self.save_last and self._last_global_step_saved != trainer.global_step:
            self._save_last_checkpoint(trainer, self._monitor_candidates(trainer))
        if self.stopped_by is not None:
            trainer.fit_loop.epoch_loop.max_steps = self._max_steps
            print(f"stopped by {self.stopped_by} after step {trainer.global_step} of {trainer.max_steps}; "
                  f"checkpoint: {self._last_checkpoint_saved}", file=sys.stderr, flush=True)

    def on_exception(self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException) -> None:
        self._restore_handlers()
        super().on_exception(trainer, pl_module, exception)

    def _save_now(self, trainer: L.Trainer) -> None:
        if self._last_global_step_saved == trainer.global_step:
            return  # this step's checkpoint was just written
        candidates = self._monitor_candidates(trainer)
        if self.save_last:
            self._save_last_checkpoint(trainer, candidates)
        else:
            self._save_checkpoint(trainer, self.format_checkpoint_name(candidates))
