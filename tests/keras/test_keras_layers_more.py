"""brique.keras's convolution variants, pooling/padding/cropping, reshaping, activation and
noise layers against Keras 3 (PyTorch backend) with the same weights: values, shapes,
gradients (input and weights, in Keras's layouts), the functional API, config round trips,
fit, and the errors for bad arguments."""
import keras
import numpy as np
import pytest
import torch

import brique
from brique.autograd import no_grad
from brique.keras import layers as L
from brique.keras.engine import to_tensor
from brique.keras.models import Model, Sequential
from brique.keras.optimizers import Adam
from keras_ref import to_numpy

K = keras.layers
RNG = np.random.default_rng(0)

# (factory taking the layers module, input shape): built alike from Keras 3 and brique.keras.
CASES = [
    (lambda M: M.Conv1D(4, 3, padding="causal", dilation_rate=2, activation="relu"), (2, 9, 3)),
    (lambda M: M.Conv1D(4, 4, strides=2, padding="same", groups=2), (2, 9, 6)),
    (lambda M: M.Conv1D(3, 2, data_format="channels_first"), (2, 4, 7)),
    (lambda M: M.Conv3D(4, (2, 3, 2), strides=(1, 2, 1), padding="same"), (2, 5, 6, 4, 3)),
    (lambda M: M.Conv2DTranspose(3, 2, strides=3), (2, 4, 3, 2)),  # outputs that are bias only
    (lambda M: M.Conv2DTranspose(3, 3, strides=2, padding="same", output_padding=1),
     (2, 4, 3, 2)),
    (lambda M: M.Conv2DTranspose(3, (4, 3), strides=2, padding="same"), (2, 4, 3, 2)),
    (lambda M: M.Conv2DTranspose(3, 3, dilation_rate=2, padding="same", activation="tanh"),
     (2, 5, 4, 2)),
    (lambda M: M.Conv2DTranspose(3, 3, strides=2, padding="same",
                                 data_format="channels_first"), (2, 2, 4, 3)),
    (lambda M: M.Conv1DTranspose(3, 3, strides=2, padding="same"), (2, 5, 2)),
    (lambda M: M.Conv3DTranspose(2, 3, strides=2), (1, 3, 2, 3, 2)),
    (lambda M: M.DepthwiseConv2D(3, depth_multiplier=2, strides=2, padding="same"),
     (2, 7, 6, 3)),
    (lambda M: M.DepthwiseConv1D(3, depth_multiplier=3), (2, 7, 2)),
    (lambda M: M.SeparableConv2D(5, 3, depth_multiplier=2, padding="same", activation="relu"),
     (2, 6, 5, 3)),
    (lambda M: M.SeparableConv1D(4, 3, strides=2, padding="same"), (2, 7, 3)),
    (lambda M: M.MaxPooling1D(3, strides=2, padding="same"), (2, 8, 3)),
    (lambda M: M.AveragePooling1D(2, padding="same"), (2, 7, 3)),
    (lambda M: M.MaxPooling3D(2, padding="same"), (2, 3, 5, 4, 2)),
    (lambda M: M.AveragePooling3D(2, strides=(1, 2, 2), padding="same"), (2, 3, 5, 4, 2)),
    (lambda M: M.AveragePooling3D((2, 2, 1), data_format="channels_first"), (2, 2, 4, 5, 3)),
    (lambda M: M.GlobalAveragePooling1D(), (2, 5, 3)),
    (lambda M: M.GlobalMaxPooling1D(keepdims=True), (2, 5, 3)),
    (lambda M: M.GlobalAveragePooling3D(keepdims=True), (2, 3, 2, 4, 3)),
    (lambda M: M.GlobalMaxPooling3D(data_format="channels_first"), (2, 3, 2, 4, 3)),
    (lambda M: M.UpSampling1D(3), (2, 4, 3)),
    (lambda M: M.UpSampling3D((1, 2, 3)), (2, 2, 3, 2, 2)),
    (lambda M: M.ZeroPadding1D((1, 2)), (2, 4, 3)),
    (lambda M: M.ZeroPadding2D(((1, 0), (2, 3))), (2, 3, 4, 2)),
    (lambda M: M.ZeroPadding3D(1, data_format="channels_first"), (2, 2, 3, 2, 2)),
    (lambda M: M.Cropping1D((1, 2)), (2, 6, 3)),
    (lambda M: M.Cropping2D(((1, 0), (2, 1))), (2, 4, 5, 2)),
    (lambda M: M.Cropping2D(1), (2, 4, 5, 2)),
    (lambda M: M.Cropping3D(), (2, 4, 3, 5, 2)),
    (lambda M: M.Permute((2, 1, 3)), (2, 3, 4, 5)),
    (lambda M: M.RepeatVector(3), (2, 4)),
    (lambda M: M.Identity(), (2, 4, 3)),
    (lambda M: M.ReLU(max_value=1.5, negative_slope=0.1, threshold=0.3), (2, 4, 5)),
    (lambda M: M.ReLU(6.0), (2, 4, 5)),
    (lambda M: M.LeakyReLU(negative_slope=0.2), (2, 4, 5)),
    (lambda M: M.PReLU(shared_axes=[1, 2]), (2, 3, 4, 5)),
    (lambda M: M.PReLU(alpha_initializer="ones"), (2, 4, 5)),
    (lambda M: M.ELU(0.5), (2, 4, 5)),
    (lambda M: M.Softmax(axis=1), (2, 4, 5)),
    (lambda M: M.Softmax(axis=(1, 2)), (2, 3, 4, 5)),
]


