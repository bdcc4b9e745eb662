"""keras.io's text classification from scratch: TextVectorization, Embedding, Conv1D, then an end-
to-end model on strings."""
import keras
import numpy as np
from keras import layers
texts = np.array(["good movie great", "bad film awful", "great acting good", "awful plot bad", "good good", "bad bad"] * 20)
labels = np.array([1, 0, 1, 0, 1, 0] * 20)
vectorize = layers.TextVectorization(max_tokens=100, output_mode="int", output_sequence_length=8)
vectorize.adapt(texts)
inputs = keras.Input(shape=(None,), dtype="int64")
x = layers.Embedding(100, 16)(inputs)
x = layers.Dropout(0.5)(x)
x = layers.Conv1D(16, 3, padding="valid", activation="relu", strides=1)(x)
x = layers.GlobalMaxPooling1D()(x)
x = layers.Dense(16, activation="relu")(x)
predictions = layers.Dense(1, activation="sigmoid", name="predictions")(x)
model = keras.Model(inputs, predictions)
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
seqs = np.asarray(vectorize(texts))
model.fit(seqs, labels, epochs=5, batch_size=16, verbose=0)
inp = keras.Input(shape=(1,), dtype="string")
end_to_end = keras.Model(inp, model(vectorize(inp)))
end_to_end.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
RESULT = end_to_end.evaluate(texts.reshape(-1, 1), labels, verbose=0)[1]  # accuracy
