"""A sine-wave LSTM regressor with EarlyStopping, ModelCheckpoint (.keras), ReduceLROnPlateau and
CSVLogger, reloaded with load_model."""
import tempfile, os

import keras
import numpy as np
from keras import layers
t = np.linspace(0, 20, 600).astype("float32"); series = np.sin(t)
X = np.stack([series[i:i + 20] for i in range(500)])[..., None]; y = series[20:520]
model = keras.Sequential([layers.Input((20, 1)), layers.LSTM(16), layers.Dense(1)])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse", metrics=["mae"])
d = tempfile.mkdtemp()
cbs = [keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True),
       keras.callbacks.ModelCheckpoint(os.path.join(d, "best.keras"), save_best_only=True, monitor="val_loss"),
       keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2),
       keras.callbacks.CSVLogger(os.path.join(d, "log.csv"))]
h = model.fit(X, y, epochs=6, batch_size=32, validation_split=0.2, callbacks=cbs, verbose=0)
m2 = keras.models.load_model(os.path.join(d, "best.keras"))
assert float(m2.evaluate(X, y, verbose=0)[0]) < 0.1
assert len(h.history["loss"]) <= 6
RESULT = model.count_params()
