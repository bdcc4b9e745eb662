"""brique.keras.utils, preprocessing, datasets and fit on Sequences / generators: compared
with Keras 3 (keras.utils, and its legacy Keras 2 preprocessing modules) where it has them;
datasets parsed from small files written here in the real formats (no network)."""
import hashlib
import json
import os
import pickle
import tarfile

import numpy as np
import pytest

import keras
from keras.src.legacy.preprocessing import image as keras_image
from keras.src.legacy.preprocessing import text as keras_text

import brique
from brique.keras import datasets, layers, utils
from brique.keras.datasets import boston_housing, cifar10, cifar100, imdb, reuters
from brique.keras.models import Sequential
from brique.keras.preprocessing import image, sequence, text


# ------------------------------------------------------------------ sequences and text
SEQS = [[1, 2, 3], [4, 5], [], [6, 7, 8, 9, 10]]


@pytest.mark.parametrize("kwargs", [{}, {"maxlen": 3}, {"maxlen": 4, "padding": "post"},
                                    {"maxlen": 2, "truncating": "post", "value": -1},
                                    {"dtype": "float32", "padding": "post", "value": 0.5}])
def test_pad_sequences_matches_keras(kwargs):
    np.testing.assert_array_equal(sequence.pad_sequences(SEQS, **kwargs),
                                  keras.utils.pad_sequences(SEQS, **kwargs))
    assert utils.pad_sequences(SEQS, **kwargs).dtype == \
        keras.utils.pad_sequences(SEQS, **kwargs).dtype


def test_pad_sequences_vectors_and_errors():
    vecs = [np.ones((2, 3)), np.zeros((4, 3))]
    np.testing.assert_array_equal(utils.pad_sequences(vecs, maxlen=3, dtype="float32"),
                                  keras.utils.pad_sequences(vecs, maxlen=3, dtype="float32"))
    with pytest.raises(ValueError, match="padding must be 'pre' or 'post'"):
        utils.pad_sequences(SEQS, padding="middle")
    with pytest.raises(ValueError, match="non-iterable"):
        utils.pad_sequences([1, 2])


TEXTS = ["The cat sat on the mat.", "The dog ate my homework!", "cat and dog, cat and mat",
         "Hello? HELLO world"]


@pytest.mark.parametrize("kwargs", [{}, {"num_words": 5}, {"num_words": 6, "oov_token": "<oov>"},
                                    {"char_level": True}, {"lower": False, "filters": ""}])
def test_tokenizer_matches_keras2(kwargs):
    ours, ref = text.Tokenizer(**kwargs), keras_text.Tokenizer(**kwargs)
    ours.fit_on_texts(TEXTS)
    ref.fit_on_texts(TEXTS)
    assert ours.word_index == ref.word_index
    assert dict(ours.word_counts) == dict(ref.word_counts)
    probe = ["the cat ate the unknown mat", "world peace"]
    assert ours.texts_to_sequences(probe) == ref.texts_to_sequences(probe)
    assert ours.sequences_to_texts([[1, 2, 3, 9]]) == ref.sequences_to_texts([[1, 2, 3, 9]])
    for mode in ("binary", "count", "tfidf", "freq"):
        np.testing.assert_allclose(ours.texts_to_matrix(probe, mode=mode),
                                   ref.texts_to_matrix(probe, mode=mode))
    again = text.tokenizer_from_json(ours.to_json())
    assert again.texts_to_sequences(probe) == ours.texts_to_sequences(probe)


def test_text_helpers_match_keras2():
    s = "Hello, World! It's a--test\tline"
    assert text.text_to_word_sequence(s) == keras_text.text_to_word_sequence(s)
    assert text.hashing_trick(s, 50, "md5") == keras_text.hashing_trick(s, 50, "md5")
    assert all(1 <= i < 20 for i in text.one_hot(s, 20))
    with pytest.raises(ValueError, match=r"\(num_words\) or fit"):
        text.Tokenizer().texts_to_matrix(["a"])
    with pytest.raises(TypeError, match="one string"):
        text.Tokenizer().fit_on_texts("just one text")


