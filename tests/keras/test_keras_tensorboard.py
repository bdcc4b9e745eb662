"""Keras's TensorBoard callback on brique.keras (event files read back by TensorBoard's own
reader), and Keras 3's `Sequential([keras.Input(shape), ...])` spelling."""
import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from brique.keras import Input, callbacks, layers as L, models


def _model():
    m = models.Sequential([Input((4,)), L.Dense(3, activation="relu"),
                           L.Dense(1, activation="sigmoid")])
    m.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    return m


def _read(path):
    acc = EventAccumulator(str(path))
    acc.Reload()
    return acc


def test_sequential_takes_an_input_first_and_refuses_it_later():
    m = _model()
    assert m.built and [layer.name for layer in m.layers][0].startswith("dense")
    assert m.output.shape == (None, 1)
    with pytest.raises(ValueError, match="first layer"):
        models.Sequential([L.Dense(2, input_shape=(3,)), Input((3,))])


def test_tensorboard_callback_writes_epoch_and_batch_logs(tmp_path):
    m = _model()
    rng = np.random.default_rng(0)
    x = rng.random((64, 4)).astype("float32")
    y = (x.sum(1) > 2).astype("float32")
    history = m.fit(x, y, epochs=3, batch_size=16, validation_split=0.25, verbose=0,
                    callbacks=[callbacks.TensorBoard(tmp_path, histogram_freq=1,
                                                     update_freq="batch")])
    train, val = _read(tmp_path / "train"), _read(tmp_path / "validation")
    for name in ("loss", "accuracy"):
        np.testing.assert_allclose([s.value for s in train.Scalars(f"epoch_{name}")],
                                   history.history[name], rtol=1e-6)
        np.testing.assert_allclose([s.value for s in val.Scalars(f"epoch_{name}")],
                                   history.history[f"val_{name}"], rtol=1e-6)
    assert [s.step for s in train.Scalars("batch_loss")] == list(range(1, 10))
    assert len(train.Tags()["histograms"]) == 4
    assert any(n.op == "Linear" for n in train.Graph().node)


def test_tensorboard_callback_rejects_bad_update_freq():
    with pytest.raises(ValueError, match="update_freq"):
        callbacks.TensorBoard("logs", update_freq="sometimes")
