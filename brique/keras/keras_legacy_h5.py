"""Keras 2 / tf.keras HDF5 files (also what Keras 3 writes for `model.save("x.h5")`): a
whole model (`model_config` and `training_config` attributes, weights under
`model_weights`) for load_model, and `save_weights("x.h5")` files for load_weights.

The legacy layout lists the layers that have weights in `layer_names`, each a group whose
`weight_names` attribute orders its arrays as get_weights does; a whole model matches them by
layer name, load_weights (as Keras 2) by the order of the layers that have weights.
"""
from __future__ import annotations

import json

from . import keras_files as _files
from . import saving as _saving
from .engine import InputLayer


def _text(value):
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _layer_arrays(group):
    names = [_text(n) for n in group.attrs.get("weight_names", [])]
    return [group[n][()] for n in names]


def is_legacy(h5):
    return "model_weights" in h5 or "layer_names" in h5.attrs


def assign(model, h5, by_name):
    """Legacy weights into `model`: by layer name (a whole model), or in order."""
    group = h5["model_weights"] if "model_weights" in h5 else h5
    names = [_text(n) for n in group.attrs.get("layer_names", [])]
    saved = [(n, _layer_arrays(group[n])) for n in names]
    saved = [(n, arrays) for n, arrays in saved if arrays]
    if by_name:
        for name, arrays in saved:
            try:
                layer = model.get_layer(name)
            except ValueError:
                raise ValueError(f"load_model: the file holds weights for layer {name!r}, "
                                 "which the model rebuilt from its config lacks") from None
            layer.set_weights(arrays)
        return
    own = [layer for layer in model.layers
           if not isinstance(layer, InputLayer) and layer.get_weights()]
    if len(own) != len(saved):
        raise ValueError(f"load_weights: the file holds weights for {len(saved)} layers "
                         f"({[n for n, _ in saved]}), the model has {len(own)} layers with "
                         f"weights ({[layer.name for layer in own]})")
    for layer, (name, arrays) in zip(own, saved):
        if len(arrays) != len(layer.get_weights()):
            raise ValueError(f"load_weights: layer {name!r} in the file has {len(arrays)} "
                             f"arrays, layer {layer.name!r} has {len(layer.get_weights())}")
        layer.set_weights(arrays)


def _compile(model, training):
    from . import optimizers
    from .model_saving import _deserialized
    opt = training.get("optimizer_config") or "rmsprop"
    if isinstance(opt, dict):
        opt = {"class_name": opt["class_name"], "config": _files._value(opt.get("config"))}
    metrics = training.get("metrics")
    model.compile(optimizer=optimizers.get(opt), loss=_deserialized(training.get("loss")),
                  metrics=_deserialized(metrics),
                  weighted_metrics=_deserialized(training.get("weighted_metrics")),
                  loss_weights=training.get("loss_weights"))


def load_model(path, custom_objects=None, compile=True):
    """The model of a Keras 2 / tf.keras `.h5` file, with its weights; compiled (optimizer
    state not read) from its training config when `compile`."""
    h5py = _files._h5py()
    try:
        h5 = h5py.File(path, "r")
    except OSError as e:
        raise ValueError(f"load_model: {path} is not a readable HDF5 file ({e})") from None
    with h5:
        if "model_config" not in h5.attrs:
            raise ValueError(f"load_model: {path} holds weights only (no model_config): build "
                             "the model in code and call model.load_weights")
        try:
            config = json.loads(_text(h5.attrs["model_config"]))
            training = h5.attrs.get("training_config")
            training = json.loads(_text(training)) if training is not None else None
        except json.JSONDecodeError as e:
            raise ValueError(f"load_model: {path}: the model config is corrupt ({e})") from None
        with _saving.custom_object_scope(custom_objects):
            model = _saving.deserialize_layer(_files.translate(config))
            assign(model, h5, by_name=True)
            if compile and training:
                _compile(model, training)
    return model
