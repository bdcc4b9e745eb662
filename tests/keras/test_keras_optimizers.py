"""Optimizers and learning-rate schedules step by step against Keras 3, initializers by their
statistics, activations by their values against Keras 3."""
import numpy as np
import pytest

import keras
from keras_ref import to_numpy

import brique
from brique.keras import activations as A
from brique.keras import initializers as I
from brique.keras import layers as L
from brique.keras import optimizers as O
from brique.keras.models import Sequential
from brique.keras.optimizers import schedules as S

RNG = np.random.default_rng(3)
W0, B = RNG.standard_normal((3, 4)).astype(np.float32), RNG.standard_normal((3, 4)).astype(
    np.float32)


def grad(w):
    return (w ** 3 - B) * 0.3


def keras_schedule(schedule):
    return keras.optimizers.schedules.deserialize(
        {"module": "keras.optimizers.schedules", "class_name": type(schedule).__name__,
         "config": schedule.get_config(), "registered_name": None})


def steps_apart(ours, theirs, steps=6):
    """Largest difference between the two optimizers' weights after `steps` updates of the
    same gradient field."""
    v = keras.Variable(W0.copy())
    p = brique.nn.Parameter(brique.tensor(W0.copy()))
    opt = ours.build([p])
    for _ in range(steps):
        theirs.apply_gradients([(keras.ops.convert_to_tensor(grad(to_numpy(v))), v)])
        p.grad = brique.tensor(grad(p.detach().numpy()))
        opt.step()
    return np.abs(p.detach().numpy() - to_numpy(v)).max()


CASES = [
    ("SGD", dict(learning_rate=0.1, momentum=0.9, nesterov=True)),
    ("SGD", dict(learning_rate=S.ExponentialDecay(0.1, 2, 0.5), momentum=0.9)),
    ("RMSprop", dict(learning_rate=0.01, rho=0.8, momentum=0.5, centered=True)),
    ("RMSprop", dict(learning_rate=0.01)),
    ("Adagrad", dict(learning_rate=0.1, initial_accumulator_value=0.1)),
    ("Adadelta", dict(learning_rate=1.0, rho=0.9)),
    ("Adam", dict(learning_rate=0.01, amsgrad=True)),
    ("AdamW", dict(learning_rate=0.01, weight_decay=0.1)),
    ("Adamax", dict(learning_rate=0.01)),
    ("Nadam", dict(learning_rate=0.01)),
    ("Lion", dict(learning_rate=0.01)),
    ("Ftrl", dict(learning_rate=0.1, l1_regularization_strength=0.01,
                  l2_regularization_strength=0.1, beta=0.1,
                  l2_shrinkage_regularization_strength=0.01)),
    ("Adam", dict(learning_rate=0.01, clipnorm=0.5, weight_decay=0.1)),
    ("SGD", dict(learning_rate=0.1, global_clipnorm=0.3)),
    ("SGD", dict(learning_rate=S.CosineDecay(0.05, 4, warmup_target=0.2, warmup_steps=2),
                 clipvalue=0.1)),
]


@pytest.mark.parametrize("name,kwargs", CASES)
def test_optimizer_steps_match_keras3(name, kwargs):
    theirs = {k: keras_schedule(v) if isinstance(v, S.LearningRateSchedule) else v
              for k, v in kwargs.items()}
    # Adam-family rules are brique.optim's: epsilon is added to sqrt(v_hat) (PyTorch) where
    # Keras adds it to sqrt(v), a difference of order epsilon / sqrt(1 - beta_2 ** t).
    assert steps_apart(getattr(O, name)(**kwargs), getattr(keras.optimizers, name)(**theirs)) \
        < 1e-4


@pytest.mark.parametrize("schedule", [
    S.ExponentialDecay(0.1, 3, 0.7, staircase=True), S.InverseTimeDecay(0.1, 2, 0.5),
    S.PiecewiseConstantDecay([2, 5], [0.1, 0.05, 0.01]),
    S.PolynomialDecay(0.1, 4, 0.01, power=2.0, cycle=True), S.PolynomialDecay(0.1, 4),
    S.CosineDecay(0.1, 5, alpha=0.1), S.CosineDecay(0.0, 4, warmup_target=0.1, warmup_steps=3),
    S.CosineDecayRestarts(0.1, 3, t_mul=2.0, m_mul=0.5),
    S.CosineDecayRestarts(0.1, 2, t_mul=1.0)])
def test_schedules_match_keras3(schedule):
    ref = keras_schedule(schedule)
    ours = [schedule(step) for step in range(12)]
    np.testing.assert_allclose(ours, [float(to_numpy(ref(step))) for step in range(12)],
                               rtol=1e-5, atol=1e-7)
    assert type(schedule).from_config(schedule.get_config()).get_config() == \
        schedule.get_config()


def test_schedule_counts_steps_in_fit_and_survives_save(tmp_path):
    x, y = RNG.standard_normal((16, 3)).astype(np.float32), np.zeros((16, 1), np.float32)
    model = Sequential([L.Dense(1, input_shape=(3,))])
    model.compile(O.Adam(learning_rate=S.ExponentialDecay(0.01, 1, 0.5)), "mse")
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    assert model.optimizer.iterations == 8
    assert model.optimizer.lr == pytest.approx(0.01 * 0.5 ** 7)  # the rate of the last step
    model.save(tmp_path / "m.keras")
    loaded = brique.keras.models.load_model(tmp_path / "m.keras")
    assert loaded.optimizer.iterations == 8  # the schedule goes on where it was
    loaded.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert loaded.optimizer.lr == pytest.approx(0.01 * 0.5 ** 8)


