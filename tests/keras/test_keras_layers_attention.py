"""Normalization, attention, wrapper and Dot layers of brique.keras against Keras 3 (PyTorch
backend) with the same weights: forward values, attention scores, causal masks, gradients;
config round trips, graphs, a short fit, and the errors bad input gets."""
import numpy as np
import pytest
import torch

import brique
from brique.keras import layers as L
from brique.keras.engine import to_tensor
from brique.keras.models import Model, Sequential

from keras_ref import keras, same_layer, to_numpy

RNG = np.random.default_rng(0)


def data(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=tol, atol=tol)


def copied(ref, ours, *args, **kwargs):
    """Both layers called on args (built), ours given the reference's weights: outputs."""
    ref_out = ref(*args, **kwargs)
    ours(*[to_tensor(a) if not isinstance(a, list) else [to_tensor(t) for t in a]
           for a in args])
    ours.set_weights([to_numpy(w) for w in ref.get_weights()])
    return ref_out, ours(*[to_tensor(a) if not isinstance(a, list) else
                           [to_tensor(t) for t in a] for a in args], **kwargs)


# ---------------------------------------------------------------------- normalization
@pytest.mark.parametrize("cls,kwargs", [
    ("LayerNormalization", {}), ("LayerNormalization", {"axis": [2, 3]}),
    ("LayerNormalization", {"center": False}), ("LayerNormalization", {"scale": False}),
    ("GroupNormalization", {"groups": 2}), ("GroupNormalization", {"groups": -1}),
    ("GroupNormalization", {"groups": 3, "axis": 1}), ("UnitNormalization", {}),
    ("UnitNormalization", {"axis": [1, 2]})])
def test_normalization_layers_match_keras(cls, kwargs):
    x = data(2, 3, 4, 6)
    ref, ours = getattr(keras.layers, cls)(**kwargs), getattr(L, cls)(**kwargs)
    ref_out, out = same_layer(ref, ours, x)
    close(out, ref_out)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in ref.weights]
    clone = getattr(L, cls).from_config(ours.get_config())
    clone(to_tensor(x[:1]))
    clone.set_weights(ours.get_weights())
    close(clone(to_tensor(x)), out)


def test_layer_normalization_over_inner_axes_and_gradient():
    x = data(2, 3, 4, 5)
    layer = L.LayerNormalization(axis=[1, 2], epsilon=0.0)
    out = layer(to_tensor(x))
    m, s = x.mean((1, 2), keepdims=True), x.std((1, 2), keepdims=True)
    close(out, (x - m) / s)
    assert layer.get_weights()[0].shape == (3, 4)
    # gradient against torch autograd of the Keras layer, gamma/beta not trivial
    ref = keras.layers.LayerNormalization()
    ref(x)
    ref.set_weights([data(5), data(5)])
    ours = L.LayerNormalization()
    ours(to_tensor(x[:1]))
    ours.set_weights([to_numpy(w) for w in ref.get_weights()])
    g = data(*x.shape)
    xt = torch.tensor(x, requires_grad=True)
    (ref(xt) * torch.tensor(g)).sum().backward()
    xb = brique.tensor(x, requires_grad=True)
    (ours(xb) * brique.tensor(g)).sum().backward()
    close(xb.grad, xt.grad, 1e-4)


# ---------------------------------------------------------------------- Attention
@pytest.mark.parametrize("cls,kwargs", [
    ("Attention", {}), ("Attention", {"use_scale": True}),
    ("Attention", {"score_mode": "concat", "use_scale": True}), ("AdditiveAttention", {}),
    ("AdditiveAttention", {"use_scale": False})])
@pytest.mark.parametrize("causal", [False, True])
def test_attention_layers_match_keras(cls, kwargs, causal):
    q, v, k = data(2, 5, 4), data(2, 7, 3), data(2, 7, 4)
    ref, ours = getattr(keras.layers, cls)(**kwargs), getattr(L, cls)(**kwargs)
    ref_out, out = copied(ref, ours, [q, v, k], return_attention_scores=True,
                          use_causal_mask=causal)
    for a, b in zip(ref_out, out):
        close(b, a)
    # [query, value]: the value is the key; masks of query and value steps
    q, v = data(2, 5, 4), data(2, 6, 4)
    qm, vm = RNG.random((2, 5)) > 0.3, RNG.random((2, 6)) > 0.3
    vm[:, 0] = True
    ref_out = ref([q, v], mask=[torch.tensor(qm), torch.tensor(vm)])
    out = ours([to_tensor(q), to_tensor(v)], mask=[to_tensor(qm), to_tensor(vm)])
    close(out, ref_out)


