"""The latent-space callbacks in one real 40-step fit, read back from the run directory and TensorBoard.

The fit has a two-phase dopesheet (A: steps 0-19, B: 20-99, action `mark` at 20; the run stops at
40), a linear reg-norm ramp 0 -> 1 over steps 0-100 (0.01 per step), validation every 10 steps and
a ReactiveTransition whose threshold every validation crosses, so it fires at the first real one.
"""

import contextlib
import io
import struct

import lightning as L
import numpy as np
import pytest
import torch
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger
from lightning.pytorch.utilities import rank_zero_only
from PIL import Image, ImageSequence
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.util import tensor_util

from colorlatent import (
    AnchoredAutoencoder, ColorDataModule, LatentSliceCallback, PhaseHistoryCallback, PhaseProgressBar,
    ProjectorCallback, ReactiveTransition, ScheduleCallback, TimelineFigureCallback,
)
from colorlatent.data import make_dataset

SHEET = [
    {"STEP": 0, "PHASE": "A", "lr": 0.01, "reg-norm::linear": 0.0},
    {"STEP": 20, "PHASE": "B", "ACTION": "mark"},
    {"STEP": 100, "reg-norm::linear": 1.0},
]


def fit(out, callbacks, steps=40):
    L.seed_everything(0)
    model = AnchoredAutoencoder(regularizers=[{"kind": "unitarity", "name": "reg-norm"}])
    data = ColorDataModule(dataset="hsv-cube", batch_size=32, val_dataset="rgb-8")
    trainer = L.Trainer(max_steps=steps, val_check_interval=10, check_val_every_n_epoch=None, log_every_n_steps=10,
                        num_sanity_val_steps=1, enable_model_summary=False, enable_checkpointing=False,
                        logger=TensorBoardLogger(out, name="", version="", default_hp_metric=False),
                        callbacks=callbacks)
    trainer.fit(model, data)
    return trainer, model


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    callbacks = {
        "schedule": ScheduleCallback(SHEET, ignore_actions=["mark"]),
        "history": PhaseHistoryCallback(at="both", every_n_steps=15),
        "timeline": TimelineFigureCallback(dark=True),
        "projector": ProjectorCallback(),
        "slices": LatentSliceCallback(),
        # Every validation crosses threshold 10: only the sanity check must not count.
        "reactive": ReactiveTransition("reg-norm", "val/recon_mse", threshold=10.0, target=0.5, duration=20),
        "bar": PhaseProgressBar(refresh_rate=10),
    }
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        trainer, model = fit(out, list(callbacks.values()))
    events = EventAccumulator(str(out), size_guidance={"scalars": 0, "images": 0, "tensors": 0})
    events.Reload()
    return {"out": out, "trainer": trainer, "model": model, "events": events, "stdout": stdout.getvalue(),
            **callbacks}


def image_steps(run, tag):
    return [e.step for e in run["events"].Images(tag)]


def test_phase_history_is_logged_at_every_capture(run):
    # every 15 steps (0, 15, 30) + the start of phase B (20) + the end of training (40)
    assert run["history"].steps == [0, 15, 20, 30]
    assert image_steps(run, "latent/phase_history") == [0, 15, 20, 30, 40]
    # the phase the latents were last trained in: the capture at 20 closes phase A
    assert [c.phase for c in run["history"].captures] == ["A", "A", "A", "B", "B"]
    for event in run["events"].Images("latent/phase_history"):
        png = event.encoded_image_string
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", png[16:24]) == (event.width, event.height) == (960, 528)  # 12 x 6.6 in at 80 dpi


def test_final_capture_equals_the_trained_model(run):
    rgb = make_dataset("rgb-8").rgb  # the data module's validation colors, the default probe
    with torch.no_grad():
        expected = run["model"].eval().encode(rgb).numpy()
    np.testing.assert_allclose(run["history"].captures[-1].latents, expected, atol=1e-6)


def test_phase_history_files(run):
    out = run["out"]
    light = Image.open(out / "phase-history.png").convert("RGB")
    dark = Image.open(out / "phase-history-dark.png").convert("RGB")
    assert light.getpixel((2, 2)) == (255, 255, 255) and dark.getpixel((2, 2)) == (17, 17, 17)  # #111111
    gif = Image.open(out / "latent-evolution.gif")
    durations = [frame.info["duration"] for frame in ImageSequence.Iterator(gif)]
    assert len(durations) == 5  # one frame per capture
    assert durations[-1] == 2000 and durations[0] == 120  # the last frame is held; 8 fps in GIF centiseconds
    assert run["history"].paths == [out / "phase-history.png", out / "phase-history-dark.png",
                                    out / "latent-evolution.gif"]


