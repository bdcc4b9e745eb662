"""Keras's preprocessing layers against Keras 3 (torch backend) where it runs them, and
against the examples in Keras's own docstrings where Keras 3 needs TensorFlow (Hashing,
StringLookup, IntegerLookup, TextVectorization); random layers: seeded, identity at
inference; models that start with them fit."""
import numpy as np
import pytest
import torch

import brique
from brique.keras import layers as L
from brique.keras.layers.hashing import fingerprint64, siphash
from brique.keras.layers.image_augmentation import affine_transform
from brique.keras.models import Model, Sequential

from keras_ref import keras, to_numpy

RNG = np.random.default_rng(0)
IMAGES = (RNG.random((2, 7, 9, 3)) * 255).astype(np.float32)


def out(layer, x, **kw):
    return to_numpy(layer(x, **kw))


def roundtrip(layer, x, **kw):
    """The layer rebuilt from its config gives the same output."""
    clone = type(layer).from_config(layer.get_config())
    np.testing.assert_allclose(out(clone, x, **kw), out(layer, x, **kw), rtol=1e-6)


# ---------------------------------------------------------------------------- numeric
def test_rescaling_and_normalization_match_keras():
    x = RNG.standard_normal((6, 4, 3)).astype(np.float32) * 3 + 1
    for kw in [dict(scale=1 / 255.), dict(scale=2.0, offset=-1.0), dict(scale=[1., 2., 3.])]:
        np.testing.assert_allclose(out(L.Rescaling(**kw), x),
                                   out(keras.layers.Rescaling(**kw), x), rtol=1e-6)
    for kw in [dict(), dict(axis=(1, 2)), dict(axis=None), dict(invert=True)]:
        ours, ref = L.Normalization(**kw), keras.layers.Normalization(**kw)
        ours.adapt(x)
        ref.adapt(x)
        np.testing.assert_allclose(out(ours, x), out(ref, x), rtol=1e-4, atol=1e-5)
        for a, b in zip(ours.get_weights(), ref.get_weights()):
            np.testing.assert_allclose(a, to_numpy(b), rtol=1e-5)
    ours = L.Normalization(mean=[1., 2., 3.], variance=[4., 1., 9.])
    ref = keras.layers.Normalization(mean=[1., 2., 3.], variance=[4., 1., 9.])
    np.testing.assert_allclose(out(ours, x), out(ref, x), rtol=1e-5)
    assert ours.get_weights() == []
    roundtrip(ours, x)
    # adapted statistics are weights (Keras's [mean, variance, count]); the gradient is 1/std
    fresh = L.Normalization()
    fresh.build((None, 4, 3))
    fresh.set_weights([np.zeros(3), np.full(3, 4.0), np.array(0)])
    xb = brique.tensor(x, requires_grad=True)
    fresh(xb).sum().backward()
    np.testing.assert_allclose(xb.grad.numpy(), np.full(x.shape, 0.5), rtol=1e-6)


def test_normalization_errors_name_the_layer():
    with pytest.raises(ValueError, match="both mean and variance"):
        L.Normalization(mean=1.0)
    layer = L.Normalization()
    layer.adapt(np.ones((4, 3)))
    with pytest.raises(ValueError, match="built for inputs"):
        layer(np.ones((2, 5), np.float32))
    with pytest.raises(ValueError, match="out of range"):
        L.Normalization(axis=3).adapt(np.ones((4, 3)))


@pytest.mark.parametrize("kw", [dict(bin_boundaries=[0., 1., 2.]),
                                dict(bin_boundaries=[-1., 0.5], output_mode="one_hot"),
                                dict(bin_boundaries=[0., 1.], output_mode="count"),
                                dict(num_bins=4), dict(num_bins=3, epsilon=0.1,
                                                       output_mode="multi_hot")])
def test_discretization_matches_keras(kw):
    x = np.array([[-1.5, 1.0, 3.4, .5], [0.0, 3.0, 1.3, 0.0]], np.float32)
    if kw.get("output_mode") == "one_hot":
        x = x[:, :1]
    ours = L.Discretization(**kw)
    if "num_bins" in kw:  # Keras 3's adapt needs TensorFlow; its quantile sketch does not
        from keras.src.layers.preprocessing import discretization as ref_module
        data = RNG.standard_normal(200).astype(np.float32)
        ours.adapt(data)
        ref_bins = ref_module.get_bin_boundaries(
            ref_module.summarize(data, kw.get("epsilon", 0.01)), kw["num_bins"])
        np.testing.assert_allclose(ours.bin_boundaries, ref_bins, rtol=1e-6)
        kw = {k: v for k, v in kw.items() if k not in ("num_bins", "epsilon")}
        kw["bin_boundaries"] = ours.bin_boundaries
    ref = keras.layers.Discretization(**kw)
    np.testing.assert_array_equal(out(ours, x), out(ref, x))
    roundtrip(ours, x)


