"""image_dataset_from_directory / text_dataset_from_directory: file order and split against
Keras 3's own indexing code (keras.src.utils.dataset_utils, plain Python: the dataset
functions themselves need TensorFlow), resized pixels against keras.ops.image.resize, label
modes, fit on a dataset, the tf.data-like methods and the errors."""
import os

import numpy as np
import pytest
from PIL import Image

import brique.keras as keras
from brique.keras.utils import image_dataset_from_directory, text_dataset_from_directory

from keras_ref import to_numpy

FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")


def _image(path, h, w, value=None, seed=0):
    rng = np.random.default_rng(seed)
    pixels = np.full((h, w, 3), value, np.uint8) if value is not None else \
        rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return pixels


@pytest.fixture
def image_dir(tmp_path):
    """3 classes of 4 images in png/jpg/bmp/gif, plus files and folders Keras skips."""
    for c, name in enumerate(("b_dogs", "a_cats", "c_birds")):
        os.makedirs(tmp_path / name / "nested")
        for i, ext in enumerate(("png", "jpg", "bmp", "gif")):
            where = tmp_path / name / ("nested" if i == 3 else "") / f"{i}.{ext}"
            _image(where, 6 + i, 9, seed=10 * c + i)
        (tmp_path / name / "notes.txt").write_text("not an image")
    os.makedirs(tmp_path / ".hidden")
    _image(tmp_path / ".hidden" / "x.png", 4, 4)
    _image(tmp_path / "top_level.png", 4, 4)  # not in a class folder: not indexed
    return str(tmp_path)


def _keras_split(directory, labels, formats, seed, validation_split, subset):
    from keras.src.utils import dataset_utils
    paths, labels, names = dataset_utils.index_directory(
        directory, labels, formats=formats, shuffle=True, seed=seed, verbose=False)
    paths, labels = dataset_utils.get_training_or_validation_split(
        paths, labels, validation_split, subset)
    return paths, None if labels is None else list(labels), names


def test_order_and_split_as_keras(image_dir, capsys):
    train, val = image_dataset_from_directory(image_dir, image_size=(5, 5), batch_size=5,
                                              seed=123, validation_split=0.25, subset="both")
    printed = capsys.readouterr().out
    assert "Found 12 files belonging to 3 classes." in printed
    assert "Using 9 files for training." in printed and "Using 3 files for validation." \
        in printed
    for ds, subset in ((train, "training"), (val, "validation")):
        paths, _, names = _keras_split(image_dir, "inferred", FORMATS, 123, 0.25, subset)
        assert ds.file_paths == paths
        assert ds.class_names == names == ["a_cats", "b_dogs", "c_birds"]
    assert len(train) == 2 and len(val) == 1
    # the validation part keeps its order; its labels are the folders of its files
    x, y = next(iter(val))
    assert x.shape == (3, 5, 5, 3) and x.dtype == np.float32 and y.dtype == np.int32
    expected = [val.class_names.index(os.path.relpath(p, image_dir).split(os.sep)[0])
                for p in val.file_paths]
    assert y.tolist() == expected
    # the training part is reshuffled each epoch, always the same files
    epochs = [sorted(np.concatenate([x.reshape(len(x), -1).sum(1) for x, _ in train]))
              for _ in range(2)]
    np.testing.assert_allclose(epochs[0], epochs[1], rtol=1e-6)


def test_class_names_order_and_label_modes(image_dir):
    ds = image_dataset_from_directory(image_dir, class_names=["c_birds", "a_cats"],
                                      image_size=(4, 4), shuffle=False, verbose=False,
                                      label_mode="categorical", batch_size=None)
    assert len(ds) == 8 and ds.class_names == ["c_birds", "a_cats"]
    labels = np.stack([y for _, y in ds])
    assert labels.dtype == np.float32 and labels.shape == (8, 2)
    assert labels.argmax(1).tolist() == [0] * 4 + [1] * 4  # class_names order, then sorted
    ds = image_dataset_from_directory(image_dir, class_names=["a_cats", "b_dogs"],
                                      image_size=(4, 4), label_mode="binary", verbose=False)
    y = np.concatenate([y for _, y in ds])
    assert y.shape == (8, 1) and y.dtype == np.float32 and y.sum() == 4
    # label_mode=None drops the labels, and so indexes every file, as Keras
    only_x = image_dataset_from_directory(image_dir, label_mode=None, image_size=(4, 4),
                                          verbose=False)
    batch = next(iter(only_x))
    assert not isinstance(batch, tuple) and batch.shape == (14, 4, 4, 3)


