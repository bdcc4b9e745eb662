"""keras.io's bidirectional LSTM on IMDB, on random sequences padded by pad_sequences."""
import keras
import numpy as np
from keras import layers
max_features, maxlen = 200, 30
rng = np.random.default_rng(0)
seqs = [list(rng.integers(1, max_features, rng.integers(5, 40))) for _ in range(100)]
y = np.array([int(s[0] > 100) for s in seqs])
x = keras.utils.pad_sequences(seqs, maxlen=maxlen)
inputs = keras.Input(shape=(None,), dtype="int32")
x_ = layers.Embedding(max_features, 16)(inputs)
x_ = layers.Bidirectional(layers.LSTM(8, return_sequences=True))(x_)
x_ = layers.Bidirectional(layers.LSTM(8))(x_)
outputs = layers.Dense(1, activation="sigmoid")(x_)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x, y, batch_size=32, epochs=2, validation_data=(x[:20], y[:20]), verbose=0)
RESULT = (x.shape, model.count_params())
