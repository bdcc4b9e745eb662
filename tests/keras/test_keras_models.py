"""Model and Sequential: compile/fit/evaluate/predict, summary, weights, callbacks,
optimizers, losses, metrics, K, utils and mnist.load_data."""
import struct

import numpy as np
import pytest
import torch

import brique
from brique import optim
from brique.keras import backend as K
from brique.keras import callbacks, losses, metrics, optimizers
from brique.keras.datasets import mnist
from brique.keras.layers import (LSTM, Concatenate, Dense, Dropout, Embedding, Input,
                                 InputLayer)
from brique.keras.models import Model, Sequential
from brique.keras.utils import np_utils, to_categorical


def blobs(n=300, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.normal(size=(n, 4)) * 0.5 + np.eye(3, 4)[y] * 3
    return x, y


def classifier(**dense_kwargs):
    return Sequential([Dense(16, activation="relu", input_dim=4, **dense_kwargs),
                       Dropout(0.1), Dense(3, activation="softmax")])


def test_sequential_learns_with_keras_names_and_reports_history():
    brique.manual_seed(0)
    x, y = blobs()
    model = classifier()
    assert isinstance(model.layers[0], Dense) and not isinstance(model.layers[0], InputLayer)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, to_categorical(y), epochs=10, batch_size=16, verbose=0,
                        validation_split=0.2)
    h = history.history
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(h)
    assert h["val_accuracy"][-1] > 0.95 and h["loss"][-1] < h["loss"][0]
    loss, acc = model.evaluate(x[240:], to_categorical(y[240:]), verbose=0)
    assert model.metrics_names == ["loss", "accuracy"]
    assert acc == pytest.approx(h["val_accuracy"][-1]) and loss == pytest.approx(
        h["val_loss"][-1], rel=1e-5)
    probs = model.predict(x)
    assert probs.shape == (300, 3) and np.allclose(probs.sum(1), 1, atol=1e-5)
    assert isinstance(model.optimizer, optimizers.Adam) and model.optimizer.lr == 0.001


def test_sparse_labels_and_deferred_build():
    brique.manual_seed(1)
    x, y = blobs()
    model = Sequential()
    model.add(Dense(8, activation="relu"))
    model.add(Dense(3, activation="softmax"))
    model.compile(optimizer=optimizers.SGD(lr=0.1, momentum=0.9),
                  loss="sparse_categorical_crossentropy", metrics=["acc"])
    h = model.fit(x, y.reshape(-1, 1), epochs=5, verbose=0).history
    assert h["acc"][-1] > 0.9 and model.built and model.input.shape == (None, 4)


def test_functional_multi_input_nested_model_and_shared_layer():
    brique.manual_seed(0)
    a, b = Input(shape=(4,), name="a"), Input(shape=(4,), name="b")
    shared = Dense(5, activation="tanh", name="shared")
    encoder = Model(a, shared(a), name="encoder")
    merged = Concatenate()([encoder(a), shared(b)])
    model = Model([a, b], Dense(1, activation="sigmoid")(merged))
    assert [layer.name for layer in model.layers[:3]] == ["a", "b", "encoder"]
    assert model.count_params() == 4 * 5 + 5 + 10 + 1
    xa, xb = blobs(200)[0], blobs(200, 1)[0]
    y = (xa[:, 0] > xb[:, 0]).astype("float32")
    model.compile(optimizers.RMSprop(lr=0.01), "binary_crossentropy", metrics=["accuracy"])
    h = model.fit([xa, xb], y, epochs=15, verbose=0).history
    assert h["accuracy"][-1] > 0.85
    with pytest.raises(AttributeError, match="called 2 times"):
        shared.output


