"""brique.keras.losses against Keras 3: every loss class on random inputs, with and without
sample_weight, in every reduction; the functions by their Keras names; configs; gradients."""
import numpy as np
import pytest

import keras
import torch

import brique
from brique.keras import losses
from brique.keras.engine import to_tensor

from keras_ref import to_numpy

RNG = np.random.default_rng(0)
N, C = 6, 4


def probs(shape):
    p = RNG.random(shape).astype("float32") + 0.05
    return p / p.sum(-1, keepdims=True)


def onehot(shape):
    return np.eye(shape[-1], dtype="float32")[RNG.integers(0, shape[-1], shape[:-1])]


# (class name, constructor kwargs, y_true, y_pred)
CASES = [
    ("MeanSquaredError", {}, RNG.normal(size=(N, C)), RNG.normal(size=(N, C))),
    ("MeanAbsoluteError", {}, RNG.normal(size=(N, C)), RNG.normal(size=(N, C))),
    ("MeanAbsolutePercentageError", {}, RNG.normal(size=(N, C)), RNG.normal(size=(N, C))),
    ("MeanSquaredLogarithmicError", {}, RNG.random((N, C)) * 3, RNG.random((N, C)) * 3),
    ("Huber", {"delta": 0.7}, RNG.normal(size=(N, C)), RNG.normal(size=(N, C)) * 2),
    ("LogCosh", {}, RNG.normal(size=(N, C)), RNG.normal(size=(N, C)) * 3),
    ("CosineSimilarity", {"axis": -1}, RNG.normal(size=(N, C)), RNG.normal(size=(N, C))),
    ("BinaryCrossentropy", {}, RNG.integers(0, 2, (N, C)), RNG.random((N, C))),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1},
     RNG.integers(0, 2, (N, C)), RNG.normal(size=(N, C)) * 3),
    ("BinaryCrossentropy", {}, RNG.integers(0, 2, (N,)), RNG.random((N, 1))),
    ("BinaryFocalCrossentropy", {"gamma": 1.5}, RNG.integers(0, 2, (N, C)),
     RNG.random((N, C))),
    ("BinaryFocalCrossentropy", {"apply_class_balancing": True, "alpha": 0.3,
                                 "from_logits": True, "label_smoothing": 0.2},
     RNG.integers(0, 2, (N, C)), RNG.normal(size=(N, C))),
    ("CategoricalCrossentropy", {}, onehot((N, C)), probs((N, C))),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.1},
     onehot((N, C)), RNG.normal(size=(N, C)) * 2),
    ("CategoricalCrossentropy", {"axis": 1}, onehot((N, 3, C)).transpose(0, 2, 1),
     probs((N, 3, C)).transpose(0, 2, 1)),
    ("CategoricalFocalCrossentropy", {"gamma": 2.5, "alpha": 0.4}, onehot((N, C)),
     probs((N, C))),
    ("CategoricalFocalCrossentropy", {"from_logits": True, "label_smoothing": 0.1},
     onehot((N, C)), RNG.normal(size=(N, C))),
    ("SparseCategoricalCrossentropy", {}, RNG.integers(0, C, (N,)), probs((N, C))),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, RNG.integers(0, C, (N, 1)),
     RNG.normal(size=(N, C))),
    ("SparseCategoricalCrossentropy", {"from_logits": True, "ignore_class": 1},
     np.array([0, 1, 2, 1, 3, 0]), RNG.normal(size=(N, C))),
    ("KLDivergence", {}, probs((N, C)), probs((N, C))),
    ("Poisson", {}, RNG.random((N, C)) * 3, RNG.random((N, C)) * 3),
    ("Hinge", {}, RNG.integers(0, 2, (N, C)), RNG.normal(size=(N, C))),
    ("Hinge", {}, RNG.choice([-1.0, 1.0], (N, C)), RNG.normal(size=(N, C))),
    ("SquaredHinge", {}, RNG.integers(0, 2, (N, C)), RNG.normal(size=(N, C))),
    ("CategoricalHinge", {}, onehot((N, C)), RNG.normal(size=(N, C))),
]


def ids(case):
    return case[0] + "".join(f"-{k}={v}" for k, v in case[1].items())


