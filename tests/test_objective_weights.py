"""The scheduled reconstruction weight and per-sample loss weights (m1-spec §3.1, §3.7 for 1.5 and 1.6)."""

import lightning as L
import pytest
import torch
import torch.nn.functional as F

from colorlatent import AnchoredAutoencoder, ColorDataModule, ScheduleCallback
from colorlatent.data.curriculum import SAMPLE_WEIGHT

REGS = [
    {"kind": "euclidean-repulsion", "name": "reg-separate"},
    {"kind": "subspace", "name": "reg-planar", "dims": [0, 1], "reduction": "mean"},
    {"kind": "unitarity", "name": "reg-norm"},
]


def test_recon_term_is_weighted_by_its_column():
    torch.manual_seed(0)
    module = AnchoredAutoencoder(regularizers=REGS[2:], recon_name="loss-recon")
    assert module.schedule_columns == ("loss-recon",)
    rgb = torch.rand(8, 3)
    z = module.encode(rgb)
    recon = F.mse_loss(module(rgb), rgb)
    norm = ((z.norm(dim=1) - 1) ** 2).mean()
    module.term_weights = {"loss-recon": 0.8, "reg-norm": 0.25}
    torch.testing.assert_close(module.training_step((rgb, {}), 0), 0.8 * recon + 0.25 * norm)
    module.term_weights = {"reg-norm": 0.25}  # no value yet: weight 1
    torch.testing.assert_close(module.training_step((rgb, {}), 0), recon + 0.25 * norm)


def test_without_recon_name_the_recon_weight_is_one_and_the_column_is_refused(tmp_path):
    module = AnchoredAutoencoder(regularizers=REGS[2:])
    assert module.schedule_columns == ()
    module.term_weights = {"loss-recon": 0.5}  # not read without recon_name
    rgb = torch.rand(4, 3)
    z = module.encode(rgb)
    expected = F.mse_loss(module(rgb), rgb) + ((z.norm(dim=1) - 1) ** 2).mean()
    torch.testing.assert_close(module.training_step((rgb, {}), 0), expected)
    trainer = L.Trainer(max_steps=1, default_root_dir=tmp_path, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, limit_val_batches=0,
                        callbacks=[ScheduleCallback([{"STEP": 0, "lr": 0.01, "loss-recon": 0.5}])])
    with pytest.raises(ValueError, match="dopesheet column 'loss-recon' is not used"):
        trainer.fit(module, ColorDataModule())


def test_recon_name_may_not_be_a_regularizer_name():
    with pytest.raises(ValueError, match="recon_name='reg-norm' is also a regularizer's name"):
        AnchoredAutoencoder(regularizers=REGS[2:], recon_name="reg-norm")


def test_per_sample_weights_scale_per_sample_terms_and_leave_batch_terms_alone():
    torch.manual_seed(1)
    module = AnchoredAutoencoder(regularizers=REGS, recon_name="loss-recon")
    rgb = torch.rand(5, 3)
    w = torch.tensor([0.1, 0.2, 0.3, 0.15, 0.25])  # sums to 1, as the 1.6 focus weights do
    z = module.encode(rgb)
    rgb_hat = module(rgb)
    # (1/B) sum_i w_i l_i for the per-sample terms (recon per sample: mean over the 3 channels)
    recon = (((rgb_hat - rgb) ** 2).mean(dim=1) * w).sum() / 5
    planar = ((z[:, 2:] ** 2).mean(dim=1) * w).sum() / 5
    norm = (((z.norm(dim=1) - 1) ** 2) * w).sum() / 5
    # Euclidean repulsion is one number for the batch and is used as is.
    d2 = ((z[:, None, :2] - z[None, :, :2]) ** 2).sum(-1) * (1 - torch.eye(5))
    separate = (1 / (d2 + 1e-6)).mean()
    module.term_weights = {"loss-recon": 0.8, "reg-separate": 0.3, "reg-planar": 0.2, "reg-norm": 0.25}
    loss = module.training_step((rgb, {SAMPLE_WEIGHT: w}), 0)
    torch.testing.assert_close(loss, 0.8 * recon + 0.3 * separate + 0.2 * planar + 0.25 * norm)
    # Weights of one are the plain means.
    ones = module.training_step((rgb, {SAMPLE_WEIGHT: torch.ones(5)}), 0)
    torch.testing.assert_close(ones, module.training_step((rgb, {}), 0))


def test_a_seed_stack_refuses_a_scheduled_recon_weight():
    from colorlatent.vectorized import NotVectorizable, check_vectorizable

    trainer = L.Trainer(max_steps=1, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False)
    with pytest.raises(NotVectorizable, match="model.recon_name='loss-recon'"):
        check_vectorizable(AnchoredAutoencoder(recon_name="loss-recon"), ColorDataModule(), trainer)
    assert check_vectorizable(AnchoredAutoencoder(), ColorDataModule(), trainer) == []
