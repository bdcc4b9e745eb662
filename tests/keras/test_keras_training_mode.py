"""Keras's training mode on brique.keras, against Keras 3: a layer or model called directly
runs in inference (Dropout, GaussianNoise off, BatchNormalization on its moving
statistics) unless given training=True; fit and train_on_batch train; predict and evaluate
infer; after fit the model infers again."""
import numpy as np
import pytest

import brique
import keras
from brique import keras as bk
from brique.keras import layers
from keras_ref import to_numpy

RNG = np.random.default_rng(11)
X = (RNG.standard_normal((16, 6)) * 2 + 1).astype(np.float32)


@pytest.mark.parametrize("name, args", [("Dropout", (0.5,)), ("GaussianNoise", (0.7,)),
                                        ("GaussianDropout", (0.3,))])
def test_noise_layers_infer_when_called_and_act_with_training_true(name, args):
    ours, ref = getattr(layers, name)(*args), getattr(keras.layers, name)(*args)
    np.testing.assert_array_equal(ours(X).detach().numpy(), to_numpy(ref(X)))
    np.testing.assert_array_equal(ours(X).detach().numpy(), X)
    brique.manual_seed(1)
    noisy = ours(X, training=True).detach().numpy()
    assert not np.allclose(noisy, X) and not np.allclose(to_numpy(ref(X, training=True)), X)
    np.testing.assert_array_equal(ours(X).detach().numpy(), X)  # the mode was not kept
    if name == "Dropout":
        assert 0.3 < (noisy == 0).mean() < 0.7
        np.testing.assert_allclose(noisy[noisy != 0], 2 * X[noisy != 0], rtol=1e-6)


def copied_batch_norm(**kwargs):
    ref, ours = keras.layers.BatchNormalization(**kwargs), layers.BatchNormalization(**kwargs)
    ref.build((None, 6))
    ours.build((None, 6))
    weights = [RNG.uniform(0.5, 1.5, 6), RNG.standard_normal(6), RNG.standard_normal(6),
               RNG.uniform(0.5, 2.0, 6)]
    weights = [w.astype(np.float32) for w in weights]
    ref.set_weights(weights)
    ours.set_weights(weights)
    return ref, ours


def test_batch_normalization_modes_match_keras3():
    ref, ours = copied_batch_norm()
    np.testing.assert_allclose(ours(X).detach().numpy(), to_numpy(ref(X)), rtol=1e-5,
                               atol=1e-5)  # moving statistics
    np.testing.assert_allclose(ours(X, training=True).detach().numpy(),
                               to_numpy(ref(X, training=True)), rtol=1e-4, atol=1e-4)
    # the moving mean and variance are updated alike (the variance with the batch's biased
    # estimate, as Keras)
    for got, want in zip(ours.get_weights()[2:], ref.get_weights()[2:]):
        np.testing.assert_allclose(got, to_numpy(want), rtol=1e-5, atol=1e-6)
    assert len(ours.weights) == 4 and len(ours.non_trainable_weights) == 2
    ref, ours = copied_batch_norm()
    ref.trainable = ours.trainable = False  # frozen: inference even when training
    np.testing.assert_allclose(ours(X, training=True).detach().numpy(),
                               to_numpy(ref(X, training=True)), rtol=1e-5, atol=1e-5)


def build_pair():
    """The same Sequential model in Keras 3 and ours, ours with the reference's weights."""
    def stack(lib):
        return [lib.layers.Dense(8, activation="relu"), lib.layers.BatchNormalization(),
                lib.layers.Dropout(0.5), lib.layers.GaussianNoise(0.3), lib.layers.Dense(1)]
    ref = keras.Sequential([keras.Input((6,))] + stack(keras))
    ours = bk.Sequential([bk.Input((6,))] + stack(bk))
    ours.set_weights([to_numpy(w) for w in ref.get_weights()])
    return ref, ours


def test_model_call_predict_and_fit_modes_match_keras3():
    ref, ours = build_pair()
    expected = to_numpy(ref.predict(X, verbose=0))
    np.testing.assert_allclose(ours.predict(X, verbose=0), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ours(X).detach().numpy(), expected, rtol=1e-5, atol=1e-5)
    assert not np.allclose(ours(X, training=True).detach().numpy(), expected, atol=1e-3)
    ref(X, training=True)  # both update their moving statistics
    np.testing.assert_allclose(ours(X).detach().numpy(), to_numpy(ref(X)), rtol=1e-2,
                               atol=1e-2)  # moving variance: PyTorch's unbiased batch variance
    ours.compile("sgd", "mse")
    ours.fit(X, np.zeros((16, 1), np.float32), epochs=2, verbose=0)
    assert not any(m.training for m in ours.modules())  # back to inference after fit
    first = ours.predict(X, verbose=0)
    np.testing.assert_array_equal(ours.predict(X, verbose=0), first)  # no noise left on
    np.testing.assert_array_equal(ours(X).detach().numpy(), first)
    ours.train_on_batch(X, np.zeros((16, 1), np.float32))
    assert not ours.training
    before = ours.get_layer(index=1).get_weights()[2].copy()
    ours.evaluate(X, np.zeros((16, 1), np.float32), verbose=0)  # inference: stats unchanged
    np.testing.assert_array_equal(ours.get_layer(index=1).get_weights()[2], before)


def test_training_flows_to_nested_layers_as_keras_call_context():
    seen = []

    class Inner(layers.Layer):
        def call(self, inputs, training=None):
            seen.append(training)
            return inputs

    class Outer(bk.Model):
        def __init__(self):
            super().__init__()
            self.inner, self.dropout = Inner(), layers.Dropout(0.99)
            self.dense = layers.Dense(6, kernel_initializer="identity")

        def call(self, inputs, training=None):
            return self.dense(self.dropout(self.inner(inputs)))  # the outer call's mode

    model = Outer()
    np.testing.assert_array_equal(model(X).detach().numpy(), X)
    assert (model(X, training=True).detach().numpy() == 0).mean() > 0.9
    assert seen == [False, True]
    model.compile("sgd", "mse")
    model.fit(X, X, epochs=1, batch_size=16, verbose=0)
    model.predict(X, verbose=0)
    assert seen[-2:] == [True, False] and not model.training


@pytest.mark.parametrize("center,scale", [(False, True), (True, False), (False, False)])
def test_batch_normalization_without_center_or_scale_matches_keras3(center, scale):
    ref = keras.layers.BatchNormalization(center=center, scale=scale)
    ours = layers.BatchNormalization(center=center, scale=scale)
    ref(X)
    ours(X[:1])
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in ref.get_weights()]
    assert len(ours.trainable_weights) == len(ref.trainable_weights)
    weights = [RNG.uniform(0.5, 2.0, w.shape).astype(np.float32) for w in ref.get_weights()]
    ref.set_weights(weights)
    ours.set_weights(weights)
    np.testing.assert_allclose(ours(X, training=True).detach().numpy(),
                               to_numpy(ref(X, training=True)), rtol=1e-4, atol=1e-4)
    for got, want in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(got, to_numpy(want), rtol=1e-5, atol=1e-6)