def test_timeseries_windows_and_targets():
    data = np.arange(20).reshape(10, 2)
    ds = utils.timeseries_dataset_from_array(data, np.arange(100, 110), sequence_length=3,
                                             sampling_rate=2, sequence_stride=2, batch_size=2)
    batches = list(ds)
    x = np.concatenate([b[0] for b in batches])
    y = np.concatenate([b[1] for b in batches])
    starts = [0, 2, 4]  # num_seqs = 10 - (3 - 1) * 2 = 6, every 2
    np.testing.assert_array_equal(x, [data[[s, s + 2, s + 4]] for s in starts])
    np.testing.assert_array_equal(y, [100 + s for s in starts])
    assert len(ds) == 2 and batches[0][0].shape == (2, 3, 2)
    alone = utils.timeseries_dataset_from_array(data, None, 4, batch_size=None, start_index=2)
    assert len(alone) == 5 and np.array_equal(alone[0], data[2:6])
    with pytest.raises(ValueError, match="sequence_length"):
        utils.timeseries_dataset_from_array(data, None, 0)


def test_split_dataset_normalize_and_seed():
    x, y = np.arange(10), np.arange(10) * 2
    (lx, ly), (rx, ry) = utils.split_dataset((x, y), left_size=0.8)
    assert len(lx) == 8 and len(rx) == 2 and np.array_equal(ly, lx * 2)
    left, right = utils.split_dataset(x, right_size=3, shuffle=True, seed=1)
    assert len(left) == 7 and sorted(np.concatenate([left, right])) == list(range(10))
    v = np.random.default_rng(0).standard_normal((4, 3))
    np.testing.assert_allclose(utils.normalize(v), keras.utils.normalize(v), rtol=1e-6)
    np.testing.assert_allclose(utils.normalize(v, axis=0, order=1),
                               v / np.abs(v).sum(0, keepdims=True), rtol=1e-6)
    utils.set_random_seed(5)
    a = (np.random.rand(), brique.rand(2).numpy())
    utils.set_random_seed(5)
    assert a[0] == np.random.rand() and np.array_equal(a[1], brique.rand(2).numpy())


def test_registry_plot_model_and_images(tmp_path):
    @utils.register_keras_serializable(package="utilstest")
    def my_fn(x):
        return x
    assert utils.get_registered_object("utilstest>my_fn") is my_fn
    assert utils.get_registered_object("other", custom_objects={"other": len}) is len
    assert utils.get_registered_object("absent") is None
    model = Sequential([layers.Dense(2, input_shape=(3,))])
    try:
        import pydot  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pydot"):
            utils.plot_model(model, str(tmp_path / "m.png"))
    pixels = np.random.default_rng(0).integers(0, 255, (5, 4, 3)).astype("float32")
    path = tmp_path / "img.png"
    utils.save_img(path, pixels, scale=False)
    back = utils.img_to_array(utils.load_img(path))
    np.testing.assert_array_equal(back, pixels)
    assert image.img_to_array(image.load_img(path, color_mode="grayscale",
                                             target_size=(2, 3))).shape == (2, 3, 1)


# ------------------------------------------------------------------ image augmentation
@pytest.mark.parametrize("params,fill_mode", [
    ({"theta": 30}, "nearest"), ({"tx": 1.5, "ty": -2.0}, "constant"),
    ({"shear": 20, "zx": 0.8, "zy": 1.2}, "reflect"),
    ({"theta": -15, "tx": 1, "zx": 1.1, "flip_horizontal": True}, "nearest")])
def test_apply_transform_matches_keras(params, fill_mode):
    pytest.importorskip("scipy")
    x = np.random.default_rng(1).uniform(0, 255, (9, 7, 3)).astype("float32")
    ours = image.ImageDataGenerator(fill_mode=fill_mode, cval=9.0)
    ref = keras_image.ImageDataGenerator(fill_mode=fill_mode, cval=9.0)
    np.testing.assert_allclose(ours.apply_transform(x, params),
                               ref.apply_transform(x, params), rtol=1e-4, atol=1e-3)