@pytest.mark.parametrize("case", CASES, ids=[ids(c) for c in CASES])
@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", None, "none"])
def test_loss_classes_match_keras_with_and_without_sample_weight(case, reduction):
    name, kwargs, y_true, y_pred = case
    y_true, y_pred = np.asarray(y_true, "float32"), np.asarray(y_pred, "float32")
    ref = getattr(keras.losses, name)(reduction=reduction, **kwargs)
    ours = getattr(losses, name)(reduction=reduction, **kwargs)
    assert ours.name == ref.name
    weights = RNG.random(N).astype("float32")
    if y_pred.ndim == 3:  # Keras 3 needs (N, 1) weights for (N, T) values
        weights = weights[:, None]
    for sample_weight in (None, weights):
        want = to_numpy(ref(y_true, y_pred, sample_weight=sample_weight))
        got = ours(y_true, y_pred, sample_weight=sample_weight)
        assert isinstance(got, brique.Tensor)
        np.testing.assert_allclose(to_numpy(got), want, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("case", CASES[:7] + CASES[12:13] + CASES[20:23],
                         ids=[ids(c) for c in CASES[:7] + CASES[12:13] + CASES[20:23]])
def test_loss_functions_match_keras_per_sample(case):
    name, kwargs, y_true, y_pred = case
    y_true, y_pred = np.asarray(y_true, "float32"), np.asarray(y_pred, "float32")
    fn_name = keras.losses.get(name).name if name != "Huber" else "huber"
    want = to_numpy(keras.losses.get(fn_name)(y_true, y_pred, **kwargs))
    np.testing.assert_allclose(to_numpy(losses.get(fn_name)(y_true, y_pred, **kwargs)), want,
                               rtol=2e-5, atol=2e-6)


def test_keras_names_and_aliases():
    y_true, y_pred = probs((N, C)), probs((N, C))
    for ours, ref in [("kld", "kl_divergence"), ("mse", "mean_squared_error"),
                      ("mae", "mae"), ("mape", "mape"), ("msle", "msle"),
                      ("log_cosh", "log_cosh"), ("logcosh", "log_cosh"),
                      ("kullback_leibler_divergence", "kl_divergence"),
                      ("cosine_similarity", "cosine_similarity"), ("poisson", "poisson"),
                      ("squared_hinge", "squared_hinge"),
                      ("categorical_hinge", "categorical_hinge")]:
        np.testing.assert_allclose(to_numpy(losses.get(ours)(y_true, y_pred)),
                                   to_numpy(keras.losses.get(ref)(y_true, y_pred)),
                                   rtol=2e-5, atol=2e-6, err_msg=ours)
    assert isinstance(losses.get("BinaryCrossentropy"), losses.BinaryCrossentropy)
    assert losses.get(None) is None
    logits = RNG.normal(size=(N, C)).astype("float32")
    np.testing.assert_allclose(
        to_numpy(losses.binary_crossentropy(onehot((N, C)) * 0 + 1, logits, from_logits=True)),
        to_numpy(keras.losses.binary_crossentropy(np.ones((N, C)), logits, from_logits=True)),
        rtol=2e-5)


def test_config_round_trip_and_serialize():
    y_true, y_pred = onehot((N, C)), probs((N, C))
    loss = losses.CategoricalCrossentropy(label_smoothing=0.2, reduction="sum", name="cce")
    again = losses.CategoricalCrossentropy.from_config(loss.get_config())
    assert again.get_config() == loss.get_config()
    assert float(again(y_true, y_pred)) == pytest.approx(float(loss(y_true, y_pred)))
    back = losses.deserialize(losses.serialize(loss))
    assert type(back) is losses.CategoricalCrossentropy and back.name == "cce"
    assert losses.deserialize(losses.serialize(losses.mse)) is losses.mean_squared_error
    ref_config = keras.losses.serialize(keras.losses.BinaryCrossentropy(from_logits=True))
    assert losses.deserialize(ref_config).get_config()["from_logits"] is True
    wrapper = losses.LossFunctionWrapper(losses.hinge, name="h")
    assert losses.LossFunctionWrapper.from_config(wrapper.get_config()).fn is losses.hinge


def test_gradient_of_a_loss_class_matches_torch_autograd_of_keras():
    y_true = onehot((N, C))
    logits = RNG.normal(size=(N, C)).astype("float32")
    weights = RNG.random(N).astype("float32")
    ref_x = torch.tensor(logits, requires_grad=True)
    keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)(
        torch.tensor(y_true), ref_x, sample_weight=torch.tensor(weights)).backward()
    x = to_tensor(logits).requires_grad_()
    losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)(
        y_true, x, sample_weight=weights).backward()
    np.testing.assert_allclose(to_numpy(x.grad), ref_x.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_bad_input_gets_clear_errors():
    with pytest.raises(ValueError, match="reduction"):
        losses.MeanSquaredError(reduction="avg")
    with pytest.raises(ValueError, match=r"mean_squared_error.*\(6, 3\).*\(6, 4\)"):
        losses.MeanSquaredError()(np.zeros((N, 3)), np.zeros((N, C)))
    with pytest.raises(ValueError, match="class indices must be in"):
        losses.SparseCategoricalCrossentropy()(np.array([0, 1, 2, 3, 4, 9]), probs((N, C)))
    with pytest.raises(ValueError, match="sample_weight of shape"):
        losses.MeanSquaredError()(np.zeros((N, C)), np.zeros((N, C)), sample_weight=np.ones(5))
    with pytest.raises(ValueError, match="unknown loss 'nope'"):
        losses.get("nope")
    with pytest.raises(TypeError, match="unexpected arguments"):
        losses.Huber(delta=1.0, sigma=2)
