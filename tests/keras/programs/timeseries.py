"""keras.io's timeseries classification from scratch (Conv1D, BatchNormalization, ReLU) with its
callbacks."""
import tempfile, os

import keras
import numpy as np
def make_model(input_shape, num_classes):
    input_layer = keras.layers.Input(input_shape)
    conv1 = keras.layers.Conv1D(filters=16, kernel_size=3, padding="same")(input_layer)
    conv1 = keras.layers.BatchNormalization()(conv1)
    conv1 = keras.layers.ReLU()(conv1)
    conv2 = keras.layers.Conv1D(filters=16, kernel_size=3, padding="same")(conv1)
    conv2 = keras.layers.BatchNormalization()(conv2)
    conv2 = keras.layers.ReLU()(conv2)
    gap = keras.layers.GlobalAveragePooling1D()(conv2)
    output_layer = keras.layers.Dense(num_classes, activation="softmax")(gap)
    return keras.models.Model(inputs=input_layer, outputs=output_layer)
rng = np.random.default_rng(0)
x = rng.standard_normal((120, 50, 1)).astype("float32"); y = (x[:, :25].mean((1, 2)) > 0).astype(int)
model = make_model(input_shape=x.shape[1:], num_classes=2)
d = tempfile.mkdtemp()
callbacks = [keras.callbacks.ModelCheckpoint(os.path.join(d, "best_model.keras"), save_best_only=True, monitor="val_loss"),
    keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=20, min_lr=0.0001),
    keras.callbacks.EarlyStopping(monitor="val_loss", patience=50, verbose=1)]
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"])
history = model.fit(x, y, batch_size=32, epochs=3, callbacks=callbacks, validation_split=0.2, verbose=0)
model = keras.models.load_model(os.path.join(d, "best_model.keras"))
test_loss, test_acc = model.evaluate(x, y, verbose=0)
RESULT = (sorted(k.replace("learning_rate", "lr") for k in history.history), model.count_params())  # Keras 2 logs "lr", Keras 3 "learning_rate"
