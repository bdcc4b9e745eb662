"""brique.keras.applications against Keras 3's: the same layers (names, count, parameters),
the same predictions with Keras's weights (copied, or read from files Keras 3 wrote), the
same preprocessing and decoding, and Keras's errors. No network: downloads are replaced."""
import json
import re

import numpy as np
import pytest

import keras
from keras.src.applications import imagenet_utils as ref_utils

from brique.keras import applications as apps
from brique.keras.applications import imagenet_utils
from brique.keras.engine import to_tensor
from brique.keras.layers import Dense, GlobalAveragePooling2D, Input
from brique.keras.models import Model
from tests.keras.keras_ref import to_numpy

SMALL = (32, 32, 3)  # the smallest input every family here accepts


def _weighted_names(model):
    """The names Keras gives the layers that hold weights (the .h5 files list them); layers
    Keras leaves unnamed get automatic names, whose counters follow Keras 2's here."""
    auto = re.compile(r"(conv2d|batch_normalization)(_\d+)?$")
    return [layer.name for layer in model.layers
            if layer.get_weights() and not auto.match(layer.name)]


def _random_weights(ref, seed=0):
    """Keras's weights with batch-norm statistics made non-trivial (fresh ones make the
    normalisation an identity, which would hide a wrong epsilon or a missing layer)."""
    rng = np.random.RandomState(seed)
    out = []
    for w in ref.weights:
        a = to_numpy(w.value)
        if w.name in ("gamma", "moving_variance"):
            a = rng.uniform(0.5, 1.5, a.shape)
        elif w.name in ("beta", "moving_mean"):
            a = rng.uniform(-0.2, 0.2, a.shape)
        out.append(a.astype(np.float32))
    ref.set_weights(out)
    return out


def _images(n=2, shape=SMALL, seed=1):
    return (np.random.RandomState(seed).rand(n, *shape) * 255).astype(np.float32)


def _same_predictions(ours, ref, x):
    ours.set_weights(_random_weights(ref))
    expected = to_numpy(ref.predict(x, verbose=0))
    got = ours.predict(x)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


# (function, keyword arguments): each built by both libraries, weights=None
PREDICTED = [
    ("VGG16", dict(include_top=False, input_shape=SMALL, pooling="max")),
    ("ResNet50", dict(include_top=True, input_shape=SMALL, classes=3)),
    ("ResNet50", dict(include_top=False, input_shape=SMALL)),
    ("MobileNet", dict(include_top=False, input_shape=SMALL, alpha=0.25, pooling="avg")),
    ("MobileNetV2", dict(include_top=True, input_shape=SMALL, alpha=0.35, classes=4)),
    ("MobileNetV2", dict(include_top=False, input_shape=(33, 35, 3), alpha=0.5)),
    ("InceptionV3", dict(include_top=True, input_shape=(75, 75, 3), classes=3)),
    ("DenseNet121", dict(include_top=False, input_shape=SMALL, pooling="avg")),
]


@pytest.mark.parametrize("fn,kwargs", PREDICTED, ids=lambda v: str(v)[:40])
def test_application_matches_keras(fn, kwargs):
    ours = getattr(apps, fn)(weights=None, **kwargs)
    ref = getattr(keras.applications, fn)(weights=None, **kwargs)
    assert len(ours.layers) == len(ref.layers)
    assert _weighted_names(ours) == _weighted_names(ref)
    assert ours.count_params() == ref.count_params()
    assert ours.name == ref.name
    assert tuple(ours.output_shape) == tuple(ref.output_shape)
    _same_predictions(ours, ref, _images(shape=kwargs["input_shape"]))


