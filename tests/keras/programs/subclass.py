"""A subclassed Model of custom residual Layers (call, get_config), with a
SparseCategoricalAccuracy metric."""
import keras
import numpy as np
from keras import layers
class ResidualBlock(layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dense1 = layers.Dense(units, activation="relu")
        self.dense2 = layers.Dense(units)
        self.norm = layers.LayerNormalization()
    def call(self, x, training=False):
        return self.norm(x + self.dense2(self.dense1(x)))
    def get_config(self):
        return {**super().get_config(), "units": self.units}
class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.inp = layers.Dense(32)
        self.blocks = [ResidualBlock(32) for _ in range(2)]
        self.drop = layers.Dropout(0.1)
        self.out = layers.Dense(3, activation="softmax")
    def call(self, x, training=False):
        x = self.inp(x)
        for b in self.blocks:
            x = b(x, training=training)
        return self.out(self.drop(x, training=training))
rng = np.random.default_rng(1)
X = rng.standard_normal((300, 8)).astype("float32"); y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0).astype(int)
model = Net()
model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(), metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")])
h = model.fit(X, y, epochs=10, batch_size=32, verbose=0)
assert h.history["acc"][-1] > 0.7
RESULT = (sorted(h.history), len(model.trainable_weights), model.count_params())
