"""Structured data: Normalization.adapt, Dropout, Precision/Recall metrics, save and load_model."""
import tempfile, os

import keras
import numpy as np
from keras import layers
rng = np.random.default_rng(0)
X = rng.standard_normal((200, 5)).astype("float32") * [1, 10, 100, 0.1, 5] + [0, 5, 50, 1, -3]
y = ((X[:, 0] + X[:, 1] / 10) > 0.5).astype("float32")
norm = layers.Normalization()
norm.adapt(X)
model = keras.Sequential([keras.Input((5,)), norm, layers.Dense(16, activation="relu"), layers.Dropout(0.3), layers.Dense(1, activation="sigmoid")])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy", keras.metrics.Precision(), keras.metrics.Recall()])
model.fit(X, y, epochs=5, batch_size=32, verbose=0)
path = os.path.join(tempfile.mkdtemp(), "m.keras")
model.save(path)
back = keras.models.load_model(path)
assert np.allclose(back.predict(X[:5], verbose=0), model.predict(X[:5], verbose=0), atol=1e-6)
RESULT = (len(back.evaluate(X, y, verbose=0)), model.count_params())
