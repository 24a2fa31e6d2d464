"""Dopesheet ACTIONs: dispatched once, at their step, before its update; unknown ones fail at fit start."""

import lightning as L
import pytest
import torch

from colorlatent import AnchoredAutoencoder, ColorDataModule, ScheduleCallback

SHEET = [{"STEP": 0, "PHASE": "A", "lr": 0.01, "reg-anchor": 1.0}, {"STEP": 5, "PHASE": "B", "ACTION": "anchor"},
         {"STEP": 11}]
PRIMARIES = torch.tensor([[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 1, 1], [0, 0, 1], [1, 0, 1]], dtype=torch.float32)


class Recorder(L.Callback):
    """Handles `anchor` too (any callback may), and records what the drift anchor saw."""

    schedule_actions = ("anchor",)

    def __init__(self):
        self.calls = []  # (action, step, global step when called)
        self.before = {}  # global step -> primaries' latents before that step's update
        self.terms = {}

    def on_schedule_action(self, name, step, pl_module):
        self.calls.append((name, step, pl_module.global_step))

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        # After update t the weights are those step t + 1 starts from.
        with torch.no_grad():
            self.before[trainer.global_step] = pl_module.encode(PRIMARIES).clone()
            self.terms[trainer.global_step - 1] = float(pl_module.regularizers[0].term(torch.zeros(1, 4)))


def module():
    return AnchoredAutoencoder(regularizers=[{"kind": "drift-anchor", "name": "reg-anchor"}])


def fit(tmp_path, steps, callbacks, model=None, ckpt_path=None, sheet=SHEET):
    model = model or module()
    trainer = L.Trainer(max_steps=steps, default_root_dir=tmp_path, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0,
                        limit_val_batches=0, callbacks=[ScheduleCallback(sheet), *callbacks])
    trainer.fit(model, ColorDataModule(seed=0, batch_size=8), ckpt_path=ckpt_path)
    return trainer, model


def test_action_fires_once_at_its_step_before_the_update(tmp_path):
    recorder = Recorder()
    _, model = fit(tmp_path, 11, [recorder])
    assert recorder.calls == [("anchor", 5, 5)]
    (reg,) = model.regularizers
    assert reg.captured_at == 5
    # The snapshot holds the latents the weights had at the start of step 5 (after update 4).
    torch.testing.assert_close(reg.z_ref, recorder.before[5])
    assert all(recorder.terms[t] == 0.0 for t in range(5))  # no pull before the snapshot
    assert recorder.terms[5] > 0.0  # step 5's update moved the primaries away from it


@pytest.mark.parametrize("stop", [5, 8])
def test_resumed_run_fires_each_action_exactly_once(tmp_path, stop):
    # stop=5: the checkpoint is taken after update 4, so the action at 5 is still due on resume;
    # stop=8: the run resumes past it and must not take a second snapshot.
    first = Recorder()
    trainer, model = fit(tmp_path, stop, [first])
    trainer.save_checkpoint(tmp_path / "stop.ckpt")
    second = Recorder()
    _, resumed = fit(tmp_path, 11, [second], ckpt_path=tmp_path / "stop.ckpt")
    assert first.calls + second.calls == [("anchor", 5, 5)]
    reference = model.regularizers[0].z_ref if stop == 8 else first.before[5]
    torch.testing.assert_close(resumed.regularizers[0].z_ref, reference)
    assert resumed.regularizers[0].captured_at == 5


def test_checkpoint_taken_after_the_dispatch_does_not_fire_it_again(tmp_path):
    # A checkpoint written between the dispatch and the update of step 5 (as a signal handler may).
    class SaveAtDispatch(L.Callback):
        def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
            if trainer.global_step == 5:
                trainer.save_checkpoint(tmp_path / "mid.ckpt")
                trainer.should_stop = True

    first = Recorder()
    fit(tmp_path, 11, [first, SaveAtDispatch()])
    second = Recorder()
    fit(tmp_path, 11, [second], ckpt_path=tmp_path / "mid.ckpt")
    assert first.calls == [("anchor", 5, 5)] and second.calls == []


def test_a_new_fit_with_the_same_callback_fires_again(tmp_path):
    recorder = Recorder()
    schedule = ScheduleCallback(SHEET)
    for _ in range(2):
        trainer = L.Trainer(max_steps=7, default_root_dir=tmp_path, logger=False, enable_checkpointing=False,
                            enable_progress_bar=False, enable_model_summary=False, limit_val_batches=0,
                            callbacks=[schedule, recorder])
        trainer.fit(module(), ColorDataModule(seed=0, batch_size=8))
    assert recorder.calls == [("anchor", 5, 5)] * 2


def test_unhandled_action_fails_at_fit_start_naming_it(tmp_path):
    sheet = [dict(SHEET[0]), {"STEP": 5, "ACTION": "anchr"}, {"STEP": 11}]
    recorder = Recorder()
    with pytest.raises(ValueError, match=r"action 'anchr' at step 5 is not handled.*Handled actions: \['anchor'\]"):
        fit(tmp_path, 11, [recorder], sheet=sheet)
    assert recorder.calls == [] and recorder.before == {}  # nothing trained


def test_action_with_no_handler_at_all_says_none(tmp_path):
    sheet = [{"STEP": 0, "lr": 0.01}, {"STEP": 3, "ACTION": "anchor"}]
    with pytest.raises(ValueError, match="action 'anchor' at step 3 is not handled.*Handled actions: none"):
        fit(tmp_path, 4, [], model=AnchoredAutoencoder(), sheet=sheet)


def test_ignored_actions_are_not_dispatched(tmp_path):
    sheet = [dict(SHEET[0]), {"STEP": 3, "ACTION": "note"}, {"STEP": 5, "ACTION": "anchor,note"}, {"STEP": 11}]
    recorder = Recorder()
    trainer = L.Trainer(max_steps=11, default_root_dir=tmp_path, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, limit_val_batches=0,
                        callbacks=[ScheduleCallback(sheet, ignore_actions=["note"]), recorder])
    trainer.fit(module(), ColorDataModule(seed=0, batch_size=8))
    assert recorder.calls == [("anchor", 5, 5)]
    with pytest.raises(ValueError, match=r"ignore_actions=\['nope'\]: \['nope'\] are not actions of the dopesheet"):
        ScheduleCallback(sheet, ignore_actions=["nope"])
