"""The seed stack reproduces single runs exactly: products, model, terms, data streams, training.

The reference for every stacked result is the single-model code path (`F.linear`, `u @ u.T`,
`Regularizer.term`, `ColorDataModule.sample`, `colorlatent.experiment.train`), compared to the
last bit (`torch.equal`) on the CPU.
"""

from __future__ import annotations

from pathlib import Path

import lightning as L
import pytest
import torch
import torch.nn.functional as F
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from colorlatent import AnchoredAutoencoder, BottleneckAutoencoder, ColorDataModule
from colorlatent.cli import configure_threads
from colorlatent.experiment import train
from colorlatent.regularizers import build_regularizer
from colorlatent.vectorized import (
    NotVectorizable,
    SeedStackDataModule,
    SeedStackModule,
    StackedAutoencoder,
    StackedSweep,
    TrainRequest,
    check_vectorizable,
    stackable,
    stacked_gram,
    stacked_linear,
    stacked_pow,
    stacked_term,
    train_seeds,
    verify_exact,
)
from colorlatent.vectorized.terms import _isclose_to_one

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "experiments" / "configs" / "ex_2_3.yaml"


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """As every colorlatent run: on 2 shared cores a second intra-op thread only waits."""
    threads = torch.get_num_threads()
    configure_threads()
    yield
    torch.set_num_threads(threads)


def _grads(*tensors):
    return [t.grad for t in tensors]


# -- products --------------------------------------------------------------------------------------
@pytest.mark.parametrize("batch,fan_in,fan_out", [(64, 3, 16), (64, 16, 4), (64, 4, 16), (64, 16, 3), (37, 5, 7)])
def test_stacked_linear_equals_linear_with_gradients(batch, fan_in, fan_out):
    gen = torch.Generator().manual_seed(batch + fan_in)
    x, w, b = (torch.randn(5, batch, fan_in, generator=gen), torch.randn(5, fan_out, fan_in, generator=gen),
               torch.randn(5, fan_out, generator=gen))
    grad = torch.randn(5, batch, fan_out, generator=gen)
    singles = []
    for s in range(5):
        xs, ws, bs = (t[s].clone().requires_grad_() for t in (x, w, b))
        out = F.linear(xs, ws, bs)
        out.backward(grad[s])
        singles.append((out.detach(), *_grads(xs, ws, bs)))
    xb, wb, bb = (t.clone().requires_grad_() for t in (x, w, b))
    out = stacked_linear(xb, wb, bb)
    out.backward(grad)
    for got, want in zip((out.detach(), *_grads(xb, wb, bb)), zip(*singles)):
        assert torch.equal(got, torch.stack(want))


def test_stacked_gram_equals_matmul_with_gradient():
    gen = torch.Generator().manual_seed(1)
    u = F.normalize(torch.randn(4, 64, 4, generator=gen), dim=-1)
    grad = torch.randn(4, 64, 64, generator=gen)
    singles = []
    for s in range(4):
        us = u[s].clone().requires_grad_()
        out = us @ us.T
        out.backward(grad[s])
        singles.append((out.detach(), us.grad))
    ub = u.clone().requires_grad_()
    out = stacked_gram(ub)
    out.backward(grad)
    assert torch.equal(out.detach(), torch.stack([o for o, _ in singles]))
    assert torch.equal(ub.grad, torch.stack([g for _, g in singles]))


@pytest.mark.parametrize("batch", [64, 36])  # 36 x 36 leaves a SIMD tail in each model's matrix
def test_stacked_pow_equals_each_models_power_with_gradient(batch):
    gen = torch.Generator().manual_seed(batch)
    c = torch.rand(5, batch, batch, generator=gen) * 0.5 + 0.5  # where c**100 is neither 0 nor 1
    grad = torch.randn(5, batch, batch, generator=gen)
    singles = []
    for s in range(5):
        cs = c[s].clone().requires_grad_()
        out = cs**100.0
        out.backward(grad[s])
        singles.append((out.detach(), cs.grad))
    cb = c.clone().requires_grad_()
    out = stacked_pow(cb, 100.0)
    out.backward(grad)
    assert torch.equal(out.detach(), torch.stack([o for o, _ in singles]))
    assert torch.equal(cb.grad, torch.stack([g for _, g in singles]))


