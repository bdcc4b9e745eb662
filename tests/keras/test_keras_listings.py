"""The courses' two Keras listings, as printed in the seeds, with `keras` replaced by
`brique.keras` in the imports and training shortened (epochs, data size): they must train.

Seed 004, "A fully convolutional autoencoder: 40 lines of code"; seed 000, "Attention
mechanism: implementation in Keras" (three lines, Keras 1's `merge`; the data and the rest of
the model around them are written here)."""
import numpy as np
import pytest

import brique
import brique.datasets.download as download


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No cached MNIST and no network: load_data() falls back to the embedded subset."""
    def refuse(*args, **kwargs):
        raise download.urllib.error.URLError("tests run offline")
    monkeypatch.setattr(download, "_urlopen", refuse)
    monkeypatch.setenv("BRIQUE_DATA", str(tmp_path))


def test_conv_autoencoder_listing(offline, recwarn):
    brique.manual_seed(0)
    # ---- seed 004, as printed; imports changed, epochs=50 -> 3 ----
    from brique.keras.layers import Input, Dense, Conv2D, MaxPooling2D, UpSampling2D
    from brique.keras.models import Model
    from brique.keras import backend as K
    from brique.keras.datasets import mnist
    import numpy as np

    input_img = Input(shape=(28, 28, 1))

    x = Conv2D(16, (3, 3), activation='relu', padding='same')(input_img)
    x = MaxPooling2D((2, 2), padding='same')(x)
    x = Conv2D(8, (3, 3), activation='relu', padding='same')(x)
    x = MaxPooling2D((2, 2), padding='same')(x)
    x = Conv2D(8, (3, 3), activation='relu', padding='same')(x)
    encoded = MaxPooling2D((2, 2), padding='same')(x)

    # at this point the representation is (4, 4, 8) i.e. 128-dimensional

    x = Conv2D(8, (3, 3), activation='relu', padding='same')(encoded)
    x = UpSampling2D((2, 2))(x)
    x = Conv2D(8, (3, 3), activation='relu', padding='same')(x)
    x = UpSampling2D((2, 2))(x)
    x = Conv2D(16, (3, 3), activation='relu')(x)
    x = UpSampling2D((2, 2))(x)
    decoded = Conv2D(1, (3, 3), activation='sigmoid', padding='same')(x)

    autoencoder = Model(input_img, decoded)
    autoencoder.compile(optimizer='adadelta', loss='binary_crossentropy')

    (x_train, _), (x_test, _) = mnist.load_data()

    x_train = x_train.astype('float32') / 255.
    x_test = x_test.astype('float32') / 255.
    x_train = np.reshape(x_train, (len(x_train), 28, 28, 1))
    x_test = np.reshape(x_test, (len(x_test), 28, 28, 1))
    autoencoder.fit(x_train, x_train,
                    epochs=3,
                    batch_size=128,
                    shuffle=True,
                    validation_data=(x_test, x_test))
    # ---- end of the listing ----
    assert any("embedded 5,000-image subset" in str(w.message) for w in recwarn)
    assert x_train.shape == (4000, 28, 28, 1)
    assert K.image_data_format() == "channels_last" and encoded.shape == (None, 4, 4, 8)
    history = autoencoder.history.history
    assert history["val_loss"][-1] < history["val_loss"][0]
    reconstruction = autoencoder.predict(x_test)
    assert reconstruction.shape == x_test.shape
    error = ((reconstruction - x_test) ** 2).mean()
    mean_image_error = ((x_train.mean(0) - x_test) ** 2).mean()
    assert error < 0.9 * mean_image_error  # it reconstructs better than the mean image


def attention_data(n, input_dims, informative=1, seed=0):
    """Random normal features; the binary target is copied into one of them."""
    rng = np.random.default_rng(seed)
    targets = rng.integers(0, 2, size=(n, 1))
    features = rng.standard_normal((n, input_dims))
    features[:, informative] = targets[:, 0]
    return features, targets


def test_attention_listing():
    brique.manual_seed(0)
    from brique.keras.layers import Input, Dense, merge
    from brique.keras.models import Model
    input_dims = 32
    # ---- seed 000, as printed ----
    inputs = Input(shape=(input_dims,))
    attention_probs = Dense(input_dims, activation='softmax', name='attention_probs')(inputs)
    attention_mul = merge([inputs, attention_probs], output_shape=32, name='attention_mul', mode='mul')  # noqa: E501
    # ---- end of the listing: a small classifier on the attended features ----
    hidden = Dense(64)(attention_mul)
    output = Dense(1, activation='sigmoid')(hidden)
    model = Model(input=[inputs], output=output)
    model.compile(optimizer='adam', loss='binary_crossentropy', metrics=['accuracy'])
    features, targets = attention_data(10000, input_dims)
    model.fit([features], targets, epochs=10, batch_size=64, validation_split=0.5, verbose=0)
    assert model.history.history["val_accuracy"][-1] > 0.9

    probe = Model(inputs, model.get_layer('attention_probs').output)
    attention = probe.predict(attention_data(200, input_dims, seed=1)[0]).mean(axis=0)
    assert attention.shape == (input_dims,) and abs(attention.sum() - 1) < 1e-5
    assert attention.argmax() == 1  # the attention concentrates on the informative feature
    others = np.delete(attention, 1)
    assert attention[1] > 4 * others.max()