def test_image_flow_standardize_and_split():
    x = np.random.default_rng(2).uniform(0, 255, (10, 6, 6, 1)).astype("float32")
    y = np.arange(10)
    gen = image.ImageDataGenerator(rescale=1 / 255.0, featurewise_center=True,
                                   validation_split=0.3)
    gen.fit(x)
    train = gen.flow(x, y, batch_size=4, seed=0, subset="training", shuffle=False)
    val = gen.flow(x, y, batch_size=4, subset="validation")
    assert len(train) == 2 and len(val) == 1 and sorted(val[0][1]) == [0, 1, 2]
    bx, by = train[0]
    # Keras's order: rescale, then the mean that fit() measured on the raw images
    np.testing.assert_allclose(bx, x[3:7] / 255.0 - gen.mean, rtol=1e-5, atol=1e-5)
    assert list(by) == [3, 4, 5, 6]
    aug = image.ImageDataGenerator(rotation_range=40, zoom_range=0.2, horizontal_flip=True)
    a, b = aug.flow(x, y, batch_size=5, seed=3), aug.flow(x, y, batch_size=5, seed=3)
    np.testing.assert_array_equal(next(a)[0], next(b)[0])  # a seed repeats the augmentation
    with pytest.raises(ValueError, match="call .fit"):
        image.ImageDataGenerator(featurewise_center=True).flow(x).__getitem__(0)


# ------------------------------------------------------------------ fit on other sources
class _Batches(utils.Sequence):
    def __init__(self, x, y, batch_size):
        super().__init__()
        self.x, self.y, self.batch_size, self.epochs_ended = x, y, batch_size, 0

    def __len__(self):
        return int(np.ceil(len(self.x) / self.batch_size))

    def __getitem__(self, i):
        s = slice(i * self.batch_size, (i + 1) * self.batch_size)
        return self.x[s], self.y[s]

    def on_epoch_end(self):
        self.epochs_ended += 1


def _problem(n=64):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 4)).astype("float32")
    return x, (x[:, :1] + x[:, 1:2] > 0).astype("float32")