@pytest.mark.parametrize("fn,kwargs", [
    ("VGG16", dict(include_top=True, input_shape=SMALL, classes=5)),
    ("VGG19", dict(include_top=True, input_shape=SMALL, classes=5)),
    ("VGG19", dict(include_top=False)),
    ("ResNet101", dict(include_top=False, input_shape=SMALL, pooling="avg")),
    ("ResNet152", dict(include_top=True, input_shape=SMALL, classes=2)),
    ("MobileNet", dict(include_top=False, alpha=0.5, depth_multiplier=2)),
    ("Xception", dict(include_top=True, input_shape=(71, 71, 3), classes=2)),
    ("DenseNet169", dict(include_top=True, input_shape=SMALL, classes=2)),
], ids=lambda v: str(v)[:40])
def test_application_structure_matches_keras(fn, kwargs):
    ours = getattr(apps, fn)(weights=None, **kwargs)
    ref = getattr(keras.applications, fn)(weights=None, **kwargs)
    assert len(ours.layers) == len(ref.layers)
    assert _weighted_names(ours) == _weighted_names(ref)
    assert ours.count_params() == ref.count_params()
    assert tuple(ours.output_shape) == tuple(ref.output_shape)


def test_mobilenet_top_is_keras3s_head_with_keras_weights():
    # pooling kept as a 1x1 image (keepdims), dropout, conv_preds, reshape_2
    kwargs = dict(include_top=True, input_shape=SMALL, alpha=0.25, classes=3)
    ours, ref = apps.MobileNet(weights=None, **kwargs), keras.applications.MobileNet(
        weights=None, **kwargs)
    assert [layer.name for layer in ours.layers[-4:]] == ["dropout", "conv_preds", "reshape_2",
                                                         "predictions"]
    assert len(ours.layers) == len(ref.layers)
    assert _weighted_names(ours) == _weighted_names(ref)
    assert ours.count_params() == ref.count_params()
    _same_predictions(ours, ref, _images())


def test_weights_file_saved_by_keras3_loads(tmp_path):
    kwargs = dict(include_top=True, input_shape=SMALL, alpha=0.35, classes=3)
    ref = keras.applications.MobileNetV2(weights=None, **kwargs)
    _random_weights(ref, seed=3)
    x = _images()
    for path in (tmp_path / "mnv2.weights.h5", tmp_path / "mnv2.h5"):
        (ref.save_weights if path.name.endswith(".weights.h5") else ref.save)(str(path))
        ours = apps.MobileNetV2(weights=str(path), **kwargs)
        np.testing.assert_allclose(ours.predict(x), to_numpy(ref.predict(x, verbose=0)),
                                   rtol=1e-4, atol=1e-6)


def test_imagenet_weights_download_through_get_file(tmp_path, monkeypatch):
    # the official files are Keras 2 .h5 files; Keras 3's model.save("x.h5") writes that layout
    ref = keras.applications.ResNet50(weights=None, include_top=False, input_shape=SMALL)
    _random_weights(ref, seed=5)
    ref.save(str(tmp_path / "r.h5"))
    calls = []

    def fake_get_file(fname, origin, cache_subdir="datasets", file_hash=None, **kwargs):
        calls.append((fname, origin, cache_subdir, file_hash))
        return str(tmp_path / "r.h5")

    monkeypatch.setattr(imagenet_utils.files, "get_file", fake_get_file)
    ours = apps.ResNet50(include_top=False, input_shape=SMALL)  # weights="imagenet"
    name = "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"
    assert calls == [(name, "https://storage.googleapis.com/tensorflow/keras-applications/"
                      f"resnet/{name}", "models", "4d473c1dd8becc155b73f8504c6f6626")]
    x = _images()
    np.testing.assert_allclose(ours.predict(x), to_numpy(ref.predict(x, verbose=0)),
                               rtol=1e-4, atol=1e-4)
    calls.clear()
    with pytest.raises(ValueError):  # a file for another architecture does not fit
        apps.VGG16(include_top=False, input_shape=SMALL)
    assert calls[0][0] == "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
    calls.clear()
    with pytest.warns(UserWarning, match="224x224"):
        with pytest.raises(ValueError):
            apps.MobileNetV2(include_top=False, input_shape=(40, 40, 3))
    assert calls[0][0] == "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5"
    calls.clear()
    with pytest.raises(ValueError):
        apps.DenseNet201(include_top=False, input_shape=SMALL)
    assert calls[0][1:] == ("https://storage.googleapis.com/tensorflow/keras-applications/"
                            "densenet/densenet201_weights_tf_dim_ordering_tf_kernels_notop.h5",
                            "models", "c13680b51ded0fb44dff2d8f86ac8bb1")


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_preprocess_input_matches_keras(mode, data_format):
    shape = (2, 5, 4, 3) if data_format == "channels_last" else (2, 3, 5, 4)
    x = _images(shape=shape[1:])
    expected = ref_utils.preprocess_input(x.copy(), data_format=data_format, mode=mode)
    ours = imagenet_utils.preprocess_input(x.copy(), data_format=data_format, mode=mode)
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-4)
    one = imagenet_utils.preprocess_input(x[0].copy(), data_format=data_format, mode=mode)
    np.testing.assert_allclose(one, expected[0], rtol=1e-5, atol=1e-4)
    as_tensor = imagenet_utils.preprocess_input(to_tensor(x), data_format=data_format,
                                                mode=mode)
    np.testing.assert_allclose(to_numpy(as_tensor), expected, rtol=1e-5, atol=1e-4)


