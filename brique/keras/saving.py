"""`keras.saving`: whole-model files (`model.save(path)`, `load_model(path)`) and the registry
of names that lets a file describe layers and functions without holding any code.

A model file is a zip, as Keras 3's `.keras` is: `metadata.json` (format and version),
`config.json` (the architecture, each layer as {class_name, config} from its get_config, and
the compile config) and `model.weights.npz` (a brique checkpoint: the state_dict and the
optimizer's state). `.h5`/`.hdf5` names get the same zip: brique has no HDF5 writer (h5py is
not a dependency), so such a file is readable by brique only. Files written by real Keras (a
Keras 3 `.keras` zip, a Keras 2 / tf.keras `.h5`) are read by keras_files.py and
keras_legacy_h5.py (with h5py).

Loading runs no code from the file: JSON and arrays only (no pickle, no eval). Classes and
functions are named, and found in `custom_objects`, in the names registered with
`register_keras_serializable` / `get_custom_objects()`, or among brique.keras's own.
"""
from __future__ import annotations

import contextlib
import datetime
import io
import json
import os
import zipfile

from ..train import checkpoint as _checkpoint
from .engine import Layer

FORMAT = "brique-keras-1"
CONFIG, METADATA, WEIGHTS = "config.json", "metadata.json", "model.weights.npz"
LAYER_MODULE = "brique.keras.layers"

_CUSTOM_OBJECTS: dict = {}
_REGISTERED_NAMES: dict = {}
_SCOPES: list = []


# ---------------------------------------------------------------------- the registry
def register_keras_serializable(package="Custom", name=None):
    """Decorator: `@register_keras_serializable()` on a custom layer class or function lets
    load_model find it by name ('package>name') without custom_objects."""
    def decorator(obj):
        key = f"{package}>{name or obj.__name__}"
        if key in _CUSTOM_OBJECTS and _CUSTOM_OBJECTS[key] is not obj:
            raise ValueError(f"{key} has already been registered to {_CUSTOM_OBJECTS[key]}")
        _CUSTOM_OBJECTS[key] = obj
        _REGISTERED_NAMES[obj] = key
        return obj
    return decorator


def get_custom_objects():
    """The global {name: class or function} that load_model searches (a dict to update)."""
    return _CUSTOM_OBJECTS


def get_registered_name(obj):
    return _REGISTERED_NAMES.get(obj, getattr(obj, "__name__", type(obj).__name__))


@contextlib.contextmanager
def custom_object_scope(*dicts):
    """`with custom_object_scope({'MyLayer': MyLayer}): load_model(path)`."""
    merged = {}
    for d in dicts:
        merged.update(d or {})
    _SCOPES.append(merged)
    try:
        yield merged
    finally:
        _SCOPES.pop()


CustomObjectScope = custom_object_scope


def _lookup(name, registered=None):
    for table in (*reversed(_SCOPES), _CUSTOM_OBJECTS):
        for key in (registered, name):
            if key is not None and key in table:
                return table[key]
    return None


def _builtin_classes():
    from . import layers, models
    from .layers.merge import Dot, _LambdaMerge
    table = {n: c for n, c in vars(layers).items() if isinstance(c, type) and
             issubclass(c, Layer)}
    table.update(_Dot=Dot, _LambdaMerge=_LambdaMerge, Model=models.Model,
                 Functional=models.Model, Sequential=models.Sequential)
    return table


def _builtin_function(name):
    from . import activations, initializers, losses, metrics
    for table in (activations.ACTIVATIONS, losses.LOSSES, metrics.METRICS,
                  initializers.INITIALIZERS):
        if name in table:
            return table[name]
    return None


