"""Regularizers, constraints, activity regularization and add_loss against Keras 3: the same
model with the same weights gives the same regularized loss, the same step, the same
projected weights."""
import numpy as np
import pytest

import keras
from keras_ref import to_numpy

import brique
from brique.keras import constraints as C
from brique.keras import layers as L
from brique.keras import optimizers
from brique.keras import regularizers as R
from brique.keras.models import Model, Sequential

RNG = np.random.default_rng(7)


def data(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("ours,theirs", [
    (R.l2(0.3), keras.regularizers.L2(0.3)), (R.L1(0.2), keras.regularizers.L1(0.2)),
    (R.l1_l2(0.1, 0.2), keras.regularizers.L1L2(0.1, 0.2)),
    (R.OrthogonalRegularizer(0.5), keras.regularizers.OrthogonalRegularizer(0.5)),
    (R.OrthogonalRegularizer(0.5, "columns"),
     keras.regularizers.OrthogonalRegularizer(0.5, "columns"))])
def test_regularizer_values_match_keras(ours, theirs):
    w = data(4, 3)
    np.testing.assert_allclose(ours(brique.tensor(w)).item(),
                               float(to_numpy(theirs(keras.ops.convert_to_tensor(w)))),
                               rtol=1e-5)
    again = type(ours).from_config(ours.get_config())
    assert again.get_config() == ours.get_config()


def test_regularizer_get_follows_keras2_defaults_and_rejects_bad_input():
    assert R.get("l2").l2 == 0.01 and R.get("l1_l2").get_config() == {"l1": 0.01, "l2": 0.01}
    assert R.get({"class_name": "L1", "config": {"l1": 0.5}}).l1 == 0.5
    assert R.get(None) is None
    with pytest.raises(ValueError, match="unknown regularizer"):
        R.get("l3")
    with pytest.raises(ValueError, match="l2 must be"):
        R.L2(-1.0)
    with pytest.raises(ValueError, match="2-D"):
        R.OrthogonalRegularizer()(brique.zeros(2, 3, 4))


@pytest.mark.parametrize("ours,theirs", [
    (C.max_norm(0.5), keras.constraints.MaxNorm(0.5)),
    (C.MaxNorm(0.7, axis=[0, 1]), keras.constraints.MaxNorm(0.7, axis=[0, 1])),
    (C.non_neg(), keras.constraints.NonNeg()), (C.unit_norm(1), keras.constraints.UnitNorm(1)),
    (C.MinMaxNorm(0.5, 0.8, rate=0.5), keras.constraints.MinMaxNorm(0.5, 0.8, rate=0.5))])
def test_constraint_values_match_keras(ours, theirs):
    w = data(4, 3)
    np.testing.assert_allclose(ours(brique.tensor(w)).numpy(),
                               to_numpy(theirs(keras.ops.convert_to_tensor(w))), rtol=1e-5,
                               atol=1e-7)
    assert C.get({"class_name": type(ours).__name__, "config": ours.get_config()}) \
        .get_config() == ours.get_config()


def test_constraints_act_in_keras_layout_after_each_step():
    # Dense stores (out, in); MaxNorm(axis=0) bounds each unit's incoming weights
    layer = L.Dense(3, kernel_constraint=C.max_norm(0.5), bias_constraint="non_neg",
                    input_shape=(4,))
    model = Sequential([layer])
    model.compile(optimizers.SGD(0.5), "mse")
    x, y = data(16, 4), data(16, 3) * 5
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    kernel, bias = layer.get_weights()
    assert np.all(np.linalg.norm(kernel, axis=0) <= 0.5 + 1e-5) and np.all(bias >= 0)
    conv = L.Conv2D(2, 3, kernel_constraint=C.UnitNorm(axis=[0, 1, 2]))
    conv(data(1, 5, 5, 3))
    conv.apply_constraints()  # a layer outside a model: (kh, kw, in) norms of each filter
    np.testing.assert_allclose(np.linalg.norm(conv.get_weights()[0].reshape(-1, 2), axis=0),
                               1.0, rtol=1e-5)


def _pair(units=3, **kw):
    """The same two-layer model in Keras 3 and brique.keras, with the same weights."""
    ref = keras.Sequential([keras.Input((4,)), keras.layers.Dense(units, **kw["keras"]),
                            keras.layers.Dense(1)])
    ours = Sequential([L.Dense(units, input_shape=(4,), **kw["ours"]), L.Dense(1)])
    ours.set_weights([to_numpy(w) for w in ref.get_weights()])
    return ref, ours


def test_regularized_loss_and_one_sgd_step_match_keras():
    ref, ours = _pair(keras={"kernel_regularizer": keras.regularizers.L2(0.1),
                             "bias_regularizer": keras.regularizers.L1(0.05),
                             "activity_regularizer": keras.regularizers.L2(0.02)},
                      ours={"kernel_regularizer": R.l2(0.1), "bias_regularizer": R.l1(0.05),
                            "activity_regularizer": R.l2(0.02)})
    x, y = data(8, 4), data(8, 1)
    ref.compile(keras.optimizers.SGD(0.1), "mse")
    ours.compile(optimizers.SGD(lr=0.1), "mse")
    np.testing.assert_allclose(ours.evaluate(x, y, batch_size=8, verbose=0),
                               ref.evaluate(x, y, batch_size=8, verbose=0), rtol=1e-5)
    ref.train_on_batch(x, y)
    ours.train_on_batch(x, y)
    for got, want in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(got, to_numpy(want), rtol=1e-4, atol=1e-6)
    # losses: one term per regularizer, from the current weights and the last call
    ours(x)
    assert len(ours.losses) == 3


def test_layer_args_round_trip_through_config_and_save(tmp_path):
    layer = L.Dense(2, kernel_regularizer=R.L1L2(0.1, 0.2), kernel_constraint=C.MaxNorm(1.5),
                    activity_regularizer="l1")
    x = data(3, 4)
    layer(x)
    clone = L.Dense.from_config(layer.get_config())
    clone(x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(x).detach().numpy(), layer(x).detach().numpy())
    assert [t.item() for t in clone.losses] == pytest.approx([t.item() for t in layer.losses])
    assert isinstance(clone.kernel_constraint, C.MaxNorm) and clone.kernel_constraint.max_value \
        == 1.5
    inp = L.Input((4,))
    model = Model(inp, L.Dense(1, kernel_regularizer="l2")(inp))
    model.compile("sgd", "mse")
    model.save(tmp_path / "m.keras")
    loaded = brique.keras.models.load_model(tmp_path / "m.keras")
    assert loaded.evaluate(x, x[:, :1], verbose=0) == pytest.approx(
        model.evaluate(x, x[:, :1], verbose=0), rel=1e-5)
    with pytest.raises(ValueError, match="no 'kernel' weight"):
        L.Flatten(kernel_regularizer="l2")(x)
    with pytest.raises(TypeError, match="unexpected keyword"):
        L.Dense(2, kernal_regularizer="l2")


def test_embedding_recurrent_and_batchnorm_weight_names():
    emb = L.Embedding(10, 4, embeddings_regularizer=R.l2(1.0),
                      embeddings_constraint=C.UnitNorm(axis=1))
    emb(np.array([[1, 2]]))
    table = emb.get_weights()[0]
    assert emb.losses[0].item() == pytest.approx((table ** 2).sum(), rel=1e-5)
    emb.apply_constraints()
    np.testing.assert_allclose(np.linalg.norm(emb.get_weights()[0], axis=1), 1.0, rtol=1e-5)
    ref = keras.layers.LSTM(3, recurrent_regularizer=keras.regularizers.L1(0.1),
                            bias_regularizer=keras.regularizers.L2(0.3))
    ours = L.LSTM(3, recurrent_regularizer=R.l1(0.1), bias_regularizer=R.l2(0.3))
    x = data(2, 5, 4)
    ref(x)
    ours(x)
    ours.set_weights([to_numpy(w) for w in ref.get_weights()])
    ours.module.bias_hh_l0.data.add_(0.25)  # brique's second bias: Keras's bias is the sum
    with brique.no_grad():
        ours.module.bias_ih_l0.sub_(0.25)
    np.testing.assert_allclose(sum(t.item() for t in ours.losses),
                               sum(float(to_numpy(t)) for t in ref.losses), rtol=1e-5)
    bn = L.BatchNormalization(gamma_regularizer=R.l2(1.0), beta_constraint=C.non_neg())
    bn(data(4, 3))
    assert bn.losses[0].item() == pytest.approx(3.0)


def test_activity_regularization_layer_and_add_loss_in_fit():
    class Penalized(L.Layer):
        def forward(self, x):
            self.add_loss((x * x).mean() * 0.5)
            return x

    x, y = data(8, 4), data(8, 1)
    ref_in = keras.Input((4,))
    h = keras.layers.ActivityRegularization(l1=0.01, l2=0.02)(keras.layers.Dense(3)(ref_in))
    ref = keras.Model(ref_in, keras.layers.Dense(1)(h))
    inp = L.Input((4,))
    out = L.Dense(1)(L.ActivityRegularization(l1=0.01, l2=0.02)(L.Dense(3)(inp)))
    ours = Model(inp, out)
    ours.set_weights([to_numpy(w) for w in ref.get_weights()])
    ref.compile("sgd", "mse")
    ours.compile("sgd", "mse")
    np.testing.assert_allclose(ours.evaluate(x, y, batch_size=8, verbose=0),
                               ref.evaluate(x, y, batch_size=8, verbose=0), rtol=1e-5)
    assert L.ActivityRegularization.from_config(
        L.ActivityRegularization(l2=0.5).get_config()).l2 == 0.5
    model = Sequential([L.Dense(4, input_shape=(4,)), Penalized(), L.Dense(1)])
    model.compile("sgd", "mse")
    plain = model.evaluate(x, y, verbose=0)
    model(x)
    extra = model.losses[0].item()
    assert extra > 0
    before = plain - extra
    assert before == pytest.approx(np.mean((model.predict(x, verbose=0) - y) ** 2), rel=1e-4)
    history = model.fit(x, y, epochs=3, batch_size=4, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    with pytest.raises(TypeError, match="add_loss"):
        model.layers[1].add_loss("big")