def test_isclose_to_one_is_torch_isclose_at_the_boundary():
    # Walk float32 values across both edges of the tolerance 1e-8 + 1e-5 around 1.
    values = [0.0, -1.0, 0.5, 1.0, 2.0, float("nan"), float("inf"), float("-inf")]
    for edge in (1 - 1.001e-5, 1 + 1.001e-5):
        x = torch.tensor(edge, dtype=torch.float32)
        for _ in range(400):
            values.append(x.item())
            x = torch.nextafter(x, torch.tensor(1.0))
    x = torch.tensor(values, dtype=torch.float32)
    expected = torch.isclose(x, torch.ones_like(x))
    assert expected.any() and not expected.all()  # the walk crosses the boundary
    assert torch.equal(_isclose_to_one(x), expected)


# -- the stacked model -----------------------------------------------------------------------------
def _models(seeds, **kwargs):
    models = []
    for seed in seeds:
        torch.manual_seed(seed)
        models.append(BottleneckAutoencoder(**kwargs))
    return models


@pytest.mark.parametrize("kwargs", [
    dict(latent_dim=4, normalize=True, sigmoid=False),
    dict(latent_dim=5, depth=2, activation="relu", normalize=False, sigmoid=True),
])
def test_stacked_autoencoder_equals_each_model(kwargs):
    models = _models([3, 1, 4], **kwargs)
    stack = StackedAutoencoder(models)
    rgb = torch.rand(3, 50, 3, generator=torch.Generator().manual_seed(0))
    for training in (True, False):
        stack.train(training)
        out = stack(rgb)
        for s, model in enumerate(models):
            model.train(training)
            assert torch.equal(out[s], model(rgb[s]))
            assert torch.equal(stack.encode(rgb)[s], model.encode(rgb[s]))
    for s, model in enumerate(models):
        state = stack.seed_state_dict(s)
        assert list(state) == list(model.state_dict())
        assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())


def test_stacked_autoencoder_refuses_different_architectures():
    with pytest.raises(ValueError, match="shape"):
        StackedAutoencoder(_models([0], hidden=16) + _models([1], hidden=8))
    with pytest.raises(ValueError, match="sigmoid"):
        StackedAutoencoder(_models([0], sigmoid=True) + _models([1], sigmoid=False))


# -- terms -------------------------------------------------------------------------------------------
TERMS = [
    {"kind": "unitarity", "name": "norm", "layer": "encoder"},
    {"kind": "unitarity", "name": "norm-v", "labels": {"vibrant": 1.0}},
    {"kind": "planarity", "name": "planar", "labels": {"vibrant": 1.0}},
    {"kind": "subspace", "name": "anti", "dims": [0], "invert": True},
    {"kind": "subspace", "name": "mean", "dims": [0, 1], "reduction": "mean", "labels": {"red": 1.0}},
    {"kind": "anchor", "name": "pin", "point": [1.0, 0.0, 0.0, 0.0], "labels": {"red": 1.0}},
    {"kind": "angular-anchor", "name": "anchor", "point": [0.6, 0.8, 0.0, 0.0], "labels": {"red": 0.5, "vibrant": 0.7}},
    {"kind": "anti-anchor", "name": "anti", "point": [-1.0, 0.0, 0.0, 0.0]},
    {"kind": "anti-anchor", "name": "anti-full", "point": [0.0, 0.0, 1.0, 0.0], "hemi": False, "labels": {"red": 1.0}},
    {"kind": "separation", "name": "separate", "power": 100.0, "shift": True},
    {"kind": "separation", "name": "separate-10", "power": 10.0, "shift": False, "dims": [0, 1, 2]},
    {"kind": "separation", "name": "separate-red", "power": 10.0, "shift": True, "labels": {"red": 1.0}},
]


