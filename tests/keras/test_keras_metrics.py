"""brique.keras.metrics against Keras 3: each metric class updated over several random
batches (with and without sample_weight), then result(); the metric functions; configs;
and compile/fit/evaluate reporting stateful metrics (AUC, Precision) over whole epochs."""
import numpy as np
import pytest

import keras

import brique
from brique.keras import losses, metrics
from brique.keras.layers import Dense, Input
from brique.keras.models import Model, Sequential

from keras_ref import to_numpy

RNG = np.random.default_rng(1)
N, C = 8, 4


def binary(shape):
    return lambda: RNG.integers(0, 2, shape).astype("float32")


def uniform(shape, scale=1.0):
    return lambda: (RNG.random(shape) * scale).astype("float32")


def normal(shape):
    return lambda: RNG.normal(size=shape).astype("float32")


def onehot(shape):
    return lambda: np.eye(shape[-1], dtype="float32")[RNG.integers(0, shape[-1], shape[:-1])]


def probs(shape):
    def make():
        p = RNG.random(shape).astype("float32") + 0.05
        return p / p.sum(-1, keepdims=True)
    return make


def labels(shape, classes=C):
    return lambda: RNG.integers(0, classes, shape).astype("float32")


# (class name, kwargs, y_true maker, y_pred maker)
CASES = [
    ("Accuracy", {}, labels((N,), 3), labels((N,), 3)),
    ("BinaryAccuracy", {"threshold": 0.3}, binary((N, C)), uniform((N, C))),
    ("CategoricalAccuracy", {}, onehot((N, C)), probs((N, C))),
    ("SparseCategoricalAccuracy", {}, labels((N, 1)), probs((N, C))),
    ("TopKCategoricalAccuracy", {"k": 2}, onehot((N, C)), probs((N, C))),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, labels((N,)), probs((N, C))),
    ("MeanSquaredError", {}, normal((N, C)), normal((N, C))),
    ("RootMeanSquaredError", {}, normal((N, C)), normal((N, C))),
    ("MeanAbsoluteError", {}, normal((N, C)), normal((N, C))),
    ("MeanAbsolutePercentageError", {}, normal((N, C)), normal((N, C))),
    ("MeanSquaredLogarithmicError", {}, uniform((N, C), 3), uniform((N, C), 3)),
    ("CosineSimilarity", {}, normal((N, C)), normal((N, C))),
    ("LogCoshError", {}, normal((N, C)), normal((N, C))),
    ("Hinge", {}, binary((N, C)), normal((N, C))),
    ("SquaredHinge", {}, binary((N, C)), normal((N, C))),
    ("CategoricalHinge", {}, onehot((N, C)), normal((N, C))),
    ("KLDivergence", {}, probs((N, C)), probs((N, C))),
    ("Poisson", {}, uniform((N, C), 3), uniform((N, C), 3)),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, binary((N, C)),
     normal((N, C))),
    ("CategoricalCrossentropy", {}, onehot((N, C)), probs((N, C))),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, labels((N,)), normal((N, C))),
    ("R2Score", {}, normal((N, 3)), normal((N, 3))),
    ("R2Score", {"class_aggregation": "variance_weighted_average", "num_regressors": 2},
     normal((N, 3)), normal((N, 3))),
    ("MeanIoU", {"num_classes": 3}, labels((N,), 3), labels((N,), 3)),
    ("IoU", {"num_classes": 3, "target_class_ids": [0, 2], "sparse_y_pred": False},
     labels((N,), 3), probs((N, 3))),
    ("AUC", {}, binary((N,)), uniform((N,))),
    ("AUC", {"curve": "PR"}, binary((N, 2)), uniform((N, 2))),
    ("AUC", {"curve": "PR", "summation_method": "minoring", "num_thresholds": 50},
     binary((N,)), uniform((N,))),
    ("AUC", {"summation_method": "majoring", "from_logits": True}, binary((N,)),
     normal((N,))),
    ("AUC", {"multi_label": True, "num_labels": 3}, binary((N, 3)), uniform((N, 3))),
    ("AUC", {"thresholds": [0.2, 0.5, 0.7]}, binary((N,)), uniform((N,))),
    ("Precision", {}, binary((N, C)), uniform((N, C))),
    ("Precision", {"thresholds": [0.3, 0.6]}, binary((N,)), uniform((N,))),
    ("Precision", {"top_k": 2}, binary((N, C)), uniform((N, C))),
    ("Recall", {"class_id": 1}, binary((N, C)), uniform((N, C))),
    ("Recall", {"top_k": 1, "class_id": 2}, binary((N, C)), uniform((N, C))),
    ("TruePositives", {}, binary((N,)), uniform((N,))),
    ("TrueNegatives", {"thresholds": [0.2, 0.8]}, binary((N,)), uniform((N,))),
    ("FalsePositives", {}, binary((N,)), uniform((N,))),
    ("FalseNegatives", {}, binary((N,)), uniform((N,))),
    ("PrecisionAtRecall", {"recall": 0.6}, binary((N,)), uniform((N,))),
    ("RecallAtPrecision", {"precision": 0.5}, binary((N,)), uniform((N,))),
    ("SensitivityAtSpecificity", {"specificity": 0.5}, binary((N,)), uniform((N,))),
    ("SpecificityAtSensitivity", {"sensitivity": 0.5, "class_id": 1}, binary((N, 3)),
     uniform((N, 3))),
    ("F1Score", {}, onehot((N, C)), probs((N, C))),
    ("F1Score", {"average": "macro", "threshold": 0.3}, binary((N, C)), uniform((N, C))),
    ("FBetaScore", {"average": "micro", "beta": 2.0, "threshold": 0.4}, binary((N, C)),
     uniform((N, C))),
    ("FBetaScore", {"average": "weighted", "beta": 0.5}, binary((N, C)), uniform((N, C))),
]