def test_attention_gradient_matches_torch_autograd():
    q, v = data(2, 4, 3), data(2, 5, 3)
    ref, ours = keras.layers.Attention(use_scale=True), L.Attention(use_scale=True)
    copied(ref, ours, [q, v])
    g = data(2, 4, 3)
    qt, vt = torch.tensor(q, requires_grad=True), torch.tensor(v, requires_grad=True)
    (ref([qt, vt]) * torch.tensor(g)).sum().backward()
    qb, vb = brique.tensor(q, requires_grad=True), brique.tensor(v, requires_grad=True)
    (ours([qb, vb]) * brique.tensor(g)).sum().backward()
    close(qb.grad, qt.grad, 1e-4)
    close(vb.grad, vt.grad, 1e-4)


# ---------------------------------------------------------------------- MultiHeadAttention
@pytest.mark.parametrize("kwargs,call", [
    ({"num_heads": 2, "key_dim": 3}, {}),
    ({"num_heads": 2, "key_dim": 3, "value_dim": 5, "output_shape": (2, 3)},
     {"use_causal_mask": True}),
    ({"num_heads": 3, "key_dim": 2, "use_bias": False}, {"mask": True}),
])
def test_multi_head_attention_matches_keras(kwargs, call):
    q, v, k = data(2, 5, 4), data(2, 7, 3), data(2, 7, 6)
    args = (q, v, k) if "value_dim" in kwargs else (q, v)
    if call.pop("mask", False):
        args = (q, q)
        call["attention_mask"] = RNG.random((2, 5, 5)) > 0.3
    ref, ours = keras.layers.MultiHeadAttention(**kwargs), L.MultiHeadAttention(**kwargs)
    (ref_out, ref_scores), (out, scores) = copied(ref, ours, *args,
                                                  return_attention_scores=True, **call)
    close(out, ref_out)
    close(scores, ref_scores)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in ref.weights]


@pytest.mark.parametrize("axes", [None, (2,), (1,)])
def test_multi_head_attention_axes_match_keras(axes):
    x = data(2, 3, 4, 6)
    ref = keras.layers.MultiHeadAttention(2, 3, attention_axes=axes)
    ours = L.MultiHeadAttention(2, 3, attention_axes=axes)
    (ref_out, ref_scores), (out, scores) = copied(ref, ours, x, x,
                                                  return_attention_scores=True)
    close(out, ref_out)
    close(scores, ref_scores)


def test_multi_head_attention_gradient_and_graph():
    x = data(3, 5, 4)
    ref, ours = keras.layers.MultiHeadAttention(2, 3), L.MultiHeadAttention(2, 3)
    copied(ref, ours, x, x)
    g = data(3, 5, 4)
    xt = torch.tensor(x, requires_grad=True)
    (ref(xt, xt, use_causal_mask=True) * torch.tensor(g)).sum().backward()
    xb = brique.tensor(x, requires_grad=True)
    (ours(xb, xb, use_causal_mask=True) * brique.tensor(g)).sum().backward()
    close(xb.grad, xt.grad, 1e-4)
    # functional: self-attention with scores as a second output, an explicit mask input
    inp, mask = L.Input((5, 4)), L.Input((5, 5), dtype="bool")
    out, scores = ours(inp, inp, attention_mask=mask, return_attention_scores=True)
    assert out.shape == (None, 5, 4) and scores.shape == (None, 2, 5, 5)
    model = Model([inp, mask], [out, scores])
    m = RNG.random((3, 5, 5)) > 0.3
    got = model.predict([x, m])
    want = ref(x, x, attention_mask=torch.tensor(m), return_attention_scores=True)
    close(got[0], want[0])
    close(got[1], want[1])
    again = Model.from_config(model.get_config())
    again.set_weights(model.get_weights())
    close(again.predict([x, m])[0], got[0])


# ---------------------------------------------------------------------- Dot
@pytest.mark.parametrize("axes,shapes", [(1, ((3, 4), (3, 4))), ((2, 2), ((3, 4, 5), (3, 6, 5))),
                                         ((1, 2), ((3, 4, 5), (3, 6, 4))),
                                         (-1, ((3, 4, 5), (3, 6, 5)))])
@pytest.mark.parametrize("normalize", [False, True])
def test_dot_matches_keras(axes, shapes, normalize):
    a, b = data(*shapes[0]), data(*shapes[1])
    ref = keras.layers.Dot(axes=axes, normalize=normalize)([a, b])
    layer = L.Dot(axes=axes, normalize=normalize)
    close(layer([to_tensor(a), to_tensor(b)]), ref)
    ia, ib = L.Input(shapes[0][1:]), L.Input(shapes[1][1:])
    assert layer(ia and [ia, ib]).shape == (None,) + tuple(ref.shape[1:])
    assert L.merge([L.Input((4,)), L.Input((4,))], mode="cos").shape == (None, 1)


# ---------------------------------------------------------------------- wrappers
@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional_lstm_matches_keras(merge_mode, return_sequences):
    x = data(2, 5, 3)
    ref = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=return_sequences,
                                                       return_state=True),
                                     merge_mode=merge_mode)
    ours = L.Bidirectional(L.LSTM(4, return_sequences=return_sequences, return_state=True),
                           merge_mode=merge_mode)
    ref_out, out = copied(ref, ours, x)
    assert len(out) == len(ref_out)
    for a, b in zip(ref_out, out):
        close(b, a)
    shape = ours.compute_output_shape((None, 5, 3))
    assert [tuple(s)[1:] for s in shape] == [tuple(o.shape)[1:] for o in ref_out]


