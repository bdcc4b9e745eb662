"""Whole-model saving in brique.keras: model.save / load_model round trips, custom objects,
training on after loading, bad files, and that loading runs no code from the file."""
import io
import json
import os
import pickle
import zipfile

import numpy as np
import pytest

import brique
from brique import keras, optim
from brique.keras import callbacks, layers
from brique.keras.models import Model, Sequential, load_model, model_from_json

RNG = np.random.default_rng(0)


def images(n=12):
    return RNG.random((n, 8, 8, 1), dtype=np.float32), RNG.integers(0, 3, n)


def image_model():
    brique.manual_seed(0)
    model = Sequential([
        layers.Conv2D(4, (3, 3), padding="same", activation="relu", input_shape=(8, 8, 1)),
        layers.MaxPooling2D(), layers.BatchNormalization(),
        layers.Conv2D(4, 3, strides=2, use_bias=False), layers.AveragePooling2D(padding="same"),
        layers.Dropout(0.25), layers.Flatten(), layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def configs(model):
    return [(type(layer).__name__, layer.get_config()) for layer in model.layers]


def test_sequential_image_round_trip(tmp_path):
    x, y = images()
    model = image_model()
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    assert zipfile.is_zipfile(path)
    assert set(zipfile.ZipFile(path).namelist()) == {"config.json", "metadata.json",
                                                      "model.weights.npz"}
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]  # no temporary left
    loaded = keras.models.load_model(path)
    assert type(loaded) is Sequential and loaded.name == model.name
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert configs(loaded) == configs(model)
    assert loaded.compiled and loaded.metrics == ["accuracy"]
    assert loaded.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0))
    with pytest.raises(FileExistsError, match="overwrite=False"):
        model.save(path, overwrite=False)


def test_sequence_layers_round_trip_under_h5_name(tmp_path):
    brique.manual_seed(1)
    model = Sequential([layers.Embedding(20, 6, input_length=5),
                        layers.LSTM(7, return_sequences=True), layers.GRU(5),
                        layers.Dense(4, activation="tanh"), layers.Reshape((2, 2)),
                        layers.Flatten(), layers.Activation("sigmoid")])
    tokens = RNG.integers(0, 20, (6, 5))
    keras.saving.save_model(model, tmp_path / "seq.h5")
    loaded = keras.saving.load_model(tmp_path / "seq.h5")
    assert not loaded.compiled  # it never was
    np.testing.assert_allclose(loaded.predict(tokens), model.predict(tokens), rtol=1e-6)
    assert loaded.get_layer(index=1).get_config()["return_sequences"] is True


def two_input_model():
    brique.manual_seed(2)
    a, b = layers.Input(shape=(4,), name="a"), layers.Input(shape=(3,), name="b")
    shared = layers.Dense(5, activation="relu", name="shared")
    merged = layers.concatenate([shared(a), layers.Dense(5, name="proj")(b)])
    out1 = layers.Dense(1, activation="sigmoid", name="out1")(merged)
    out2 = layers.add([layers.Dense(2, name="d2")(merged), layers.Dense(2, name="d3")(merged)])
    return Model([a, b], [out1, out2], name="two_in")


def test_functional_two_inputs_json_and_config():
    model = two_input_model()
    xa, xb = RNG.random((5, 4), dtype=np.float32), RNG.random((5, 3), dtype=np.float32)
    rebuilt = model_from_json(model.to_json())
    assert [layer.name for layer in rebuilt.layers] == [layer.name for layer in model.layers]
    assert [t.shape for t in rebuilt.outputs] == [(None, 1), (None, 2)]
    rebuilt.set_weights(model.get_weights())
    for got, want in zip(rebuilt.predict([xa, xb]), model.predict([xa, xb])):
        np.testing.assert_array_equal(got, want)
    again = Model.from_config(model.get_config())
    assert again.get_config() == model.get_config()
    with pytest.raises(ValueError, match="JSON"):
        model_from_json("{not json")


