"""Keras's subclassing API on brique.keras: custom layers with call() and add_weight (in
__init__ and in build), nested layers, subclassed models trained with compile/fit, weights
copied from the same classes written for Keras 3, and the errors Keras gives."""
import numpy as np
import pytest

import brique
import keras
from brique import keras as bk
from brique.keras import layers
from keras_ref import to_numpy

RNG = np.random.default_rng(8)


def make_linear(base):
    """The guide's Linear layer, written once for Keras 3 (base=keras) and once for ours."""
    class Linear(base.layers.Layer):
        def __init__(self, units=32, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                     initializer="random_normal", trainable=True, name="w")
            self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="b")

        def call(self, inputs):
            return base.ops.matmul(inputs, self.w) + self.b

        def get_config(self):
            return {**super().get_config(), "units": self.units}
    return Linear


def make_model(base):
    Linear = make_linear(base)

    class Regressor(base.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hidden = base.layers.Dense(16, activation="tanh")
            self.linear = Linear(1)

        def call(self, inputs, training=False):
            return self.linear(self.hidden(inputs))
    return Regressor


class ComputeSum(layers.Layer):
    """The guide's layer with a non-trainable weight made in __init__."""

    def __init__(self, input_dim, **kwargs):
        super().__init__(**kwargs)
        self.total = self.add_weight(initializer="zeros", shape=(input_dim,), trainable=False)

    def call(self, inputs):
        self.total.assign_add(bk.ops.sum(inputs, axis=0))
        return inputs + 0.0


def test_add_weight_in_build_and_init_registers_keras_weights():
    Linear = make_linear(bk)
    layer = Linear(4)
    x = RNG.random((3, 2), dtype=np.float32)
    out = layer(x)
    w, b = layer.get_weights()
    np.testing.assert_allclose(out.detach().numpy(), x @ w + b, rtol=1e-6)
    assert [v.name for v in layer.weights] == ["w", "b"] and list(layer.state_dict()) == ["w", "b"]
    assert layer.weights[0] is layer.w and layer.w.shape == (2, 4)
    summer = ComputeSum(2)
    summer(np.ones((3, 2), np.float32))
    summer(np.ones((2, 2), np.float32))
    np.testing.assert_array_equal(summer.total.numpy(), [5.0, 5.0])
    assert (len(summer.weights), len(summer.trainable_weights),
            len(summer.non_trainable_weights)) == (1, 0, 1)
    summer.trainable = True  # a non-trainable weight stays so, as in Keras
    assert not summer.total.requires_grad and summer.trainable_weights == []


def test_add_weight_spellings_initializers_regularizer_and_constraint():
    layer = layers.Layer()
    a = layer.add_weight("k2", (2, 3), "float32", "ones")  # Keras 2: name first
    b = layer.add_weight((3,), "zeros", name="k3")  # Keras 3: shape first
    c = layer.add_weight(shape=(2,), initializer=lambda shape, dtype=None: np.full(shape, 7.0))
    d = layer.add_weight(shape=(4,), initializer=bk.initializers.Constant(2.0),
                         regularizer=bk.regularizers.L2(0.5),
                         constraint=bk.constraints.NonNeg())
    np.testing.assert_array_equal(a.numpy(), np.ones((2, 3)))
    np.testing.assert_array_equal(b.numpy(), np.zeros(3))
    np.testing.assert_array_equal(c.numpy(), [7.0, 7.0])
    layer.built = True
    assert [float(t.item()) for t in layer.losses] == [pytest.approx(0.5 * 4 * 4.0)]
    d.assign([-1.0, 1.0, -2.0, 2.0])
    layer.apply_constraints()
    np.testing.assert_array_equal(d.numpy(), [0.0, 1.0, 0.0, 2.0])
    e = layer.add_weight(shape=(2, 2))  # glorot_uniform by default
    assert 0 < np.abs(e.numpy()).max() <= np.sqrt(6 / 4)


@pytest.mark.parametrize("shape", [(None, 3), 5, (2, -1), ("a",), (1.5,)])
def test_add_weight_rejects_bad_shapes(shape):
    with pytest.raises(ValueError, match=r"holder.add_weight: .*shape"):
        layers.Layer(name="holder").add_weight(shape=shape)


def test_add_weight_rejects_unknown_arguments_and_layer_without_call():
    with pytest.raises(TypeError, match="unexpected keyword"):
        layers.Layer().add_weight(shape=(2,), initialiser="zeros")
    with pytest.raises(ValueError, match="initializer"):
        layers.Layer().add_weight(shape=(2,), initializer="no_such_init")

    class NoCall(layers.Layer):
        pass
    with pytest.raises(NotImplementedError, match="call"):
        NoCall()(np.ones((1, 2), np.float32))


def test_nested_layers_are_tracked_and_symbolic_shapes_inferred():
    Linear = make_linear(bk)

    class Block(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.parts = [Linear(8), Linear(3)]  # a list of layers is tracked, as in Keras

        def call(self, inputs, training=None):
            return self.parts[1](bk.activations.relu(self.parts[0](inputs)))

    class MeanOverTime(layers.Layer):  # (N, T, C) -> (N, C), T unknown
        def call(self, inputs):
            return bk.ops.mean(inputs, axis=1)

    block = Block()
    inputs = bk.Input((None, 5))
    pooled = MeanOverTime()(inputs)
    assert pooled.shape == (None, 5)
    outputs = block(pooled)
    assert outputs.shape == (None, 3) and len(block.weights) == 4
    model = bk.Model(inputs, outputs)
    x = RNG.random((6, 4, 5), dtype=np.float32)
    w1, b1, w2, b2 = block.get_weights()
    expected = np.maximum(x.mean(1) @ w1 + b1, 0) @ w2 + b2
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    model.compile("adam", "mse")
    before = model.evaluate(x, np.ones((6, 3), np.float32), verbose=0)
    model.fit(x, np.ones((6, 3), np.float32), epochs=20, verbose=0)
    assert model.evaluate(x, np.ones((6, 3), np.float32), verbose=0) < before


def test_custom_layer_config_round_trip_and_training_argument():
    Linear = make_linear(bk)
    layer = Linear(3, name="lin")
    x = RNG.random((2, 4), dtype=np.float32)
    out = layer(x).detach().numpy()
    clone = Linear.from_config(layer.get_config())
    clone(x)
    clone.set_weights(layer.get_weights())
    assert clone.units == 3 and clone.name == "lin"
    np.testing.assert_array_equal(clone(x).detach().numpy(), out)
    seen = []

    class Probe(layers.Layer):
        def call(self, inputs, training=None):
            seen.append(training)
            return inputs
    Probe()(x)
    Probe()(x, training=True)
    assert seen == [False, True]


def test_subclassed_model_fits_evaluates_and_summarises():
    brique.manual_seed(0)
    x = RNG.uniform(-1, 1, (256, 4)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5], [3.0]], np.float32) + 0.3).astype(np.float32)
    model = make_model(bk)()
    with pytest.raises(ValueError, match="This model has not yet been built"):
        model.summary()
    model.compile(optimizer=bk.optimizers.Adam(learning_rate=0.02), loss="mse")
    history = model.fit(x, y, batch_size=32, epochs=40, verbose=0)
    assert history.history["loss"][-1] < 0.01
    assert model.evaluate(x, y, verbose=0) < 0.01
    assert model.predict(x[:5], verbose=0).shape == (5, 1) and not model.training
    assert np.isfinite(model.train_on_batch(x[:32], y[:32]))
    assert [type(layer).__name__ for layer in model.layers] == ["Dense", "Linear"]
    assert len(model.weights) == len(model.trainable_weights) == 4
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "(None, 16)" in text and "Linear" in text and "Total params: 97" in text