def _model():
    brique.manual_seed(0)
    model = Sequential([layers.Dense(8, activation="relu"), layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    return model


def test_fit_on_sequence_generator_and_flow():
    x, y = _problem()
    model = _model()
    seq = _Batches(x, y, 16)
    history = model.fit(seq, epochs=3, verbose=0, validation_data=_Batches(x[:16], y[:16], 8))
    assert seq.epochs_ended == 3 and len(history.history["val_loss"]) == 3

    def forever():
        while True:
            for i in range(0, len(x), 16):
                yield x[i:i + 16], y[i:i + 16]
    gen = forever()
    model.fit(gen, steps_per_epoch=4, epochs=2, verbose=0,
              validation_data=forever(), validation_steps=2)
    model.fit_generator(forever(), 4, epochs=1, verbose=0)
    loss = model.evaluate(_Batches(x, y, 32), verbose=0)[0]
    assert np.isclose(loss, model.evaluate(x, y, verbose=0)[0], rtol=1e-5)
    assert model.evaluate_generator(forever(), steps=4)[0] == pytest.approx(loss, rel=1e-5)
    np.testing.assert_allclose(model.predict(_Batches(x, y, 10)), model.predict(x), rtol=1e-6)
    np.testing.assert_allclose(model.predict_generator((b for b in [x[:5], x[5:9]]), steps=2),
                               model.predict(x[:9]), rtol=1e-6)
    images = np.random.default_rng(0).uniform(0, 1, (12, 4, 4, 1)).astype("float32")
    conv = Sequential([layers.Flatten(input_shape=(4, 4, 1)), layers.Dense(1)])
    conv.compile("sgd", "mse")
    flow = image.ImageDataGenerator(horizontal_flip=True).flow(images, images[:, 0, 0], 4)
    assert len(conv.fit(flow, epochs=2, verbose=0).history["loss"]) == 2
    finite = ((x[i:i + 16], y[i:i + 16]) for i in range(0, len(x), 16))
    with pytest.warns(UserWarning, match="ran out of data"):  # read whole in epoch 1
        history = _model().fit(finite, epochs=2, verbose=0)
    assert len(history.history["loss"]) >= 1


def test_unbuilt_sequential_builds_on_a_generator():
    x, y = _problem(32)
    model = _model()
    model.fit((b for b in [(x[:16], y[:16]), (x[16:], y[16:])]), epochs=1, verbose=0)
    assert model.built and model.predict(x).shape == (32, 1)


def test_sample_and_class_weights():
    x, y = _problem(48)
    model = _model()
    w = np.linspace(0.0, 2.0, len(x)).astype("float32")
    out = model.predict(x)
    eps = 1e-7
    p = np.clip(out, eps, 1 - eps)
    per_sample = -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean(1)
    got = model.evaluate(x, y, sample_weight=w, batch_size=48, verbose=0)[0]
    assert got == pytest.approx((per_sample * w).mean(), rel=1e-4)
    before = [v.copy() for v in model.get_weights()]
    model.fit(x, y, sample_weight=np.zeros(len(x), "float32"), epochs=1, batch_size=48,
              verbose=0, shuffle=False)
    for a, b in zip(before, model.get_weights()):  # zero weights: a zero gradient
        np.testing.assert_allclose(a, b, atol=1e-6)
    history = model.fit(x, y, class_weight={0: 1.0, 1: 3.0}, epochs=2, verbose=0,
                        validation_split=0.25)
    assert len(history.history["val_loss"]) == 2
    with pytest.raises(ValueError, match="class_weight has no weight for class"):
        model.fit(x, y, class_weight={0: 1.0}, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="one weight per sample"):
        model.fit(x, y, sample_weight=np.ones(3), epochs=1, verbose=0)


# ------------------------------------------------------------------ files and datasets
def _sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def test_get_file_caches_checks_hash_and_extracts(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    src = tmp_path / "payload.txt"
    src.write_text("hello")
    got = utils.get_file("p.txt", origin=src.as_uri(), file_hash=_sha256(src))
    assert got == str(tmp_path / "home" / "datasets" / "p.txt") and open(got).read() == "hello"
    src.write_text("changed")  # cached: not downloaded again
    assert open(utils.get_file("p.txt", origin=src.as_uri())).read() == "hello"
    with pytest.raises(ValueError, match="corrupted"):
        utils.get_file("q.txt", origin=src.as_uri(), file_hash="0" * 64)
    assert not os.path.exists(tmp_path / "home" / "datasets" / "q.txt")
    archive = tmp_path / "folder.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(src, arcname="folder/inner.txt")
    folder = utils.get_file("folder", origin=archive.as_uri(), untar=True,
                            cache_dir=str(tmp_path / "c"))
    assert open(os.path.join(folder, "inner.txt")).read() == "changed"


def _serve(monkeypatch, tmp_path, name, writer):
    """Put a dataset file in the Keras cache (as a finished download) with its hash
    accepted, so load_data parses it without any network."""
    home = tmp_path / "keras"
    monkeypatch.setenv("KERAS_HOME", str(home))
    (home / "datasets").mkdir(parents=True, exist_ok=True)
    writer(home / "datasets" / name)
    monkeypatch.setattr("brique.keras.utils.files.validate_file", lambda *a, **k: True)
    return home / "datasets"


def _cifar_tar(folder, members):
    def write(path):
        with tarfile.open(path, "w:gz") as tar:
            for name, content in members.items():
                member = folder.parent / name
                member.write_bytes(pickle.dumps(content))
                tar.add(member, arcname=f"{folder.name}/{name}")
    return write


def test_cifar10_and_cifar100_layout(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    batches = {f"data_batch_{i}": {b"data": rng.integers(0, 255, (2, 3072), dtype=np.uint8),
                                   b"labels": [i, 9]} for i in range(1, 6)}
    batches["test_batch"] = {b"data": rng.integers(0, 255, (3, 3072), dtype=np.uint8),
                             b"labels": [1, 2, 3]}
    (tmp_path / "cifar-10-batches-py").mkdir()
    _serve(monkeypatch, tmp_path, "cifar-10-batches-py.tar.gz",
           _cifar_tar(tmp_path / "cifar-10-batches-py", batches))
    (x, y), (xt, yt) = cifar10.load_data()
    assert x.shape == (10, 32, 32, 3) and x.dtype == np.uint8 and y.shape == (10, 1)
    assert y.dtype == np.uint8 and yt.ravel().tolist() == [1, 2, 3]
    np.testing.assert_array_equal(x[0, :, :, 1].ravel(), batches["data_batch_1"][b"data"][0,
                                                                                        1024:2048])
    parts = {n: {b"data": rng.integers(0, 255, (k, 3072), dtype=np.uint8),
                 b"fine_labels": list(range(k)), b"coarse_labels": [7] * k}
             for n, k in (("train", 4), ("test", 2))}
    (tmp_path / "cifar-100-python").mkdir()
    _serve(monkeypatch, tmp_path, "cifar-100-python.tar.gz",
           _cifar_tar(tmp_path / "cifar-100-python", parts))
    (x, y), _ = cifar100.load_data(label_mode="coarse")
    assert x.shape == (4, 32, 32, 3) and y.ravel().tolist() == [7] * 4


def test_cifar_refuses_pickled_code(tmp_path, monkeypatch):
    (tmp_path / "cifar-100-python").mkdir()
    _serve(monkeypatch, tmp_path, "cifar-100-python.tar.gz",
           _cifar_tar(tmp_path / "cifar-100-python", {"train": {"x": os.system},
                                                       "test": {}}))
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        cifar100.load_data()


def test_imdb_reuters_and_boston_match_keras_rules(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)

    def ragged(n):
        out = np.empty(n, dtype=object)
        out[:] = [list(rng.integers(1, 30, rng.integers(2, 9))) for _ in range(n)]
        return out
    arrays = {"x_train": ragged(6), "y_train": np.array([0, 1] * 3),
              "x_test": ragged(4), "y_test": np.array([1, 0] * 2)}
    folder = _serve(monkeypatch, tmp_path, "imdb.npz",
                    lambda p: np.savez(p, **arrays))
    (x, y), (xt, yt) = imdb.load_data(num_words=20, skip_top=2, maxlen=9)
    order = np.arange(6)
    np.random.RandomState(113).shuffle(order)
    expected = [[1] + [w + 3 for w in arrays["x_train"][i]] for i in order]
    expected = [s for s in expected if len(s) < 9]
    assert x.dtype == object and len(x) == len(expected)
    assert list(x[0]) == [w if 2 <= w < 20 else 2 for w in expected[0]]
    assert all(isinstance(s, list) for s in xt) and set(yt) <= {0, 1}
    (folder / "imdb_word_index.json").write_text(json.dumps({"the": 1, "movie": 2}))
    assert imdb.get_word_index() == {"the": 1, "movie": 2}
    _serve(monkeypatch, tmp_path, "reuters.npz",
           lambda p: np.savez(p, x=ragged(10), y=np.arange(10) % 4))
    (x, y), (xt, yt) = reuters.load_data(test_split=0.2)
    assert len(x) == 8 and len(xt) == 2 and all(s[0] == 1 for s in x)
    data = rng.standard_normal((20, 13))
    _serve(monkeypatch, tmp_path, "boston_housing.npz",
           lambda p: np.savez(p, x=data, y=np.arange(20.0)))
    (x, y), (xt, yt) = boston_housing.load_data()
    assert x.shape == (16, 13) and xt.shape == (4, 13) and np.array_equal(data[int(y[0])], x[0])
    assert set(dir(datasets)) >= {"cifar10", "cifar100", "fashion_mnist", "imdb", "reuters",
                                  "boston_housing", "mnist"}


def test_fashion_mnist_downloads_from_keras_origin(tmp_path, monkeypatch):
    """Through brique's FashionMNIST reader and downloader, Keras's origin tried first."""
    import gzip
    import io

    import brique.datasets.download as dl
    from brique.datasets import FashionMNIST
    from brique.keras.datasets import fashion_mnist

    def idx(a):
        head = bytes([0, 0, 8, a.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in a.shape)
        return gzip.compress(head + a.astype(np.uint8).tobytes())
    files = {"train-images-idx3-ubyte.gz": idx(np.ones((3, 28, 28))),
             "train-labels-idx1-ubyte.gz": idx(np.array([1, 2, 3])),
             "t10k-images-idx3-ubyte.gz": idx(np.zeros((2, 28, 28))),
             "t10k-labels-idx1-ubyte.gz": idx(np.array([4, 5]))}
    asked = []

    class Response(io.BytesIO):
        headers = {}

    def urlopen(url, timeout=None):
        asked.append(url)
        return Response(files[url.rsplit("/", 1)[1]])
    monkeypatch.setattr(dl, "_urlopen", urlopen)
    monkeypatch.setattr(FashionMNIST, "resources", {
        k: "md5:" + hashlib.md5(v).hexdigest() for k, v in files.items()})
    (x, y), (xt, yt) = fashion_mnist.load_data(path=str(tmp_path))
    assert x.shape == (3, 28, 28) and y.dtype == np.uint8 and yt.tolist() == [4, 5]
    assert asked[0].startswith("https://storage.googleapis.com/tensorflow/tf-keras-datasets/")
