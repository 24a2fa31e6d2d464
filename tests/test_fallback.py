"""FallbackControl: a decoder-only term, ||decoder(direction) - target||^2, added to the gradients."""

import pytest
import torch

from colorlatent import AnchoredAutoencoder
from colorlatent.fallback import FallbackControl


def _constant_decoder_module():
    """A 2-dim module whose decoder outputs (1, 0.5, 0) for every latent: decoder(z) =
    W2 gelu(W1 z + b1) + b2 with W1 = 0, b1 = 0, W2 = 0, b2 = (1, 0.5, 0)."""
    module = AnchoredAutoencoder(latent_dim=2, hidden=2, depth=1, normalize=True, sigmoid=False)
    decoder = module.model.decoder
    with torch.no_grad():
        decoder[0].weight.zero_()
        decoder[0].bias.fill_(0.0)
        decoder[2].weight.zero_()
        decoder[2].bias.copy_(torch.tensor([1.0, 0.5, 0.0]))
    return module, decoder


def test_term_value_and_it_reaches_only_the_decoder():
    torch.manual_seed(0)
    module, decoder = _constant_decoder_module()
    control = FallbackControl(direction=[-2.0, 0.0], target=[0.5, 0.5, 0.5], weight=2.0)
    # hand-computed: ((1 - .5)^2 + 0 + (0 - .5)^2) / 3
    assert float(control.loss(module).detach()) == pytest.approx(0.5 / 3)
    module.zero_grad()

    class _Trainer:
        global_step, log_every_n_steps = 1, 50

    control.on_after_backward(_Trainer(), module)
    # d/d b2 of 2 * mean((b2 - t)^2) = 2 * 2 (b2 - t) / 3
    torch.testing.assert_close(decoder[2].bias.grad, torch.tensor([4 * 0.5 / 3, 0.0, -4 * 0.5 / 3]))
    assert all(p.grad is None for p in module.model.encoder.parameters())


def test_bad_arguments():
    with pytest.raises(ValueError, match="RGB triple"):
        FallbackControl(target=[0.5, 0.5])
    with pytest.raises(ValueError, match="weight must be >= 0"):
        FallbackControl(weight=-1.0)


def test_a_fallback_column_of_the_dopesheet_sets_the_weight(tmp_path):
    import lightning as L
    from lightning.pytorch.loggers import TensorBoardLogger
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from colorlatent import ColorDataModule, ScheduleCallback

    # Unit: the scheduled value replaces `weight` (here 2.0 instead of 0.5, so the b2 gradient of
    # the hand-computed case above doubles); without the column `weight` holds.
    module, decoder = _constant_decoder_module()
    control = FallbackControl(direction=[-1.0, 0.0], weight=0.5)
    assert control.weight_now(module) == 0.5
    module.term_weights["fallback"] = 2.0
    control.add_gradient(module)
    torch.testing.assert_close(decoder[2].bias.grad, torch.tensor([4 * 0.5 / 3, 0.0, -4 * 0.5 / 3]))

    # A real fit: the column passes the schedule's column check, and the term (logged only at
    # the steps it trains) starts where the sheet turns it on: held at 0 through step 4.
    L.seed_everything(0)
    model = AnchoredAutoencoder(latent_dim=2, hidden=4, depth=1, normalize=True, sigmoid=False)
    sheet = [{"STEP": 0, "lr": 0.01, "fallback": 0.0, "fallback-mirror": 1.0}, {"STEP": 4, "fallback": 0.0},
             {"STEP": 5, "fallback": 1.0}]
    trainer = L.Trainer(max_steps=8, log_every_n_steps=1, limit_val_batches=0, enable_model_summary=False,
                        enable_checkpointing=False, enable_progress_bar=False,
                        logger=TensorBoardLogger(tmp_path, name="", version="", default_hp_metric=False),
                        callbacks=[ScheduleCallback(sheet), FallbackControl(direction=[-1.0, 0.0], weight=0.1)])
    trainer.fit(model, ColorDataModule(dataset="rgb-8", batch_size=8))
    events = EventAccumulator(str(tmp_path), size_guidance={"scalars": 0}).Reload()
    assert [e.step for e in events.Scalars("train/fallback")] == [5, 6, 7]
    assert [round(e.value, 6) for e in events.Scalars("sched/fallback")] == [0, 0, 0, 0, 0, 1, 1, 1]


def test_a_fallback_mirror_column_scales_the_mirror_term_alone():
    # The hand-made model of test_stack_deletion: encoder = first 3 of 5 dims, decoder(z) =
    # 0.5 z[:3] + 0.5. Cap term: mean over cap points p of 0.25 |p[:3]|^2 / 3; mirror term for
    # red and blue: decoder(-e0) = (0, .5, .5) vs gray (red's reflection is inside the cap) and
    # decoder(e2) = (.5, .5, 1) vs blue: (0.25 + 0.25 + 0.25) / 6.
    module = AnchoredAutoencoder(latent_dim=5, hidden=16, depth=1, normalize=True, sigmoid=False)
    encoder, decoder = torch.nn.Sequential(torch.nn.Linear(3, 5)), torch.nn.Sequential(torch.nn.Linear(5, 3))
    with torch.no_grad():
        encoder[0].weight.copy_(torch.eye(5, 3))
        encoder[0].bias.zero_()
        decoder[0].weight.copy_(0.5 * torch.eye(3, 5))
        decoder[0].bias.fill_(0.5)
    module.model.encoder, module.model.decoder = encoder, decoder
    control = FallbackControl(weight=1.0, cap_degrees=30.0, points=4, mirror=True)
    rgb = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    cap = float((0.25 * (control.points[:, :3] ** 2).sum(dim=1) / 3).mean())
    mirrored = 0.75 / 6
    assert float(control.loss(module, rgb, 0.0).detach()) == pytest.approx(cap, rel=1e-6)
    assert float(control.loss(module, rgb, 0.5).detach()) == pytest.approx(cap + 0.5 * mirrored, rel=1e-6)
    module.term_weights.update({"fallback": 2.0, "fallback-mirror": 0.5})  # as the schedule sets them
    assert float(control.add_gradient(module, (rgb, {}))) == pytest.approx(cap + 0.5 * mirrored, rel=1e-6)
    # d/d b2 of 2 * (cap + 0.5 * mirror), by hand: cap: 2 * mean_p 2 (0.5 p[:3]) / 3 (b2 enters every
    # output); mirror: 2 * 0.5 * 2 * [(0 - .5) + (.5 - 0), (.5 - .5) + (.5 - 0), (.5 - .5) + (1 - 1)] / 6
    cap_grad = 2 * (2 * 0.5 * control.points[:, :3] / 3).mean(dim=0)
    mirror_grad = 2 * 0.5 * 2 * torch.tensor([0.0, 0.5, 0.0]) / 6
    torch.testing.assert_close(decoder[0].bias.grad, cap_grad + mirror_grad)