def test_subclassed_model_save_and_load_weights(tmp_path):
    x = RNG.random((5, 4), dtype=np.float32)
    model = make_model(bk)()
    model.build((None, 4))
    assert len(model.weights) == 4
    model.save_weights(tmp_path / "m.weights.h5")
    other = make_model(bk)()
    other.build((None, 4))
    other.load_weights(tmp_path / "m.weights.h5")
    np.testing.assert_array_equal(other.predict(x, verbose=0), model.predict(x, verbose=0))


def test_weights_from_keras3_subclassed_model_give_its_outputs():
    x = RNG.random((7, 4), dtype=np.float32)
    ref, ours = make_model(keras)(), make_model(bk)()
    expected = to_numpy(ref.predict(x, verbose=0))
    ours.build((None, 4))
    ours.set_weights([to_numpy(w) for w in ref.get_weights()])
    np.testing.assert_allclose(ours.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours(x).detach().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_subclassed_model_with_list_and_dict_inputs():
    class TwoInputs(bk.Model):
        def __init__(self):
            super().__init__()
            self.a, self.b = layers.Dense(3), layers.Dense(3)

        def call(self, inputs):
            if isinstance(inputs, dict):
                inputs = [inputs["left"], inputs["right"]]
            return self.a(inputs[0]) + self.b(inputs[1])

    xa, xb = RNG.random((16, 2), dtype=np.float32), RNG.random((16, 5), dtype=np.float32)
    model = TwoInputs()
    model.compile("sgd", "mse")
    model.fit([xa, xb], np.zeros((16, 3), np.float32), epochs=2, verbose=0)
    by_list = model.predict([xa, xb], verbose=0)
    by_dict = model({"left": xa, "right": xb}).detach().numpy()
    np.testing.assert_allclose(by_list, by_dict, rtol=1e-6)
    assert len(model.layers) == 2 and len(model.get_weights()) == 4


def test_subclassed_model_inside_functional_model():
    inner = make_model(bk)()
    inputs = bk.Input((4,))
    outputs = layers.Dense(2)(inner(inputs))
    assert outputs.shape == (None, 2)
    model = bk.Model(inputs, outputs)
    assert model.predict(RNG.random((3, 4), dtype=np.float32), verbose=0).shape == (3, 2)
