"""Keras 3's named inputs and outputs: `Model(inputs=[...], outputs={'a': ..., 'b': ...})`,
fit / evaluate / predict / train_on_batch on dicts by name, per-output losses and weights by
name, and a saved model keeping its dicts; the functional API guide's ticket model, run in
brique.keras and Keras 3 from the same weights."""
import numpy as np
import pytest

import brique.keras as bk
from keras_ref import keras, to_numpy

RNG = np.random.default_rng(3)
N, TAGS, WORDS, DEPTS = 24, 6, 50, 3
DATA = {"title": RNG.integers(WORDS, size=(N, 5)), "body": RNG.integers(WORDS, size=(N, 9)),
        "tags": RNG.integers(2, size=(N, TAGS)).astype("float32")}
TARGETS = {"priority": RNG.random((N, 1)).astype("float32"),
           "department": RNG.integers(2, size=(N, DEPTS)).astype("float32")}


def ticket_model(K):
    lay = K.layers
    title, body = K.Input(shape=(None,), name="title"), K.Input(shape=(None,), name="body")
    tags = K.Input(shape=(TAGS,), name="tags")
    x = lay.concatenate([lay.LSTM(8)(lay.Embedding(WORDS, 4)(title)),
                         lay.LSTM(4)(lay.Embedding(WORDS, 4)(body)), tags])
    model = K.Model(inputs=[title, body, tags],
                    outputs={"priority": lay.Dense(1, name="priority")(x),
                             "department": lay.Dense(DEPTS, name="department")(x)})
    model.compile(optimizer=K.optimizers.SGD(0.1),
                  loss={"priority": K.losses.BinaryCrossentropy(from_logits=True),
                        "department": K.losses.CategoricalCrossentropy(from_logits=True)},
                  loss_weights={"priority": 1.0, "department": 0.2})
    return model


def test_dict_outputs_and_named_data_match_keras3():
    ref, ours = ticket_model(keras), ticket_model(bk)
    ours.set_weights([to_numpy(w) for w in ref.get_weights()])
    assert ours.output_names == ref.output_names == ["department", "priority"]  # sorted
    assert ours.input_names == ["title", "body", "tags"]
    assert [layer.name for layer in ours.layers][:2] == ["title", "body"]
    want, got = ref.predict(DATA, verbose=0), ours.predict(DATA, verbose=0)
    assert set(got) == {"priority", "department"}
    for k in want:
        np.testing.assert_allclose(got[k], want[k], rtol=1e-5, atol=1e-6)
    ref_loss = float(ref.evaluate(DATA, TARGETS, verbose=0)[0])
    our_loss = ours.evaluate(DATA, TARGETS, verbose=0)
    np.testing.assert_allclose(our_loss[0] if isinstance(our_loss, list) else our_loss,
                               ref_loss, rtol=1e-5)
    shuffled = {k: DATA[k] for k in ("tags", "title", "body")}  # the keys' order is free
    ours.fit(shuffled, TARGETS, epochs=1, batch_size=8, verbose=0,
             validation_data=(shuffled, TARGETS))
    assert np.isfinite(ours.train_on_batch(DATA, TARGETS))


def test_a_missing_input_name_is_named():
    ours = ticket_model(bk)
    with pytest.raises(ValueError, match=r"missing \['tags'\]"):
        ours.predict({"title": DATA["title"], "body": DATA["body"]})


def test_dict_outputs_survive_saving(tmp_path):
    ours = ticket_model(bk)
    path = str(tmp_path / "ticket.keras")
    ours.save(path)
    back = bk.models.load_model(path)
    assert back.output_names == ["department", "priority"]
    got, want = back.predict(DATA, verbose=0), ours.predict(DATA, verbose=0)
    for k in want:
        np.testing.assert_allclose(got[k], want[k], rtol=1e-6)