def _case_id(case):
    layer = case[0](L)
    return type(layer).__name__


def keras_grads(layer):
    """The gradients of a brique.keras layer's parameters in Keras's weight layouts."""
    params = list(layer.parameters())
    saved = [p.detach().clone() for p in params]
    with no_grad():
        for p in params:
            p.copy_(p.grad)
        grads = layer.get_weights()
        for p, s in zip(params, saved):
            p.copy_(s)
    return grads


@pytest.mark.parametrize("factory,shape", CASES, ids=[_case_id(c) for c in CASES])
def test_more_layers_match_keras3_values_shapes_and_gradients(factory, shape):
    x = RNG.standard_normal(shape).astype(np.float32)
    ref, ours = factory(K), factory(L)
    xt = torch.tensor(x, requires_grad=True)
    ref(xt)  # builds it; random weights (biases and PReLU slopes too, so they are checked)
    ref.set_weights([RNG.standard_normal(w.shape).astype(np.float32) * 0.5
                     for w in ref.get_weights()])
    ref_out = ref(xt)
    g = RNG.standard_normal(tuple(ref_out.shape)).astype(np.float32)
    (ref_out * torch.tensor(g)).sum().backward()

    ours(to_tensor(x[:1]))
    ours.set_weights([to_numpy(w) for w in ref.get_weights()])
    xb = brique.tensor(x, requires_grad=True)
    out = ours(xb)
    (out * brique.tensor(g)).sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), to_numpy(ref_out), rtol=1e-5, atol=2e-5)
    np.testing.assert_allclose(xb.grad.numpy(), to_numpy(xt.grad), rtol=1e-4, atol=1e-4)
    expected = [to_numpy(w.value.grad) for w in ref.trainable_weights]
    for mine, theirs in zip(keras_grads(ours), expected, strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-4)
    assert ours.compute_output_shape((None,) + shape[1:]) == (None,) + tuple(ref_out.shape[1:])

    # config round trip: the same layer with the same weights gives the same output
    again = type(ours).from_config(ours.get_config())
    again(to_tensor(x[:1]))
    again.set_weights(ours.get_weights())
    np.testing.assert_allclose(again(x).detach().numpy(), out.detach().numpy(), rtol=1e-6)

    # the functional API: symbolic shape, and a Model gives the layer's numbers
    inp = L.Input(shape=shape[1:])
    layer = factory(L)
    sym = layer(inp)
    assert sym.shape == (None,) + tuple(ref_out.shape[1:])
    layer.set_weights(ours.get_weights())
    np.testing.assert_allclose(Model(inp, sym).predict(x), out.detach().numpy(), rtol=1e-5,
                               atol=1e-6)