@pytest.mark.parametrize("spec", TERMS, ids=[t["name"] for t in TERMS])
def test_stacked_terms_equal_single_terms_with_gradients(spec):
    reg = build_regularizer(dict(spec))
    assert stackable(reg)
    gen = torch.Generator().manual_seed(7)
    z = torch.randn(4, 64, 4, generator=gen)
    z[:, 9] = z[:, 2]  # a duplicate sample, as drawing with replacement makes: separation drops the pair
    labels = {name: (torch.rand(4, 64, generator=gen) < 0.1).float() for name in ("red", "vibrant")}
    labels["red"][3] = 0.0  # a model whose batch has no red label: its labelled terms are exactly 0
    singles = []
    for s in range(4):
        zs = z[s].clone().requires_grad_()
        term = reg.term(zs, {k: v[s] for k, v in labels.items()})
        term.backward()
        singles.append((term.detach(), zs.grad))
    zb = z.clone().requires_grad_()
    terms = stacked_term(reg, zb, labels)
    terms.sum().backward()
    assert torch.equal(terms.detach(), torch.stack([t for t, _ in singles]))
    assert torch.equal(zb.grad, torch.stack([g for _, g in singles]))


def test_terms_without_a_stacked_form_are_refused():
    reg = build_regularizer({"kind": "euclidean-repulsion", "name": "repel"})
    assert not stackable(reg)
    with pytest.raises(ValueError, match="'repel'.*EuclideanRepulsion.*stackable"):
        stacked_term(reg, torch.zeros(2, 8, 4), {})


# -- data streams ------------------------------------------------------------------------------------
REDUX = {"red": {"power": 8, "scale": 0.08}, "vibrant": {"power": 10, "scale": 0.01}}
STREAMS = {
    "redux": dict(dataset="rgb-8", batch_size=64, sampling="uniform", samples_per_epoch=512, labels=REDUX),
    "bias-ragged": dict(dataset="hsv-cube", batch_size=64, sampling="bias", samples_per_epoch=200,
                        labels={"red": 0.5, "vibrant": 0.5}),
    "soft": dict(dataset="rgb-8", batch_size=16, sampling="uniform", labels=REDUX, soft_labels=True),
    "full-batch": dict(dataset="rgb-4", batch_size=None, labels={"red": 0.5}),
    "fixed-seed": dict(dataset="rgb-8", batch_size=8, sampling="uniform", labels=REDUX, seed=5),
    "no-labels": dict(dataset="rgb-8", batch_size=8, sampling="uniform"),
}


@pytest.mark.parametrize("name", list(STREAMS))
def test_seed_stack_streams_equal_single_streams(name):
    kwargs = STREAMS[name]
    seeds = [0, 3, 11]
    singles, modules = [], []
    for seed in seeds:
        torch.manual_seed(seed)  # what seed_everything(seed) leaves for the data module's generator
        dm = ColorDataModule(**kwargs)
        sizes = [dm._batch_size_at(i % dm.steps_per_epoch) for i in range(6)]
        singles.append([dm.sample(size) for size in sizes])
        modules.append(dm)
    stack = SeedStackDataModule(seeds, **kwargs)
    for step, size in enumerate(sizes):
        rgb, labels = stack.sample(size)
        for s, single in enumerate(singles):
            want_rgb, want_labels = single[step]
            assert torch.equal(rgb[s], want_rgb)
            assert labels.keys() == want_labels.keys()
            assert all(torch.equal(labels[k][s], want_labels[k]) for k in labels)
    for s, dm in enumerate(modules):  # what a checkpoint of each single run would hold
        assert torch.equal(stack.seed_state_dict(s)["generator"], dm.state_dict()["generator"])