def test_discretization_docstring_adapt_example():
    x = np.array([[-1.5, 1.0, 3.4, .5], [0.0, 3.0, 1.3, 0.0]])
    layer = L.Discretization(num_bins=4, epsilon=0.01)
    layer.adapt(x)
    assert out(layer, x).tolist() == [[0, 2, 3, 2], [1, 3, 3, 1]]
    with pytest.raises(ValueError, match="exactly one of"):
        L.Discretization()


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
def test_category_encoding_matches_keras(mode):
    x = np.array([[0, 1], [0, 0], [1, 2], [3, 1]])
    xs = x[:, :1] if mode == "one_hot" else x
    ours = L.CategoryEncoding(num_tokens=4, output_mode=mode)
    ref = keras.layers.CategoryEncoding(num_tokens=4, output_mode=mode)
    np.testing.assert_array_equal(out(ours, xs), out(ref, xs))
    assert ours.compute_output_shape((None,) + xs.shape[1:]) == (None, 4)
    roundtrip(ours, xs)
    if mode == "count":
        w = np.array([[.1, .2], [.1, .1], [.2, .3], [.4, .2]], np.float32)
        np.testing.assert_allclose(out(ours, x, count_weights=w),
                                   out(ref, x, count_weights=w), rtol=1e-6)
    with pytest.raises(ValueError, match=r"0 <= values < 4"):
        ours(np.array([[0, 4]]))


# ---------------------------------------------------------------------------- images
@pytest.mark.parametrize("kw", [
    dict(height=4, width=5), dict(height=12, width=5, interpolation="nearest"),
    dict(height=3, width=14, interpolation="nearest"), dict(height=13, width=4,
                                                            interpolation="bicubic"),
    dict(height=5, width=5, crop_to_aspect_ratio=True),
    dict(height=5, width=5, pad_to_aspect_ratio=True, fill_value=3.0)])
def test_resizing_matches_keras(kw):
    ours = L.Resizing(**kw)
    np.testing.assert_allclose(out(ours, IMAGES), out(keras.layers.Resizing(**kw), IMAGES),
                               rtol=1e-5, atol=2e-4)
    assert ours.compute_output_shape((None, 7, 9, 3)) == (None, kw["height"], kw["width"], 3)
    roundtrip(ours, IMAGES)