def test_latent_slices_are_drawn_once_at_the_end(run):
    out = run["out"]
    assert image_steps(run, "latent/slices") == [40]
    assert run["slices"].paths == [out / "latent-slices.png", out / "latent-slices-dark.png"]
    light = Image.open(out / "latent-slices.png").convert("RGB")
    dark = Image.open(out / "latent-slices-dark.png").convert("RGB")
    assert light.size == dark.size == (1386, 506)  # three slices of 4-D latents: 12.6 x 4.6 in at 110 dpi
    assert light.getpixel((2, 2)) == (255, 255, 255) and dark.getpixel((2, 2)) == (17, 17, 17)


def test_timeline_is_drawn_at_the_start_and_again_as_played(run):
    # drawn at step 0; the reactive change made the played schedule differ, so again at the end
    assert image_steps(run, "schedule/timeline") == [0, 40]
    assert (run["out"] / "timeline.png").stat().st_size > 10_000
    assert (run["out"] / "timeline-dark.png").is_file()  # dark=True in this run


def test_reactive_transition_fires_once_after_the_sanity_check_and_keeps_momentum(run):
    reactive = run["reactive"]
    assert reactive.fired_at == 10  # not 0: the sanity check's validation does not count
    logged = {e.step: e.value for e in run["events"].Scalars("sched/reg-norm")}
    # Hand-computed: from 0.1 moving at 0.01/step, minimum jerk to 0.5 in 20 steps has coefficients
    # c = (0.1, 0.2, 0, 2.8, -4.4, 1.8); at tau = 1/2 that is 0.33125, at tau = 1 exactly 0.5.
    assert logged[0] == pytest.approx(0.0, abs=1e-7)
    assert logged[10] == pytest.approx(0.1, abs=1e-7)
    assert logged[20] == pytest.approx(0.33125, abs=1e-6)
    assert logged[30] == pytest.approx(0.5, abs=1e-7)
    played = run["schedule"].table[:, run["schedule"].names.index("reg-norm")]
    # The first step moves by 0.2/20 + 2.8/20^3 - 4.4/20^4 + 1.8/20^5 = 0.0103230625: the ramp's 0.01
    # carried over (from rest it would be (0.5 - 0.1) * 10/20^3 - ... ~ 0.0005).
    assert played[11] - played[10] == pytest.approx(0.0103230625, abs=1e-12)
    assert [e.step for e in run["events"].Scalars("reactive/reg-norm")] == [10]


def test_projector_files(run):
    out = run["out"]
    config = (out / "projector_config.pbtxt").read_text()
    assert 'tensor_name: "latents:00040"' in config and "sprite.png" in config
    rows = (out / "00040" / "latents" / "metadata.tsv").read_text().splitlines()
    assert rows[0] == "name\thue\tsaturation\tvalue"
    assert "red\t0.0\t1.000\t1.000" in rows and "white\t0.0\t0.000\t1.000" in rows
    assert len(rows) == 1 + 512
    tensors = np.loadtxt(out / "00040" / "latents" / "tensors.tsv")
    assert tensors.shape == (512, 4)
    np.testing.assert_allclose(tensors, run["history"].captures[-1].latents, atol=1e-5)
    sprite = Image.open(out / "00040" / "latents" / "sprite.png")
    assert sprite.size == (23 * 8, 23 * 8)  # ceil(sqrt(512)) swatches of 8 px a side
    assert sprite.convert("RGB").getpixel((4, 4)) == (0, 0, 0)  # the first rgb-8 color is black


def test_mesh_is_logged_in_rgb_bytes(run):
    events = run["events"]
    assert {"latent/mesh_VERTEX", "latent/mesh_COLOR"} <= set(events.Tags()["tensors"])
    (vertex_event,) = events.Tensors("latent/mesh_VERTEX")
    (color_event,) = events.Tensors("latent/mesh_COLOR")
    assert vertex_event.step == color_event.step == 40
    vertices = tensor_util.make_ndarray(vertex_event.tensor_proto)[0]
    colors = tensor_util.make_ndarray(color_event.tensor_proto)[0]
    np.testing.assert_allclose(vertices, run["history"].captures[-1].latents[:, :3], atol=1e-6)
    np.testing.assert_array_equal(colors, np.round(make_dataset("rgb-8").rgb.numpy() * 255))