def test_functional_save_with_brique_optimizer_then_fit(tmp_path):
    model = two_input_model()
    xa, xb = RNG.random((8, 4), dtype=np.float32), RNG.random((8, 3), dtype=np.float32)
    y1, y2 = RNG.integers(0, 2, (8, 1)).astype(np.float32), RNG.random((8, 2), np.float32)
    sgd = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    model.compile(sgd, ["binary_crossentropy", "mse"], loss_weights=[1.0, 0.5])
    model.fit([xa, xb], [y1, y2], epochs=2, batch_size=4, shuffle=False, verbose=0)
    model.save(tmp_path / "f.keras")
    loaded = load_model(tmp_path / "f.keras")
    assert isinstance(loaded.optimizer, optim.SGD)
    assert loaded.optimizer.param_groups[0]["momentum"] == 0.9
    for m in (model, loaded):  # same momentum buffers: the same next steps
        m.fit([xa, xb], [y1, y2], epochs=2, batch_size=4, shuffle=False, verbose=0)
    for got, want in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_load_then_fit_restores_adam_state(tmp_path):
    brique.manual_seed(3)
    x, y = RNG.random((16, 6), dtype=np.float32), RNG.integers(0, 2, 16)
    model = Sequential([layers.Dense(8, activation="relu", input_dim=6),
                        layers.Dense(1, activation="sigmoid")])
    model.compile(keras.optimizers.Adam(lr=0.01), "binary_crossentropy", metrics=["acc"])
    model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras")
    assert loaded.optimizer.lr == 0.01
    fresh = load_model(tmp_path / "m.keras", compile=False)
    assert not fresh.compiled
    for m in (model, loaded):
        m.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    for got, want in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    step = loaded.optimizer.optimizer.state[next(iter(loaded.parameters()))]["step"]
    assert int(getattr(step, "item", lambda: step)()) == 8  # 4 steps before, 4 after


def scaled_tanh(x):
    return 2.0 * brique.tanh(x)


def huber(y_true, y_pred):
    return ((y_pred - y_true).abs() - 0.5).clamp(0.0, None).mean(-1)


class Scale(layers.Layer):
    def __init__(self, factor, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def forward(self, x):
        return x * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class NoConfig(layers.Layer):
    def __init__(self, factor, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def forward(self, x):
        return x * self.factor


def test_custom_objects(tmp_path):
    brique.manual_seed(4)
    x = RNG.random((4, 3), dtype=np.float32)
    model = Sequential([layers.Dense(4, activation=scaled_tanh, input_dim=3), Scale(3.0),
                        layers.Lambda(scaled_tanh)])
    model.compile("sgd", huber)
    model.save(tmp_path / "c.keras")
    with pytest.raises(ValueError, match="custom_objects"):
        load_model(tmp_path / "c.keras")
    custom = {"scaled_tanh": scaled_tanh, "huber": huber, "Scale": Scale}
    loaded = load_model(tmp_path / "c.keras", custom_objects=custom)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert loaded.layers[1].factor == 3.0 and loaded.loss is huber
    with keras.saving.custom_object_scope(custom):
        assert load_model(tmp_path / "c.keras").layers[0].activation is scaled_tanh
    anonymous = Sequential([layers.Lambda(lambda t: t + 1.0, input_shape=(3,))])
    anonymous.save(tmp_path / "a.keras")
    with pytest.raises(ValueError, match="lambda"):
        load_model(tmp_path / "a.keras")
    with pytest.raises(NotImplementedError, match="get_config"):
        Sequential([layers.Dense(2, input_dim=3), NoConfig(2.0)]).save(tmp_path / "n.keras")


def test_registered_subclassed_model(tmp_path):
    @keras.saving.register_keras_serializable(package="test")
    class Tiny(Model):
        def __init__(self, units=3, **kwargs):
            inputs = layers.Input(shape=(2,))
            super().__init__(inputs, layers.Dense(units)(inputs), **kwargs)
            self.units = units

        def get_config(self):
            return {"units": self.units, "name": self.name}

    model = Tiny(units=4)
    x = RNG.random((3, 2), dtype=np.float32)
    model.save(tmp_path / "t.keras")
    loaded = load_model(tmp_path / "t.keras")
    assert type(loaded) is Tiny and loaded.units == 4
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))

    class Unsaveable(Model):
        def __init__(self, units):
            inputs = layers.Input(shape=(2,))
            super().__init__(inputs, layers.Dense(units)(inputs))
    with pytest.raises(NotImplementedError, match="get_config"):
        Unsaveable(2).save(tmp_path / "u.keras")


