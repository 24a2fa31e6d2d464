"""The deletion model (ex 2.4, red) trains as a seed stack exactly as seed by seed.

Two things the generic stack tests did not cover: a config with two per-sample terms on the
same latent (anti-anchor and anti-subspace), whose gradients must reach the latent grouped as a
single model adds them, and fallback control, a callback that adds a decoder-only gradient.
References are the single-model code paths, compared to the last bit (`torch.equal`).
"""

from __future__ import annotations

import math
from pathlib import Path

import lightning as L
import pytest
import torch
import torch.nn.functional as F
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from colorlatent import AnchoredAutoencoder, ColorDataModule
from colorlatent.cli import configure_threads
from colorlatent.experiment import train
from colorlatent.fallback import FallbackControl, cap_points
from colorlatent.regularizers import build_regularizer
from colorlatent.vectorized import NotVectorizable, SeedStackModule, stacked_term, train_seeds, verify_exact
from colorlatent.vectorized import terms as stacked_terms

ROOT = Path(__file__).resolve().parents[1]
FALLBACK = ROOT / "experiments" / "configs" / "ex_2_4_red_fallback.yaml"
RED_TERMS = [  # the isolated model's terms (ex_2_4_red.yaml)
    {"kind": "separation", "name": "separate", "power": 100.0, "shift": True},
    {"kind": "angular-anchor", "name": "anchor", "point": [1.0, 0.0, 0.0, 0.0, 0.0], "labels": {"red": 1.0}},
    {"kind": "anti-anchor", "name": "anti-anchor", "point": [-1.0, 0.0, 0.0, 0.0, 0.0], "hemi": True},
    {"kind": "subspace", "name": "anti-subspace", "dims": [0], "invert": True},
]


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    threads = torch.get_num_threads()
    configure_threads()
    yield
    torch.set_num_threads(threads)


def _red_models(seeds):
    models = []
    for seed in seeds:
        torch.manual_seed(seed)
        models.append(AnchoredAutoencoder(latent_dim=5, hidden=16, depth=2, activation="gelu", normalize=True,
                                          sigmoid=False, regularizers=[dict(t) for t in RED_TERMS]))
    return models


def test_gradients_of_several_per_sample_terms_reach_the_latent_as_in_a_single_model():
    # Weights as the schedule gives them early on (tiny anchor weights): the sum of the terms'
    # gradients on each latent must be the single model's to the bit, not only each term's.
    regs = [build_regularizer(dict(t)) for t in RED_TERMS]
    weights = [0.01, 5.2e-7, 2.6e-7, 0.25]
    gen = torch.Generator().manual_seed(3)
    z = F.normalize(torch.randn(3, 64, 5, generator=gen), dim=-1)
    labels = {"red": (torch.rand(3, 64, generator=gen) < 0.1).float()}
    zb = z.clone().requires_grad_()
    sum(w * stacked_term(r, zb, labels) for w, r in zip(weights, regs)).sum().backward()
    for s in range(3):
        zs = z[s].clone().requires_grad_()
        sum(w * r.term(zs, {"red": labels["red"][s]}) for w, r in zip(weights, regs)).backward()
        assert torch.equal(zb.grad[s], zs.grad), s


def test_cap_points_cover_the_cap_from_pole_to_rim():
    pole = torch.tensor([-1.0, 0.0, 0.0, 0.0, 0.0])
    points = cap_points(pole, 45.0, 8, seed=0)
    assert points.shape == (9, 5)
    torch.testing.assert_close(points.norm(dim=1), torch.ones(9))
    angles = torch.rad2deg(torch.acos((points @ pole).clamp(-1, 1)))
    # hand-computed: 0 for the pole, then 45 * i / 8 degrees
    torch.testing.assert_close(angles, torch.tensor([0.0] + [45.0 * i / 8 for i in range(1, 9)]), atol=1e-3, rtol=0)
    assert torch.equal(points, cap_points(pole, 45.0, 8, seed=0))  # fixed for the run
    with pytest.raises(ValueError, match="cap_degrees must be in \\[0, 90\\), got 90"):
        FallbackControl(cap_degrees=90.0)


def test_stacked_fallback_gradient_equals_each_single_models():
    seeds = [0, 1, 2]
    control = FallbackControl(direction=[-1.0, 0, 0, 0, 0], weight=0.1, cap_degrees=45.0, points=16)
    singles = _red_models(seeds)
    stack = SeedStackModule(_red_models(seeds))
    stacked = control.add_gradient(stack)
    assert stacked.shape == (3,)
    grads = {k: p.grad for k, p in stack.model.named_parameters()}
    for s, single in enumerate(singles):
        term = control.add_gradient(single)
        assert torch.equal(stacked[s], term)
        # the term by hand: mean over the 17 points and R, G, B of (decoder(p) - 0.5)^2
        with torch.no_grad():
            by_hand = ((single.model.decoder(control.points) - 0.5) ** 2).mean()
        assert float(term) == pytest.approx(float(by_hand), rel=1e-6)
        for k, p in single.model.named_parameters():
            if k.startswith("encoder"):
                assert p.grad is None and grads[k] is None  # decoder only
            else:
                assert torch.equal(grads[k][s], p.grad), k