def test_resizing_gradient_matches_torch_autograd_of_keras():
    xb = brique.tensor(IMAGES, requires_grad=True)
    L.Resizing(4, 13)(xb).sum().backward()
    xt = torch.tensor(IMAGES, requires_grad=True)
    keras.layers.Resizing(4, 13)(xt).sum().backward()
    np.testing.assert_allclose(xb.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("hw", [(4, 4), (7, 9), (5, 12), (8, 8)])
def test_center_crop_and_random_crop_at_inference(hw):
    np.testing.assert_allclose(out(L.CenterCrop(*hw), IMAGES),
                               out(keras.layers.CenterCrop(*hw), IMAGES), rtol=1e-5, atol=1e-4)
    # Keras 2's RandomCrop at inference: the centred window of the aspect ratio, resized
    ref = keras.layers.Resizing(*hw, crop_to_aspect_ratio=True)
    np.testing.assert_allclose(out(L.RandomCrop(*hw), IMAGES, training=False), out(ref, IMAGES),
                               rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
@pytest.mark.parametrize("fill_mode", ["reflect", "wrap", "constant", "nearest"])
def test_affine_transform_matches_keras(interpolation, fill_mode):
    rot = L.RandomRotation.rotation(np.array([17.0, -123.0]), 7, 9)
    zoom = np.array([[1.3, 0, -2.4, 0, 0.7, 0.9, 0, 0], [0.6, 0, 1.6, 0, 1.2, -0.6, 0, 0]])
    for t in (rot, zoom):
        t = t.astype(np.float32)
        ref = keras.ops.image.affine_transform(IMAGES, t, interpolation, fill_mode, 5.0)
        ours = affine_transform(brique.tensor(IMAGES), t, interpolation, fill_mode, 5.0)
        np.testing.assert_allclose(ours.numpy(), to_numpy(ref), rtol=1e-4, atol=1e-2)


@pytest.mark.parametrize("make", [
    lambda m: m.RandomRotation((0.1, 0.1), fill_mode="constant"),
    lambda m: m.RandomZoom((0.2, 0.2), (-0.3, -0.3), fill_mode="wrap"),
    lambda m: m.RandomZoom((-0.25, -0.25), interpolation="nearest"),
    lambda m: m.RandomTranslation((0.2, 0.2), (-0.3, -0.3), fill_mode="nearest"),
    lambda m: m.RandomBrightness((0.1, 0.1)),
    lambda m: m.RandomFlip("vertical")])  # a fixed factor range: the same map in both
def test_random_layers_with_a_fixed_draw_match_keras(make):
    ours, ref = make(L), make(keras.layers)
    got = out(ours, IMAGES, training=True)
    want = out(ref, IMAGES, training=True)
    if isinstance(ours, L.RandomFlip):  # a coin per image: compare image by image
        for g, x in zip(got, IMAGES):
            assert np.array_equal(g, x) or np.array_equal(g, x[::-1])
        return
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-2)


RANDOM = [lambda: L.RandomFlip(seed=3), lambda: L.RandomRotation(0.2, seed=3),
          lambda: L.RandomZoom(0.3, seed=3), lambda: L.RandomTranslation(0.2, 0.3, seed=3),
          lambda: L.RandomContrast(0.5, seed=3), lambda: L.RandomBrightness(0.3, seed=3),
          lambda: L.RandomCrop(5, 6, seed=3)]


@pytest.mark.parametrize("make", RANDOM)
def test_random_layers_are_seeded_and_identity_at_inference(make):
    a, b = make(), make()
    first = out(a, IMAGES)  # a new layer trains, as Keras's training=True default
    np.testing.assert_array_equal(first, out(b, IMAGES))
    assert not np.array_equal(first, out(a, IMAGES)) or isinstance(a, L.RandomFlip)
    if not isinstance(a, L.RandomCrop):
        np.testing.assert_array_equal(out(a, IMAGES, training=False), IMAGES)
        model = Sequential([make()])
        np.testing.assert_array_equal(model.predict(IMAGES, verbose=0), IMAGES)
    roundtrip(a, IMAGES, training=False)
    if isinstance(a, L.RandomContrast):  # one factor in [0.5, 1.5] per image, then clipped
        mean = IMAGES.mean((1, 2), keepdims=True)
        f = ((first - mean) / (IMAGES - mean)).reshape(2, -1)
        inside = (first > 0).reshape(2, -1) & (first < 255).reshape(2, -1)
        for fi, ok in zip(f, inside):
            assert 0.5 <= fi[ok].min() and np.ptp(fi[ok]) < 1e-3 and fi[ok].max() <= 1.5


def test_random_layer_errors():
    with pytest.raises(ValueError, match="fill_mode"):
        L.RandomRotation(0.1, fill_mode="mirror")
    with pytest.raises(ValueError, match=r"factor must lie in \[-1"):
        L.RandomBrightness(1.5)
    with pytest.raises(ValueError, match="mode must be one of"):
        L.RandomFlip("diagonal")
    with pytest.raises(ValueError, match="rank 4"):
        L.RandomFlip()(np.ones((2, 3), np.float32))


# ---------------------------------------------------------------------------- strings
def test_hashes_are_tensorflows():
    # FarmHash Fingerprint64 (Guava/Airship test vectors: 1 to 256 bytes) and SipHash-2-4
    assert fingerprint64(b"") == 0x9ae16a3b2f90404f
    assert fingerprint64(b"test") == 8581389452482819506
    assert fingerprint64(b"test" * 8) == (-4196240717365766262) % 2 ** 64
    assert fingerprint64(b"F7479877-4690-4A44-AFC9-8FE987EA512F:some_other_id") == \
        6862335115798125349
    assert fingerprint64(b"test" * 64) == 3500507768004279527
    key = (0x0706050403020100, 0x0f0e0d0c0b0a0908)
    assert siphash(*key, b"") == 0x726fdb47dd0e0e31
    assert siphash(*key, bytes(range(15))) == 0xa129ca6149be45e5


def test_hashing_docstring_examples():
    x = np.array([["A"], ["B"], ["C"], ["D"], ["E"]])
    assert out(L.Hashing(num_bins=3), x).ravel().tolist() == [1, 0, 1, 1, 2]
    assert out(L.Hashing(num_bins=3, salt=133), x).ravel().tolist() == [0, 0, 2, 1, 0]
    masked = np.array([["A"], ["B"], [""], ["C"], ["D"]])
    assert out(L.Hashing(num_bins=3, mask_value=""), masked).ravel().tolist() == [1, 1, 0, 2, 2]
    ints = out(L.Hashing(num_bins=5), np.array([[1], [22], [333]]))
    strs = out(L.Hashing(num_bins=5), np.array([["1"], ["22"], ["333"]]))
    np.testing.assert_array_equal(ints, strs)  # integers hash as their decimal text
    layer = L.Hashing(num_bins=3, output_mode="multi_hot")
    assert out(layer, x).shape == (5, 3)
    roundtrip(layer, x)
    with pytest.raises(ValueError, match="strings or integers"):
        L.Hashing(num_bins=3)(np.ones((2, 1), np.float32))


def test_lookup_docstring_examples():
    vocab, data = ["a", "b", "c", "d"], np.array([["a", "c", "d"], ["d", "z", "b"]])
    assert out(L.StringLookup(vocabulary=vocab), data).tolist() == [[1, 3, 4], [4, 0, 2]]
    layer = L.StringLookup()
    layer.adapt(data)
    assert layer.get_vocabulary() == ["[UNK]", "d", "z", "c", "b", "a"]
    assert out(L.StringLookup(vocabulary=vocab, num_oov_indices=2),
               np.array([["a", "c", "d"], ["m", "z", "b"]])).tolist() == [[2, 4, 5], [0, 1, 3]]
    assert out(L.StringLookup(vocabulary=vocab, output_mode="multi_hot"), data).tolist() == \
        [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]]
    tf_data = np.array([["a", "c", "d", "d"], ["d", "z", "b", "z"]])
    got = out(L.StringLookup(output_mode="tf_idf", vocabulary=vocab,
                             idf_weights=[0.25, 0.75, 0.6, 0.4]), tf_data)
    np.testing.assert_allclose(got, [[0, .25, 0, .6, .8], [1.0, 0, .75, 0, .4]], rtol=1e-6)
    got = out(L.StringLookup(output_mode="tf_idf", vocabulary=["[UNK]"] + vocab,
                             idf_weights=[0.9, 0.25, 0.75, 0.6, 0.4]), tf_data)
    np.testing.assert_allclose(got, [[0, .25, 0, .6, .8], [1.8, 0, .75, 0, .4]], rtol=1e-6)
    inverse = L.StringLookup(vocabulary=vocab, invert=True)(np.array([[1, 3, 4], [4, 0, 2]]))
    assert inverse.tolist() == [["a", "c", "d"], ["d", "[UNK]", "b"]]
    masked = L.StringLookup(vocabulary=vocab, mask_token="")
    assert masked.get_vocabulary() == ["", "[UNK]"] + vocab
    assert out(masked, np.array([["a", "", "z"]])).tolist() == [[2, 0, 1]]

    ivocab, idata = [12, 36, 1138, 42], np.array([[12, 1138, 42], [42, 1000, 36]])
    assert out(L.IntegerLookup(vocabulary=ivocab), idata).tolist() == [[1, 3, 4], [4, 0, 2]]
    layer = L.IntegerLookup()
    layer.adapt(idata)
    assert layer.get_vocabulary() == [-1, 42, 1138, 1000, 36, 12]
    assert out(L.IntegerLookup(vocabulary=ivocab, num_oov_indices=2),
               np.array([[12, 1138, 42], [37, 1000, 36]])).tolist() == [[2, 4, 5], [1, 0, 3]]
    assert out(L.IntegerLookup(vocabulary=ivocab, invert=True),
               np.array([[1, 3, 4], [4, 0, 2]])).tolist() == [[12, 1138, 42], [42, -1, 36]]
    for lookup, x in ((L.StringLookup(vocabulary=vocab, output_mode="count"), data),
                      (L.IntegerLookup(vocabulary=ivocab, num_oov_indices=2), idata)):
        roundtrip(lookup, x)


