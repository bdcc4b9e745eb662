"""brique.keras.ops against Keras 3's keras.ops (PyTorch backend) on the same inputs, values
and (for the differentiable ones) gradients; brique.keras.random's seeding rules."""
import numpy as np
import pytest
import torch

import keras
from keras_ref import to_numpy

import brique
from brique.keras import ops, random

R = np.random.default_rng(0)
X = R.standard_normal((3, 4)).astype("float32")
Y = R.standard_normal((3, 4)).astype("float32")
P = R.uniform(0.05, 0.95, (3, 4)).astype("float32")
V = R.standard_normal(4).astype("float32")
M = R.standard_normal((4, 5)).astype("float32")
B = R.standard_normal((2, 3, 4)).astype("float32")
I = np.array([[0, 3], [2, 1], [1, 1]])

# (name, args, kwargs): the same call on both libraries.
CASES = [
    ("abs", (X,), {}), ("add", (X, 2.0), {}), ("all", (X > 0,), {"axis": 1}),
    ("any", (X > 0,), {"axis": 0}), ("arange", (2, 11, 3), {}), ("argmax", (X,), {"axis": 1}),
    ("argmin", (X,), {}), ("argsort", (X,), {"axis": 0}), ("broadcast_to", (V, (3, 4)), {}),
    ("cast", (X, "int32"), {}), ("clip", (X, -0.5, 0.5), {}),
    ("concatenate", ([X, Y],), {"axis": 1}), ("cos", (X,), {}), ("cumsum", (X,), {"axis": 1}),
    ("cumsum", (X,), {}), ("diag", (V,), {"k": 1}), ("diag", (X,), {}),
    ("divide", (X, Y), {}), ("dot", (X, M), {}), ("dot", (B, M), {}), ("dot", (V, V), {}),
    ("einsum", ("ij,jk->ik", X, M), {}), ("equal", (I, 1), {}), ("exp", (X,), {}),
    ("expand_dims", (X, 1), {}), ("eye", (3, 4), {"k": 1}), ("flip", (X,), {"axis": 1}),
    ("flip", (X,), {}), ("floor", (X,), {}), ("full", ((2, 3), 7.0), {}),
    ("greater", (X, Y), {}), ("greater_equal", (X, 0.1), {}), ("hstack", ([X, Y],), {}),
    ("identity", (3,), {}), ("isnan", (np.where(X > 0, X, np.nan),), {}), ("less", (X, Y), {}),
    ("linspace", (0.0, 1.0, 7), {}), ("log", (P,), {}), ("log1p", (P,), {}),
    ("logical_and", (X > 0, Y > 0), {}), ("logical_or", (X > 0, Y > 0), {}),
    ("logical_not", (X > 0,), {}), ("matmul", (B, M), {}), ("max", (X,), {"axis": 0}),
    ("max", (X,), {"axis": 1, "keepdims": True, "initial": 0.5}), ("maximum", (X, Y), {}),
    ("mean", (B,), {"axis": (0, 2)}), ("min", (X,), {}), ("minimum", (X, 0.0), {}),
    ("moveaxis", (B, 0, -1), {}), ("multiply", (X, Y), {}), ("negative", (X,), {}),
    ("not_equal", (I, 1), {}), ("ones", ((2, 3),), {}), ("ones_like", (X,), {}),
    ("pad", (X, ((1, 2), (0, 1))), {}), ("pad", (X, ((1, 1), (1, 1))), {"constant_values": 3.0}),
    ("pad", (X, ((1, 2), (2, 1))), {"mode": "reflect"}),
    ("power", (P, Y), {}),
    ("prod", (X,), {"axis": 1}), ("prod", (B,), {"axis": (0, 2), "keepdims": True}),
    ("repeat", (X, 2), {"axis": 1}), ("repeat", (X, 2), {}), ("reshape", (B, (4, -1)), {}),
    ("round", (X * 10,), {}), ("sign", (X,), {}), ("sin", (X,), {}),
    ("softmax", (X,), {"axis": 0}), ("sort", (X,), {}), ("sqrt", (P,), {}),
    ("square", (X,), {}), ("squeeze", (X[:1],), {}), ("stack", ([X, Y],), {"axis": 1}),
    ("std", (B,), {"axis": 1}), ("subtract", (X, Y), {}), ("sum", (B,), {"axis": [0, 1]}),
    ("swapaxes", (B, 0, 2), {}), ("take", (X, I), {"axis": 1}), ("take", (X, [1, 5]), {}),
    ("take_along_axis", (X, I), {"axis": 1}), ("tanh", (X,), {}), ("tile", (X, (2, 1)), {}),
    ("transpose", (B,), {}), ("transpose", (B, (1, 0, 2)), {}), ("tril", (X,), {"k": -1}),
    ("triu", (X,), {"k": 1}), ("var", (X,), {"axis": 0, "keepdims": True}),
    ("vstack", ([V, V],), {}), ("where", (X > 0, X, Y), {}), ("zeros", ((2, 2),), {}),
    ("zeros_like", (X,), {}), ("relu", (X,), {}), ("sigmoid", (X,), {}),
    ("log_softmax", (X,), {"axis": -1}), ("gelu", (X,), {}), ("gelu", (X,), {"approximate": False}),
    ("silu", (X,), {}), ("leaky_relu", (X,), {}), ("elu", (X,), {}), ("selu", (X,), {}),
    ("softplus", (X,), {}), ("hard_sigmoid", (X,), {}),
    ("one_hot", (np.array([0, 2, 1]), 4), {}), ("one_hot", (I, 4), {"axis": 1}),
    ("binary_crossentropy", ((X > 0).astype("float32"), P), {}),
    ("binary_crossentropy", ((X > 0).astype("float32"), X), {"from_logits": True}),
    ("categorical_crossentropy", (np.eye(4, dtype="float32")[[0, 3, 1]], P), {}),
    ("categorical_crossentropy", (np.eye(4, dtype="float32")[[0, 3, 1]], X),
     {"from_logits": True}),
    ("sparse_categorical_crossentropy", (np.array([0, 3, 1]), P), {}),
    ("sparse_categorical_crossentropy", (np.array([[0], [3], [1]]), X), {"from_logits": True}),
    ("logsumexp", (X,), {"axis": 1}), ("logsumexp", (B,), {}),
    ("normalize", (X,), {}), ("normalize", (X,), {"axis": 0, "order": 1}),
    ("top_k", (X, 2), {}), ("split", (X, 2), {"axis": 1}), ("split", (X, [1, 3]), {"axis": 1}),
    ("moments", (B, [0, 1]), {}), ("moments", (B, [2]), {"keepdims": True}),
]


