"""Each Keras layer against the brique module it wraps (channels-last around channels-first)
and against PyTorch with the same weights, values and gradients."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import brique
from brique.keras import layers as L
from brique.keras.engine import to_first, to_last
from brique.keras.models import Model, Sequential

RNG = np.random.default_rng(0)


def data(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def run(layer, x):
    """Output of a Keras layer and the gradient of sum(out * g) w.r.t. its input."""
    xb = brique.tensor(x, requires_grad=True)
    out = layer(xb)
    g = data(*out.shape)
    (out * brique.tensor(g)).sum().backward()
    return out.detach().numpy(), xb.grad.detach().numpy(), g


def torch_grad(fn, x, g):
    xt = torch.tensor(x, requires_grad=True)
    out = fn(xt)
    (out * torch.tensor(g)).sum().backward()
    return out.detach().numpy(), xt.grad.detach().numpy()


def nchw(x):
    return torch.as_tensor(x).permute(0, 3, 1, 2)


def nhwc(x):
    return x.permute(0, 2, 3, 1)


def same_pads(n, k, s):
    """TensorFlow's 'same': total padding, the odd one at the end."""
    total = max((math.ceil(n / s) - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def test_dense_is_linear_then_activation_and_matches_torch():
    layer = L.Dense(5, activation="tanh")
    x = data(4, 3)
    out, grad, g = run(layer, x)
    np.testing.assert_allclose(out, np.tanh(layer.module(brique.tensor(x)).detach().numpy()),
                               rtol=1e-6)
    kernel, bias = layer.get_weights()
    assert kernel.shape == (3, 5) and not bias.any()  # Keras's layout, zero bias
    ref, ref_grad = torch_grad(lambda t: torch.tanh(t @ torch.tensor(kernel)
                                                    + torch.tensor(bias)), x, g)
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-5, atol=1e-6)
    layer.set_weights([kernel * 2, bias + 1])
    np.testing.assert_allclose(layer.module.weight.detach().numpy(), 2 * kernel.T)


@pytest.mark.parametrize("size,kernel,strides,padding", [
    (9, 3, 1, "same"), (9, 3, 1, "valid"), (8, 3, 2, "same"), (7, 3, 2, "same"),
    (6, 2, 1, "same"), (9, (3, 2), (2, 1), "valid")])
def test_conv2d_channels_last_matches_torch(size, kernel, strides, padding):
    layer = L.Conv2D(4, kernel, strides=strides, padding=padding, activation="relu")
    x = data(2, size, size + 1, 3)
    out, grad, g = run(layer, x)
    # the wrapped module on the transposed input gives the same numbers
    inner = layer.call_first(to_first(brique.tensor(x)))
    np.testing.assert_allclose(out, to_last(inner).detach().numpy(), rtol=1e-6)
    k, b = layer.get_weights()
    kh, kw = k.shape[:2]
    sh, sw = (strides, strides) if isinstance(strides, int) else strides
    w = torch.tensor(k).permute(3, 2, 0, 1)

    def ref(t):
        t = nchw(t)
        if padding == "same":
            top, bottom = same_pads(t.shape[2], kh, sh)
            left, right = same_pads(t.shape[3], kw, sw)
            t = TF.pad(t, (left, right, top, bottom))
        return nhwc(torch.relu(TF.conv2d(t, w, torch.tensor(b), (sh, sw))))
    expected, expected_grad = torch_grad(ref, x, g)
    assert out.shape == expected.shape == (2,) + layer.compute_output_shape(x.shape)[1:]
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("size,padding", [(8, "valid"), (7, "valid"), (7, "same"),
                                          (8, "same")])
def test_pooling_channels_last_matches_torch(size, padding):
    x = data(2, size, size, 3)
    ceil = padding == "same"
    for layer, fn in ((L.MaxPooling2D((2, 2), padding=padding),
                       lambda t: TF.max_pool2d(t, 2, ceil_mode=ceil)),
                      (L.AveragePooling2D((2, 2), padding=padding),
                       lambda t: TF.avg_pool2d(t, 2, ceil_mode=ceil))):
        out, grad, g = run(layer, x)
        expected, expected_grad = torch_grad(lambda t: nhwc(fn(nchw(t))), x, g)
        assert out.shape == (2,) + layer.compute_output_shape(x.shape)[1:]
        np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(grad, expected_grad, rtol=1e-5, atol=1e-6)


def test_upsampling_and_global_pooling_match_numpy():
    x = data(2, 3, 4, 5)
    up = L.UpSampling2D((2, 3))(x).detach().numpy()
    np.testing.assert_array_equal(up, x.repeat(2, axis=1).repeat(3, axis=2))
    np.testing.assert_allclose(L.GlobalAveragePooling2D()(x).detach().numpy(), x.mean((1, 2)),
                               rtol=1e-6)
    np.testing.assert_allclose(L.GlobalMaxPooling2D()(x).detach().numpy(), x.max((1, 2)))


def test_flatten_keeps_keras_order():
    x = data(2, 3, 4, 5)
    np.testing.assert_array_equal(L.Flatten()(x).detach().numpy(), x.reshape(2, -1))
    assert L.Reshape((-1, 5)).compute_output_shape((None, 3, 4, 5)) == (None, 12, 5)


def test_batch_normalization_channels_last_matches_torch():
    layer = L.BatchNormalization()
    layer.train()  # batch statistics (a direct call is inference, as in Keras)
    ref = torch.nn.BatchNorm2d(3, eps=1e-3, momentum=0.01)
    x = data(4, 5, 5, 3) * 2 + 1
    out, grad, g = run(layer, x)
    expected, expected_grad = torch_grad(lambda t: nhwc(ref(nchw(t))), x, g)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-4, atol=1e-4)
    gamma, beta, mean, var = layer.get_weights()
    np.testing.assert_allclose(mean, ref.running_mean.detach().numpy(), rtol=1e-5)
    # Keras's moving variance follows the batch's biased variance (PyTorch's, the unbiased)
    np.testing.assert_allclose(var, 0.99 + 0.01 * x.var(axis=(0, 1, 2)), rtol=1e-5)
    ref.running_var.copy_(torch.tensor(var))
    layer.eval()
    ref.eval()
    np.testing.assert_allclose(layer(x).detach().numpy(), nhwc(ref(nchw(x))).detach().numpy(),
                               rtol=1e-4, atol=1e-5)
    seq = L.BatchNormalization()
    np.testing.assert_allclose(seq(data(4, 6, 3), training=True).detach().numpy().mean((0, 1)), 0,
                               atol=1e-5)


