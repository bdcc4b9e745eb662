"""Transfer learning: a frozen base model called with training=False, then unfrozen and recompiled."""
import keras
import numpy as np
from keras import layers
base = keras.Sequential([keras.Input((16,)), layers.Dense(32, activation="relu"), layers.BatchNormalization(), layers.Dense(16, activation="relu")], name="base")
base.trainable = False
inputs = keras.Input(shape=(16,))
x = base(inputs, training=False)
x = layers.Dropout(0.2)(x)
outputs = layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer=keras.optimizers.Adam(), loss=keras.losses.BinaryCrossentropy(), metrics=[keras.metrics.BinaryAccuracy(), keras.metrics.AUC()])
rng = np.random.default_rng(2)
X = rng.standard_normal((256, 16)).astype("float32"); y = (X.sum(1) > 0).astype("float32")
n_frozen = len(model.trainable_weights)
model.fit(X, y, epochs=2, verbose=0)
base.trainable = True
model.compile(optimizer=keras.optimizers.Adam(1e-5), loss=keras.losses.BinaryCrossentropy(), metrics=[keras.metrics.BinaryAccuracy()])
model.fit(X, y, epochs=1, verbose=0)
RESULT = (n_frozen, len(model.trainable_weights), len(model.non_trainable_weights))