def _flat(out):
    return [to_numpy(o) for o in out] if isinstance(out, (tuple, list)) else [to_numpy(out)]


@pytest.mark.parametrize("name,args,kwargs", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_op_matches_keras(name, args, kwargs):
    ref = _flat(getattr(keras.ops, name)(*args, **kwargs))
    ours = _flat(getattr(ops, name)(*args, **kwargs))
    assert len(ref) == len(ours)
    for r, o in zip(ref, ours):
        assert o.shape == r.shape, (name, o.shape, r.shape)
        np.testing.assert_allclose(o.astype("float64"), r.astype("float64"), rtol=2e-5,
                                   atol=2e-6, err_msg=name)


@pytest.mark.parametrize("pad_width,mode", [(2, "edge"), (((2, 2), (1, 3)), "symmetric"),
                                            (((1, 1), (2, 3)), "wrap"), (1, "reflect"),
                                            (1, "constant")])
def test_pad_modes_match_numpy(pad_width, mode):
    """NumPy's pad is the reference here: Keras 3's torch backend lacks 'edge' and 'wrap'
    and pads only the last axis for an int pad_width."""
    np.testing.assert_array_equal(ops.pad(X, pad_width, mode=mode).numpy(),
                                  np.pad(X, pad_width, mode=mode))


def test_numpy_semantics_where_keras_torch_differs():
    np.testing.assert_array_equal(ops.take(X, [1, -1]).numpy(), np.take(X, [1, -1]))
    np.testing.assert_array_equal(ops.take(X, [[-4, 0]], axis=1).numpy(),
                                  np.take(X, [[-4, 0]], axis=1))


@pytest.mark.parametrize("strides,padding,dilation", [(1, "valid", 1), (2, "same", 1),
                                                      (1, "same", 2), (3, "same", 1)])
def test_conv_matches_keras_values_and_gradients(strides, padding, dilation):
    x = R.standard_normal((2, 9, 8, 3)).astype("float32")
    w = R.standard_normal((3, 2, 3, 4)).astype("float32")
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    ref = keras.ops.conv(xt, wt, strides, padding, dilation_rate=dilation)
    ref.square().sum().backward()
    xb, wb = brique.tensor(x, requires_grad=True), brique.tensor(w, requires_grad=True)
    out = ops.conv(xb, wb, strides, padding, dilation_rate=dilation)
    out.square().sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), to_numpy(ref), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(xb.grad.numpy(), to_numpy(xt.grad), rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(wb.grad.numpy(), to_numpy(wt.grad), rtol=1e-4, atol=1e-3)


def test_conv1d_and_depthwise():
    x = R.standard_normal((2, 10, 3)).astype("float32")
    w = R.standard_normal((3, 3, 5)).astype("float32")
    np.testing.assert_allclose(ops.conv(x, w, 2, "same").numpy(),
                               to_numpy(keras.ops.conv(x, w, 2, "same")), rtol=1e-4, atol=1e-5)
    x2 = R.standard_normal((1, 6, 6, 3)).astype("float32")
    wd = R.standard_normal((3, 3, 3, 2)).astype("float32")
    np.testing.assert_allclose(ops.depthwise_conv(x2, wd, 1, "same").numpy(),
                               to_numpy(keras.ops.depthwise_conv(x2, wd, 1, "same")),
                               rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name,args,kwargs", [
    ("pad", (X, ((1, 2), (2, 1))), {"mode": "reflect"}), ("take", (X, I), {"axis": 1}),
    ("softmax", (X,), {"axis": 0}), ("normalize", (X,), {}), ("logsumexp", (X,), {"axis": 1}),
    ("categorical_crossentropy", (np.eye(4, dtype="float32")[[0, 3, 1]], None), {}),
    ("std", (X,), {"axis": 1}), ("prod", (X,), {"axis": 1}),
    ("take_along_axis", (X, I), {"axis": 1}), ("cumsum", (X,), {"axis": 0}),
])
def test_gradients_match_torch(name, args, kwargs):
    """d(sum(out * c))/dx through brique's autograd equals torch's through Keras's op."""
    x_index = next(i for i, a in enumerate(args) if a is X or a is None)
    value = P if args[x_index] is None else X
    xt, xb = torch.tensor(value, requires_grad=True), brique.tensor(value, requires_grad=True)
    ref = getattr(keras.ops, name)(*[xt if i == x_index else a for i, a in enumerate(args)],
                                   **kwargs)
    out = getattr(ops, name)(*[xb if i == x_index else a for i, a in enumerate(args)], **kwargs)
    c = R.standard_normal(tuple(out.shape)).astype("float32")
    (ref * torch.tensor(c)).sum().backward()
    (out * brique.tensor(c)).sum().backward()
    np.testing.assert_allclose(xb.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_conversions_dtypes_and_control_flow():
    assert ops.convert_to_tensor([1.5, 2]).dtype == np.float32
    assert ops.convert_to_tensor([1, 2]).dtype == np.int32
    assert ops.convert_to_tensor(np.ones(2)).dtype == np.float64  # arrays keep their dtype
    assert ops.convert_to_tensor([1, 2], dtype="float32").dtype == np.float32
    assert isinstance(ops.convert_to_numpy(ops.ones((2,))), np.ndarray)
    assert ops.shape(np.zeros((2, 5))) == (2, 5)
    x = brique.tensor([2.0], requires_grad=True)
    assert not ops.stop_gradient(x).requires_grad
    assert ops.cond(ops.convert_to_tensor(True), lambda: 1, lambda: 2) == 1
    assert ops.fori_loop(0, 4, lambda i, v: v + i, 0) == 6
    assert ops.while_loop(lambda i, s: i < 3, lambda i, s: (i + 1, s * 2), (0, 1)) == (3, 8)
    assert ops.while_loop(lambda v: v < 100, lambda v: v * 3, 1, maximum_iterations=2) == 9


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="split"):
        ops.split(X, 3, axis=1)
    with pytest.raises(IndexError, match="take"):
        ops.take(X, [4], axis=1)
    with pytest.raises(ValueError, match="categorical_crossentropy"):
        ops.categorical_crossentropy(np.ones((3, 2)), P)
    with pytest.raises(ValueError, match="conv: padding"):
        ops.conv(B[..., None], np.ones((1, 1, 1, 1)), padding="full")
    with pytest.raises(ValueError, match="pad: mode"):
        ops.pad(X, 1, mode="median")
    with pytest.raises(ValueError, match="top_k"):
        ops.top_k(X, 9)
    with pytest.raises(TypeError, match="dtype"):
        ops.cast(X, "floaty")


