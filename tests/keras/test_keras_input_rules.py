"""What a brique.keras layer does with inputs of the wrong kind, as Keras does it: strings are
refused by name (except by the text, lookup and Lambda layers), integer or bool inputs to a
built-in layer with float weights (or a mean) are computed in floats, as Keras's ops promote
them, empty batches give empty outputs, and malformed inputs get errors naming the layer."""
import numpy as np
import pytest

from brique.keras import Input, Model, layers as L
from brique.keras.sequential import Sequential

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("layer", [L.Dense(2), L.LayerNormalization(), L.Flatten(),
                                   L.Dropout(0.5), L.Softmax()])
def test_strings_are_refused_by_name(layer):
    with pytest.raises(TypeError, match=f"{layer.name}: expected numeric inputs.*strings"):
        layer(np.array([["a", "b"]]))


def test_text_layers_and_lambda_take_strings():
    assert L.Lambda(lambda s: np.char.upper(s))(np.array([["ab"]]))[0, 0] == "AB"
    assert L.StringLookup(vocabulary=["a", "b"])(np.array([["b"]])).numpy()[0, 0] == 2


@pytest.mark.parametrize("make,shape", [
    (lambda: L.Dense(3), (4, 5)), (lambda: L.Conv2D(2, 3), (2, 6, 6, 3)),
    (lambda: L.LSTM(2), (2, 4, 3)), (lambda: L.GlobalAveragePooling1D(), (2, 4, 3)),
    (lambda: L.UnitNormalization(), (2, 3))])
def test_integer_inputs_compute_as_floats(make, shape):
    layer = make()
    ints = RNG.integers(0, 5, shape)
    got = layer(ints)
    assert got.is_floating_point()
    np.testing.assert_allclose(got.detach().numpy(),
                               layer(ints.astype(np.float32)).detach().numpy(), rtol=1e-6)


def test_uint8_images_through_a_model_of_image_layers():
    inp = Input((8, 8, 3))
    out = L.GlobalMaxPooling2D()(L.MaxPooling2D()(L.Conv2D(4, 3)(inp)))
    model = Model(inp, out)
    images = RNG.integers(0, 255, (2, 8, 8, 3)).astype(np.uint8)
    np.testing.assert_allclose(model.predict(images, verbose=0),
                               model.predict(images.astype(np.float32), verbose=0), rtol=1e-6)


def test_embedding_keeps_integer_ids_and_refuses_nan():
    emb = L.Embedding(5, 2)
    np.testing.assert_array_equal(emb(np.array([[1, 4]])).detach().numpy(),
                                  emb(np.array([[1.0, 4.0]])).detach().numpy())
    with pytest.raises(ValueError, match="non-finite"):
        emb(np.array([[np.nan]]))


def test_empty_batches_give_empty_outputs():
    model = Sequential([Input((4, 4, 3)), L.Conv2D(2, 3), L.Flatten(), L.Dense(1)])
    assert model(np.zeros((0, 4, 4, 3), np.float32)).shape == (0, 1)
    assert tuple(L.GlobalAveragePooling2D()(np.zeros((0, 4, 4, 3), np.float32)).shape) == (0, 3)


@pytest.mark.parametrize("layer,x,match", [
    (L.Add(), np.ones((2, 3), np.float32), "list of at least 2 inputs, got one tensor"),
    (L.Subtract(), [np.ones((2, 3), np.float32)] * 3, "exactly 2 inputs, got 3"),
    (L.Concatenate(), np.ones((2, 3), np.float32), "at least 2 inputs"),
    (L.LSTM(2), np.ones((2, 0, 3), np.float32), "at least one timestep"),
    (L.GlobalAveragePooling2D(), np.ones((2, 3), np.float32), "4-D input"),
    (L.Resizing(2, 2), np.ones((1, 0, 3, 3), np.float32), "height and width at least 1"),
])
def test_malformed_inputs_are_named(layer, x, match):
    with pytest.raises(ValueError, match=f"{layer.name}: .*{match}"):
        layer(x)
