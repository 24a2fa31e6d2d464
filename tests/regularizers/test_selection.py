"""Label-selective averaging (m1-spec §3.7) and the registry."""

import pytest
import torch

from colorlatent.regularizers import REGULARIZERS, Unitarity, build_regularizer, build_regularizers


def test_unlabelled_term_is_the_batch_mean():
    z = torch.tensor([[2.0, 0.0], [3.0, 0.0]])  # losses 1 and 4
    torch.testing.assert_close(Unitarity().term(z, {}), torch.tensor(2.5))


def test_labelled_term_averages_over_labelled_samples():
    z = torch.tensor([[2.0, 0.0], [3.0, 0.0], [4.0, 0.0]])  # losses 1, 4, 9
    reg = Unitarity(labels={"red": 1.0})
    labels = {"red": torch.tensor([0.0, 1.0, 1.0])}
    torch.testing.assert_close(reg.term(z, labels), torch.tensor(13.0 / (2 + 1e-8)))


def test_affinities_combine_labels_and_clamp_to_one():
    z = torch.tensor([[2.0, 0.0], [3.0, 0.0], [4.0, 0.0]])
    reg = Unitarity(labels={"red": 0.5, "vibrant": 2.0})
    labels = {"red": torch.tensor([1.0, 0.0, 1.0]), "vibrant": torch.tensor([0.0, 0.0, 1.0])}
    # affinities: 0.5, 0, clamp(2.5) = 1
    expected = (0.5 * 1 + 1 * 9) / (1.5 + 1e-8)
    torch.testing.assert_close(reg.term(z, labels), torch.tensor(expected))


def test_batch_without_labels_gives_exact_zero_and_zero_gradient():
    z = torch.tensor([[2.0, 0.0], [3.0, 0.0]], requires_grad=True)
    term = Unitarity(labels="red").term(z, {"red": torch.zeros(2)})
    term.backward()
    assert term.item() == 0.0
    assert torch.count_nonzero(z.grad) == 0


def test_missing_label_names_it():
    with pytest.raises(KeyError, match="needs label 'red'"):
        Unitarity(labels="red").term(torch.ones(2, 2), {"vibrant": torch.ones(2)})


def test_registry_builds_by_kind():
    reg = build_regularizer({"kind": "anchor", "name": "reg-polar", "point": [1, 0, 0, 0], "labels": {"red": 1.0}})
    assert reg.name == "reg-polar" and reg.labels == {"red": 1.0}
    assert set(REGULARIZERS) >= {"unitarity", "planarity", "anchor", "angular-anchor", "separation", "euclidean-repulsion"}


def test_registry_errors_name_the_problem():
    with pytest.raises(ValueError, match="unknown regularizer kind 'nope'; allowed: .*unitarity"):
        build_regularizer({"kind": "nope"})
    with pytest.raises(ValueError, match="unknown argument.*'powr'"):
        build_regularizer({"kind": "separation", "powr": 3})
    with pytest.raises(ValueError, match="duplicated: \\['a'\\]"):
        build_regularizers([{"kind": "unitarity", "name": "a"}, {"kind": "planarity", "name": "a"}])
    with pytest.raises(ValueError, match="layer='decoder'"):
        build_regularizer({"kind": "unitarity", "layer": "decoder"})