def test_random_seeding_rules():
    a = random.normal((3, 4), seed=7)
    np.testing.assert_array_equal(a.numpy(), random.normal((3, 4), seed=7).numpy())
    g1, g2 = random.SeedGenerator(5), random.SeedGenerator(5)
    first, second = random.uniform((4,), seed=g1), random.uniform((4,), seed=g1)
    assert not np.array_equal(first.numpy(), second.numpy())  # the stream advances
    np.testing.assert_array_equal(first.numpy(), random.uniform((4,), seed=g2).numpy())
    brique.manual_seed(3)
    u = random.uniform((5,), minval=2, maxval=3)
    brique.manual_seed(3)
    np.testing.assert_array_equal(u.numpy(), random.uniform((5,), minval=2, maxval=3).numpy())
    assert u.dtype == np.float32 and 2 <= u.numpy().min() and u.numpy().max() < 3


def test_random_distributions():
    t = random.truncated_normal((20000,), mean=1.0, stddev=2.0, seed=1).numpy()
    assert np.abs(t - 1.0).max() <= 4.0 and abs(t.mean() - 1.0) < 0.05
    r = random.randint((1000,), 2, 5, seed=1).numpy()
    assert r.dtype == np.int32 and set(np.unique(r)) == {2, 3, 4}
    c = random.categorical(np.log([[0.1, 0.9], [0.999, 0.001]]), 2000, seed=0).numpy()
    assert c.shape == (2, 2000) and 0.85 < c[0].mean() < 0.95 and c[1].mean() < 0.01
    d = random.dropout(np.ones((200, 50), "float32"), 0.3, seed=0).numpy()
    assert set(np.unique(d)) == {0.0, np.float32(1 / 0.7)} and abs((d == 0).mean() - 0.3) < 0.02
    shared = random.dropout(np.ones((4, 3, 5), "float32"), 0.5, noise_shape=(None, 1, 5),
                            seed=0).numpy()
    assert (shared == shared[:, :1]).all()  # one mask for every step
    s = random.shuffle(np.arange(10), seed=0).numpy()
    assert sorted(s) == list(range(10)) and list(s) != list(range(10))
    with pytest.raises(ValueError, match="dropout: rate"):
        random.dropout(np.ones(3), 1.0)
    with pytest.raises(ValueError, match="seed"):
        random.normal((2,), seed="x")
