"""`keras.utils` on brique: to_categorical (and Keras 1's `np_utils` spelling), normalize,
set_random_seed, Sequence / PyDataset, pad_sequences, timeseries_dataset_from_array,
split_dataset, get_file, the serialization registry, image helpers and plot_model."""
from __future__ import annotations

import random as _random
import types

import numpy as np

from ... import random as _brique_random
from ..saving import (CustomObjectScope, custom_object_scope,  # noqa: F401
                      get_custom_objects, get_registered_name, register_keras_serializable)
from ..saving import _lookup
from .data import (PyDataset, Sequence, pad_sequences, split_dataset,  # noqa: F401
                   timeseries_dataset_from_array)
from .dataset_dirs import image_dataset_from_directory, text_dataset_from_directory  # noqa: F401
from .files import get_file, validate_file  # noqa: F401
from .images import array_to_img, img_to_array, load_img, save_img  # noqa: F401


def to_categorical(y, num_classes=None, dtype="float32"):
    """One-hot rows from class indices: (N,) or (N, 1) integers -> (N, num_classes)."""
    y = np.asarray(y, dtype="int64")
    if y.ndim > 1 and y.shape[-1] == 1:
        y = y.reshape(y.shape[:-1])
    if y.size and y.min() < 0:
        raise ValueError(f"to_categorical: class indices must be >= 0, got {y.min()}")
    num_classes = int(y.max()) + 1 if num_classes is None else num_classes
    if y.size and y.max() >= num_classes:
        raise ValueError(f"to_categorical: class index {y.max()} >= num_classes={num_classes}")
    out = np.zeros(y.shape + (num_classes,), dtype=dtype)
    np.put_along_axis(out, y[..., None], 1, axis=-1)
    return out


def normalize(x, axis=-1, order=2):
    """x divided by its `order`-norm along `axis` (zero norms left as they are), NumPy in
    and out as in Keras 2."""
    x = np.asarray(x)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis)


def set_random_seed(seed):
    """Seeds Python's `random`, NumPy's global generator and brique's (weights, dropout,
    shuffling, keras.random with seed=None): a program then repeats exactly."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise ValueError(f"set_random_seed: seed must be an int, got {seed!r}")
    _random.seed(seed)
    np.random.seed(seed % 2**32)
    _brique_random.manual_seed(int(seed))


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The class or function registered (register_keras_serializable) or in scope under
    `name`, else found in `custom_objects` or `module_objects`; None if nowhere."""
    for table in (custom_objects, None, module_objects):
        found = _lookup(name) if table is None else (table or {}).get(name)
        if found is not None:
            return found
    return None


def _pydot():
    """pydot, with graphviz's `dot` program reachable (Keras's check and messages)."""
    try:
        import pydot
    except ImportError:
        raise ImportError("You must install pydot (`pip install pydot`) and install graphviz "
                          "(see instructions at https://graphviz.gitlab.io/download/) for "
                          "`plot_model` to work.") from None
    try:
        pydot.Dot.create(pydot.Dot())
    except Exception:  # pydot's error for a missing `dot` differs between its versions
        raise ImportError("You must install graphviz (see instructions at "
                          "https://graphviz.gitlab.io/download/) for `plot_model` to work.") \
            from None
    return pydot


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True,
                 rankdir="TB", expand_nested=False, dpi=96, **kwargs):
    """A pydot graph of the model's layers, an edge from each layer to the layers it feeds."""
    pydot = _pydot()
    dot = pydot.Dot(graph_type="digraph", rankdir=rankdir, dpi=dpi)
    layers = model.get_config()["layers"]
    previous = None
    for entry in layers:
        name = entry["config"].get("name", entry["class_name"])
        label = f"{name} ({entry['class_name']})" if show_layer_names else entry["class_name"]
        dot.add_node(pydot.Node(name, label=label, shape="record"))
        inbound = entry.get("inbound_nodes")
        sources = [ref[0] for node in inbound or [] for ref in node if isinstance(ref, list)] \
            if inbound is not None else [previous] if previous else []
        for source in sources:
            dot.add_edge(pydot.Edge(source, name))
        previous = name
    return dot


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=True, rankdir="TB", expand_nested=False, dpi=96, **kwargs):
    """Draws the model's graph into `to_file` (format from its extension) with pydot and
    graphviz; without them, the ImportError Keras raises, naming both."""
    dot = model_to_dot(model, show_shapes, show_dtype, show_layer_names, rankdir,
                       expand_nested, dpi)
    extension = to_file.rsplit(".", 1)[-1] if "." in to_file else "png"
    dot.write(to_file, format=extension)


np_utils = types.SimpleNamespace(to_categorical=to_categorical, normalize=normalize)