def ids(case):
    return case[0] + "".join(f"-{k}={v}" for k, v in case[1].items())


@pytest.mark.parametrize("weighted", [False, True], ids=["plain", "sample_weight"])
@pytest.mark.parametrize("case", CASES, ids=[ids(c) for c in CASES])
def test_metric_classes_match_keras_over_several_batches(case, weighted):
    name, kwargs, make_true, make_pred = case
    ref, ours = getattr(keras.metrics, name)(**kwargs), getattr(metrics, name)(**kwargs)
    assert ref.name.startswith(ours.name)  # Keras numbers unnamed IoUs: mean_io_u_1
    for _ in range(3):
        y_true, y_pred = make_true(), make_pred()
        sample_weight = RNG.random(N).astype("float32") if weighted else None
        if weighted and "IoU" in name:  # Keras 3's IoUs cast weights to int
            sample_weight = RNG.integers(1, 4, N).astype("int32")
        ref.update_state(y_true, y_pred, sample_weight=sample_weight)
        ours.update_state(y_true, y_pred, sample_weight=sample_weight)
    got = ours.result()
    assert isinstance(got, brique.Tensor)
    np.testing.assert_allclose(to_numpy(got), to_numpy(ref.result()), rtol=1e-4, atol=1e-5)
    ours.reset_state()
    ref.reset_state()
    y_true, y_pred = make_true(), make_pred()
    np.testing.assert_allclose(to_numpy(ours(y_true, y_pred)), to_numpy(ref(y_true, y_pred)),
                               rtol=1e-4, atol=1e-5)
    again = type(ours).from_config(ours.get_config())
    assert again.get_config() == ours.get_config()