def test_embedding_matches_torch():
    layer = L.Embedding(10, 4)
    ids = np.array([[1, 2, 9], [0, 0, 3]])
    out = layer(ids).detach().numpy()
    (table,) = layer.get_weights()
    assert np.abs(table).max() <= 0.05  # Keras's uniform(-0.05, 0.05)
    ref = torch.nn.functional.embedding(torch.tensor(ids), torch.tensor(table))
    np.testing.assert_array_equal(out, ref.detach().numpy())
    assert layer.compute_output_shape((None, 3)) == (None, 3, 4)


@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM", "GRU"])
def test_recurrent_layers_match_torch(kind):
    layer = getattr(L, kind)(6, return_sequences=True, return_state=True)
    x = data(3, 5, 4)
    outs = layer(x)
    torch_cls = {"SimpleRNN": torch.nn.RNN, "LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU}[kind]
    ref = torch_cls(4, 6, batch_first=True)
    # Keras's LSTM and SimpleRNN have one bias: brique's second is a zero constant
    ref.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in
                         layer.module.state_dict().items()} |
                        {"bias_hh_l0": torch.tensor(layer.module.bias_hh_l0.detach().numpy())})
    seq, state = ref(torch.tensor(x))
    states = state if isinstance(state, tuple) else (state,)
    np.testing.assert_allclose(outs[0].detach().numpy(), seq.detach().numpy(), rtol=1e-4,
                               atol=1e-5)
    for mine, theirs in zip(outs[1:], states):
        np.testing.assert_allclose(mine.detach().numpy(), theirs[0].detach().numpy(),
                                   rtol=1e-4, atol=1e-5)
    last = getattr(L, kind)(6)
    last.build((None, 5, 4))
    last.set_weights(layer.get_weights())  # Keras's layout, round trip
    np.testing.assert_allclose(last(x).detach().numpy(), seq[:, -1].detach().numpy(),
                               rtol=1e-4, atol=1e-5)
    assert last.compute_output_shape((None, 5, 4)) == (None, 6)