# ---------------------------------------------------------------------- configs <-> JSON
def _encode(value, where):
    """A get_config() value as JSON: tuples become lists, layers and functions references."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:  # a NumPy scalar
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_encode(v, where) for v in value]
    if isinstance(value, dict):
        bad = [k for k in value if not isinstance(k, str)]
        if bad:
            raise TypeError(f"model.save: {where}: config keys must be strings, got {bad}")
        return {k: _encode(v, where) for k, v in value.items()}
    if isinstance(value, Layer):
        return serialize_layer(value)
    if callable(value):
        return {"class_name": "function", "config": getattr(value, "__name__", None),
                "registered_name": get_registered_name(value)}
    raise TypeError(f"model.save: {where}: cannot store a {type(value).__name__} in the model's "
                    "JSON config; get_config() may hold numbers, strings, lists, dicts, "
                    "functions (saved by name) and layers")


def _is_function_ref(value):
    return set(value) == {"class_name", "config", "registered_name"} and \
        value["class_name"] == "function"


def _decode(value):
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if _is_function_ref(value):
        return _function(value["config"], value["registered_name"])
    if value.get("module") == LAYER_MODULE and "class_name" in value:
        return deserialize_layer(value)
    return {k: _decode(v) for k, v in value.items()}


def _function(name, registered=None):
    found = _lookup(name, registered)
    if found is None:
        found = _builtin_function(name)
    if found is None:
        hint = (" (an anonymous lambda: use a named function)" if name == "<lambda>" else "")
        raise ValueError(f"load_model: the model uses the function {name!r}{hint}, which is "
                         f"not built into brique.keras; files hold no code, so pass "
                         f"custom_objects={{{name!r}: the_function}}")
    return found


def serialize_layer(layer):
    """{module, class_name, registered_name, config} of a layer (or a nested model)."""
    return {"module": LAYER_MODULE, "class_name": type(layer).__name__,
            "registered_name": get_registered_name(type(layer)),
            "config": _encode(layer.get_config(), f"layer {layer.name!r}")}


def deserialize_layer(entry, custom_objects=None):
    """The layer that serialize_layer described; its class comes from custom_objects, the
    registered names or brique.keras's layers, never from the file."""
    with custom_object_scope(custom_objects):
        name, registered = entry.get("class_name"), entry.get("registered_name")
        cls = _lookup(name, registered) or _builtin_classes().get(name)
        if cls is None:
            raise ValueError(f"load_model: unknown layer class {name!r}: pass custom_objects="
                             f"{{{name!r}: {name}}} or decorate the class with "
                             "@keras.saving.register_keras_serializable()")
        if not (isinstance(cls, type) and issubclass(cls, Layer)):
            raise TypeError(f"load_model: {name!r} names {cls!r}, not a Layer class")
        config = _decode(entry.get("config") or {})
        try:
            return cls.from_config(config)
        except TypeError as e:
            raise TypeError(f"load_model: {name}.from_config could not rebuild the layer from "
                            f"its config ({e}); get_config() must return the arguments of "
                            "__init__ (or override from_config)") from e