def test_graph_errors():
    a, b = Input(shape=(3,)), Input(shape=(3,))
    out = Dense(2)(b)
    with pytest.raises(ValueError, match="Graph disconnected"):
        Model(a, out)
    with pytest.raises(ValueError, match="used 2 times"):
        Model(a, Dense(2, name="twin")(Dense(2, name="twin")(a)))
    model = Model(b, out)
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(np.zeros((2, 3)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="expects samples of shape"):
        model.predict(np.zeros((2, 4)))


def test_summary_prints_keras_table():
    model = classifier()
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "dense_" in text and "(None, 16)" in text and "Total params: 131" in text
    assert "Trainable params: 131" in text


def test_save_and_load_weights_and_keras_layout(tmp_path):
    brique.manual_seed(0)
    model, other = classifier(), classifier()
    x = blobs(10)[0]
    model.save_weights(tmp_path / "weights.h5")
    other.load_weights(tmp_path / "weights.h5")
    np.testing.assert_array_equal(model.predict(x), other.predict(x))
    weights = model.get_weights()
    assert [w.shape for w in weights] == [(4, 16), (16,), (16, 3), (3,)]
    other.set_weights([w * 0 for w in weights])
    assert np.allclose(other.predict(x), 1 / 3)


class StopAfter(callbacks.Callback):
    def __init__(self, epochs):
        self.epochs, self.seen = epochs, []

    def on_epoch_end(self, epoch, logs=None):
        self.seen.append(sorted(logs))
        if epoch + 1 >= self.epochs:
            self.model.stop_training = True


def test_callbacks(tmp_path):
    brique.manual_seed(0)
    x, y = blobs()
    model = classifier()
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    stop = StopAfter(3)
    rates = []
    schedule = callbacks.LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1))
    record = callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: rates.append(model.optimizer.lr))
    check = callbacks.ModelCheckpoint(str(tmp_path / "w{epoch:02d}.npz"))
    h = model.fit(x, y, epochs=10, verbose=0, validation_data=(x[:50], y[:50]),
                  callbacks=[schedule, record, stop, check])
    assert len(h.history["loss"]) == 3 and rates == [0.1, 0.05, 0.1 / 3]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w01.npz", "w02.npz", "w03.npz"]
    early = callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=10)
    plateau = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1,
                                          min_delta=10)
    model.fit(x, y, epochs=5, verbose=0, callbacks=[plateau])
    assert model.optimizer.lr == pytest.approx(0.1 / 3 * 0.5 ** 4)  # epochs 2-5
    h = model.fit(x, y, epochs=5, verbose=0, callbacks=[early])
    assert len(h.history["loss"]) == 2  # the first epoch improves on inf


def test_keras_adadelta_has_keras2_defaults_and_matches_torch():
    opt = optimizers.get("adadelta")
    assert opt.lr == 1.0 and opt.get_config()["rho"] == 0.95
    w = brique.nn.Parameter(brique.tensor([1.0, -2.0]))
    wt = torch.tensor([1.0, -2.0], requires_grad=True)
    mine = opt.build([w])
    theirs = torch.optim.Adadelta([wt], lr=1.0, rho=0.95, eps=1e-7)
    assert isinstance(mine, optim.Adadelta)
    for _ in range(5):
        (w * w).sum().backward()
        (wt * wt).sum().backward()
        mine.step(), theirs.step()
        mine.zero_grad(), theirs.zero_grad()
    np.testing.assert_allclose(w.detach().numpy(), wt.detach().numpy(), rtol=1e-6)
    assert optimizers.Adam(learning_rate=0.01, beta_1=0.8).build([w]).param_groups[0][
        "betas"] == (0.8, 0.999)
    assert optimizers.RMSprop().build([w]).param_groups[0]["alpha"] == 0.9
    with pytest.raises(ValueError, match="unknown optimizer"):
        optimizers.get("adamaxx")


