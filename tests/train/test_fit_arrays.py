"""fit() on NumPy arrays, validation_split, optimizer and Keras loss names."""
import numpy as np
import pytest

import brique
import brique.nn as nn
from brique import optim
from brique.train import evaluate, fit
from brique.train.arrays import ArrayLoader, split_last
from brique.train.loop import get_loss, get_optimizer


def blobs(n=400, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.normal(size=(n, 2)) * 0.5 + np.array([[0, 3], [3, 0], [-3, -3]])[y]
    return x, y  # float64 and int64, as a NumPy user has them


def test_fit_on_arrays_with_validation_split_and_names():
    brique.manual_seed(0)
    x, y = blobs()
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
    history = fit(model, (x, y), epochs=5, optimizer="adam",
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"], batch_size=16,
                  validation_split=0.25, verbose=0)
    h = history.history
    assert h["val_accuracy"][-1] > 0.95 and h["loss"][-1] < h["loss"][0]
    # the validation part is the last quarter, evaluated in eval mode
    ev = evaluate(model, (x[300:], y[300:]), "cross_entropy", ["accuracy"])
    assert ev["accuracy"] == pytest.approx(h["val_accuracy"][-1])


def test_fit_on_arrays_is_repeatable_with_a_seed():
    x, y = blobs()
    runs = []
    for _ in range(2):
        brique.manual_seed(3)
        model = nn.Sequential(nn.Linear(2, 3))
        runs.append(fit(model, (x, y), (x[:50], y[:50]), epochs=2, optimizer="sgd",
                        loss="cross_entropy", verbose=0).history["val_loss"])
    assert runs[0] == runs[1]


def test_array_loader_batches_and_multi_inputs():
    x1, x2, y = np.zeros((10, 3)), np.ones((10, 2), np.float32), np.arange(10, dtype=np.int32)
    batches = list(ArrayLoader([x1, x2], y, batch_size=4))
    assert len(batches) == 3 and [len(b[1]) for b in batches] == [4, 4, 2]
    (a, b), t = batches[0]
    assert a.dtype == brique.float32 and b.dtype == brique.float32 and t.dtype == brique.int64
    assert t.tolist() == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="same number of samples"):
        ArrayLoader(x1, y[:5])
    (xa, ya), (xv, yv) = split_last((np.arange(10), np.arange(10)), 0.2)
    assert xa.tolist() == list(range(8)) and yv.tolist() == [8, 9]


def test_optimizer_names_bring_keras2_defaults():
    p = [nn.Parameter(brique.zeros(2))]
    ada = get_optimizer("adadelta", p)
    assert isinstance(ada, optim.Adadelta)
    assert ada.param_groups[0]["lr"] == 1.0 and ada.param_groups[0]["rho"] == 0.95
    assert get_optimizer("RMSprop", p).param_groups[0]["alpha"] == 0.9
    assert get_optimizer("sgd", p, lr=0.5).param_groups[0]["lr"] == 0.5
    with pytest.raises(ValueError, match="unknown optimizer 'nadamx'"):
        get_optimizer("nadamx", p)
    assert get_loss("binary_crossentropy") is brique.nn.functional.binary_cross_entropy
    assert get_loss("mean_squared_error") is brique.nn.functional.mse_loss


def test_validation_split_needs_arrays():
    model = nn.Linear(2, 3)
    x, y = blobs(20)
    with pytest.raises(ValueError, match="validation_split"):
        fit(model, [(brique.tensor(x, dtype=brique.float32), brique.tensor(y))], epochs=1,
            optimizer="sgd", loss="cross_entropy", validation_split=0.5, verbose=0)