# ---------------------------------------------------------------------- whole models
def model_config(model):
    """{class_name, config} of a model. Subclassed models need get_config(), as in Keras 3,
    unless their __init__ takes no arguments."""
    import inspect
    from .models import Model, Sequential
    from .network import Network
    cls = type(model)
    own_config = cls.get_config not in (Model.get_config, Sequential.get_config,
                                        Network.get_config, Layer.get_config)
    if cls in (Model, Sequential, Network) or own_config:
        config = model.get_config()
    else:
        args = [p for p in inspect.signature(cls.__init__).parameters.values()
                if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        if args:
            raise NotImplementedError(
                f"model.save: {cls.__name__} is a subclassed model whose __init__ takes "
                f"{[p.name for p in args]}: override get_config() to return them (and "
                "from_config if they are not plain values), as Keras requires")
        config = {}
    return {"module": LAYER_MODULE, "class_name": cls.__name__,
            "registered_name": get_registered_name(cls),
            "config": _encode(config, f"model {model.name!r}")}


def save_model(model, filepath, overwrite=True, include_optimizer=True, **kwargs):
    """Write `model` (architecture, weights, compile config and optimizer state) to
    `filepath`, atomically: a temporary file then a rename. Any suffix works; `.keras` is
    Keras 3's, and `.h5`/`.hdf5` get the same zip (no HDF5: brique does not use h5py)."""
    from . import __version__
    unknown = {k: v for k, v in kwargs.items()
               if not (k in ("zipped", "save_format", "signatures", "options") and
                       v in (None, True, "h5", "keras", "tf"))}
    if unknown:
        raise TypeError(f"save_model: unsupported argument(s) {sorted(unknown)}")
    path = os.fspath(filepath)
    if os.path.isdir(path):
        raise ValueError(f"save_model: {path} is a folder; give a file name ending in .keras")
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"save_model: {path} exists and overwrite=False")
    config = model_config(model)
    compiled = getattr(model, "compiled", False) and include_optimizer
    config["compile_config"] = _encode(model.get_compile_config(), "compile") if compiled \
        else None
    opt_state = model._optimizer_state() if compiled else None
    weights = io.BytesIO()
    _checkpoint.save({"weights": model.state_dict(), "optimizer": opt_state}, weights)
    metadata = {"format": FORMAT, "keras_version": __version__, "backend": "brique",
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    config_text = json.dumps(config, indent=1)

    def write(f):
        with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as archive:
            archive.writestr(METADATA, json.dumps(metadata))
            archive.writestr(CONFIG, config_text)
            archive.writestr(WEIGHTS, weights.getvalue())
    _checkpoint.atomic_write(path, write)


def _read(path):
    if not os.path.isfile(path):
        raise FileNotFoundError(f"load_model: no such file: {path}")
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            missing = {METADATA, CONFIG, WEIGHTS} - names
            if missing:
                raise ValueError(f"load_model: {path} is a zip without {sorted(missing)}: not "
                                 "a model written by model.save()")
            metadata = json.loads(archive.read(METADATA).decode("utf-8"))
            config = json.loads(archive.read(CONFIG).decode("utf-8"))
            weights = archive.read(WEIGHTS)
    except (zipfile.BadZipFile, EOFError, UnicodeDecodeError, json.JSONDecodeError,
            zipfile.LargeZipFile) as e:
        raise ValueError(f"load_model: {path} is truncated, corrupt or not a model written by "
                         f"model.save() ({type(e).__name__}: {e})") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        who = metadata.get("keras_version") if isinstance(metadata, dict) else None
        raise ValueError(f"load_model: {path} was not written by brique.keras (format "
                         f"{metadata.get('format') if isinstance(metadata, dict) else '?'!r}"
                         f"{', Keras ' + str(who) if who else ''}); brique reads its own files")
    try:
        state = _checkpoint.load(io.BytesIO(weights))
    except _checkpoint.CheckpointError as e:
        raise ValueError(f"load_model: the weights in {path} are corrupt ({e})") from None
    if not isinstance(config, dict) or not isinstance(state, dict) or "weights" not in state:
        raise ValueError(f"load_model: {path} holds no model config or weights")
    return config, state


def read_weights(filepath):
    """The state_dict inside a model file, or None if the file is not one (load_weights)."""
    try:
        with zipfile.ZipFile(filepath) as archive:
            if METADATA not in archive.namelist():
                return None
    except (zipfile.BadZipFile, OSError):
        return None
    return _read(os.fspath(filepath))[1]["weights"]


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """The model that model.save() wrote, with its weights; compiled (same optimizer, loss,
    metrics, and the optimizer's state) if it was and `compile` is true, so fit continues.
    Nothing in the file is executed, whatever `safe_mode` says."""
    path = os.fspath(filepath)
    from . import keras_files
    if keras_files.is_keras_zip(path):  # written by real Keras 3
        return keras_files.load_model(path, custom_objects, compile)
    if keras_files.is_hdf5(path):  # Keras 2 / tf.keras .h5
        from . import keras_legacy_h5
        return keras_legacy_h5.load_model(path, custom_objects, compile)
    config, state = _read(path)
    with custom_object_scope(custom_objects):
        model = deserialize_layer(config)
        saved, own = state["weights"], model.state_dict()
        if list(saved) != list(own) and len(saved) == len(own) and all(
                tuple(a.shape) == tuple(b.shape) for a, b in zip(saved.values(), own.values())):
            # A subclassed model names its layers afresh: Keras 3 matches them in order.
            saved = dict(zip(own, saved.values()))
        try:
            model.load_state_dict(saved)
        except (KeyError, RuntimeError, ValueError) as e:
            raise ValueError(f"load_model: the weights in {path} do not fit the model rebuilt "
                             f"from its config ({e})") from None
        if compile and config.get("compile_config"):
            model.compile_from_config(_decode(config["compile_config"]))
            if state.get("optimizer") is not None:
                model._load_optimizer_state(state["optimizer"])
    return model
