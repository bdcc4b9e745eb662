"""Masks in brique.keras against Keras 3: masked SimpleRNN/LSTM/GRU on padded sequences,
Embedding(mask_zero=True) and Masking feeding recurrent, bidirectional and attention layers in
Sequential and functional models (same weights, same outputs), initial_state given by keyword
in a graph, and a masked model that trains and saves."""
import numpy as np
import pytest
import torch

from brique.keras import layers as L
from brique.keras.engine import to_tensor
from brique.keras.models import Model, Sequential

from keras_ref import keras, to_numpy

RNG = np.random.default_rng(0)


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=tol, atol=tol)


def padded(n=4, t=7, vocab=9, pre=True):
    """Integer sequences of random lengths (one empty), padded with 0 before or after."""
    ids = np.zeros((n, t), np.int64)
    for i, length in enumerate([t, 3, 0, 5][:n]):
        row = RNG.integers(1, vocab, length)
        if length:
            ids[i, t - length:] = row if pre else 0
            ids[i, :length] = row if not pre else ids[i, :length]
    return ids


@pytest.mark.parametrize("cls", ["SimpleRNN", "LSTM", "GRU"])
@pytest.mark.parametrize("return_sequences,go_backwards", [(False, False), (True, False),
                                                           (True, True), (False, True)])
def test_masked_rnn_matches_keras(cls, return_sequences, go_backwards):
    x = RNG.standard_normal((4, 6, 3)).astype(np.float32)
    keep = np.array([[1, 1, 1, 0, 0, 0], [0, 0, 1, 1, 1, 1], [1, 0, 1, 0, 0, 1],
                     [0, 0, 0, 0, 0, 0]], bool)  # post-, pre-padded, holes, all masked
    kwargs = dict(return_sequences=return_sequences, return_state=True,
                  go_backwards=go_backwards)
    ref, ours = getattr(keras.layers, cls)(5, **kwargs), getattr(L, cls)(5, **kwargs)
    ref_out = ref(x, mask=torch.tensor(keep))
    ours(to_tensor(x[:1]))
    ours.set_weights([to_numpy(w) for w in ref.get_weights()])
    out = ours(to_tensor(x), mask=to_tensor(keep))
    for a, b in zip(ref_out, out):
        close(b, a)
    m = to_tensor(keep)
    masks = ours.compute_mask(x, m)
    assert masks[0] is (m if return_sequences else None) and masks[1:] == [None] * (len(out) - 1)


def test_embedding_mask_zero_into_stacked_lstms_matches_keras():
    ids = padded()
    ref = keras.Sequential([keras.layers.Embedding(9, 4, mask_zero=True),
                            keras.layers.LSTM(5, return_sequences=True),
                            keras.layers.GRU(3)])
    ref_out = ref(ids)
    ours = Sequential([L.Embedding(9, 4, mask_zero=True, input_shape=(7,)),
                       L.LSTM(5, return_sequences=True), L.GRU(3)])
    ours.set_weights([to_numpy(w) for w in ref.get_weights()])
    close(ours.predict(ids), ref_out)
    # post-padding gives each sequence's last real step, as Keras
    ids = padded(pre=False)
    close(ours.predict(ids), ref(ids))
    # without the mask the padded steps would count
    plain = Sequential([L.Embedding(9, 4, input_shape=(7,)), L.LSTM(5, return_sequences=True),
                        L.GRU(3)])
    plain.set_weights(ours.get_weights())
    assert not np.allclose(plain.predict(ids), ours.predict(ids))
    again = Sequential.from_config(ours.get_config())
    again.set_weights(ours.get_weights())
    close(again.predict(ids), ours.predict(ids))


def test_masking_layer_into_bidirectional_matches_keras():
    x = RNG.standard_normal((3, 6, 2)).astype(np.float32)
    x[0, 4:] = 0.0
    x[1, :2] = 0.0
    inp = keras.Input((6, 2))
    h = keras.layers.Masking(0.0)(inp)
    h = keras.layers.Bidirectional(keras.layers.LSTM(3, return_sequences=True))(h)
    ref = keras.Model(inp, keras.layers.Bidirectional(keras.layers.GRU(2), merge_mode="sum")(h))
    inp = L.Input((6, 2))
    h = L.Masking(0.0)(inp)
    h = L.Bidirectional(L.LSTM(3, return_sequences=True))(h)
    ours = Model(inp, L.Bidirectional(L.GRU(2), merge_mode="sum")(h))
    ours.set_weights([to_numpy(w) for w in ref.get_weights()])
    close(ours.predict(x), ref(x))
    masking = L.Masking(0.0)
    np.testing.assert_array_equal(to_numpy(masking.compute_mask(to_tensor(x))),
                                  to_numpy(keras.layers.Masking(0.0).compute_mask(x)))