def test_model_checkpoint_saves_whole_model(tmp_path):
    x, y = images(8)
    model = image_model()
    whole = callbacks.ModelCheckpoint(str(tmp_path / "m{epoch:02d}.keras"))
    weights = callbacks.ModelCheckpoint(str(tmp_path / "w{epoch:02d}.npz"),
                                        save_weights_only=True)
    model.fit(x, y, epochs=2, batch_size=4, verbose=0, callbacks=[whole, weights])
    loaded = load_model(tmp_path / "m02.keras")
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    other = image_model()
    other.load_weights(tmp_path / "w02.npz")
    np.testing.assert_array_equal(other.predict(x), model.predict(x))
    other = image_model()
    other.load_weights(tmp_path / "m02.keras")  # Keras reads weights from model files too
    np.testing.assert_array_equal(other.predict(x), model.predict(x))


def test_bad_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_model(tmp_path / "missing.keras")
    model = image_model()
    model.save(tmp_path / "good.keras")
    data = (tmp_path / "good.keras").read_bytes()
    (tmp_path / "cut.keras").write_bytes(data[: len(data) // 2])
    (tmp_path / "junk.keras").write_bytes(b"not a model at all")
    (tmp_path / "old.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(64))
    model.save_weights(tmp_path / "weights.npz")
    for name, match in [("cut.keras", "corrupt"), ("junk.keras", "corrupt"),
                        ("old.h5", "HDF5"), ("weights.npz", "without")]:
        with pytest.raises(ValueError, match=match):
            load_model(tmp_path / name)
    flipped = bytearray(data)
    flipped[-300] ^= 0xFF  # inside the weights: a CRC or array error, never a wrong model
    (tmp_path / "flip.keras").write_bytes(bytes(flipped))
    with pytest.raises(ValueError):
        load_model(tmp_path / "flip.keras")


RAN = []


class Payload:
    def __reduce__(self):
        return (RAN.append, ("executed",))


def write_model_file(path, config, weights):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", json.dumps({"format": "brique-keras-1"}))
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("model.weights.npz", weights)


def test_loading_runs_no_code(tmp_path):
    good = tmp_path / "good.keras"
    Sequential([layers.Dense(2, input_dim=3)]).save(good)
    archive = zipfile.ZipFile(good)
    config = json.loads(archive.read("config.json"))
    weights = archive.read("model.weights.npz")
    evil = {"module": "os", "class_name": "system", "registered_name": "os>system",
            "config": {"command": "echo hacked"}}
    write_model_file(tmp_path / "class.keras", evil, weights)
    with pytest.raises(ValueError, match="unknown layer class 'system'"):
        load_model(tmp_path / "class.keras")
    config["config"]["layers"][1]["config"]["activation"] = {
        "class_name": "function", "config": "eval", "registered_name": "builtins>eval"}
    write_model_file(tmp_path / "fn.keras", config, weights)
    with pytest.raises(ValueError, match="'eval'"):
        load_model(tmp_path / "fn.keras")
    pickled = io.BytesIO()
    np.savez(pickled, __tree__=np.array([Payload()], dtype=object))
    write_model_file(tmp_path / "pickle.keras", json.loads(zipfile.ZipFile(good).read(
        "config.json")), pickled.getvalue())
    with pytest.raises(ValueError, match="pickle"):
        load_model(tmp_path / "pickle.keras")
    assert pickle.dumps(Payload()) and RAN == []
    assert not os.path.exists(tmp_path / "hacked")


def test_clone_model_and_keras_input():
    from brique import keras
    from brique.keras import layers
    x = np.random.default_rng(0).random((5, 3)).astype("float32")
    seq = keras.Sequential([layers.Dense(4, activation="relu", input_shape=(3,)),
                            layers.Dense(2)])
    inp = keras.Input((3,))  # keras.Input, as the functional-API guide writes it
    fun = keras.Model(inp, layers.Dense(2)(layers.Dense(4)(inp)))
    rebuild = lambda layer: layer.__class__.from_config(layer.get_config())  # noqa: E731
    for model, kwargs in ((seq, {}), (fun, {}), (seq, {"clone_function": rebuild})):
        clone = keras.models.clone_model(model, **kwargs)
        assert type(clone) is type(model)
        assert not np.allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0))
        clone.set_weights(model.get_weights())  # fresh weights until copied, as in Keras
        np.testing.assert_array_equal(clone.predict(x, verbose=0), model.predict(x, verbose=0))
    with pytest.raises(ValueError, match="Sequential"):
        keras.models.clone_model(fun, clone_function=rebuild)
