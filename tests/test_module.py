import lightning as L
import pytest
import torch
import torch.nn.functional as F

from colorlatent import AnchoredAutoencoder, ColorDataModule, ScheduleCallback

REGS = [
    {"kind": "anchor", "name": "reg-polar", "point": [1.0, 0.0, 0.0, 0.0], "labels": {"red": 1.0}},
    {"kind": "unitarity", "name": "reg-norm"},
]


def test_training_step_adds_weighted_terms_and_skips_zero_weights():
    torch.manual_seed(0)
    module = AnchoredAutoencoder(regularizers=REGS)
    rgb = torch.rand(8, 3)
    labels = {"red": torch.tensor([1.0, 0, 0, 0, 0, 0, 0, 0])}
    z = module.encode(rgb)
    recon = F.mse_loss(module(rgb), rgb)
    polar = ((z[0] - torch.tensor([1.0, 0, 0, 0])) ** 2).sum()
    norm = ((z.norm(dim=1) - 1) ** 2).mean()
    module.term_weights = {"reg-polar": 0.5, "reg-norm": 2.0}
    loss = module.training_step((rgb, labels), 0)
    torch.testing.assert_close(loss, recon + 0.5 * polar / (1 + 1e-8) + 2.0 * norm)
    module.term_weights = {"reg-polar": 0.0, "reg-norm": 2.0}
    torch.testing.assert_close(module.training_step((rgb, labels), 0), recon + 2.0 * norm)


def test_encoder_layer_terms_see_the_pre_normalization_code():
    module = AnchoredAutoencoder(normalize=True, regularizers=[{"kind": "unitarity", "name": "u", "layer": "encoder"}])
    rgb = torch.rand(16, 3)
    h = module.model.encoder(rgb)
    expected = F.mse_loss(module(rgb), rgb) + ((h.norm(dim=1) - 1) ** 2).mean()
    torch.testing.assert_close(module.training_step((rgb, {}), 0), expected)


def test_anchor_of_wrong_length_is_rejected_at_construction():
    with pytest.raises(ValueError, match="point has 3 dims but latent_dim is 4"):
        AnchoredAutoencoder(regularizers=[{"kind": "anchor", "name": "a", "point": [1, 0, 0]}])


def trainer(tmp_path, steps, callbacks=()):
    return L.Trainer(max_steps=steps, default_root_dir=tmp_path, logger=False, enable_checkpointing=False,
                     enable_progress_bar=False, enable_model_summary=False, callbacks=list(callbacks),
                     num_sanity_val_steps=0, limit_val_batches=0)


def test_missing_label_fails_before_training(tmp_path):
    module = AnchoredAutoencoder(regularizers=REGS)
    with pytest.raises(ValueError, match=r"needs label\(s\) \['red'\].*data.labels"):
        trainer(tmp_path, 2).fit(module, ColorDataModule(labels={"vibrant": 0.5}))


def test_schedule_sets_lr_and_weights_each_step(tmp_path):
    sheet = [{"STEP": 0, "lr": 0.001, "reg-norm": 0.0}, {"STEP": 10, "lr": 0.002},
             {"STEP": 20, "reg-norm": 1.0}]
    seen = []

    class Probe(L.Callback):
        def on_before_optimizer_step(self, trainer, pl_module, optimizer):
            seen.append((trainer.global_step, optimizer.param_groups[0]["lr"], pl_module.term_weights["reg-norm"]))

    schedule = ScheduleCallback(sheet)
    module = AnchoredAutoencoder(regularizers=[{"kind": "unitarity", "name": "reg-norm"}])
    trainer(tmp_path, 21, [schedule, Probe()]).fit(module, ColorDataModule())
    assert seen[0] == (0, 0.001, 0.0)
    assert seen[10][1] == pytest.approx(0.002) and seen[20][2] == pytest.approx(1.0)
    for step, lr, weight in seen:
        values = schedule.values_at(step)
        assert lr == values["lr"] and weight == values["reg-norm"]


def test_schedule_sets_max_steps_from_the_sheet_length(tmp_path):
    module = AnchoredAutoencoder()
    t = L.Trainer(default_root_dir=tmp_path, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                  callbacks=[ScheduleCallback([{"STEP": 0, "lr": 0.01}, {"STEP": 14, "lr": 0.001}])],
                  num_sanity_val_steps=0, limit_val_batches=0)
    t.fit(module, ColorDataModule())
    assert t.global_step == 15


def test_checkpoint_round_trip_gives_identical_outputs(tmp_path):
    module = AnchoredAutoencoder(normalize=True, sigmoid=False, regularizers=REGS)
    t = trainer(tmp_path, 5)
    t.fit(module, ColorDataModule(labels={"red": 0.5}))
    path = tmp_path / "m.ckpt"
    t.save_checkpoint(path)
    restored = AnchoredAutoencoder.load_from_checkpoint(path)
    module.eval(), restored.eval()
    x = torch.rand(50, 3)
    assert torch.equal(module(x), restored(x))
    assert torch.equal(module.encode(x), restored.encode(x))
    assert [r.name for r in restored.regularizers] == ["reg-polar", "reg-norm"]


def test_schedule_state_is_saved_in_checkpoints(tmp_path):
    sheet = [{"STEP": 0, "PHASE": "Train", "lr": 0.01}, {"STEP": 9, "lr": 0.001}]
    t = trainer(tmp_path, 10, [ScheduleCallback(sheet)])
    t.fit(AnchoredAutoencoder(), ColorDataModule(seed=0))
    t.save_checkpoint(tmp_path / "s.ckpt")
    ckpt = torch.load(tmp_path / "s.ckpt", weights_only=False)
    (state,) = [v for k, v in ckpt["callbacks"].items() if "ScheduleCallback" in k]
    assert [row["STEP"] for row in state["dopesheet"]] == [0, 9]
    assert ckpt["global_step"] == 10
    assert "generator" in ckpt["ColorDataModule"]  # the batch/label stream position