def test_more_layers_chain_channels_first_inside_a_model():
    """2-D layers one after another in a Model pass NCHW tensors between them; the result
    and the parameter gradients are those of the layers called one by one."""
    brique.manual_seed(0)
    model = Sequential([L.ZeroPadding2D(1, input_shape=(6, 5, 2)),
                        L.DepthwiseConv2D(3, depth_multiplier=2), L.LeakyReLU(),
                        L.SeparableConv2D(4, 3, padding="same"), L.ReLU(max_value=3.0),
                        L.SpatialDropout2D(0.0), L.GaussianNoise(0.0), L.Identity(),
                        L.Conv2DTranspose(3, 3, strides=2, padding="same"),
                        L.Cropping2D(((1, 0), (0, 2))), L.ELU(), L.Flatten(), L.Dense(2)])
    x = RNG.standard_normal((2, 6, 5, 2)).astype(np.float32)
    out = model(brique.tensor(x))
    out.sum().backward()
    grads = [p.grad.numpy().copy() for p in model.parameters()]
    model.zero_grad()
    h = brique.tensor(x)
    for layer in model.layers:
        h = layer(h)
    np.testing.assert_allclose(out.detach().numpy(), h.detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    h.sum().backward()
    for g, p in zip(grads, model.parameters(), strict=True):
        np.testing.assert_allclose(g, p.grad.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("build", [
    lambda: [L.Conv1D(8, 3, padding="causal", activation="relu", input_shape=(12, 2)),
             L.SpatialDropout1D(0.1), L.MaxPooling1D(), L.SeparableConv1D(8, 3),
             L.GaussianDropout(0.1), L.GlobalAveragePooling1D(), L.Dense(1)],
    lambda: [L.Conv2DTranspose(4, 3, strides=2, input_shape=(3, 3, 2)), L.PReLU(),
             L.DepthwiseConv2D(3), L.Cropping2D(1), L.GaussianNoise(0.1), L.Flatten(),
             L.Dense(1)],
    lambda: [L.Conv3D(4, 2, input_shape=(4, 4, 4, 1)), L.AlphaDropout(0.1),
             L.AveragePooling3D(padding="same"), L.Conv3DTranspose(2, 2),
             L.GlobalMaxPooling3D(), L.RepeatVector(2), L.Permute((2, 1)), L.Flatten(),
             L.Dense(1)],
])
def test_more_layers_learn_in_fit(build):
    brique.manual_seed(0)
    model = Sequential(build())
    shape = model.layers[0].declared_input_shape
    x = RNG.standard_normal((32,) + shape).astype(np.float32)
    y = x.reshape(32, -1).mean(1, keepdims=True) * 3
    model.compile(optimizer=Adam(learning_rate=0.01), loss="mse")
    loss = model.fit(x, y, epochs=12, batch_size=8, verbose=0).history["loss"]
    assert loss[-1] < 0.7 * loss[0]
    assert model.predict(x).shape == (32, 1)


def test_noise_layers_are_identity_in_inference_and_noisy_in_training():
    x = RNG.standard_normal((64, 8, 8, 16)).astype(np.float32) + 2
    layers = [L.SpatialDropout1D(0.5), L.SpatialDropout2D(0.5), L.SpatialDropout3D(0.5),
              L.GaussianNoise(0.5), L.GaussianDropout(0.5), L.AlphaDropout(0.5)]
    inputs = [x[:, 0], x, x.reshape(64, 2, 4, 8, 16)] + [x] * 3
    brique.manual_seed(3)
    for layer, xi in zip(layers, inputs):
        np.testing.assert_array_equal(layer(xi, training=False).detach().numpy(), xi)
        layer.eval()
        np.testing.assert_array_equal(layer(xi).detach().numpy(), xi)
        layer.train()
        assert not np.allclose(layer(xi).detach().numpy(), xi)
    # spatial dropout drops whole channels: per (sample, channel) all zero or all doubled
    out = L.SpatialDropout2D(0.5)(x, training=True).detach().numpy()
    kept = np.isclose(out, 2 * x).all((1, 2))
    assert ((out == 0).all((1, 2)) | kept).all() and 0.4 < kept.mean() < 0.6
    noise = L.GaussianNoise(0.5)(x, training=True).detach().numpy() - x
    assert abs(noise.mean()) < 0.01 and abs(noise.std() - 0.5) < 0.01
    factor = L.GaussianDropout(0.2)(x, training=True).detach().numpy() / x
    assert abs(factor.mean() - 1) < 0.01 and abs(factor.std() - 0.5) < 0.01  # sqrt(.2 / .8)
    # AlphaDropout as Keras writes it: dropped entries go to alpha_p, then a * x + b
    rate, alpha_p = 0.2, -1.6732632423543772 * 1.0507009873554805
    a = ((1 - rate) * (1 + rate * alpha_p ** 2)) ** -0.5
    b = -a * alpha_p * rate
    out = L.AlphaDropout(rate)(x, training=True).detach().numpy()
    kept = np.isclose(out, a * x + b, atol=1e-5)
    assert (kept | np.isclose(out, a * alpha_p + b, atol=1e-5)).all()
    assert abs(kept.mean() - (1 - rate)) < 0.01


def test_more_layers_keras2_spellings_and_defaults():
    x = RNG.standard_normal((3, 4)).astype(np.float32) * 2
    np.testing.assert_allclose(L.LeakyReLU()(x).detach().numpy(), np.where(x > 0, x, 0.3 * x),
                               rtol=1e-6)  # Keras 2's alpha=0.3
    np.testing.assert_allclose(L.LeakyReLU(alpha=0.1)(x).detach().numpy(),
                               np.where(x > 0, x, 0.1 * x), rtol=1e-6)
    np.testing.assert_array_equal(L.ThresholdedReLU()(x).detach().numpy(),
                                  np.where(x > 1, x, 0))
    assert L.ThresholdedReLU.from_config(L.ThresholdedReLU(0.5).get_config()).theta == 0.5
    assert L.Convolution1D is L.Conv1D and L.Deconvolution2D is L.Conv2DTranspose
    assert L.Convolution2DTranspose is L.Conv2DTranspose and L.MaxPool1D is L.MaxPooling1D
    assert L.AvgPool3D is L.AveragePooling3D and L.GlobalAvgPool2D is L.GlobalAveragePooling2D
    assert L.SeparableConvolution2D is L.SeparableConv2D
    assert L.MaxPooling1D().pool_size == (2,) and L.AveragePooling3D().strides == (2, 2, 2)
    prelu = L.PReLU(alpha_initializer="Zeros")  # Keras 3's spelling
    prelu.build((None, 3, 2))
    assert [w.shape for w in prelu.get_weights()] == [(3, 2)] and not prelu.get_weights()[0].any()
    layer = L.Conv2DTranspose(4, 3)
    layer.build((None, 5, 5, 2))
    kernel, bias = layer.get_weights()
    assert kernel.shape == (3, 3, 4, 2) and not bias.any()  # Keras's (kh, kw, out, in)
    sep = L.SeparableConv1D(6, 3, depth_multiplier=2)
    sep.build((None, 9, 3))
    assert [w.shape for w in sep.get_weights()] == [(3, 3, 2), (1, 6, 6), (6,)]


@pytest.mark.parametrize("make,match", [
    (lambda: L.Conv1D(4, -1), "kernel_size must be"),
    (lambda: L.Conv1D(0, 3), "filters must be a positive int"),
    (lambda: L.Conv3D(4, 3, padding="causal"), "padding must be one of"),
    (lambda: L.Conv1D(4, 3, strides=2, dilation_rate=2), "cannot be combined"),
    (lambda: L.Conv2DTranspose(4, 3, strides=2, output_padding=2), "smaller than strides"),
    (lambda: L.Conv2D(4, 3, data_format="NHWC"), "data_format"),
    (lambda: L.DepthwiseConv2D(3, depth_multiplier=0), "depth_multiplier"),
    (lambda: L.MaxPooling3D((2, 2)), "pool_size must be"),
    (lambda: L.ZeroPadding2D(((1, 2, 3),)), "padding must be"),
    (lambda: L.Cropping1D(-1), "cropping must be"),
    (lambda: L.Permute((1, 1)), "permutation"),
    (lambda: L.RepeatVector(0), "positive int"),
    (lambda: L.ReLU(max_value=-1), "max_value must be a number >= 0"),
    (lambda: L.LeakyReLU(alpha=0.1, negative_slope=0.2), "not both"),
    (lambda: L.GaussianDropout(1.0), r"rate must be a number in \[0, 1\)"),
    (lambda: L.SpatialDropout2D(1.5), "rate must be"),
    (lambda: L.GaussianNoise(-1), "stddev must be"),
    (lambda: L.Softmax(axis="last"), "axis must be"),
])
def test_more_layers_refuse_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("layer,shape,match", [
    (lambda: L.Conv1D(4, 3), (2, 5, 5, 3), r"expected a 3-D input \(batch, steps, channels\)"),
    (lambda: L.Conv3D(4, 3), (2, 5, 3), "expected a 5-D input"),
    (lambda: L.Conv1D(4, 3, groups=2), (2, 5, 3), "divisible by groups"),
    (lambda: L.Conv3D(2, 3), (1, 2, 4, 4, 1), "smaller than the kernel"),
    (lambda: L.Conv2DTranspose(2, 3), (1, 0, 4, 1), "must not be empty"),
    (lambda: L.MaxPooling1D(4), (2, 3, 2), "larger than the input"),
    (lambda: L.Cropping2D(2), (2, 4, 6, 1), "leaves nothing"),
    (lambda: L.RepeatVector(2), (2, 3, 4), "expected a 2-D input"),
    (lambda: L.Permute((2, 1)), (2, 3, 4, 5), "needs inputs of 3 dims"),
    (lambda: L.PReLU(shared_axes=[4]), (2, 3, 4), "out of range"),
    (lambda: L.Softmax(axis=3), (2, 3, 4), "out of range"),
    (lambda: L.UpSampling3D(), (2, 3, 4, 5), "expected a 5-D input"),
])
def test_more_layers_refuse_bad_inputs(layer, shape, match):
    with pytest.raises(ValueError, match=match):
        layer()(np.zeros(shape, np.float32))


def test_more_layers_refuse_a_wrong_kernel():
    conv = L.DepthwiseConv2D(3)
    conv.build((None, 5, 5, 2))
    with pytest.raises(ValueError, match="kernel of 4 dims"):
        conv.set_weights([np.zeros((3, 3, 2)), np.zeros(2)])


def test_more_layers_survive_save_and_load(tmp_path):
    from brique.keras.models import load_model, model_from_json
    brique.manual_seed(1)
    model = Sequential([L.Conv1D(4, 3, padding="causal", input_shape=(8, 2)),
                        L.PReLU(shared_axes=[1]), L.ZeroPadding1D((1, 0)), L.Cropping1D(1),
                        L.SeparableConv1D(3, 2, depth_multiplier=2), L.LeakyReLU(alpha=0.2),
                        L.Conv1DTranspose(2, 3, strides=2, padding="same"),
                        L.UpSampling1D(), L.MaxPooling1D(padding="same"), L.SpatialDropout1D(0.2),
                        L.GlobalAveragePooling1D(keepdims=True), L.Permute((2, 1)),
                        L.Softmax(axis=1)])
    model.compile(optimizer="adam", loss="mse")
    x = RNG.standard_normal((3, 8, 2)).astype(np.float32)
    model.save(tmp_path / "m.h5")
    loaded = load_model(tmp_path / "m.h5")
    np.testing.assert_allclose(loaded.predict(x), model.predict(x), rtol=1e-6)
    rebuilt = model_from_json(model.to_json())
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_allclose(rebuilt.predict(x), model.predict(x), rtol=1e-6)