# -- the module ----------------------------------------------------------------------------------------
def _anchored(seeds):
    kwargs = dict(latent_dim=4, normalize=True, sigmoid=False, regularizers=[
        {"kind": "separation", "name": "separate", "power": 100.0, "shift": True},
        {"kind": "angular-anchor", "name": "anchor", "point": [1.0, 0.0, 0.0, 0.0], "labels": {"red": 1.0}},
    ])
    models = []
    for seed in seeds:
        torch.manual_seed(seed)
        models.append(AnchoredAutoencoder(**kwargs))
    return models


def _train_by_hand(stack: SeedStackModule, data: SeedStackDataModule, steps: int) -> None:
    optimizer = stack.configure_optimizers()
    for group in optimizer.param_groups:
        group["lr"] = 0.05
    for step in range(steps):
        loss = stack.training_step(data.sample(32), step)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def test_a_diverging_model_is_reported_and_leaves_the_others_alone():
    seeds = [0, 1, 2]
    models = _anchored(seeds)
    with torch.no_grad():
        models[1].model.encoder[0].weight.fill_(float("nan"))
    stack = SeedStackModule(models)
    _train_by_hand(stack, SeedStackDataModule(seeds, dataset="rgb-8", labels=REDUX), 3)
    assert stack.nonfinite_steps() == {1: 0}
    healthy = SeedStackModule(_anchored([0, 2]))
    _train_by_hand(healthy, SeedStackDataModule([0, 2], dataset="rgb-8", labels=REDUX), 3)
    for index, other in ((0, 0), (2, 1)):
        got, want = stack.model.seed_state_dict(index), healthy.model.seed_state_dict(other)
        assert all(torch.equal(got[k], want[k]) for k in want)


def test_configs_the_stack_cannot_train_are_refused():
    dm = ColorDataModule(dataset="rgb-8", labels=REDUX)
    repel = AnchoredAutoencoder(latent_dim=4, regularizers=[{"kind": "euclidean-repulsion", "name": "repel"}])
    trainer = L.Trainer(logger=False, enable_progress_bar=False, enable_checkpointing=False)
    with pytest.raises(NotVectorizable, match="repel"):
        check_vectorizable(repel, dm, trainer)

    class Reacts(L.Callback):
        pass

    trainer = L.Trainer(logger=False, enable_progress_bar=False, enable_checkpointing=False, callbacks=[Reacts()])
    with pytest.raises(NotVectorizable, match="Reacts"):
        check_vectorizable(_anchored([0])[0], dm, trainer)


def test_a_stack_that_would_drift_is_refused_before_training(monkeypatch):
    seeds = [0, 1, 2]
    models = _anchored(seeds)
    before = [m.state_dict() for m in models]
    dm = ColorDataModule(dataset="rgb-8", batch_size=64, samples_per_epoch=100, labels=REDUX)  # batches 64, 36
    verify_exact(models, dm, seeds)  # the real stack is exact, at both batch sizes
    assert all(torch.equal(m.state_dict()[k], v[k]) for m, v in zip(models, before) for k in v)  # untouched
    original = SeedStackModule.training_step

    def drifting(self, batch, batch_idx):  # a stacked loss whose gradient is off by 1e-3 in one bias
        return original(self, batch, batch_idx) + 1e-3 * self.model.decoder[0].bias.sum()

    monkeypatch.setattr(SeedStackModule, "training_step", drifting)
    with pytest.raises(NotVectorizable, match=r"batch size 36.*decoder\.0\.bias"):
        verify_exact(models, ColorDataModule(dataset="rgb-8", batch_size=64, samples_per_epoch=36, labels=REDUX),
                     seeds)


# -- whole runs: the stack against colorlatent.experiment.train -------------------------------------
FEW = ["--trainer.max_steps=40", "--trainer.val_check_interval=20", "--trainer.log_every_n_steps=10"]


def _scalars(run_dir: Path) -> dict[str, dict[int, float]]:
    acc = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})
    acc.Reload()
    return {tag: {e.step: e.value for e in acc.Scalars(tag)} for tag in acc.Tags()["scalars"]}


