"""Runs the interrupted and resumed driver runs of the interruption tests, and writes what happened as JSON.

    python tests/reliability/launcher.py BASE_DIR SUMMARY.json

Each run is its own process, forked from this one after the imports (torch and Lightning cost
seconds to import; the runs themselves well under one). Signals and SIGKILL hit those
processes for real. Runs, in BASE_DIR/<name>:

* `sigint`: paused after step 25 (mid-epoch), sent SIGINT;
* `sigterm`: paused after step 20 (an epoch end and a validation step), sent SIGTERM;
* `sigkill`: SIGKILLed from inside `torch.save` while its third checkpoint (step 30's) is being
  written. Its temporary directory is on another file system when one is available
  (/dev/shm): Lightning's own writer stages checkpoints there and would then have to copy them
  over `last.ckpt`, which is not atomic.

then each is resumed with `--resume`. The summary holds every process's exit code and output,
the results.json and checkpoint step each first run left, and a copy of that checkpoint.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

import torch  # noqa: E402

import driver  # noqa: E402  (imports colorlatent, Lightning and torch once, for every run)

SEED = "3"


def fork_run(out: Path, args: list[str], env: dict[str, str], log: Path) -> int:
    """Run `driver.main` for `out` in a child process; return its pid."""
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        os.environ.update(env)
        tempfile.tempdir = None  # honour a TMPDIR set for this run
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        driver.main(["--seed", SEED, "--out", str(out), *args])
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def signal_when_paused(pid: int, out: Path, sig: signal.Signals) -> None:
    marker, deadline = Path(f"{out}.paused"), time.monotonic() + 240
    while not marker.exists():
        if os.waitpid(pid, os.WNOHANG)[0] or time.monotonic() > deadline:
            raise RuntimeError(f"{out.name}: the run ended or hung before its pause step")
        time.sleep(0.02)
    os.kill(pid, sig)
    Path(f"{out}.release").touch()


def other_filesystem_tmp(base: Path) -> Path | None:
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK) and os.stat(shm).st_dev != os.stat(base).st_dev:
        return Path(tempfile.mkdtemp(prefix="colorlatent-test-", dir=shm))
    return None


def wait(pids: dict[str, int], logs: dict[str, Path]) -> dict[str, dict]:
    done = {}
    for name, pid in pids.items():
        _, status = os.waitpid(pid, 0)
        done[name] = {"returncode": os.waitstatus_to_exitcode(status), "output": logs[name].read_text()}
    return done


def first_state(out: Path, keep: Path) -> dict:
    """What a first (interrupted) run left: its results.json and checkpoint (copied: the resume overwrites it)."""
    last = out / "checkpoints" / "last.ckpt"
    shutil.copy(last, keep)
    try:
        step = torch.load(last, map_location="cpu", weights_only=False)["global_step"]
    except Exception as error:  # a corrupt checkpoint: the tests say which run
        step = f"unreadable: {error!r}"
    results = out / "results.json"
    return {"checkpoint": str(keep), "checkpoint_step": step,
            "results": json.loads(results.read_text()) if results.exists() else None}


def main(base: Path, summary: Path) -> None:
    tmp = other_filesystem_tmp(base)
    dirs = {name: base / name for name in ("sigint", "sigterm", "sigkill")}
    envs = {
        "sigint": {"COLORLATENT_TEST_PAUSE": f"25:{dirs['sigint']}.paused:{dirs['sigint']}.release"},
        "sigterm": {"COLORLATENT_TEST_PAUSE": f"20:{dirs['sigterm']}.paused:{dirs['sigterm']}.release"},
        "sigkill": {"COLORLATENT_TEST_KILL_SAVE": "3", **({"TMPDIR": str(tmp)} if tmp else {})},
    }
    logs = {name: base / f"{name}.log" for name in dirs}
    pids = {name: fork_run(dirs[name], [], envs[name], logs[name]) for name in dirs}
    signal_when_paused(pids["sigint"], dirs["sigint"], signal.SIGINT)
    signal_when_paused(pids["sigterm"], dirs["sigterm"], signal.SIGTERM)
    first = wait(pids, logs)
    for name, out in dirs.items():
        first[name].update(first_state(out, base / f"{name}-first.ckpt"))
    logs = {name: base / f"{name}-resumed.log" for name in dirs}
    pids = {name: fork_run(dirs[name], ["--resume", str(dirs[name])], {}, logs[name]) for name in dirs}
    resumed = wait(pids, logs)
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)
    summary.write_text(json.dumps({"dirs": {k: str(v) for k, v in dirs.items()}, "first": first,
                                   "resumed": resumed, "other_filesystem_tmp": tmp is not None}))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