@pytest.mark.parametrize("kind", ["mha", "attention"])
def test_embedding_mask_reaches_attention(kind):
    ids = padded(pre=False)
    ids[2, 0] = 3  # every query row sees at least one key
    def build(K, inputs):
        emb = K.layers.Embedding(9, 4, mask_zero=True)(inputs)
        if kind == "mha":
            att = K.layers.MultiHeadAttention(2, 3)(emb, emb)
        else:
            att = K.layers.Attention()([emb, emb])
        return K.layers.Dense(2)(att)
    ref = keras.Model(*(lambda i: (i, build(keras, i)))(keras.Input((7,), dtype="int64")))
    ours = Model(*(lambda i: (i, build(__import__("brique").keras, i)))(L.Input((7,))))
    ours.set_weights([to_numpy(w) for w in ref.get_weights()])
    close(ours.predict(ids), ref(ids))


def test_initial_state_by_keyword_in_a_graph_matches_keras():
    enc_x = RNG.standard_normal((3, 5, 2)).astype(np.float32)
    dec_x = RNG.standard_normal((3, 4, 2)).astype(np.float32)

    def build(K):
        e, d = K.Input((5, 2)), K.Input((4, 2))
        _, h, c = K.layers.LSTM(3, return_state=True)(e)
        out = K.layers.LSTM(3, return_sequences=True)(d, initial_state=[h, c])
        return K.Model([e, d], K.layers.Dense(1)(out))
    import brique.keras as bk
    ref, ours = build(keras), build(bk)
    ours.set_weights([to_numpy(w) for w in ref.get_weights()])
    close(ours.predict([enc_x, dec_x]), ref([enc_x, dec_x]))
    again = Model.from_config(ours.get_config())
    again.set_weights(ours.get_weights())
    close(again.predict([enc_x, dec_x]), ours.predict([enc_x, dec_x]))
    with pytest.raises(ValueError, match="initial_state"):
        L.LSTM(3)(to_tensor(dec_x), initial_state=[to_tensor(np.zeros((3, 3), np.float32))])


def test_masked_model_trains_and_saves(tmp_path):
    ids = np.concatenate([padded(pre=True) for _ in range(8)])
    y = (ids.sum(1) % 2).astype(np.float32)[:, None]
    model = Sequential([L.Embedding(9, 4, mask_zero=True, input_shape=(7,)),
                        L.LSTM(6, return_sequences=True), L.LayerNormalization(),
                        L.TimeDistributed(L.Dense(3)), L.GRU(4),
                        L.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    hist = model.fit(ids, y, epochs=3, batch_size=8, verbose=0)
    assert np.isfinite(hist.history["loss"]).all()
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    model.save(tmp_path / "masked.keras")
    from brique.keras.models import load_model
    loaded = load_model(tmp_path / "masked.keras")
    close(loaded.predict(ids), model.predict(ids))


def test_global_average_pooling_1d_averages_unmasked_steps():
    ids = padded(pre=False)
    ids[2, 0] = 4  # Keras divides by the number of unmasked steps: keep it > 0
    ref = keras.Sequential([keras.layers.Embedding(9, 3, mask_zero=True),
                            keras.layers.GlobalAveragePooling1D(), keras.layers.Dense(2)])
    ref_out = ref(ids)
    ours = Sequential([L.Embedding(9, 3, mask_zero=True, input_shape=(7,)),
                       L.GlobalAveragePooling1D(), L.Dense(2)])
    ours.set_weights([to_numpy(w) for w in ref.get_weights()])
    close(ours.predict(ids), ref_out)


def _mask_chain(K):
    """Embedding(mask_zero) -> Dropout -> Dense -> Activation -> Add / Concatenate (features
    and steps) -> LSTM / GRU: the mask must cross every layer between."""
    lay = K.layers
    inp = K.Input((4,))
    e = lay.Embedding(10, 6, mask_zero=True)(inp)
    h = lay.Dense(5, activation="tanh")(lay.Dropout(0.2)(e))
    h2 = lay.Activation("relu")(h)
    a = lay.Add()([h, h2])
    return K.Model(inp, [lay.LSTM(3)(lay.Concatenate()([a, h])),
                         lay.GRU(2)(lay.Concatenate(axis=1)([a, h]))])


def test_mask_crosses_dense_dropout_activation_and_merges_as_in_keras():
    ids = np.array([[3, 4, 0, 0], [5, 0, 0, 0], [1, 2, 3, 4]])
    ref, ours = _mask_chain(keras), _mask_chain(__import__("brique").keras)
    ours.set_weights([to_numpy(w) for w in ref.get_weights()])
    for got, want in zip(ours.predict(ids, verbose=0), ref(ids)):
        close(got, to_numpy(want))


def test_dropout_noise_shape_shares_one_draw_along_axes_of_size_one():
    x = RNG.random((3, 5, 6)).astype(np.float32) + 0.1
    y = L.Dropout(0.5, noise_shape=(None, 1, 6))(x, training=True).detach().numpy()
    assert ((y == 0).all(1) | (y != 0).all(1)).all() and (y == 0).any()
    np.testing.assert_allclose(y[y != 0], 2 * x[y != 0], rtol=1e-6)
    with pytest.raises(ValueError, match="noise_shape"):
        L.Dropout(0.5, noise_shape=(None, 1))(x, training=True)