def test_mirror_term_by_hand_and_stacked_equal_to_single():
    # Hand-made model: the encoder sends red to e0 and blue to e2; the decoder outputs
    # 0.5 + 0.5 z[:3]. Reflected across the plane orthogonal to -e0: red -> -e0 (inside the
    # 30-degree cap: should decode to gray), blue -> e2 (outside: should decode to blue).
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
    # cap term: decoder(p) - gray = 0.5 p[:3] for every cap point p
    cap = float((0.25 * (control.points[:, :3] ** 2).sum(dim=1) / 3).mean())
    # mirror term: decoder(-e0) = (0, .5, .5) vs gray, decoder(e2) = (.5, .5, 1) vs blue
    mirrored = (0.25 + 0.25 + 0.25) / 6
    assert float(control.loss(module, rgb).detach()) == pytest.approx(cap + mirrored, rel=1e-6)
    assert float(control.loss(module).detach()) == pytest.approx(cap, rel=1e-6)  # no batch: the cap alone

    seeds = [0, 1, 2]
    control = FallbackControl(direction=[-1.0, 0, 0, 0, 0], weight=0.1, cap_degrees=30.0, mirror=True)
    rgb = torch.rand(3, 64, 3, generator=torch.Generator().manual_seed(5))
    rgb[:, 0] = torch.tensor([1.0, 0.0, 0.0])  # pure red in every batch
    singles, stack = _red_models(seeds), SeedStackModule(_red_models(seeds))
    stacked = control.add_gradient(stack, (rgb, {}))
    grads = dict(stack.model.named_parameters())
    for s, single in enumerate(singles):
        assert torch.equal(stacked[s], control.add_gradient(single, (rgb[s], {})))
        for k, p in single.model.named_parameters():
            assert (p.grad is None) if k.startswith("encoder") else torch.equal(grads[k].grad[s], p.grad), k


def test_verify_exact_sees_gradients_that_differ_in_the_last_bits(monkeypatch):
    seeds = [0, 1, 2]
    data = ColorDataModule(dataset="rgb-8", batch_size=64, samples_per_epoch=64,
                           labels={"red": {"power": 8, "scale": 0.08}})
    L.seed_everything(0, verbose=False)
    verify_exact(_red_models(seeds), data, seeds)  # the real stack is exact
    original = stacked_terms.stacked_term

    def flattened(reg, latent, labels):  # per-sample terms on [S*B, k] views: same values, other grouping
        if isinstance(reg, stacked_terms.AngularSeparation):
            return original(reg, latent, labels)
        per_sample = reg.loss(latent.reshape(-1, latent.shape[-1])).reshape(latent.shape[:-1])
        return stacked_terms._reduce(reg, per_sample, latent, labels)

    monkeypatch.setattr("colorlatent.vectorized.module.stacked_term", flattened)
    with pytest.raises(NotVectorizable, match=r"encoder\.\d\.(weight|bias) \(gradient\)"):
        verify_exact(_red_models(seeds), data, seeds)


def test_a_fallback_config_trains_as_a_stack_equal_to_single_runs(tmp_path):
    few = ["--trainer.max_steps=20", "--trainer.val_check_interval=10", "--trainer.log_every_n_steps=5"]
    runs = train_seeds(FALLBACK, [3, 4], [tmp_path / "seed_3", tmp_path / "seed_4"], few, quiet=True)
    single = train(FALLBACK, 4, out=tmp_path / "single", overrides=few)
    want = single.model.state_dict()
    assert all(torch.equal(runs[1].model.state_dict()[k], want[k]) for k in want)
    # each seed's own fallback term is in its log, as in the single run's
    def scalars(path):
        acc = EventAccumulator(str(path), size_guidance={"scalars": 0}).Reload()
        return {e.step: e.value for e in acc.Scalars("train/fallback")}

    got, ref = scalars(tmp_path / "seed_4"), scalars(tmp_path / "single")
    assert got.keys() == ref.keys() == {0, 5, 10, 15}
    assert got == pytest.approx(ref, rel=1e-6)
    assert math.isfinite(got[15]) and got[15] < got[0]  # the decoder is learning it