def test_lstm_initialization_follows_keras():
    layer = L.LSTM(3)
    layer.build((None, 2, 4))
    kernel, recurrent, bias = layer.get_weights()
    assert kernel.shape == (4, 12) and recurrent.shape == (3, 12)
    np.testing.assert_array_equal(bias, [0] * 3 + [1] * 3 + [0] * 6)  # unit_forget_bias
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(3), atol=1e-5)  # orthogonal


def test_merge_layers_and_keras1_merge():
    a, b = data(3, 4), data(3, 4)
    np.testing.assert_allclose(L.Add()([a, b]).detach().numpy(), a + b)
    np.testing.assert_allclose(L.Multiply()([a, b]).detach().numpy(), a * b)
    np.testing.assert_allclose(L.Subtract()([a, b]).detach().numpy(), a - b)
    np.testing.assert_allclose(L.Average()([a, b]).detach().numpy(), (a + b) / 2)
    np.testing.assert_allclose(L.Maximum()([a, b]).detach().numpy(), np.maximum(a, b))
    np.testing.assert_allclose(L.Concatenate()([a, b]).detach().numpy(), np.concatenate([a, b], -1))
    x, y = L.Input(shape=(4,)), L.Input(shape=(4,))
    for mode, expected in (("mul", a * b), ("sum", a + b), ("concat", np.hstack([a, b])),
                           ("dot", (a * b).sum(-1, keepdims=True))):
        model = Model([x, y], L.merge([x, y], mode=mode))
        np.testing.assert_allclose(model.predict([a, b]), expected, rtol=1e-5)
    lam = L.merge([x, y], mode=lambda t: t[0] - t[1], output_shape=(4,))
    assert lam.shape == (None, 4)
    with pytest.raises(ValueError, match="unknown mode"):
        L.merge([x, y], mode="xor")


def test_graph_runner_equals_layer_by_layer_and_torch_gradients():
    """A conv net in a Model (channels-first between convs) gives the numbers and parameter
    gradients of the same layers called one by one in Keras's layout."""
    brique.manual_seed(0)
    model = Sequential([L.Conv2D(4, 3, padding="same", activation="relu",
                                 input_shape=(8, 8, 2)),
                        L.MaxPooling2D(padding="same"), L.BatchNormalization(),
                        L.Dropout(0.0), L.Activation("relu"), L.UpSampling2D(),
                        L.Conv2D(3, 3, strides=2, padding="same"), L.Flatten(), L.Dense(2)])
    x = data(2, 8, 8, 2)
    out = model(brique.tensor(x))
    out.sum().backward()
    grads = [p.grad.detach().numpy().copy() for p in model.parameters()]
    model.zero_grad()
    h = brique.tensor(x)
    for layer in model.layers:
        h = layer(h)
    np.testing.assert_allclose(out.detach().numpy(), h.detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    h.sum().backward()
    for g, p in zip(grads, model.parameters()):
        np.testing.assert_allclose(g, p.grad.detach().numpy(), rtol=1e-4, atol=1e-5)


def test_layer_errors_are_clear():
    with pytest.raises(ValueError, match="padding must be 'valid' or 'same'"):
        L.Conv2D(3, 3, padding="full")
    with pytest.raises(ValueError, match="expected a 4-D input"):
        L.Conv2D(3, 3)(data(2, 5, 5))
    with pytest.raises(TypeError, match="unexpected keyword"):
        L.Dense(3, kernel_regulariser=None)
    with pytest.raises(ValueError, match="recurrent_activation must be 'sigmoid'"):
        L.LSTM(3, recurrent_activation="hard_sigmoid")
    with pytest.raises(ValueError, match="unknown activation"):
        L.Dense(3, activation="relu7")


def test_dropout_and_activation_wrap_brique():
    x = data(4, 6, 6, 3)
    layer, ref = L.Dropout(0.5), brique.nn.Dropout(0.5)
    brique.manual_seed(5)
    out = layer(x, training=True).detach().numpy()
    brique.manual_seed(5)
    np.testing.assert_array_equal(out, ref(brique.tensor(x)).detach().numpy())
    assert (out == 0).mean() > 0.3
    layer.eval()
    np.testing.assert_array_equal(layer(x).detach().numpy(), x)
    np.testing.assert_allclose(L.Activation("softmax")(x).detach().numpy().sum(-1), 1,
                               rtol=1e-6)  # over the channels (last axis)
    np.testing.assert_array_equal(L.Activation("relu")(x).detach().numpy(), np.maximum(x, 0))