def test_mean_sum_and_wrapper_match_keras():
    values, weights = RNG.normal(size=(N, 3)), RNG.random(N)
    for name in ("Mean", "Sum"):
        ref, ours = getattr(keras.metrics, name)(), getattr(metrics, name)()
        ref.update_state(values, sample_weight=weights)
        ours.update_state(values, sample_weight=weights)
        ref.update_state(values[:, 0])
        ours.update_state(values[:, 0])
        assert float(ours.result()) == pytest.approx(float(to_numpy(ref.result())), rel=1e-5)
    wrapped = metrics.MeanMetricWrapper(losses.huber, name="h", delta=0.5)
    ref = keras.metrics.MeanMetricWrapper(keras.losses.huber, name="h", delta=0.5)
    y_true, y_pred = RNG.normal(size=(N, 2)), RNG.normal(size=(N, 2))
    assert float(wrapped(y_true, y_pred)) == pytest.approx(
        float(to_numpy(ref(y_true, y_pred))), rel=1e-5)
    wrapped.reset_states()
    assert float(wrapped.result()) == 0.0


def test_metric_functions_and_names():
    y_true, y_pred = RNG.integers(0, C, N), probs((N, C))()
    for name in ("sparse_categorical_accuracy", "sparse_top_k_categorical_accuracy",
                 "binary_accuracy", "categorical_accuracy", "top_k_categorical_accuracy"):
        target = y_true if name.startswith("sparse") else np.eye(C)[y_true]
        kwargs = {"k": 2} if "top_k" in name else {}
        np.testing.assert_allclose(
            to_numpy(metrics.get(name)(target, y_pred, **kwargs)).reshape(-1),
            to_numpy(getattr(keras.metrics, name)(target, y_pred, **kwargs)).reshape(N, -1)
            .mean(-1), err_msg=name)
    assert isinstance(metrics.get("AUC"), metrics.AUC) and metrics.get("auc").name == "auc"
    assert isinstance(metrics.get("precision"), metrics.Precision)
    assert metrics.get("mse") is losses.mean_squared_error
    assert metrics.get("accuracy", "binary_crossentropy") is metrics.binary_accuracy
    assert metrics.get("acc", losses.SparseCategoricalCrossentropy()) is \
        metrics.sparse_categorical_accuracy
    assert metrics.get("crossentropy", "categorical_crossentropy") is \
        losses.categorical_crossentropy
    auc = metrics.deserialize(metrics.serialize(metrics.AUC(curve="PR", name="pr")))
    assert auc.curve == "PR" and auc.name == "pr"


class TruePositiveRate(metrics.Metric):
    """A custom metric written as Keras documents it (add_variable, assign_add)."""

    def __init__(self, name="tpr", **kwargs):
        super().__init__(name=name, **kwargs)
        self.hits = self.add_variable(shape=(), initializer="zeros", name="hits")
        self.positives = self.add_weight(name="positives", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        self.hits.assign_add(((y_pred > 0.5) & (y_true == 1)).sum())
        self.positives.assign_add((y_true == 1).sum())

    def result(self):
        return self.hits / self.positives


def test_custom_metric_subclass():
    m = TruePositiveRate()
    m.update_state([1, 1, 0, 1], [0.9, 0.2, 0.7, 0.6])
    assert float(m.result()) == pytest.approx(2 / 3)
    m.reset_state()
    assert float(m.hits) == 0.0 and len(m.variables) == 2


def test_bad_metric_arguments_get_clear_errors():
    with pytest.raises(ValueError, match="curve must be"):
        metrics.AUC(curve="XY")
    with pytest.raises(ValueError, match="thresholds must be in"):
        metrics.Precision(thresholds=[0.5, 1.5])
    with pytest.raises(ValueError, match="average must be"):
        metrics.F1Score(average="mean")
    with pytest.raises(ValueError, match=r"y_true of shape \(3,\) does not match"):
        metrics.Recall().update_state(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="unknown metric 'nope'"):
        metrics.get("nope")
    with pytest.raises(TypeError, match="unexpected arguments"):
        metrics.BinaryAccuracy(treshold=0.3)


# ---------------------------------------------------------------------- in compile/fit
def binary_problem(n=96, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5)).astype("float32")
    y = (x[:, 0] + 0.5 * x[:, 1] + 0.3 * rng.normal(size=n) > 0).astype("float32")[:, None]
    return x, y


