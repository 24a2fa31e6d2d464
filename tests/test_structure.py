"""Structure metrics as torchmetrics: hand-built latents with known answers, and a real Trainer run."""

import math

import lightning as L
import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from colorlatent import AnchoredAutoencoder
from colorlatent.color import HUES, named_colors
from colorlatent.data.datamodule import ColorDataModule
from colorlatent.structure import (
    AnchorAlignment,
    HueOrder,
    NamedColorMSE,
    NormDeviation,
    PlanarityResidual,
    ReconstructionMSE,
    StructureMetrics,
)


def wheel(n=12, radius=1.0):
    angles = torch.arange(n) * 2 * math.pi / n
    return torch.stack([radius * torch.cos(angles), radius * torch.sin(angles)], dim=1)


def test_hue_order_of_a_perfect_wheel_is_one_even_when_fed_in_two_batches():
    metric = HueOrder(plane=(0, 1))
    z = torch.zeros(12, 4)
    z[:, :2] = wheel()
    metric.update(z[:5])
    metric.update(z[5:])
    assert metric.compute().item() == 1.0
    metric.reset()
    z[[3, 4]] = z[[4, 3]]  # hues 0,1,2,4,3,5..: only the step 4 -> 3 turns backwards
    metric.update(z)
    assert metric.compute().item() == pytest.approx(11 / 12)


def test_planarity_residual_accumulates_exactly_over_batches():
    metric = PlanarityResidual(plane=(0, 1))
    metric.update(torch.tensor([[1.0, 0.0, 3.0, 4.0]]))   # off-plane distance^2 = 25
    metric.update(torch.tensor([[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]]))  # 0 and 1
    assert metric.compute().item() == pytest.approx(math.sqrt(26 / 3))


def test_anchor_alignment_norm_deviation_and_reconstruction():
    anchor = AnchorAlignment([1.0, 0.0, 0.0, 0.0])
    anchor.update(torch.tensor([2.0, 2.0, 0.0, 0.0]))      # 45 degrees
    anchor.update(torch.tensor([[0.0, 0.0, 5.0, 0.0]]))    # 90 degrees
    assert anchor.compute().item() == pytest.approx((2 ** -0.5 + 0.0) / 2)
    norm = NormDeviation()
    norm.update(torch.tensor([[3.0, 4.0]]))                 # |5 - 1| = 4
    norm.update(torch.tensor([[0.5, 0.0], [1.0, 0.0]]))     # 0.5 and 0
    assert norm.compute().item() == pytest.approx(4.5 / 3)
    recon = ReconstructionMSE()
    recon.update(torch.zeros(2, 3), torch.ones(2, 3))       # 6 squared errors of 1
    recon.update(torch.zeros(1, 3), torch.full((1, 3), 3.0))  # 3 of 9
    assert recon.compute().item() == pytest.approx((6 + 27) / 9)
    with pytest.raises(ValueError, match="non-zero vector"):
        AnchorAlignment([0.0, 0.0])


def test_named_color_mse_is_per_color():
    metric = NamedColorMSE(["red", "blue"])
    metric.update(torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 0.4]]), torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]))
    values = metric.compute()
    assert values["red"].item() == 0.0
    assert values["blue"].item() == pytest.approx(0.36 / 3)
    with pytest.raises(ValueError, match="one row per named color"):
        metric.update(torch.zeros(3, 3), torch.zeros(3, 3))


class _Wheel(torch.nn.Module):
    """A hand-made 'model': hues on the unit circle of dims 0/1 at their hue angle, red at
    (1, 0, 0, 0), grays at the origin lifted by `lift` in dim 2; decoding returns gray 0.5."""

    def __init__(self, lift=0.0):
        super().__init__()
        self.lift = lift

    def encode(self, rgb):
        named = named_colors()
        z = torch.zeros(len(rgb), 4)
        for row, name in enumerate(named.names):
            if name in HUES:
                angle = 2 * math.pi * HUES[name]
                z[row, :2] = torch.tensor([math.cos(angle), math.sin(angle)])
            else:
                z[row, 2] = self.lift
        return z

    def decode(self, z):
        return torch.full((len(z), 3), 0.5)


def test_structure_metrics_on_a_hand_made_wheel():
    named = named_colors()
    metrics = StructureMetrics(named, plane=(0, 1), anchors={"red": torch.tensor([1.0, 0, 0, 0]),
                                                             "vibrant": torch.tensor([0.0, 1, 0, 0])})
    metrics.update(_Wheel(lift=1.0))
    values = metrics.compute()
    assert values["hue_order"].item() == 1.0
    assert values["planarity_rms"].item() == pytest.approx(0.0, abs=1e-7)
    assert values["hue_radius"].item() == pytest.approx(1.0)
    assert values["norm_deviation"].item() == pytest.approx(0.0, abs=1e-6)  # grays lifted to norm 1 too
    assert values["red_anchor_cos"].item() == pytest.approx(1.0)
    assert "vibrant_anchor_cos" not in values  # `vibrant` names no color
    # decoding to gray 0.5: red (1, 0, 0) is off by 0.5 in every channel; gray is exact
    assert values["recon_mse/red"].item() == pytest.approx(0.25)
    assert values["recon_mse/gray"].item() == pytest.approx(0.0)
    assert values["recon_mse/dark_gray"].item() == pytest.approx(0.0625)
    metrics.reset()
    metrics.update(_Wheel(lift=0.0))  # grays at the origin: 5 of 17 colors 1 off the unit sphere
    assert metrics.compute()["norm_deviation"].item() == pytest.approx(5 / 17)


def test_validation_logs_every_structure_metric_to_tensorboard(tmp_path):
    model = AnchoredAutoencoder(regularizers=[
        {"kind": "anchor", "name": "reg-polar", "point": [1.0, 0.0, 0.0, 0.0], "labels": {"red": 1.0}},
        {"kind": "unitarity", "name": "reg-norm"},
    ])
    data = ColorDataModule(dataset="hsv-cube", batch_size=64, labels={"red": 0.5}, val_dataset="rgb-8", seed=0)
    trainer = L.Trainer(max_steps=20, val_check_interval=10, log_every_n_steps=5, enable_progress_bar=False,
                        enable_model_summary=False, enable_checkpointing=False, num_sanity_val_steps=0,
                        logger=L.pytorch.loggers.TensorBoardLogger(tmp_path, name="", version=""))
    trainer.fit(model, data)
    acc = EventAccumulator(str(tmp_path), size_guidance={"scalars": 0})
    acc.Reload()
    tags = set(acc.Tags()["scalars"])
    expected = {"val/recon_mse", "val/hue_order", "val/planarity_rms", "val/hue_radius", "val/norm_deviation",
                "val/red_anchor_cos"} | {f"val/recon_mse/{n.replace(' ', '_')}" for n in named_colors().names}
    assert expected <= tags, expected - tags
    assert [e.step for e in acc.Scalars("val/hue_order")] == [9, 19]  # each validation, as Lightning steps it
    # the logged values are the model's: recompute them at the end, in eval mode as validation runs
    model.eval()
    with torch.no_grad():
        rgb = data.val_set.rgb
        want = torch.nn.functional.mse_loss(model(rgb), rgb).item()
        structure = model.structure_metrics()
    assert acc.Scalars("val/recon_mse")[-1].value == pytest.approx(want, rel=1e-5)
    assert acc.Scalars("val/recon_mse/red")[-1].value == pytest.approx(structure["recon_mse/red"].item(), rel=1e-5)
    assert acc.Scalars("val/red_anchor_cos")[-1].value == pytest.approx(structure["red_anchor_cos"].item(), rel=1e-5)