def test_lookup_errors():
    with pytest.raises(ValueError, match="repeats"):
        L.StringLookup(vocabulary=["a", "b", "a"])
    with pytest.raises(ValueError, match="num_oov_indices=0"):
        L.StringLookup(vocabulary=["a"], num_oov_indices=0)(np.array([["b"]]))
    with pytest.raises(ValueError, match="needs idf_weights"):
        L.StringLookup(vocabulary=["a"], output_mode="tf_idf")
    with pytest.raises(ValueError, match="expects strings"):
        L.StringLookup(vocabulary=["a"])(np.ones((2, 1), np.float32))
    with pytest.raises(ValueError, match="vocabulary is not set"):
        L.StringLookup()(np.array(["a"]))


def test_text_vectorization_docstring_examples_and_modes():
    layer = L.TextVectorization(max_tokens=5000, output_mode="int", output_sequence_length=4)
    layer.adapt(["foo bar", "bar baz", "baz bada boom"])
    assert layer.get_vocabulary() == ["", "[UNK]", "baz", "bar", "foo", "boom", "bada"]
    assert out(layer, [["foo qux bar"], ["qux baz"]]).tolist() == [[4, 1, 3, 0], [1, 2, 0, 0]]
    roundtrip(layer, np.array(["Foo, BAR!", "qux"]))
    given = L.TextVectorization(vocabulary=["earth", "wind", "and", "fire"],
                                output_sequence_length=4)
    assert given.get_vocabulary() == ["", "[UNK]", "earth", "wind", "and", "fire"]
    assert out(given, np.array([["earth wind and fire"], ["fire and earth michigan"]])
               ).tolist() == [[2, 3, 4, 5], [5, 4, 2, 1]]
    grams = L.TextVectorization(output_mode="multi_hot", ngrams=2)
    grams.adapt(np.array(["The Cat sat.", "the cat ran!"]))
    assert grams.get_vocabulary() == ["[UNK]", "the cat", "the", "cat", "sat", "ran",
                                      "cat sat", "cat ran"]
    assert out(grams, ["the cat"]).tolist() == [[0, 1, 1, 1, 0, 0, 0, 0]]
    tfidf = L.TextVectorization(output_mode="tf_idf", standardize=None,
                                split=lambda s: s.split("-"))
    tfidf.adapt(["a-b", "a-c", "a"])
    idf = np.log(1 + 3 / (1 + np.array([3, 1, 1])))
    np.testing.assert_allclose(out(tfidf, ["a-c-c-z"]),
                               [[idf.mean(), idf[0], 2 * idf[1], 0]], rtol=1e-6)
    chars = L.TextVectorization(split="character", max_tokens=4, output_mode="count")
    chars.adapt(["aab", "ab c"])
    assert chars.get_vocabulary() == ["[UNK]", "a", "b", "c"]
    roundtrip(tfidf, ["a-c"])