def test_a_few_steps_of_the_stack_equal_the_single_run(tmp_path):
    seeds = [2, 5]
    runs = train_seeds(CONFIG, seeds, [tmp_path / f"seed_{s}" for s in seeds], FEW, quiet=True)
    single = train(CONFIG, 5, out=tmp_path / "single", overrides=FEW)
    stacked = runs[1]
    assert stacked.seed == 5 and stacked.trainer.global_step == single.steps == 40
    assert stacked.nonfinite_step is None
    want = single.model.state_dict()
    assert all(torch.equal(stacked.model.state_dict()[k], want[k]) for k in want)

    got = torch.load(tmp_path / "seed_5" / "checkpoints" / "last.ckpt", weights_only=False)
    ref = torch.load(tmp_path / "single" / "checkpoints" / "last.ckpt", weights_only=False)
    assert got.keys() == ref.keys()
    for key in ("epoch", "global_step", "loops", "hyper_parameters", "datamodule_hyper_parameters", "lr_schedulers"):
        assert got[key] == ref[key], key
    assert torch.equal(got["ColorDataModule"]["generator"], ref["ColorDataModule"]["generator"])
    assert torch.equal(got["rng"]["torch"], ref["rng"]["torch"])
    (opt_got,), (opt_ref,) = got["optimizer_states"], ref["optimizer_states"]
    assert opt_got["param_groups"] == opt_ref["param_groups"]
    for index, state in opt_ref["state"].items():
        assert all(torch.equal(opt_got["state"][index][k], v) for k, v in state.items())
    reloaded = AnchoredAutoencoder.load_from_checkpoint(tmp_path / "seed_5" / "checkpoints" / "last.ckpt")
    assert all(torch.equal(reloaded.state_dict()[k], want[k]) for k in want)

    # The same scalars at the same steps: the loss curve is the single run's.
    events, ref_events = _scalars(tmp_path / "seed_5"), _scalars(tmp_path / "single")
    assert {t for t in ref_events if not t.startswith("intervene/")} <= events.keys()  # figure callbacks: not per seed
    for tag in ("train/loss", "train/recon", "train/separate", "sched/lr", "sched/anchor", "val/recon_mse",
                "val/red_anchor_cos", "epoch"):
        assert events[tag].keys() == ref_events[tag].keys(), tag
        assert events[tag] == pytest.approx(ref_events[tag], rel=1e-6, abs=1e-12), tag
    assert (tmp_path / "seed_5" / "config.yaml").is_file() and (tmp_path / "seed_2" / "hparams.yaml").is_file()


@pytest.mark.slow
def test_the_full_schedule_of_the_stack_equals_single_runs(tmp_path):
    seeds = [0, 7, 30]
    runs = train_seeds(CONFIG, seeds, [tmp_path / f"seed_{s}" for s in seeds], quiet=True)
    for run in runs:
        single = train(CONFIG, run.seed, out=tmp_path / f"single_{run.seed}")
        assert single.steps == run.trainer.global_step == 1501
        want = single.model.state_dict()
        worst = max((run.model.state_dict()[k] - want[k]).abs().max().item() for k in want)
        assert worst <= 1e-5, (run.seed, worst)


def test_a_stacked_sweep_hands_each_seed_its_run(tmp_path):
    dirs = {seed: tmp_path / f"seed_{seed}" for seed in (1, 4)}
    sweep = StackedSweep(dirs)
    with pytest.raises(TrainRequest):  # the script's first request tells the sweep what to train
        sweep.train(CONFIG, 1, dirs[1], FEW)
    sweep.fit(quiet=True)
    run = sweep.train(CONFIG, 4, dirs[4], FEW)
    assert run.seed == 4 and run.run_dir == dirs[4] and run.trainer.global_step == 40
    assert (dirs[4] / "checkpoints" / "last.ckpt").is_file()
    with pytest.raises(NotVectorizable, match="did not train"):  # e.g. other overrides than the stack's
        sweep.train(CONFIG, 4, dirs[4], FEW[:1])
