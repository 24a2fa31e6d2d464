"""Test instrumentation for the interruption tests; the driver's subprocesses import it.

Nothing here replaces shipped code: these callbacks only pause a run at a chosen step (so a
test can signal it at a known moment), draw from torch's global generator (as user code
might), and deliver a real SIGKILL in the middle of a checkpoint save. They act only when
their environment variable is set, so every run has the same resolved config.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import lightning as L
import torch

from colorlatent.logs import log_scalars

PAUSE_ENV = "COLORLATENT_TEST_PAUSE"  # "STEP:MARKER_FILE:RELEASE_FILE"


class PauseAtStep(L.Callback):
    """With $COLORLATENT_TEST_PAUSE set, waits after training step STEP until RELEASE_FILE exists.

    It writes MARKER_FILE first, so the test knows the run is paused there. The setting comes
    from the environment, not from init arguments, so the resolved config of a paused run and
    of its resumed continuation are the same.
    """

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        setting = os.environ.get(PAUSE_ENV)
        if not setting:
            return
        step, marker, release = setting.split(":")
        if trainer.global_step != int(step):
            return
        Path(marker).write_text(str(os.getpid()))
        deadline = time.monotonic() + 120
        while not Path(release).exists() and time.monotonic() < deadline:
            time.sleep(0.01)


class GlobalRandomProbe(L.Callback):
    """Draws from torch's global generator every step and logs the draw as `probe/global_rand`."""

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        log_scalars(trainer, {"probe/global_rand": torch.rand(())}, trainer.global_step)


KILL_ENV = "COLORLATENT_TEST_KILL_SAVE"  # "N": SIGKILL during the Nth checkpoint save


class _Bomb:
    """Pickling it (which torch.save does while it writes a checkpoint) SIGKILLs the process."""

    def __reduce__(self):
        print("harness: SIGKILL in the middle of torch.save", file=sys.stderr, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)


class KillDuringSave(L.Callback):
    """With $COLORLATENT_TEST_KILL_SAVE=N, SIGKILLs the process while its Nth checkpoint is being written.

    The kill comes from inside `torch.save`, after the writer has opened its output file and
    before the checkpoint is complete. Every file with `.ckpt` in its name that the process
    opens for writing is reported on stderr as `harness: write-open PATH`.
    """

    def __init__(self):
        self.saves = 0

    def setup(self, trainer, pl_module, stage) -> None:
        if os.environ.get(KILL_ENV):
            sys.addaudithook(_report_checkpoint_writes)

    def state_dict(self) -> dict:
        if not os.environ.get(KILL_ENV):
            return {}
        self.saves += 1
        return {"bomb": _Bomb()} if self.saves == int(os.environ[KILL_ENV]) else {}


def _report_checkpoint_writes(event: str, args: tuple) -> None:
    if event == "open" and isinstance(args[0], (str, os.PathLike)) and ".ckpt" in os.fspath(args[0]):
        if args[2] & (os.O_WRONLY | os.O_RDWR):
            print(f"harness: write-open {os.path.abspath(os.fspath(args[0]))}", file=sys.stderr, flush=True)
