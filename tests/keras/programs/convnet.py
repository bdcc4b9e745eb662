"""keras.io's simple MNIST convnet (Sequential from keras.Input), on random images."""
import keras
import numpy as np
from keras import layers
rng = np.random.default_rng(0)
x_train = rng.random((512, 28, 28)).astype("float32"); y_train = (x_train[:, :14].mean((1, 2)) > x_train[:, 14:].mean((1, 2))).astype(int)
x_train = np.expand_dims(x_train, -1)
y_train = keras.utils.to_categorical(y_train, 2)
model = keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Conv2D(8, kernel_size=(3, 3), activation="relu"),
    layers.MaxPooling2D(pool_size=(2, 2)), layers.Conv2D(16, kernel_size=(3, 3), activation="relu"),
    layers.MaxPooling2D(pool_size=(2, 2)), layers.Flatten(), layers.Dropout(0.5), layers.Dense(2, activation="softmax")])
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
h = model.fit(x_train, y_train, batch_size=64, epochs=3, validation_split=0.1, verbose=0)
score = model.evaluate(x_train, y_train, verbose=0)
assert 0 <= score[1] <= 1
RESULT = (sorted(h.history), model.count_params())