def test_bidirectional_with_backward_layer_and_config():
    x = data(2, 5, 3)
    fwd, bwd = L.GRU(4, return_sequences=True), L.GRU(4, return_sequences=True,
                                                    go_backwards=True)
    ours = L.Bidirectional(fwd, backward_layer=bwd)
    ref = keras.layers.Bidirectional(keras.layers.GRU(4, return_sequences=True))
    ref_out, out = copied(ref, ours, x)
    close(out, ref_out)
    clone = L.Bidirectional.from_config(ours.get_config())
    clone(to_tensor(x[:1]))
    clone.set_weights(ours.get_weights())
    close(clone(to_tensor(x)), out)
    with pytest.raises(ValueError, match="go_backwards"):
        L.Bidirectional(L.GRU(4), backward_layer=L.GRU(4))
    with pytest.raises(ValueError, match="recurrent layer"):
        L.Bidirectional(L.Dense(3))


@pytest.mark.parametrize("inner", ["Dense", "LSTM"])
def test_time_distributed_matches_keras(inner):
    x = data(2, 4, 3, 5)
    make = {"Dense": lambda m: m.Dense(6, activation="tanh"), "LSTM": lambda m: m.LSTM(6)}
    ref = keras.layers.TimeDistributed(make[inner](keras.layers))
    ours = L.TimeDistributed(make[inner](L))
    ref_out, out = copied(ref, ours, x)
    close(out, ref_out)
    assert ours.compute_output_shape((None, 4, 3, 5)) == (None,) + tuple(ref_out.shape[1:])
    clone = L.TimeDistributed.from_config(ours.get_config())
    clone(to_tensor(x[:1]))
    clone.set_weights(ours.get_weights())
    close(clone(to_tensor(x)), out)


# ---------------------------------------------------------------------- graphs and fit
def test_layers_in_sequential_and_fit():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 6, 4)).astype(np.float32)
    y = (x.sum((1, 2)) > 0).astype(np.float32)[:, None]
    inp = L.Input((6, 4))
    h = L.LayerNormalization()(inp)
    h = L.MultiHeadAttention(2, 4)(h, h)
    h = L.GroupNormalization(groups=2)(h)
    a = L.Attention(use_scale=True)([h, h])
    h = L.AdditiveAttention()([a, h])
    h = L.TimeDistributed(L.Dense(4))(h)
    h = L.Bidirectional(L.LSTM(3))(h)
    out = L.Dense(1, activation="sigmoid")(L.UnitNormalization()(h))
    model = Model(inp, out)
    model.compile("adam", "binary_crossentropy")
    before = [w.copy() for w in model.get_weights()]
    hist = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert all(not np.allclose(a, b) for a, b in zip(before, model.get_weights()))
    seq = Sequential([L.TimeDistributed(L.Dense(3), input_shape=(6, 4)),
                      L.LayerNormalization(), L.Bidirectional(L.SimpleRNN(2)), L.Dense(1)])
    assert seq.predict(x[:2]).shape == (2, 1)
    again = Model.from_config(model.get_config())
    again.set_weights(model.get_weights())
    close(again.predict(x[:4]), model.predict(x[:4]))


# ---------------------------------------------------------------------- bad input
def test_clear_errors():
    with pytest.raises(TypeError, match="key_dim"):
        L.MultiHeadAttention(num_heads=2)
    with pytest.raises(ValueError, match="key_dim"):
        L.MultiHeadAttention(2, 0)
    with pytest.raises(ValueError, match="value and key"):
        L.MultiHeadAttention(2, 3)(L.Input((5, 4)), L.Input((6, 4)), L.Input((7, 4)))
    with pytest.raises(ValueError, match="query's features"):
        L.Attention()([L.Input((5, 4)), L.Input((6, 3))])
    with pytest.raises(ValueError, match="list"):
        L.Attention()(to_tensor(data(2, 3, 4)))
    with pytest.raises(ValueError, match="score_mode"):
        L.Attention(score_mode="cosine")
    with pytest.raises(ValueError, match="groups"):
        L.GroupNormalization(groups=4)(to_tensor(data(2, 3, 6)))
    with pytest.raises(ValueError, match="out of bounds"):
        L.LayerNormalization(axis=3)(to_tensor(data(2, 3)))
    with pytest.raises(ValueError, match="differ in size"):
        L.Dot(axes=1)([to_tensor(data(2, 3)), to_tensor(data(2, 4))])
    with pytest.raises(ValueError, match="merge_mode"):
        L.Bidirectional(L.LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match="rank >= 3"):
        L.TimeDistributed(L.Dense(2))(to_tensor(data(2, 3)))
