"""Files written by real Keras 3 (torch backend, tests/conftest.py) read by brique.keras:
`.keras` whole-model zips through load_model, `.weights.h5` through load_weights."""
import json
import zipfile

import numpy as np
import pytest

import keras
from keras import layers as kl

from brique.keras import layers as bl
from brique.keras import models as bm

RTOL, ATOL = 1e-5, 1e-5
rng = np.random.default_rng(0)


def _keras_mlp():
    model = keras.Sequential([keras.Input((4,)), kl.Dense(8, activation="relu"),
                              kl.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model, rng.normal(size=(6, 4)).astype("float32")


def _keras_cnn():
    i = keras.Input((8, 8, 3))
    x = kl.Conv2D(4, 3, padding="same", activation="relu")(i)
    x = kl.BatchNormalization()(x)
    x = kl.Dropout(0.3)(x)
    x = kl.MaxPooling2D()(x)
    o = kl.Dense(2)(kl.Flatten()(x))
    model = keras.Model(i, o)
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    # moving statistics away from (0, 1), so that BatchNormalization's inference is tested
    model.fit(rng.normal(size=(16, 8, 8, 3)).astype("float32"),
              rng.normal(size=(16, 2)).astype("float32"), epochs=2, verbose=0)
    return model, rng.normal(size=(5, 8, 8, 3)).astype("float32")


def _keras_multi_input():
    seq, aux = keras.Input((5, 3), name="seq"), keras.Input((2,), name="aux")
    h = kl.LSTM(6)(seq)
    o = kl.Dense(1)(kl.Concatenate()([h, aux]))
    return keras.Model([seq, aux], o), [rng.normal(size=(4, 5, 3)).astype("float32"),
                                        rng.normal(size=(4, 2)).astype("float32")]


def _keras_embedding_bigru():
    model = keras.Sequential([keras.Input((7,), dtype="int32"), kl.Embedding(20, 4),
                              kl.Bidirectional(kl.GRU(5)), kl.Dense(2)])
    return model, rng.integers(0, 20, size=(4, 7))


@pytest.mark.parametrize("make", [_keras_mlp, _keras_cnn, _keras_multi_input,
                                  _keras_embedding_bigru])
def test_keras3_file_predicts_as_keras(make, tmp_path):
    ref, x = make()
    path = tmp_path / "model.keras"
    ref.save(path)
    ours = bm.load_model(path)
    np.testing.assert_allclose(ours.predict(x, verbose=0), ref.predict(x, verbose=0),
                               rtol=RTOL, atol=ATOL)
    assert [layer.name for layer in ours.layers if not isinstance(layer, bl.InputLayer)] == \
        [layer.name for layer in ref.layers if not isinstance(layer, kl.InputLayer)]


def test_compile_config_is_restored_and_fit_continues(tmp_path):
    ref, x = _keras_mlp()
    y = np.array([0, 1, 2, 0, 1, 2])
    ref.save(tmp_path / "mlp.keras")
    ours = bm.load_model(tmp_path / "mlp.keras")
    assert ours.compiled and ours.loss == "sparse_categorical_crossentropy"
    assert type(ours.optimizer).__name__ == "Adam"
    assert ours.optimizer.lr == pytest.approx(0.01)
    ref_eval = ref.evaluate(x, y, verbose=0, return_dict=True)
    our_eval = ours.evaluate(x, y, verbose=0, return_dict=True)
    assert set(our_eval) >= {"loss", "accuracy"}
    assert our_eval["loss"] == pytest.approx(ref_eval["loss"], rel=1e-5)
    assert our_eval["accuracy"] == pytest.approx(ref_eval["accuracy"])
    before = ours.evaluate(x, y, verbose=0)[0]
    ours.fit(x, y, epochs=20, verbose=0)
    assert ours.evaluate(x, y, verbose=0)[0] < before
    assert not bm.load_model(tmp_path / "mlp.keras", compile=False).compiled


def test_load_weights_of_a_keras3_weights_file(tmp_path):
    ref, x = _keras_cnn()
    ref.save_weights(tmp_path / "cnn.weights.h5")
    i = bl.Input((8, 8, 3))
    h = bl.Conv2D(4, 3, padding="same", activation="relu")(i)
    h = bl.MaxPooling2D()(bl.Dropout(0.3)(bl.BatchNormalization()(h)))
    ours = bm.Model(i, bl.Dense(2)(bl.Flatten()(h)))
    ours.load_weights(tmp_path / "cnn.weights.h5")
    np.testing.assert_allclose(ours.predict(x, verbose=0), ref.predict(x, verbose=0),
                               rtol=RTOL, atol=ATOL)


def test_load_weights_nested_and_recurrent(tmp_path):
    ref, x = _keras_embedding_bigru()
    ref.save_weights(tmp_path / "emb.weights.h5")
    ours = bm.Sequential([bl.Input((7,), dtype="int32"), bl.Embedding(20, 4),
                          bl.Bidirectional(bl.GRU(5)), bl.Dense(2)])
    ours.load_weights(tmp_path / "emb.weights.h5")
    np.testing.assert_allclose(ours.predict(x, verbose=0), ref.predict(x, verbose=0),
                               rtol=RTOL, atol=ATOL)
    wrong = bm.Sequential([bl.Input((7,), dtype="int32"), bl.Embedding(20, 4),
                           bl.Bidirectional(bl.GRU(5)), bl.Dense(2), bl.Dense(3)])
    with pytest.raises(ValueError, match="dense_1"):
        wrong.load_weights(tmp_path / "emb.weights.h5")


def test_a_nested_sequential_in_a_functional_model(tmp_path):
    inner = keras.Sequential([keras.Input((3,)), kl.Dense(4, activation="tanh"), kl.Dense(2)])
    i = keras.Input((3,))
    ref = keras.Model(i, kl.Dense(1)(inner(i)))
    ref.save(tmp_path / "nested.keras")
    x = rng.normal(size=(5, 3)).astype("float32")
    ours = bm.load_model(tmp_path / "nested.keras")
    np.testing.assert_allclose(ours.predict(x, verbose=0), ref.predict(x, verbose=0),
                               rtol=RTOL, atol=ATOL)


def test_lambda_layer_is_refused(tmp_path):
    ref = keras.Sequential([keras.Input((3,)), kl.Lambda(lambda t: t * 2), kl.Dense(1)])
    ref.save(tmp_path / "lambda.keras")
    with pytest.raises(ValueError, match="Lambda layer.*never runs"):
        bm.load_model(tmp_path / "lambda.keras")


def _rewrite_config(src, dst, change):
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(dst, "w") as b:
        for name in a.namelist():
            data = a.read(name)
            if name == "config.json":
                config = json.loads(data)
                change(config)
                data = json.dumps(config)
            b.writestr(name, data)


def test_unknown_class_and_unsupported_argument(tmp_path):
    ref, _ = _keras_mlp()
    ref.save(tmp_path / "mlp.keras")

    def rename(config):
        config["config"]["layers"][1]["class_name"] = "FancyDense"
    _rewrite_config(tmp_path / "mlp.keras", tmp_path / "unknown.keras", rename)
    with pytest.raises(ValueError, match="unknown layer class 'FancyDense'"):
        bm.load_model(tmp_path / "unknown.keras")
    # given the class, the model is built; Keras 3 files its weights under the class name
    with pytest.raises(ValueError, match="no group 'layers/fancy_dense'.*'dense"):
        bm.load_model(tmp_path / "unknown.keras", custom_objects={"FancyDense": bl.Dense})

    def odd(config):
        config["config"]["layers"][1]["config"]["lora_rank"] = 4
    _rewrite_config(tmp_path / "mlp.keras", tmp_path / "odd.keras", odd)
    with pytest.raises(ValueError, match="layer 'dense.*Dense.*lora_rank=4"):
        bm.load_model(tmp_path / "odd.keras")


def test_corrupt_files(tmp_path):
    ref, _ = _keras_mlp()
    ref.save(tmp_path / "mlp.keras")
    data = (tmp_path / "mlp.keras").read_bytes()
    (tmp_path / "cut.keras").write_bytes(data[:len(data) // 2])
    with pytest.raises(ValueError, match="cut.keras"):
        bm.load_model(tmp_path / "cut.keras")

    def broken(config):
        config.clear()
    _rewrite_config(tmp_path / "mlp.keras", tmp_path / "empty.keras", broken)
    with pytest.raises(ValueError, match="no model description"):
        bm.load_model(tmp_path / "empty.keras")
    with zipfile.ZipFile(tmp_path / "mlp.keras") as a, \
            zipfile.ZipFile(tmp_path / "badw.keras", "w") as b:
        for name in a.namelist():
            b.writestr(name, b"not hdf5" if name.endswith(".h5") else a.read(name))
    with pytest.raises(ValueError, match="weights in .*corrupt"):
        bm.load_model(tmp_path / "badw.keras")
    (tmp_path / "bad.weights.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 64)
    model = bm.Sequential([bl.Input((4,)), bl.Dense(8), bl.Dense(3)])
    with pytest.raises(ValueError, match="not a readable HDF5"):
        model.load_weights(tmp_path / "bad.weights.h5")


def test_legacy_h5_whole_model_and_weights(tmp_path):
    import h5py
    from keras.src.legacy.saving import legacy_h5_format
    ref, x = _keras_multi_input()
    ref.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.002), loss="mse",
                metrics=["mae"])
    ref.save(tmp_path / "multi.h5")  # Keras 3 writes Keras 2's HDF5 layout for .h5
    ours = bm.load_model(tmp_path / "multi.h5")
    np.testing.assert_allclose(ours.predict(x, verbose=0), ref.predict(x, verbose=0),
                               rtol=RTOL, atol=ATOL)
    assert ours.compiled and ours.loss == "mse" and type(ours.optimizer).__name__ == "RMSprop"
    assert ours.optimizer.lr == pytest.approx(0.002)
    with h5py.File(tmp_path / "legacy_weights.h5", "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, ref)
    seq, aux = bl.Input((5, 3)), bl.Input((2,))
    built = bm.Model([seq, aux], bl.Dense(1)(bl.Concatenate()([bl.LSTM(6)(seq), aux])))
    built.load_weights(tmp_path / "legacy_weights.h5")
    np.testing.assert_allclose(built.predict(x, verbose=0), ref.predict(x, verbose=0),
                               rtol=RTOL, atol=ATOL)
    with pytest.raises(ValueError, match="holds weights only"):
        bm.load_model(tmp_path / "legacy_weights.h5")


def test_tf_keras2_config_layout(tmp_path):
    """A tf.keras 2.x model_config (inbound_nodes as [[[name, node, tensor, kwargs]]],
    batch_input_shape, initializers without module) in an HDF5 whole-model file."""
    import h5py
    dense = {"name": "dense", "trainable": True, "dtype": "float32", "units": 2,
             "activation": "relu", "use_bias": True,
             "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
             "bias_initializer": {"class_name": "Zeros", "config": {}},
             "kernel_regularizer": None, "bias_regularizer": None,
             "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None}
    config = {"class_name": "Functional", "config": {
        "name": "model", "layers": [
            {"class_name": "InputLayer", "name": "input_1", "inbound_nodes": [],
             "config": {"batch_input_shape": [None, 3], "dtype": "float32", "sparse": False,
                        "ragged": False, "name": "input_1"}},
            {"class_name": "Dense", "name": "dense", "config": dense,
             "inbound_nodes": [[["input_1", 0, 0, {}]]]}],
        "input_layers": [["input_1", 0, 0]], "output_layers": [["dense", 0, 0]]}}
    kernel = rng.normal(size=(3, 2)).astype("float32")
    bias = np.array([0.5, -0.5], dtype="float32")
    with h5py.File(tmp_path / "tf2.h5", "w") as f:
        f.attrs["model_config"] = json.dumps(config)
        weights = f.create_group("model_weights")
        weights.attrs["layer_names"] = [b"input_1", b"dense"]
        weights.create_group("input_1").attrs["weight_names"] = []
        group = weights.create_group("dense")
        group.attrs["weight_names"] = [b"dense/kernel:0", b"dense/bias:0"]
        group["dense/kernel:0"], group["dense/bias:0"] = kernel, bias
    ours = bm.load_model(tmp_path / "tf2.h5")
    x = rng.normal(size=(4, 3)).astype("float32")
    np.testing.assert_allclose(ours.predict(x, verbose=0), np.maximum(x @ kernel + bias, 0),
                               rtol=RTOL, atol=ATOL)
    assert not ours.compiled