def test_optimizer_arguments_are_checked():
    with pytest.raises(ValueError, match="learning_rate"):
        O.Adam(learning_rate="fast")
    with pytest.raises(ValueError, match="clipnorm"):
        O.SGD(clipnorm=-1)
    with pytest.raises(ValueError, match="use_ema"):
        O.Adam(use_ema=True)
    with pytest.raises(TypeError, match="unexpected"):
        O.Lion(rho=0.9)
    assert isinstance(O.get("nadam"), O.Nadam) and O.get("Ftrl").lr == 0.001
    assert O.get({"class_name": "Lion", "config": {"learning_rate": 0.1}}).lr == 0.1


@pytest.mark.parametrize("name,kwargs,var", [
    ("glorot_uniform", {}, 2 / (200 + 300)), ("glorot_normal", {}, 2 / (200 + 300)),
    ("he_uniform", {}, 2 / 200), ("he_normal", {}, 2 / 200), ("lecun_uniform", {}, 1 / 200),
    ("lecun_normal", {}, 1 / 200), ("RandomNormal", {"stddev": 0.1}, 0.01),
    ("RandomUniform", {"minval": -0.3, "maxval": 0.3}, 0.03),
    ("TruncatedNormal", {"stddev": 0.2}, 0.04 * 0.774),
    ("VarianceScaling", {"scale": 3.0, "mode": "fan_out", "distribution": "uniform"}, 0.01),
    ("orthogonal", {}, 1 / 300)])
def test_initializer_statistics_and_shapes(name, kwargs, var):
    init = I.get({"class_name": name, "config": kwargs}) if kwargs else I.get(name)
    w = init(shape=(200, 300)).numpy()  # Keras's (fan_in, fan_out)
    assert w.shape == (200, 300) and abs(w.mean()) < 0.01
    assert w.var() == pytest.approx(var, rel=0.1)
    assert I.deserialize(I.serialize(init)).get_config() == init.get_config()


def test_initializers_seeded_constant_identity_and_layers():
    a = I.HeNormal(seed=5)(shape=(4, 5)).numpy()
    np.testing.assert_array_equal(a, I.HeNormal(seed=5)(shape=(4, 5)).numpy())
    assert np.abs(a).max() <= 2 * np.sqrt(2 / 4) / 0.8796 + 1e-6  # truncated at 2 stddev
    np.testing.assert_array_equal(I.Constant(2.5)((2, 2)).numpy(), np.full((2, 2), 2.5))
    np.testing.assert_array_equal(I.Identity(gain=2.0)((3, 3)).numpy(), 2 * np.eye(3))
    for name in ("zeros", "ones", "Zeros", "random_normal", "uniform", "normal"):
        assert I.get(name)((2, 3)).shape == (2, 3)
    layer = L.Dense(3, kernel_initializer=I.Orthogonal(gain=2.0), bias_initializer="ones")
    layer(np.ones((1, 3), np.float32))
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(kernel.T @ kernel, 4 * np.eye(3), atol=1e-5)
    assert (bias == 1).all()
    clone = L.Dense.from_config(layer.get_config())
    clone(np.ones((1, 3), np.float32))
    kernel = clone.get_weights()[0]
    np.testing.assert_allclose(kernel.T @ kernel, 4 * np.eye(3), atol=1e-5)
    with pytest.raises(ValueError, match="unknown initializer"):
        I.get("glorot")
    with pytest.raises(ValueError, match="2-D"):
        I.Identity()((2, 2, 2))


ACTIVATION_CASES = [
    ("gelu", {}), ("gelu", {"approximate": True}), ("silu", {}), ("swish", {}), ("mish", {}),
    ("relu6", {}), ("leaky_relu", {}), ("hard_silu", {}), ("hard_swish", {}),
    ("log_softmax", {}), ("elu", {"alpha": 0.5}), ("exponential", {}), ("softplus", {}),
    ("softsign", {}), ("selu", {}), ("celu", {}), ("glu", {}), ("hard_tanh", {}),
    ("log_sigmoid", {}), ("softmax", {}), ("relu", {}),
    ("relu", {"negative_slope": 0.1, "max_value": 4.0, "threshold": 1.0})]


@pytest.mark.parametrize("name,kwargs", ACTIVATION_CASES)
def test_activations_match_keras3(name, kwargs):
    x = np.linspace(-5, 7, 24).astype(np.float32).reshape(4, 6)
    ref = to_numpy(getattr(keras.activations, name)(keras.ops.convert_to_tensor(x), **kwargs))
    np.testing.assert_allclose(getattr(A, name)(brique.tensor(x), **kwargs).numpy(), ref,
                               rtol=1e-5, atol=1e-6)
    if not kwargs:
        assert A.get(A.serialize(A.get(name))) is A.get(name)


def test_relu_keras2_alpha_and_activation_errors():
    x = brique.tensor([-2.0, 0.5, 9.0])
    np.testing.assert_allclose(A.relu(x, alpha=0.5, max_value=6).numpy(), [-1.0, 0.5, 6.0])
    assert A.hard_sigmoid(brique.tensor([0.0])).item() == 0.5  # Keras 2's form
    with pytest.raises(ValueError, match="unknown activation"):
        A.get("swishh")