def test_family_preprocess_input_modes_and_integer_images():
    x = (np.arange(2 * 2 * 2 * 3) % 256).reshape(2, 2, 2, 3).astype(np.uint8)
    for ours, theirs in [(apps.vgg16, keras.applications.vgg16),
                         (apps.vgg19, keras.applications.vgg19),
                         (apps.resnet, keras.applications.resnet),
                         (apps.resnet50, keras.applications.resnet50),
                         (apps.mobilenet, keras.applications.mobilenet),
                         (apps.mobilenet_v2, keras.applications.mobilenet_v2),
                         (apps.xception, keras.applications.xception),
                         (apps.inception_v3, keras.applications.inception_v3),
                         (apps.densenet, keras.applications.densenet)]:
        got = ours.preprocess_input(x.copy())
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, to_numpy(theirs.preprocess_input(x.copy())),
                                   rtol=1e-5, atol=1e-4)


def test_decode_predictions_reads_the_cached_class_index(tmp_path, monkeypatch):
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    path = tmp_path / "imagenet_class_index.json"
    path.write_text(json.dumps(index))
    calls = []

    def fake_get_file(fname, origin, cache_subdir="datasets", file_hash=None, **kwargs):
        calls.append((fname, cache_subdir, file_hash))
        return str(path)

    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX", None)
    monkeypatch.setattr(imagenet_utils.files, "get_file", fake_get_file)
    monkeypatch.setattr(ref_utils, "CLASS_INDEX", index)
    preds = np.random.RandomState(0).rand(3, 1000).astype(np.float32)
    got = apps.resnet50.decode_predictions(preds, top=3)
    expected = ref_utils.decode_predictions(preds, top=3)
    assert [[r[:2] for r in row] for row in got] == [[r[:2] for r in row] for row in expected]
    np.testing.assert_allclose([[r[2] for r in row] for row in got],
                               [[r[2] for r in row] for row in expected])
    apps.vgg16.decode_predictions(to_tensor(preds))  # a tensor too; the index is read once
    assert calls == [("imagenet_class_index.json", "models",
                      "c2c37ea517e94d9795004a39431a14cb")]
    with pytest.raises(ValueError, match=r"\(samples, 1000\).*\(3, 10\)"):
        apps.mobilenet.decode_predictions(np.zeros((3, 10)))