def test_label_list_and_no_labels_as_keras(image_dir):
    from keras.src.utils import dataset_utils
    n = 14  # labels given or None: every file under the directory, class folders or not
    given = [i % 2 for i in range(n)]
    ds = image_dataset_from_directory(image_dir, labels=given, image_size=(3, 3), seed=5,
                                      verbose=False, validation_split=0.4,
                                      subset="validation")
    paths, labels, names = _keras_split(image_dir, list(given), FORMATS, 5, 0.4, "validation")
    assert ds.file_paths == paths and ds.class_names == names == ["0", "1"]
    ds = image_dataset_from_directory(image_dir, labels=given, image_size=(3, 3),
                                      shuffle=False, verbose=False, batch_size=n)
    assert next(iter(ds))[1].tolist() == given
    paths, _, _ = dataset_utils.index_directory(image_dir, None, FORMATS, shuffle=False,
                                                verbose=False)
    assert ds.file_paths == paths


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("aspect", [None, "crop_to_aspect_ratio", "pad_to_aspect_ratio"])
def test_resized_pixels_match_keras(tmp_path, interpolation, aspect):
    import keras as ref
    os.makedirs(tmp_path / "k")
    pixels = _image(tmp_path / "k" / "a.png", 7, 11).astype(np.float32)
    kwargs = {aspect: True} if aspect else {}
    ds = image_dataset_from_directory(str(tmp_path), image_size=(4, 5), verbose=False,
                                      interpolation=interpolation, **kwargs)
    x = next(iter(ds))[0][0]
    want = to_numpy(ref.ops.image.resize(pixels, (4, 5), interpolation=interpolation,
                                         **kwargs))
    np.testing.assert_allclose(x, want, atol=1e-3)


def test_color_modes_formats_and_data_format(tmp_path):
    os.makedirs(tmp_path / "k")
    pixels = _image(tmp_path / "k" / "a.png", 4, 6)
    for mode, channels in (("grayscale", 1), ("rgb", 3), ("rgba", 4)):
        ds = image_dataset_from_directory(str(tmp_path), color_mode=mode, image_size=(4, 6),
                                          verbose=False)
        x = next(iter(ds))[0]
        assert x.shape == (1, 4, 6, channels)
        if mode == "rgb":  # same size: the pixels themselves
            np.testing.assert_array_equal(x[0], pixels)
        if mode == "grayscale":
            gray = np.asarray(Image.fromarray(pixels).convert("L"), np.float32)
            np.testing.assert_array_equal(x[0, :, :, 0], gray)
        if mode == "rgba":
            assert (x[0, :, :, 3] == 255).all()
    ds = image_dataset_from_directory(str(tmp_path), image_size=8, data_format="channels_first",
                                      interpolation="area", verbose=False)
    assert next(iter(ds))[0].shape == (1, 3, 8, 8)


def _bright_dark(tmp_path, n=12):
    for name, value in (("dark", 30), ("bright", 220)):
        os.makedirs(tmp_path / name)
        for i in range(n):
            _image(tmp_path / name / f"{i}.png", 5 + i % 3, 6, value=value + i)
    return str(tmp_path)


