"""keras.io's image classification from scratch: augmentation layers and a small Xception-style
residual net."""
import keras
import numpy as np
from keras import layers
def make_model(input_shape, num_classes):
    inputs = keras.Input(shape=input_shape)
    x = layers.Rescaling(1.0 / 255)(inputs)
    x = layers.Conv2D(16, 3, strides=2, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    previous_block_activation = x
    for size in [32, 64]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        residual = layers.Conv2D(size, 1, strides=2, padding="same")(previous_block_activation)
        x = layers.add([x, residual])
        previous_block_activation = x
    x = layers.SeparableConv2D(64, 3, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    units = 1 if num_classes == 2 else num_classes
    x = layers.Dropout(0.25)(x)
    outputs = layers.Dense(units, activation=None)(x)
    return keras.Model(inputs, outputs)
data_augmentation_layers = [layers.RandomFlip("horizontal"), layers.RandomRotation(0.1)]
def data_augmentation(images):
    for layer in data_augmentation_layers:
        images = layer(images)
    return images
rng = np.random.default_rng(0)
imgs = (rng.random((64, 32, 32, 3)) * 255).astype("float32"); labels = rng.integers(0, 2, 64)
aug = np.asarray(data_augmentation(imgs))
model = make_model(input_shape=(32, 32, 3), num_classes=2)
model.compile(optimizer=keras.optimizers.Adam(3e-4), loss=keras.losses.BinaryCrossentropy(from_logits=True), metrics=[keras.metrics.BinaryAccuracy(name="acc")])
h = model.fit(aug, labels, epochs=2, batch_size=16, validation_data=(imgs[:16], labels[:16]), verbose=0)
score = float(keras.ops.sigmoid(model.predict(imgs[:1], verbose=0)[0][0]))
assert 0 <= score <= 1
RESULT = (sorted(h.history), model.count_params())