def test_fit_reports_stateful_metrics_over_the_whole_epoch():
    brique.manual_seed(0)
    x, y = binary_problem()
    x_val, y_val = binary_problem(40, seed=1)
    model = Sequential([Dense(4, activation="relu", input_shape=(5,)),
                        Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy",
                  metrics=["accuracy", metrics.AUC(), metrics.Precision()])
    assert model.metrics_names == ["loss", "accuracy", "auc", "precision"]
    # no shuffle and a learning rate of 0 keep the weights, so the epoch's predictions are
    # model.predict's; the batches are 32 samples, the metrics must be of all 96
    model.optimizer.lr = 0.0
    history = model.fit(x, y, epochs=1, batch_size=32, shuffle=False, verbose=0,
                        validation_data=(x_val, y_val)).history
    assert set(history) >= {"loss", "accuracy", "auc", "precision", "val_loss",
                            "val_accuracy", "val_auc", "val_precision"}
    for prefix, (xs, ys) in (("", (x, y)), ("val_", (x_val, y_val))):
        p = model.predict(xs, verbose=0)
        for name, ref in (("auc", keras.metrics.AUC()), ("precision", keras.metrics.Precision()),
                          ("accuracy", keras.metrics.BinaryAccuracy())):
            ref.update_state(ys, p)
            assert history[prefix + name][0] == pytest.approx(
                float(to_numpy(ref.result())), abs=1e-5), prefix + name
    results = model.evaluate(x_val, y_val, verbose=0, return_dict=True)
    assert list(results) == ["loss", "accuracy", "auc", "precision"]
    assert results["auc"] == pytest.approx(history["val_auc"][0], abs=1e-6)


def test_compile_accepts_loss_instances_metric_classes_and_per_output_metrics():
    brique.manual_seed(0)
    x, y = binary_problem(64)
    inputs = Input(shape=(5,))
    hidden = Dense(8, activation="relu")(inputs)
    a = Dense(1, activation="sigmoid", name="a")(hidden)
    b = Dense(2, name="b")(hidden)
    model = Model(inputs, [a, b])
    model.compile(optimizer="adam",
                  loss={"a": losses.BinaryCrossentropy(), "b": "mse"},
                  loss_weights={"a": 1.0, "b": 0.5},
                  metrics={"a": ["acc", metrics.Recall], "b": ["mae", "RootMeanSquaredError"]},
                  weighted_metrics=["mse"])
    h = model.fit(x, [y, np.hstack([x[:, :2]])], epochs=2, batch_size=16, verbose=0).history
    assert {"loss", "a_acc", "a_recall", "b_mae", "b_root_mean_squared_error", "a_mse",
            "b_mse"} <= set(h)
    assert model.metrics_names[0] == "loss" and len(model.metrics_names) == 7
    assert all(np.isfinite(v[-1]) for v in h.values())


def test_save_and_load_keep_loss_and_metric_objects(tmp_path):
    from brique.keras.models import load_model
    x, y = binary_problem(32)
    model = Sequential([Dense(1, activation="sigmoid", input_shape=(5,))])
    model.compile(optimizer="adam", loss=losses.BinaryCrossentropy(label_smoothing=0.1),
                  metrics=[metrics.AUC(curve="PR", name="pr_auc"), metrics.Precision, "acc"])
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras.zip")
    again = load_model(tmp_path / "m.keras.zip")
    assert again.loss.get_config()["label_smoothing"] == 0.1
    assert again.evaluate(x, y, verbose=0, return_dict=True) == pytest.approx(
        model.evaluate(x, y, verbose=0, return_dict=True))
    assert again.metrics_names == ["loss", "pr_auc", "precision", "acc"]