def test_input_tensor_and_fine_tuning_in_fit():
    inputs = Input(shape=SMALL)
    base = apps.MobileNetV2(weights=None, include_top=False, input_tensor=inputs,
                            alpha=0.35)
    assert base.inputs[0] is inputs
    scaled = keras_layer_scale(inputs)  # an intermediate tensor: the model starts at Input
    base2 = apps.MobileNet(weights=None, include_top=False, input_tensor=scaled, alpha=0.25,
                           pooling="avg")
    assert base2.inputs[0] is inputs
    out = Dense(2, activation="softmax")(GlobalAveragePooling2D()(base.output))
    model = Model(inputs, out)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x, y = _images(n=8) / 255.0, np.arange(8) % 2
    before = [w.copy() for w in model.get_weights()]
    history = model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert any(not np.allclose(a, b) for a, b in zip(before, model.get_weights()))
    config_copy = Model.from_config(base.get_config())
    config_copy.set_weights(base.get_weights())
    np.testing.assert_allclose(config_copy.predict(x[:2]), base.predict(x[:2]), rtol=1e-5)


def test_frozen_base_in_sequential_transfer_learning():
    # Keras's transfer-learning guide: a frozen headless base as the first layer of a model
    from brique.keras.models import Sequential
    base = apps.MobileNetV2(weights=None, include_top=False, input_shape=SMALL, alpha=0.35)
    base.trainable = False
    model = Sequential([base, GlobalAveragePooling2D(), Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    frozen = [w.copy() for w in base.get_weights()]
    model.fit(_images(n=8) / 255.0, np.arange(8) % 2, epochs=1, batch_size=4, verbose=0)
    assert len(model.trainable_weights) == 2 and model.output_shape == (None, 2)
    assert all(np.array_equal(a, b) for a, b in zip(frozen, base.get_weights()))


def keras_layer_scale(x):
    from brique.keras.layers import Rescaling
    return Rescaling(1.0 / 255)(x)


@pytest.mark.parametrize("call,match", [
    (lambda: apps.VGG16(weights="imagenet", include_top=True, classes=10), "classes"),
    (lambda: apps.ResNet50(weights=None, input_shape=(16, 16, 3), include_top=False),
     "at least 32x32"),
    (lambda: apps.Xception(weights=None, input_shape=(64, 64, 3), include_top=False),
     "at least 71x71"),
    (lambda: apps.ResNet50(weights=None, input_shape=(32, 32), include_top=False),
     "three integers"),
    (lambda: apps.VGG16(weights="imagenet", include_top=False, input_shape=(64, 64, 4)),
     "3 input channels"),
    (lambda: apps.VGG16(weights="imagenet", input_shape=(64, 64, 3)), r"\(224, 224, 3\)"),
    (lambda: apps.VGG16(weights=None, include_top=True, input_shape=(None, None, 3)),
     "fully known"),
    (lambda: apps.MobileNet(weights="no/such/file.h5"), "weights"),
    (lambda: apps.ResNet50(weights=None, include_top=False, pooling="mean"), "pooling"),
    (lambda: apps.MobileNet(weights="imagenet", alpha=0.3, include_top=False), "alpha"),
    (lambda: apps.MobileNetV2(weights="imagenet", alpha=2.0, include_top=False), "alpha"),
    (lambda: apps.VGG19(weights="imagenet", classifier_activation="relu"),
     "classifier_activation"),
    (lambda: apps.MobileNet(input_tensor=np.zeros((1, 32, 32, 3)), weights=None),
     "input_tensor"),
    (lambda: imagenet_utils.preprocess_input(np.zeros((1, 2, 2, 3)), mode="keras"), "mode"),
    (lambda: apps.vgg16.preprocess_input("not an image"), "expects images"),
    (lambda: apps.MobileNet(weights=None, input_shape=32), "three integers"),
    (lambda: apps.ResNet50(weights=None, classes=0), "positive integer"),
    (lambda: imagenet_utils.preprocess_input(np.zeros((1, 2, 2, 4))), "3 \\(RGB\\)"),
])
def test_invalid_arguments_raise_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