def test_fit_evaluate_predict_on_dataset(tmp_path):
    keras.utils.set_random_seed(0)
    directory = _bright_dark(tmp_path)
    train, val = image_dataset_from_directory(directory, image_size=(4, 4), batch_size=8,
                                              seed=1, validation_split=0.25, subset="both",
                                              verbose=False)
    model = keras.Sequential([keras.Input((4, 4, 3)), keras.layers.Rescaling(1 / 255.0),
                              keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.Adam(0.1), metrics=["accuracy"],
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(train.cache().prefetch(-1), validation_data=val, epochs=15,
                        verbose=0)
    assert history.history["accuracy"][-1] == 1.0
    assert model.evaluate(val, verbose=0)[1] == 1.0
    assert model.predict(val, verbose=0).shape == (6, 2)


def test_chained_methods(tmp_path):
    directory = _bright_dark(tmp_path, n=5)
    ds = image_dataset_from_directory(directory, image_size=(2, 2), batch_size=3,
                                      shuffle=False, verbose=False)
    assert len(ds) == 4 and ds.cardinality() == 4
    images, labels = next(iter(ds.take(1)))
    assert images[0].numpy().astype("uint8").dtype == np.uint8  # keras.io's idiom
    assert type(images.numpy()) is np.ndarray
    scaled = ds.map(lambda x, y: (x / 255.0, y), num_parallel_calls=-1)
    assert np.asarray(next(iter(scaled))[0]).max() <= 1.0 and len(scaled) == 4
    layer = keras.layers.Rescaling(0.5)  # a layer in map gives arrays back
    halved = next(iter(ds.map(lambda x, y: (layer(x), y))))[0]
    np.testing.assert_allclose(halved, images * 0.5, rtol=1e-6)
    assert [len(list(ds.take(k))) for k in (0, 2, 9, -1)] == [0, 2, 4, 4]
    assert len(ds.skip(1)) == 3 and len(list(ds.skip(3))) == 1
    rows = ds.unbatch()
    assert len(rows) == 10 and rows.cardinality() == 10
    rebatched = rows.batch(4, drop_remainder=True)
    assert len(rebatched) == 2 and [len(x) for x, _ in rebatched] == [4, 4]
    assert len(ds.take(2).unbatch()) == 6
    shuffled = rows.shuffle(4, seed=0)
    order = [float(x.sum()) for x, _ in shuffled]
    assert sorted(order) == sorted(float(x.sum()) for x, _ in rows)
    assert len(ds.repeat(2)) == 8 and ds.repeat().cardinality() == -1
    assert len(list(ds.repeat().take(6))) == 6
    first = next(ds.as_numpy_iterator())
    assert type(first[0]) is np.ndarray and first[1].tolist() == [0, 0, 0]
    assert ds.class_names == ds.map(lambda x, y: x).class_names == ["bright", "dark"]
    norm = keras.layers.Normalization(axis=None)
    norm.adapt(ds.map(lambda x, y: x))  # adapt takes the dataset, as Keras's does
    all_x = np.concatenate([x for x, _ in ds])
    np.testing.assert_allclose(to_numpy(norm.mean).ravel(), [all_x.mean()], rtol=1e-5)
    with pytest.raises(ValueError, match="map"):
        np.asarray(ds)
    with pytest.raises(TypeError, match="infinite"):
        len(ds.repeat())


def test_text_dataset(tmp_path, capsys):
    from keras.src.utils import dataset_utils
    texts = {"neg": ["bad movie", "awful plot", "boring", "terrible acting"],
             "pos": ["great movie", "lovely plot", "fun", "wonderful acting ü"]}
    for label, docs in texts.items():
        os.makedirs(tmp_path / label)
        for i, doc in enumerate(docs):
            (tmp_path / label / f"{i}.txt").write_text(doc, encoding="utf-8")
    (tmp_path / "pos" / "skip.md").write_text("not text")
    train, val = text_dataset_from_directory(str(tmp_path), batch_size=4, seed=3,
                                             validation_split=0.25, subset="both")
    assert "Found 8 files belonging to 2 classes." in capsys.readouterr().out
    paths, labels, _ = dataset_utils.index_directory(str(tmp_path), "inferred", (".txt",),
                                                     shuffle=True, seed=3, verbose=False)
    assert train.file_paths + val.file_paths == paths
    x, y = next(iter(val))
    assert x.dtype.kind == "U" and x.shape == (2,) and y.tolist() == list(labels[-2:])
    for text, path in zip(x.tolist(), val.file_paths):
        assert text == open(path, encoding="utf-8").read()
    cut = text_dataset_from_directory(str(tmp_path), max_length=4, shuffle=False,
                                      verbose=False, label_mode="categorical")
    x, y = next(iter(cut))
    assert x.tolist()[:2] == ["bad ", "awfu"] and y.shape == (8, 2)

    vectorize = keras.layers.TextVectorization(max_tokens=30, output_mode="multi_hot")
    vectorize.adapt(train.map(lambda x, y: x))
    model = keras.Sequential([keras.Input((), dtype="string"), vectorize,
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    history = model.fit(train, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


def test_clear_errors(tmp_path, image_dir):
    missing = str(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="nowhere.*does not exist"):
        image_dataset_from_directory(missing)
    with pytest.raises(ValueError, match="label_mode.*'sparse'"):
        image_dataset_from_directory(image_dir, label_mode="sparse")
    with pytest.raises(ValueError, match="subset.*validation_split"):
        image_dataset_from_directory(image_dir, subset="training")
    with pytest.raises(ValueError, match="validation_split"):
        image_dataset_from_directory(image_dir, validation_split=0.2, subset="training")
    with pytest.raises(ValueError, match="labels` has 3 entries but 14 files"):
        image_dataset_from_directory(image_dir, labels=[0, 1, 0], verbose=False)
    with pytest.raises(ValueError, match="exactly 2 classes"):
        image_dataset_from_directory(image_dir, label_mode="binary", verbose=False)
    with pytest.raises(ValueError, match="class_names"):
        image_dataset_from_directory(image_dir, class_names=["zebras"], verbose=False)
    with pytest.raises(ValueError, match="color_mode"):
        image_dataset_from_directory(image_dir, color_mode="cmyk")
    with pytest.raises(ValueError, match="image_size"):
        image_dataset_from_directory(image_dir, image_size=(0, 3))
    with pytest.raises(ValueError, match="only one of"):
        image_dataset_from_directory(image_dir, crop_to_aspect_ratio=True,
                                     pad_to_aspect_ratio=True)
    with pytest.raises(NotADirectoryError, match="x.png.*is not a directory"):
        image_dataset_from_directory(os.path.join(image_dir, ".hidden", "x.png"))
    os.makedirs(tmp_path / "empty")
    with pytest.raises(ValueError, match="no files found"):
        text_dataset_from_directory(str(tmp_path / "empty"), verbose=False)
    with pytest.raises(ValueError, match="batch_size"):
        text_dataset_from_directory(image_dir, batch_size=0)