def test_progress_bar_shows_step_loss_and_phase(run):
    last = run["stdout"].replace("\r", "\n").strip().splitlines()[-1]
    assert last.startswith("B: 100%") and "40/40" in last and "loss=" in last


def test_nothing_is_drawn_on_other_ranks(tmp_path, monkeypatch):
    monkeypatch.setattr(rank_zero_only, "rank", 1)
    history, timeline, slices = PhaseHistoryCallback(every_n_steps=5), TimelineFigureCallback(), LatentSliceCallback()
    fit(tmp_path, [ScheduleCallback(SHEET, ignore_actions=["mark"]), history, timeline, ProjectorCallback(), slices], steps=10)
    assert history.captures == [] and history.paths == [] and timeline.paths == [] and slices.paths == []
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix in (".png", ".gif", ".pbtxt")) == []


def test_bad_arguments_name_the_field_and_the_allowed_values():
    with pytest.raises(ValueError, match=r"at='often' is not allowed; allowed: \['auto', 'phases', 'even', 'both'\]"):
        PhaseHistoryCallback(at="often")
    with pytest.raises(ValueError, match="every_n_steps must be a positive integer or null; got 0"):
        PhaseHistoryCallback(every_n_steps=0)
    with pytest.raises(ValueError, match="mode='under' is not allowed"):
        ReactiveTransition("reg-norm", "val/recon_mse", 0.1, 1.0, mode="under")
    with pytest.raises(ValueError, match="mesh_dims must be three"):
        ProjectorCallback(mesh_dims=(0, 1))



def test_reactive_transition_names_what_is_scheduled_and_what_is_logged(tmp_path):
    unscheduled = ReactiveTransition("reg-planar", "val/recon_mse", 1.0, 0.5)
    with pytest.raises(ValueError, match=r"'reg-planar' is not scheduled; scheduled values: \['lr', 'reg-norm'\]"):
        fit(tmp_path / "a", [ScheduleCallback(SHEET, ignore_actions=["mark"]), unscheduled], steps=10)
    unlogged = ReactiveTransition("reg-norm", "val/nope", 1.0, 0.5)
    with pytest.raises(ValueError, match=r"metric 'val/nope' was not logged; logged metrics: \[.*'val/recon_mse'"):
        fit(tmp_path / "b", [ScheduleCallback(SHEET, ignore_actions=["mark"]), unlogged], steps=10)


def test_captures_survive_a_checkpoint_loaded_with_weights_only(run, tmp_path):
    torch.save(run["history"].state_dict(), tmp_path / "state.pt")
    restored = PhaseHistoryCallback()
    restored.load_state_dict(torch.load(tmp_path / "state.pt", weights_only=True))
    assert [(c.step, c.phase) for c in restored.captures] == [(0, "A"), (15, "A"), (20, "A"), (30, "B"), (40, "B")]
    np.testing.assert_array_equal(restored.captures[-1].latents, run["history"].captures[-1].latents)


def test_without_a_tensorboard_logger_the_files_are_still_written(tmp_path):
    L.seed_everything(0)
    history = PhaseHistoryCallback(every_n_steps=5, animation=None)
    trainer = L.Trainer(max_steps=10, val_check_interval=5, check_val_every_n_epoch=None, enable_model_summary=False,
                        enable_checkpointing=False, enable_progress_bar=False, logger=CSVLogger(tmp_path, name="csv"),
                        callbacks=[ScheduleCallback(SHEET, ignore_actions=["mark"]), history, TimelineFigureCallback(), ProjectorCallback(),
                                   LatentSliceCallback()])
    trainer.fit(AnchoredAutoencoder(regularizers=[{"kind": "unitarity", "name": "reg-norm"}]),
                ColorDataModule(dataset="hsv-cube", batch_size=32))
    run_dir = tmp_path / "csv" / "version_0"
    assert sorted(p.name for p in run_dir.glob("*.png")) == ["latent-slices-dark.png", "latent-slices.png",
                                                             "phase-history-dark.png", "phase-history.png",
                                                             "timeline.png"]
    assert not list(run_dir.glob("events.out.tfevents.*")) and not (run_dir / "projector_config.pbtxt").exists()