# ---------------------------------------------------------------------------- in models
def test_models_starting_with_normalization_and_rescaling_fit():
    brique.manual_seed(0)
    x = RNG.standard_normal((64, 3)).astype(np.float32) * [10, 0.1, 3] + [5, -2, 0]
    y = (x[:, :1] > 5).astype(np.float32)
    norm = L.Normalization()
    norm.adapt(x)
    model = Sequential([norm, L.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    hist = model.fit(x, y, epochs=30, batch_size=16, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    images = (RNG.random((16, 8, 8, 1)) * 255).astype(np.uint8)
    inp = L.Input(shape=(8, 8, 1))
    h = L.RandomFlip("horizontal", seed=1)(L.Rescaling(1 / 255.)(inp))
    h = L.Dense(1)(L.Flatten()(L.Resizing(4, 4)(h)))
    model = Model(inp, h)
    model.compile("sgd", "mse")
    model.fit(images, np.ones((16, 1), np.float32), epochs=2, verbose=0)
    assert model.predict(images, verbose=0).shape == (16, 1)


def test_text_classifier_fits_on_strings():
    brique.manual_seed(0)
    texts = np.array(["good movie", "great film", "bad movie", "awful film", "good fun",
                      "bad plot", "great acting", "awful acting"] * 4)
    labels = np.array([1, 1, 0, 0, 1, 0, 1, 0] * 4, np.float32)
    vectorize = L.TextVectorization(max_tokens=20, output_sequence_length=3)
    vectorize.adapt(texts)
    model = Sequential([vectorize, L.Embedding(20, 8), L.GlobalAveragePooling1D(),
                        L.Dense(1, activation="sigmoid")])
    model.compile(keras_optimizer(), "binary_crossentropy", metrics=["accuracy"])
    hist = model.fit(texts, labels, epochs=40, batch_size=8, verbose=0)
    assert hist.history["accuracy"][-1] == 1.0
    assert model.predict(np.array(["good acting", "awful movie"]), verbose=0).ravel().round(
    ).tolist() == [1.0, 0.0]
    # the functional form on a string Input, with a lookup into one-hot codes
    inp = L.Input(shape=(1,), dtype="string")
    codes = L.StringLookup(vocabulary=["good", "bad"], output_mode="one_hot")(inp)
    model = Model(inp, L.Dense(1)(codes))
    assert model.output_shape == (None, 1)
    model.compile("sgd", "mse")
    model.fit(np.array([["good"], ["bad"], ["meh"]]), np.ones((3, 1), np.float32), epochs=1,
              verbose=0)


def keras_optimizer():
    from brique.keras import optimizers
    return optimizers.Adam(learning_rate=0.05)