def test_decay_lowers_the_learning_rate_per_batch():
    x, y = blobs(64)
    model = classifier()
    model.compile(optimizers.SGD(lr=0.1, decay=1.0), "sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=32, epochs=2, verbose=0)
    assert model.optimizer.lr == pytest.approx(0.1 / (1 + 4))


def test_losses_and_metrics_match_numpy():
    rng = np.random.default_rng(0)
    p = rng.uniform(0.05, 0.95, (5, 3)).astype(np.float32)
    t = (rng.uniform(size=(5, 3)) > 0.5).astype(np.float32)
    P, T = brique.tensor(p), brique.tensor(t)
    bce = -(t * np.log(p) + (1 - t) * np.log(1 - p)).mean(-1)
    np.testing.assert_allclose(losses.binary_crossentropy(T, P).numpy(), bce, rtol=1e-5)
    soft = p / p.sum(-1, keepdims=True)
    onehot = np.eye(3, dtype=np.float32)[[0, 2, 1, 1, 0]]
    cce = -(onehot * np.log(soft)).sum(-1)
    np.testing.assert_allclose(losses.categorical_crossentropy(brique.tensor(onehot), P)
                               .numpy(), cce, rtol=1e-5)
    np.testing.assert_allclose(losses.sparse_categorical_crossentropy(
        brique.tensor([0, 2, 1, 1, 0]), brique.tensor(soft)).numpy(), cce, rtol=1e-5)
    np.testing.assert_allclose(losses.mse(T, P).numpy(), ((p - t) ** 2).mean(-1), rtol=1e-6)
    assert metrics.get("accuracy", "binary_crossentropy") is metrics.binary_accuracy
    assert metrics.get("acc", "categorical_crossentropy") is metrics.categorical_accuracy
    np.testing.assert_allclose(metrics.binary_accuracy(T, P).numpy(),
                               ((p > 0.5) == t).mean(-1))
    with pytest.raises(ValueError, match="do not match"):
        losses.mse(brique.zeros(4), P)


def test_backend_function_utils_and_rnn_model():
    brique.manual_seed(0)
    tokens = Input(shape=(6,), dtype="int64")
    hidden = LSTM(4, name="lstm")(Embedding(20, 3)(tokens))
    model = Model(tokens, Dense(1, activation="sigmoid")(hidden))
    ids = np.random.default_rng(0).integers(0, 20, (7, 6))
    get_hidden = K.function([model.input, K.learning_phase()], [model.get_layer("lstm").output])
    (h,) = get_hidden([ids, 0])
    assert h.shape == (7, 4)
    assert model.predict(ids).shape == (7, 1)
    assert to_categorical([2, 0]).tolist() == [[0, 0, 1], [1, 0, 0]]
    assert np_utils.to_categorical([1], 3).shape == (1, 3)
    assert K.epsilon() == 1e-7 and K.image_data_format() == "channels_last"
    np.testing.assert_allclose(K.get_value(K.mean(K.square(brique.tensor([1.0, 3.0])))), 5.0)


def write_idx(path, array):
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def test_mnist_load_data_prefers_the_cached_full_set(monkeypatch, tmp_path):
    folder = tmp_path / "mnist"
    folder.mkdir()
    for prefix, n in (("train", 6), ("t10k", 2)):
        write_idx(folder / f"{prefix}-images-idx3-ubyte", np.full((n, 28, 28), 7))
        write_idx(folder / f"{prefix}-labels-idx1-ubyte", np.arange(n) % 10)
    monkeypatch.setenv("BRIQUE_DATA", str(tmp_path))
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    assert x_train.shape == (6, 28, 28) and x_test.shape == (2, 28, 28)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert y_test.tolist() == [0, 1]


def test_history_holds_lr_only_when_a_callback_changes_it():
    from brique.keras import callbacks
    x = np.random.default_rng(0).random((16, 3)).astype("float32")
    y = x.sum(1, keepdims=True)

    def fitted(cbs):
        model = Sequential([Dense(1, input_shape=(3,))])
        model.compile("sgd", "mse")
        return model.fit(x, y, epochs=2, verbose=0, callbacks=cbs).history
    assert sorted(fitted([])) == ["loss"]
    assert "lr" in fitted([callbacks.ReduceLROnPlateau(monitor="loss", patience=1)])
